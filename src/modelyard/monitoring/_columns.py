"""Column access over pandas DataFrames and pyarrow Tables, one column at a time.

The drift code never converts a whole table: it asks for one column as a float array (missing
values as NaN) or as label counts, so peak memory stays at about one column's worth. Labels are
normalised to strings the same way on both sides (``1``, ``1.0`` and ``np.int64(1)`` are all
``"1"``), so a reference read from a profile matches a current frame whatever its dtype.
"""

from __future__ import annotations

from typing import Any

from modelyard.errors import InvalidParameterValue
from modelyard.monitoring._stats import NumericSummary, finite_sorted, summarise_sorted

__all__ = ["ColumnSource", "ColumnTable", "NotNumeric", "as_table", "label_of"]

NUMERICAL = "numerical"
CATEGORICAL = "categorical"
DATETIME = "datetime"


class NotNumeric(Exception):
    """A column asked for as numbers holds values that are not numbers."""

    def __init__(self, examples: list[str]) -> None:
        super().__init__(", ".join(examples))
        self.examples = examples


def label_of(value: Any) -> str:
    """The string a category value is compared by (integral floats print as integers)."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) or type(value).__name__.startswith("float"):
        f = float(value)
        if f.is_integer():
            return str(int(f))
        return repr(f)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _labels_from_numbers(values: Any) -> dict[str, int]:
    import numpy as np

    finite = values[~np.isnan(values)]
    uniq, counts = np.unique(finite, return_counts=True)
    out: dict[str, int] = {}
    for u, c in zip(uniq.tolist(), counts.tolist(), strict=True):
        key = label_of(u)
        out[key] = out.get(key, 0) + int(c)
    return out


class ColumnSource:
    """What the drift tests read of a current table: its size, its column names, per numeric
    column a :class:`NumericSummary` against the reference's edges, per categorical column the
    label counts. :class:`ColumnTable` computes them from pandas/pyarrow; the Spark monitors
    from aggregations."""

    role: str
    names: list[str]
    n_rows: int

    def numeric_summary(self, name: str, edges: Any) -> tuple[int, int, NumericSummary | None]:
        """``(rows, missing or infinite, summary of the finite values or None)``; raises
        :class:`NotNumeric`."""
        raise NotImplementedError

    def labels(self, name: str) -> tuple[dict[str, int], int]:
        raise NotImplementedError


class ColumnTable(ColumnSource):
    """One input table (pandas or pyarrow) seen column by column."""

    def __init__(self, data: Any, role: str) -> None:
        self.role = role
        self._pandas: Any = None
        self._arrow: Any = None
        if hasattr(data, "schema") and hasattr(data, "column_names") and hasattr(data, "column"):
            self._arrow = data
            self.names = [str(n) for n in data.column_names]
            self.n_rows = int(data.num_rows)
        else:
            self._pandas = data
            self.names = [str(c) for c in data.columns]
            self.n_rows = int(len(data))
        if len(set(self.names)) != len(self.names):
            dup = sorted({n for n in self.names if self.names.count(n) > 1})
            raise InvalidParameterValue(
                f"The {role} table has duplicated column names: {', '.join(map(repr, dup))}."
            )

    # -- kinds -------------------------------------------------------------------------------
    def storage_kind(self, name: str) -> str:
        """``numerical``, ``categorical`` or ``datetime`` from the column's storage type alone."""
        if self._arrow is not None:
            import pyarrow as pa

            t = self._arrow.schema.field(name).type
            if pa.types.is_boolean(t):
                return CATEGORICAL
            if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
                return NUMERICAL
            if pa.types.is_temporal(t):
                return DATETIME
            return CATEGORICAL
        import pandas as pd

        s = self._pandas[self._key(name)]
        if pd.api.types.is_bool_dtype(s.dtype):
            return CATEGORICAL
        if pd.api.types.is_datetime64_any_dtype(s.dtype) or pd.api.types.is_timedelta64_dtype(
            s.dtype
        ):
            return DATETIME
        if pd.api.types.is_numeric_dtype(s.dtype):
            return NUMERICAL
        return CATEGORICAL

    def dtype(self, name: str) -> str:
        if self._arrow is not None:
            return str(self._arrow.schema.field(name).type)
        return str(self._pandas[self._key(name)].dtype)

    def _key(self, name: str) -> Any:
        # pandas columns may be non-string labels; map back from the string name.
        cols = self._pandas.columns
        if name in cols:
            return name
        for c in cols:
            if str(c) == name:
                return c
        raise KeyError(name)

    # -- values ------------------------------------------------------------------------------
    def numbers(self, name: str) -> Any:
        """The column as float64 with NaN for missing; raises :class:`NotNumeric`."""
        import numpy as np

        kind = self.storage_kind(name)
        if self._arrow is not None:
            import pyarrow as pa
            import pyarrow.compute as pc

            col = self._arrow.column(name)
            if kind == DATETIME:
                col = pc.cast(col, pa.int64())
            elif kind != NUMERICAL:
                return self._coerce(col.to_pandas())
            col = pc.fill_null(pc.cast(col, pa.float64(), safe=False), float("nan"))
            return np.asarray(col.to_numpy(), dtype=np.float64)
        import pandas as pd

        s = self._pandas[self._key(name)]
        if kind == DATETIME:
            ints = s.to_numpy(dtype="int64", na_value=np.iinfo(np.int64).min).astype(np.float64)
            ints[s.isna().to_numpy()] = np.nan
            return ints
        if kind == NUMERICAL:
            return s.to_numpy(dtype=np.float64, na_value=np.nan)
        return self._coerce(s if not isinstance(s.dtype, pd.CategoricalDtype) else s.astype(object))

    @staticmethod
    def _coerce(series: Any) -> Any:
        import numpy as np
        import pandas as pd

        if pd.api.types.is_bool_dtype(series.dtype):
            raise NotNumeric(["True/False"])
        out = pd.to_numeric(series, errors="coerce")
        bad = out.isna() & series.notna()
        if bool(bad.any()):
            raise NotNumeric([repr(v) for v in series[bad].unique()[:3].tolist()])
        return out.to_numpy(dtype=np.float64, na_value=np.nan)

    def numeric_summary(self, name: str, edges: Any) -> tuple[int, int, NumericSummary | None]:
        values = self.numbers(name)
        finite, missing = finite_sorted(values)
        return int(values.size), missing, summarise_sorted(finite, edges)

    def labels(self, name: str) -> tuple[dict[str, int], int]:
        """``({label: count}, missing count)`` for the column read as categories."""
        import numpy as np

        kind = self.storage_kind(name)
        if kind == NUMERICAL:
            values = self.numbers(name)
            missing = int(np.count_nonzero(np.isnan(values)))
            return _labels_from_numbers(values), missing
        if self._arrow is not None:
            import pyarrow.compute as pc

            col = self._arrow.column(name)
            missing = int(col.null_count)
            vc = pc.value_counts(col)
            values = vc.field("values").to_pylist()
            counts = vc.field("counts").to_pylist()
        else:
            s = self._pandas[self._key(name)]
            vc = s.value_counts(dropna=True, sort=False)
            missing = int(s.isna().sum())
            values = vc.index.tolist()
            counts = vc.to_numpy().tolist()
        out: dict[str, int] = {}
        for v, c in zip(values, counts, strict=True):
            if v is None or c == 0:
                continue
            if isinstance(v, float) and v != v:  # NaN inside an object column
                missing += int(c)
                continue
            key = label_of(v)
            out[key] = out.get(key, 0) + int(c)
        return out, missing


def as_table(data: Any, role: str) -> ColumnSource:
    """Wrap a pandas DataFrame or pyarrow Table; anything else is a clear error."""
    if isinstance(data, ColumnSource):
        return data
    is_arrow = hasattr(data, "schema") and hasattr(data, "column_names") and hasattr(data, "column")
    is_pandas = hasattr(data, "columns") and hasattr(data, "iloc")
    if not (is_arrow or is_pandas):
        raise InvalidParameterValue(
            f"The {role} data must be a pandas DataFrame, a pyarrow Table or a Profile; "
            f"got {type(data).__name__}."
        )
    return ColumnTable(data, role)
