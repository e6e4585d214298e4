"""Chunked readers and writers for CSV, Parquet and Delta, on pyarrow record batches.

Formats are named explicitly or guessed: ``*.csv`` → csv, ``*.parquet``/``*.pq`` → parquet,
a directory with ``_delta_log`` → delta, another directory of parquet files → parquet. An
output path that is neither ``.csv`` nor ``.parquet`` is a Delta table (the local stand-in for
``saveAsTable``). Parquet output to a directory appends part files; a single ``.parquet`` file
can only be overwritten.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from modelyard.errors import InvalidParameterValue, ResourceDoesNotExist

__all__ = ["FORMATS", "count_rows", "guess_format", "read_batches", "write_batches"]

FORMATS = ("csv", "parquet", "delta")


def guess_format(path: str, *, output: bool = False) -> str:
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in (".csv", ".tsv") or path.endswith(".csv.gz"):
        return "csv"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if (p / "_delta_log").is_dir():
        return "delta"
    if p.is_dir() and any(p.glob("*.parquet")):
        return "parquet"
    if output:
        return "delta"
    if not p.exists():
        raise ResourceDoesNotExist(f"Input {path!r} does not exist")
    raise InvalidParameterValue(
        f"Cannot tell the format of {path!r}: name it *.csv / *.parquet or pass format= "
        f"(one of {list(FORMATS)})"
    )


def _check_format(fmt: str) -> str:
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise InvalidParameterValue(f"Unknown format {fmt!r}: one of {list(FORMATS)}")
    return fmt


def count_rows(path: str, fmt: str) -> int | None:
    """Row count when it is cheap to know (parquet metadata, Delta stats), else ``None``."""
    try:
        if fmt == "parquet":
            import pyarrow.dataset as ds

            return int(ds.dataset(path, format="parquet").count_rows())
        if fmt == "delta":
            from modelyard.utils.delta import delta_dataset

            return int(delta_dataset(path).count_rows())
    except Exception:
        return None
    return None


def read_batches(path: str, fmt: str, chunk_rows: int) -> Iterator[Any]:
    """``pyarrow.RecordBatch`` es of at most ``chunk_rows`` rows."""
    fmt = _check_format(fmt)
    if not os.path.exists(path):
        raise ResourceDoesNotExist(f"Input {path!r} does not exist")
    if fmt == "csv":
        yield from _rechunk(_csv_batches(path), chunk_rows)
        return
    if fmt == "parquet":
        import pyarrow.dataset as ds

        dataset = ds.dataset(path, format="parquet")
    else:
        from modelyard.utils.delta import delta_dataset

        dataset = delta_dataset(path)
    for batch in dataset.to_batches(batch_size=chunk_rows):
        if batch.num_rows:
            yield batch


def _csv_batches(path: str) -> Iterator[Any]:
    import pyarrow.csv as pcsv

    reader = pcsv.open_csv(path, read_options=pcsv.ReadOptions(block_size=8 << 20))
    yield from reader


def _rechunk(batches: Iterator[Any], size: int) -> Iterator[Any]:
    import pyarrow as pa

    pending: list[Any] = []
    count = 0
    for batch in batches:
        pending.append(batch)
        count += batch.num_rows
        while count >= size:
            table = pa.Table.from_batches(pending)
            head, rest = table.slice(0, size), table.slice(size)
            yield head.combine_chunks().to_batches()[0]
            pending = rest.to_batches() if rest.num_rows else []
            count = rest.num_rows
    if count:
        table = pa.Table.from_batches(pending).combine_chunks()
        yield from table.to_batches()


def write_batches(path: str, fmt: str, schema: Any, batches: Iterator[Any], mode: str) -> None:
    """Stream ``batches`` (all with ``schema``) to ``path``. ``mode``: append or overwrite."""
    fmt = _check_format(fmt)
    if mode not in ("append", "overwrite"):
        raise InvalidParameterValue(f"Invalid mode {mode!r}: 'append' or 'overwrite'")
    if fmt == "delta":
        import pyarrow as pa
        from deltalake import write_deltalake

        reader = pa.RecordBatchReader.from_batches(schema, batches)
        Path(path).mkdir(parents=True, exist_ok=True)
        if mode == "append":
            write_deltalake(path, reader, mode="append", schema_mode="merge")
        else:
            write_deltalake(path, reader, mode="overwrite", schema_mode="overwrite")
    elif fmt == "csv":
        _write_csv(path, schema, batches, mode)
    else:
        _write_parquet(path, schema, batches, mode)


def _write_csv(path: str, schema: Any, batches: Iterator[Any], mode: str) -> None:
    import pyarrow.csv as pcsv

    exists = os.path.exists(path) and os.path.getsize(path) > 0
    if mode == "append" and exists:
        import pyarrow.csv as _c

        head = _c.open_csv(path).schema.names
        if head != schema.names:
            raise InvalidParameterValue(
                f"Cannot append to {path!r}: its columns {head} differ from {schema.names}"
            )
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    header = not (mode == "append" and exists)
    with open(path, "ab" if mode == "append" else "wb") as f:
        opts = pcsv.WriteOptions(include_header=header)
        with pcsv.CSVWriter(f, schema, write_options=opts) as writer:
            for batch in batches:
                writer.write_batch(batch)


def _write_parquet(path: str, schema: Any, batches: Iterator[Any], mode: str) -> None:
    import shutil

    import pyarrow.parquet as pq

    p = Path(path)
    if p.suffix.lower() in (".parquet", ".pq") and not p.is_dir():
        if mode == "append" and p.exists():
            raise InvalidParameterValue(
                f"Cannot append to the single parquet file {path!r}: write to a directory "
                "(parquet dataset) or a Delta table to append"
            )
        target = p
        p.parent.mkdir(parents=True, exist_ok=True)
    else:
        if mode == "overwrite" and p.exists():
            shutil.rmtree(p)
        p.mkdir(parents=True, exist_ok=True)
        target = p / f"part-{uuid.uuid4().hex}.parquet"
    tmp = target.with_name(target.name + ".tmp")
    with pq.ParquetWriter(tmp, schema) as writer:
        for batch in batches:
            writer.write_batch(batch)
    os.replace(tmp, target)
