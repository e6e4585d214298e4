"""Reading a monitored table in batches for a refresh, in bounded memory.

Used for the tables a refresh cannot read window by window with a timestamp filter: the serving
endpoints' inference table (whose rows must be flattened from JSON first), tables whose
timestamp is stored as text, and snapshots. The table is scanned ``batch_rows`` rows at a time
(``pyarrow.dataset`` scanner); each batch is turned into a pandas frame (flattened for the
serving layout), labels are joined, and its rows are appended, window by window, to files in a
scratch directory (pickled frames). Each window is then read back alone and given the column
set and dtypes the whole table would have had as one frame, so a window's metrics do not depend
on ``batch_rows``. Memory is bounded by one batch while scanning and by one window's rows (the
flattened features, not the JSON text) while a window is processed.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ColumnTypes", "WindowSpill", "iter_frames", "scan"]


def scan(ds: Any, batch_rows: int, columns: list[str] | None = None) -> Iterator[Any]:
    """The dataset's record batches (``columns``, or all) of at most ``batch_rows`` rows, in the
    table's order, read file by file on this thread.

    The dataset scanner reads ahead without waiting for a slow consumer (a refresh flattening
    JSON is one): it would hold most of the table in memory. Reading one file at a time bounds
    that by a file's row group; a dataset whose files alone do not give the rows (partition
    values in paths or in the Delta log) is scanned with the smallest read-ahead instead."""
    fragments = list(ds.get_fragments()) if hasattr(ds, "get_fragments") else None
    if fragments is not None and all(str(f.partition_expression) == "true" for f in fragments):
        for fragment in fragments:
            yield from fragment.to_batches(
                schema=ds.schema,
                columns=columns,
                batch_size=batch_rows,
                batch_readahead=0,
                fragment_readahead=0,
                use_threads=False,
            )
        return
    yield from ds.to_batches(
        columns=columns, batch_size=batch_rows, batch_readahead=1, fragment_readahead=1
    )


def iter_frames(
    ds: Any, batch_rows: int, to_frame: Callable[[Any], Any], columns: list[str] | None = None
) -> Iterator[Any]:
    """The dataset's rows (``columns``, or all) as pandas frames of at most ``batch_rows``
    source rows each, in the table's order."""
    import pyarrow as pa

    for batch in scan(ds, batch_rows, columns):
        if batch.num_rows:
            yield to_frame(pa.Table.from_batches([batch]))


def _kinds(s: Any, into: dict[type, Any]) -> None:
    """Record in ``into`` one value per kind of value in ``s`` (for ints, the smallest and the
    largest): together they infer, in pandas, to what all the values would."""
    import numpy as np
    import pandas as pd

    def put(v: Any) -> None:
        if type(v) is int:
            lo, hi = into.get(int, (v, v))
            into[int] = (min(lo, v), max(hi, v))
        else:
            into.setdefault(type(v), v)

    if s.dtype == object:
        values = s.tolist()
        for t in {type(v) for v in values}:
            if t is int:
                ints = [v for v in values if type(v) is int]
                put(min(ints))
                put(max(ints))
            else:
                put(next(v for v in values if type(v) is t))
    elif pd.api.types.is_bool_dtype(s.dtype):
        put(True)
    elif pd.api.types.is_integer_dtype(s.dtype):
        put(int(s.min()))
        put(int(s.max()))
    elif pd.api.types.is_float_dtype(s.dtype):
        put(0.5)
    else:  # dates and the like: one value (NaT when there is none)
        present = s[s.notna()]
        put(present.iloc[0] if len(present) else np.nan)


@dataclass
class ColumnTypes:
    """The columns of the table's frames in order of first appearance and, per column, the
    dtype pandas gives the whole column as one frame: the common dtype when every batch had the
    same one, else what the batches' values infer to together."""

    _order: list[str] = field(default_factory=list)
    _tail: list[str] = field(default_factory=list)
    _dtypes: dict[str, set[Any]] = field(default_factory=dict)
    _kinds: dict[str, dict[type, Any]] = field(default_factory=dict)
    _absent: set[str] = field(default_factory=set)
    _batches: int = 0
    _resolved: dict[str, Any] = field(default_factory=dict)

    @property
    def order(self) -> list[str]:
        return self._order + [c for c in self._tail if c not in self._order]

    def add(self, frame: Any, columns: list[str] | None = None) -> None:
        """Record a batch's frame; ``columns``: the columns that order the whole frame's (the
        others, added to the batch after, such as joined labels, come last)."""
        import numpy as np

        leading = list(frame.columns) if columns is None else columns
        for c in leading:
            if c not in self._order:
                self._order.append(c)
        for c in frame.columns:
            if c not in self._order and c not in self._tail:
                self._tail.append(c)
            if c not in self._dtypes:
                self._dtypes[c] = set()
                self._kinds[c] = {}
                if self._batches:
                    self._kinds[c][float] = np.nan  # missing in the batches before
                    self._absent.add(c)
            self._dtypes[c].add(frame[c].dtype)
            _kinds(frame[c], self._kinds[c])
        for c in self._dtypes:
            if c not in frame.columns:
                self._absent.add(c)
                self._kinds[c].setdefault(float, np.nan)
        self._batches += 1
        self._resolved.clear()

    def dtype(self, col: str) -> Any:
        import pandas as pd

        if col not in self._resolved:
            dtypes = self._dtypes[col]
            if len(dtypes) == 1 and col not in self._absent:
                self._resolved[col] = next(iter(dtypes))
            else:
                values: list[Any] = []
                for t, v in self._kinds[col].items():
                    values += list(v) if t is int else [v]
                self._resolved[col] = pd.Series(values).dtype
        return self._resolved[col]

    def conform(self, col: str, part: Any, n: int) -> Any:
        """``part`` (a batch's values of ``col``, ``None`` when the batch lacked it) as the
        whole column's dtype."""
        import numpy as np
        import pandas as pd

        dtype = self.dtype(col)
        if part is None:
            return pd.Series(np.full(n, np.nan, dtype=object)).astype(dtype)
        if part.dtype == dtype:
            return part
        return part.astype(dtype)


class WindowSpill:
    """Per-window files of rows in a scratch directory: ``append`` a window's rows of one
    batch, ``read`` a window back as one frame (columns and dtypes from ``types``)."""

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self._paths: dict[tuple[int, str], str] = {}

    def _path(self, key: tuple[int, str]) -> str:
        if key not in self._paths:
            self._paths[key] = os.path.join(self.directory, f"{key[0]}-{len(self._paths)}.pkl")
        return self._paths[key]

    def append(self, key: tuple[int, str], frame: Any) -> None:
        with open(self._path(key), "ab") as fh:
            pickle.dump(frame.reset_index(drop=True), fh, protocol=pickle.HIGHEST_PROTOCOL)

    def read(self, key: tuple[int, str], types: ColumnTypes) -> Any:
        import pandas as pd

        path = self._path(key)
        parts: list[Any] = []
        if os.path.exists(path):
            with open(path, "rb") as fh:
                while True:
                    try:
                        parts.append(pickle.load(fh))
                    except EOFError:
                        break
        columns = {}
        for c in types.order:
            pieces = [types.conform(c, p[c] if c in p.columns else None, len(p)) for p in parts]
            if not pieces:
                columns[c] = pd.Series([], dtype=types.dtype(c))
            elif len(pieces) == 1:
                columns[c] = pieces[0].reset_index(drop=True)
            else:
                columns[c] = pd.concat(pieces, ignore_index=True)
        return pd.DataFrame(columns)

    def drop(self, key: tuple[int, str]) -> None:
        path = self._paths.get(key)
        if path and os.path.exists(path):
            os.unlink(path)
