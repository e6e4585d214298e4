"""Column profiles: the compact summary of a reference table that drift is computed against.

A :class:`Profile` holds, per column, the row and missing counts and either a quantile sketch
(numbers: up to ``quantiles + 1`` edge values and the exact count of reference values at or below
each edge, plus mean/std/min/max) or the category counts (the ``max_categories`` most frequent,
the rest pooled as "other"). It is computed once from the training data, serialises to JSON
(:meth:`Profile.to_json`), and :func:`modelyard.monitoring.detect_drift` accepts it in place of
the raw reference table with the same result: the drift tests always work from the profile.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from modelyard.errors import InvalidParameterValue
from modelyard.monitoring._columns import (
    CATEGORICAL,
    DATETIME,
    NUMERICAL,
    ColumnTable,
    NotNumeric,
    as_table,
)

__all__ = ["PROFILE_FORMAT", "ColumnProfile", "Profile", "profile"]

PROFILE_FORMAT = "modelyard.monitoring.profile/1"
DEFAULT_QUANTILES = 512
DEFAULT_MAX_CATEGORIES = 200
# A numeric column with at most this many distinct values is read as categories.
DEFAULT_CATEGORICAL_MAX_UNIQUE = 10


@dataclass
class ColumnProfile:
    """The summary of one reference column."""

    name: str
    kind: str  # "numerical" | "categorical"
    dtype: str
    count: int  # non-missing values
    missing: int
    # numerical
    edges: list[float] = field(default_factory=list)
    cum_counts: list[int] = field(default_factory=list)
    mean: float | None = None
    std: float | None = None
    min: float | None = None
    max: float | None = None
    # categorical
    categories: dict[str, int] = field(default_factory=dict)
    other: int = 0
    truncated: bool = False

    @property
    def rows(self) -> int:
        return self.count + self.missing

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "name": self.name,
            "kind": self.kind,
            "dtype": self.dtype,
            "count": self.count,
            "missing": self.missing,
        }
        if self.kind == NUMERICAL:
            d.update(
                edges=self.edges,
                cum_counts=self.cum_counts,
                mean=self.mean,
                std=self.std,
                min=self.min,
                max=self.max,
            )
        else:
            d.update(categories=self.categories, other=self.other, truncated=self.truncated)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ColumnProfile:
        try:
            kind = str(d["kind"])
            if kind not in (NUMERICAL, CATEGORICAL):
                raise InvalidParameterValue(f"Unknown column kind {kind!r} in profile.")
            return cls(
                name=str(d["name"]),
                kind=kind,
                dtype=str(d.get("dtype", "")),
                count=int(d["count"]),
                missing=int(d["missing"]),
                edges=[float(x) for x in d.get("edges", [])],
                cum_counts=[int(x) for x in d.get("cum_counts", [])],
                mean=None if d.get("mean") is None else float(d["mean"]),
                std=None if d.get("std") is None else float(d["std"]),
                min=None if d.get("min") is None else float(d["min"]),
                max=None if d.get("max") is None else float(d["max"]),
                categories={str(k): int(v) for k, v in dict(d.get("categories", {})).items()},
                other=int(d.get("other", 0)),
                truncated=bool(d.get("truncated", False)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidParameterValue(f"Malformed column profile: {exc!r}.") from None


@dataclass
class Profile:
    """Column profiles of one reference table, keyed by column name (in table order)."""

    n_rows: int
    columns: dict[str, ColumnProfile]
    target_column: str | None = None
    skipped: dict[str, str] = field(default_factory=dict)  # column -> why it was not profiled

    def __contains__(self, name: object) -> bool:
        return name in self.columns

    def __getitem__(self, name: str) -> ColumnProfile:
        return self.columns[name]

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": PROFILE_FORMAT,
            "n_rows": self.n_rows,
            "target_column": self.target_column,
            "columns": [c.to_dict() for c in self.columns.values()],
            "skipped": self.skipped,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"), allow_nan=False)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Profile:
        if not isinstance(d, Mapping) or d.get("format") != PROFILE_FORMAT:
            raise InvalidParameterValue(
                f"Not a modelyard column profile (expected format {PROFILE_FORMAT!r})."
            )
        cols = [ColumnProfile.from_dict(c) for c in d.get("columns", [])]
        return cls(
            n_rows=int(d.get("n_rows", 0)),
            columns={c.name: c for c in cols},
            target_column=d.get("target_column"),
            skipped={str(k): str(v) for k, v in dict(d.get("skipped", {})).items()},
        )

    @classmethod
    def from_json(cls, text: str) -> Profile:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise InvalidParameterValue(f"A profile must be JSON: {exc}.") from None
        return cls.from_dict(data)


def _numeric_profile(name: str, dtype: str, values: Any, quantiles: int) -> ColumnProfile:
    import numpy as np

    finite = np.isfinite(values)
    missing = int(values.size - np.count_nonzero(finite))
    x = np.sort(values[finite] if missing else values)
    n = int(x.size)
    prof = ColumnProfile(name=name, kind=NUMERICAL, dtype=dtype, count=n, missing=missing)
    if n == 0:
        return prof
    if n <= quantiles + 1:
        edges = np.unique(x)
    else:
        levels = np.linspace(0.0, 1.0, quantiles + 1)
        idx = np.clip(np.ceil(levels * n).astype(np.int64) - 1, 0, n - 1)
        edges = np.unique(x[idx])
    cum = np.searchsorted(x, edges, side="right")
    prof.edges = edges.tolist()
    prof.cum_counts = cum.astype(np.int64).tolist()
    prof.mean = float(x.mean())
    prof.std = float(x.std())
    prof.min = float(x[0])
    prof.max = float(x[-1])
    return prof


def _categorical_profile(
    name: str, dtype: str, counts: dict[str, int], missing: int, max_categories: int
) -> ColumnProfile:
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    kept = dict(ordered[:max_categories])
    other = sum(c for _, c in ordered[max_categories:])
    return ColumnProfile(
        name=name,
        kind=CATEGORICAL,
        dtype=dtype,
        count=sum(counts.values()),
        missing=missing,
        categories=kept,
        other=other,
        truncated=len(ordered) > max_categories,
    )


def infer_kind(table: ColumnTable, name: str, categorical_max_unique: int) -> str:
    """``numerical`` / ``categorical`` / ``datetime`` for a column nobody typed."""
    import numpy as np

    kind = table.storage_kind(name)
    if kind != NUMERICAL:
        return kind
    values = table.numbers(name)
    finite = values[np.isfinite(values)]
    if finite.size and np.unique(finite).size <= categorical_max_unique:
        return CATEGORICAL
    return NUMERICAL


def profile_columns(
    table: ColumnTable,
    kinds: Mapping[str, str],
    *,
    quantiles: int = DEFAULT_QUANTILES,
    max_categories: int = DEFAULT_MAX_CATEGORIES,
) -> dict[str, ColumnProfile]:
    """Profile the named columns of ``table`` with the given kinds."""
    out: dict[str, ColumnProfile] = {}
    for name, kind in kinds.items():
        dtype = table.dtype(name)
        if kind == NUMERICAL:
            try:
                values = table.numbers(name)
            except NotNumeric as exc:
                raise InvalidParameterValue(
                    f"Column {name!r} of the {table.role} data was given as numerical but holds "
                    f"non-numeric values ({', '.join(exc.examples)})."
                ) from None
            out[name] = _numeric_profile(name, dtype, values, quantiles)
        else:
            counts, missing = table.labels(name)
            out[name] = _categorical_profile(name, dtype, counts, missing, max_categories)
    return out


def resolve_kinds(
    table: ColumnTable,
    *,
    columns: Iterable[str] | None,
    numerical_columns: Iterable[str] | None,
    categorical_columns: Iterable[str] | None,
    target_column: str | None,
    categorical_max_unique: int,
) -> tuple[dict[str, str], dict[str, str]]:
    """The kind of every column to use, and the columns skipped with the reason."""
    num = [str(c) for c in numerical_columns or []]
    cat = [str(c) for c in categorical_columns or []]
    both = sorted(set(num) & set(cat))
    if both:
        raise InvalidParameterValue(
            f"Columns {', '.join(map(repr, both))} are listed as both numerical and categorical."
        )
    if columns is not None:
        wanted = [str(c) for c in columns]
    elif num or cat:
        wanted = [*num, *cat]
    else:
        wanted = list(table.names)
    if target_column is not None and str(target_column) not in wanted:
        wanted.append(str(target_column))
    for name in [*wanted, *num, *cat]:
        if name not in table.names:
            raise InvalidParameterValue(
                f"Column {name!r} is not in the {table.role} data "
                f"(columns: {', '.join(map(repr, table.names[:20]))})."
            )
    kinds: dict[str, str] = {}
    skipped: dict[str, str] = {}
    for name in wanted:
        if name in num:
            kinds[name] = NUMERICAL
        elif name in cat:
            kinds[name] = CATEGORICAL
        else:
            kind = infer_kind(table, name, categorical_max_unique)
            if kind == DATETIME:
                skipped[name] = "date/time column (pass it in numerical_columns to test it)"
                continue
            kinds[name] = kind
    return kinds, skipped


def profile(
    data: Any,
    *,
    columns: Iterable[str] | None = None,
    numerical_columns: Iterable[str] | None = None,
    categorical_columns: Iterable[str] | None = None,
    target_column: str | None = None,
    quantiles: int = DEFAULT_QUANTILES,
    max_categories: int = DEFAULT_MAX_CATEGORIES,
    categorical_max_unique: int = DEFAULT_CATEGORICAL_MAX_UNIQUE,
) -> Profile:
    """Profile a pandas DataFrame or pyarrow Table (typically the training data)."""
    if int(quantiles) < 2:
        raise InvalidParameterValue(f"quantiles must be at least 2, got {quantiles!r}.")
    if int(max_categories) < 1:
        raise InvalidParameterValue(f"max_categories must be at least 1, got {max_categories!r}.")
    table = as_table(data, "reference")
    if not isinstance(table, ColumnTable):
        raise InvalidParameterValue(
            "The reference data must be a pandas DataFrame or pyarrow Table."
        )
    if table.n_rows == 0:
        raise InvalidParameterValue("The reference data has no rows.")
    kinds, skipped = resolve_kinds(
        table,
        columns=columns,
        numerical_columns=numerical_columns,
        categorical_columns=categorical_columns,
        target_column=target_column,
        categorical_max_unique=categorical_max_unique,
    )
    cols = profile_columns(table, kinds, quantiles=int(quantiles), max_categories=max_categories)
    return Profile(
        n_rows=table.n_rows,
        columns=cols,
        target_column=None if target_column is None else str(target_column),
        skipped=skipped,
    )
