"""Reading Delta tables through plain pyarrow datasets.

``DeltaTable.to_pyarrow_dataset()`` / ``to_pandas()`` (deltalake 1.6) read through a pyarrow
filesystem implemented on delta-rs' Rust runtime; a process that used it aborts at interpreter
exit about one time in three on Linux ("terminate called without an active exception", the
known delta-rs shutdown race). Reading the table's current data files (listed by the Delta log)
with pyarrow's own Parquet dataset gives the same rows and schema without that runtime. Tables
whose files alone do not give the rows — partitioned tables (partition values live in the log),
deletion vectors, column mapping — are read through deltalake as before.

``deltalake`` and ``pyarrow`` are imported by the call, never by ``import modelyard``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["delta_dataset", "read_delta"]

_NEEDS_DELTA_READER = {"deletionVectors", "columnMapping"}


def delta_dataset(path: str | Path) -> Any:
    """A ``pyarrow.dataset.Dataset`` over the current version of the Delta table at ``path``."""
    import pyarrow as pa
    import pyarrow.dataset as ds
    from deltalake import DeltaTable

    table = DeltaTable(str(path))
    features = set(table.protocol().reader_features or [])
    if table.metadata().partition_columns or features & _NEEDS_DELTA_READER:
        return table.to_pyarrow_dataset()
    schema = pa.schema(table.schema().to_arrow())
    return ds.dataset(table.file_uris(), schema=schema, format="parquet")


def read_delta(path: str | Path, columns: list[str] | None = None) -> Any:
    """The Delta table at ``path`` (optionally only ``columns``) as a pandas DataFrame."""
    return delta_dataset(path).to_table(columns=columns).to_pandas()
