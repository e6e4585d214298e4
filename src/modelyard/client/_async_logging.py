"""Asynchronous logging: log calls are queued and sent in batches from a background thread.

The queue is flushed by ``end_run``, by ``flush()`` and at interpreter exit. A failed batch is
never dropped silently: the error is kept and raised by the next ``flush()`` (and so by
``end_run``), with the number of values that were not written.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from modelyard.client._batching import split_batches
from modelyard.entities import Metric, Param, RunTag
from modelyard.errors import ModelyardError

if TYPE_CHECKING:
    from modelyard.services.tracking import TrackingService

__all__ = ["AsyncLogger", "AsyncLoggingError"]


class AsyncLoggingError(ModelyardError):
    """One or more queued log batches could not be written."""


@dataclass
class _Pending:
    metrics: list[Metric] = field(default_factory=list)
    params: list[Param] = field(default_factory=list)
    tags: list[RunTag] = field(default_factory=list)


class AsyncLogger:
    def __init__(self, tracking: TrackingService, max_wait_s: float = 0.2) -> None:
        self._tracking = tracking
        self._queue: queue.Queue[tuple[str, _Pending] | None] = queue.Queue()
        self._errors: list[tuple[str, int, Exception]] = []
        self._lock = threading.Lock()
        self._max_wait = max_wait_s
        self._thread = threading.Thread(target=self._loop, name="modelyard-async-log", daemon=True)
        self._thread.start()

    def submit(
        self,
        run_id: str,
        metrics: list[Metric] | None = None,
        params: list[Param] | None = None,
        tags: list[RunTag] | None = None,
    ) -> None:
        self._queue.put(
            (run_id, _Pending(list(metrics or []), list(params or []), list(tags or [])))
        )

    def flush(self) -> None:
        """Wait until everything queued so far is written; raise if anything failed."""
        self._queue.join()
        with self._lock:
            errors, self._errors = self._errors, []
        if errors:
            lost = sum(n for _, n, _ in errors)
            first = errors[0][2]
            raise AsyncLoggingError(
                f"{len(errors)} asynchronous log batch(es) failed ({lost} values not written); "
                f"first error for run {errors[0][0]}: {first}",
                error_code=getattr(first, "error_code", "INTERNAL_ERROR"),
            ) from first

    def _loop(self) -> None:
        while True:
            item = self._queue.get()
            batch: dict[str, _Pending] = {}
            taken = [item]
            # gather what else is already queued, up to a short wait
            try:
                while True:
                    taken.append(
                        self._queue.get(timeout=self._max_wait if len(taken) < 2 else 0.005)
                    )
            except queue.Empty:
                pass
            for entry in taken:
                if entry is None:
                    continue
                run_id, pending = entry
                acc = batch.setdefault(run_id, _Pending())
                acc.metrics.extend(pending.metrics)
                acc.params.extend(pending.params)
                acc.tags.extend(pending.tags)
            for run_id, acc in batch.items():
                self._send(run_id, acc)
            for _ in taken:
                self._queue.task_done()

    def _send(self, run_id: str, acc: _Pending) -> None:
        for chunk_m, chunk_p, chunk_t in split_batches(acc.metrics, acc.params, acc.tags):
            try:
                self._tracking.log_batch(run_id, chunk_m, chunk_p, chunk_t)
            except Exception as exc:  # kept and raised by flush(), never dropped
                with self._lock:
                    self._errors.append((run_id, len(chunk_m) + len(chunk_p) + len(chunk_t), exc))
