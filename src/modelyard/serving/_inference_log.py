"""Inference tables: every endpoint request appended to a Delta table, off the request path.

Rows are queued in memory and written by one background thread per worker, every
``flush_interval_s`` or ``max_rows`` rows, as one Delta commit (``deltalake``; several workers
append to the same table and delta-rs retries conflicting commits). The queue is flushed when
the worker stops. A failed write is logged and retried with the next flush (rows are kept, up to
``max_buffer_rows``; past that the oldest rows are dropped and the drop is counted).

Columns: ``request_id, timestamp (UTC), endpoint, served_model, model_name, model_version,
status_code, latency_ms, request (JSON text), response (JSON text), shadow``. ``shadow`` is true for
the answer of a shadow served model (a copy of the request, same ``request_id``; never returned
to the caller). Tables written before that column existed gain it on the next append (schema
merge); their rows read as ``shadow=False``.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

__all__ = ["INFERENCE_COLUMNS", "InferenceLogger", "read_inference_table"]

#: appends tried when closing before the remaining rows are given up (and logged)
_CLOSE_ATTEMPTS = 10

_log = logging.getLogger("modelyard.serving.inference_log")

INFERENCE_COLUMNS = (
    "request_id",
    "timestamp",
    "endpoint",
    "served_model",
    "model_name",
    "model_version",
    "status_code",
    "latency_ms",
    "request",
    "response",
    "shadow",
)


def _schema() -> Any:
    import pyarrow as pa

    return pa.schema(
        [
            ("request_id", pa.string()),
            ("timestamp", pa.timestamp("us", tz="UTC")),
            ("endpoint", pa.string()),
            ("served_model", pa.string()),
            ("model_name", pa.string()),
            ("model_version", pa.string()),
            ("status_code", pa.int32()),
            ("latency_ms", pa.float64()),
            ("request", pa.string()),
            ("response", pa.string()),
            ("shadow", pa.bool_()),
        ]
    )


class InferenceLogger:
    def __init__(
        self,
        table_path: str | Path,
        *,
        flush_interval_s: float = 1.0,
        max_rows: int = 5000,
        max_buffer_rows: int = 200_000,
    ) -> None:
        self.table_path = str(table_path)
        self.flush_interval_s = flush_interval_s
        self.max_rows = max_rows
        self.max_buffer_rows = max_buffer_rows
        self.dropped = 0
        self.written = 0
        self._rows: list[tuple[Any, ...]] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = False
        self._thread = threading.Thread(target=self._loop, name="inference-log", daemon=True)
        self._thread.start()

    def log(
        self,
        request_id: str,
        endpoint: str,
        served_model: str,
        model_name: str,
        model_version: str,
        status_code: int,
        latency_ms: float,
        request: str,
        response: str,
        *,
        shadow: bool = False,
    ) -> None:
        row = (
            request_id,
            int(time.time() * 1_000_000),
            endpoint,
            served_model,
            model_name,
            model_version,
            status_code,
            latency_ms,
            request,
            response,
            shadow,
        )
        with self._lock:
            self._rows.append(row)
            if len(self._rows) > self.max_buffer_rows:
                excess = len(self._rows) - self.max_buffer_rows
                del self._rows[:excess]
                self.dropped += excess
            if len(self._rows) >= self.max_rows:
                self._wake.set()

    def _loop(self) -> None:
        while not self._stop:
            self._wake.wait(self.flush_interval_s)
            self._wake.clear()
            self.flush()

    def flush(self) -> None:
        with self._lock:
            rows, self._rows = self._rows, []
        if not rows:
            return
        try:
            self._write(rows)
            self.written += len(rows)
        except Exception:
            _log.exception("could not append %d rows to %s; will retry", len(rows), self.table_path)
            with self._lock:
                self._rows[:0] = rows

    def _write(self, rows: list[tuple[Any, ...]]) -> None:
        import pyarrow as pa
        from deltalake import write_deltalake

        schema = _schema()
        columns = list(zip(*rows, strict=True))
        table = pa.Table.from_arrays(
            [pa.array(col, type=f.type) for col, f in zip(columns, schema, strict=True)],
            schema=schema,
        )
        Path(self.table_path).mkdir(parents=True, exist_ok=True)
        write_deltalake(self.table_path, table, mode="append", schema_mode="merge")

    def close(self) -> None:
        """Stop the writer thread and write what is left. A failed append (another process
        committed to the table at the same moment) is retried with a short backoff, bounded."""
        self._stop = True
        self._wake.set()
        self._thread.join(timeout=10)
        for attempt in range(_CLOSE_ATTEMPTS):
            self.flush()
            with self._lock:
                if not self._rows:
                    return
            time.sleep(min(0.05 * 2**attempt, 1.0))


def read_inference_table(table_path: str | Path) -> Any:
    """The inference table as a pandas DataFrame (empty, with the columns, if nothing was
    logged yet). Rows from before the ``shadow`` column read as ``shadow=False``."""
    from modelyard.utils.delta import read_delta

    path = Path(table_path)
    if not (path / "_delta_log").is_dir():
        return _schema().empty_table().to_pandas()
    frame = read_delta(path)
    if "shadow" not in frame.columns:
        frame["shadow"] = False
    else:
        frame["shadow"] = frame["shadow"].eq(True)
    return frame
