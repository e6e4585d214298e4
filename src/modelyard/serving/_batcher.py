"""Adaptive micro-batching: concurrent requests share one ``predict`` call.

Requests are queued on the event loop. One consumer task takes everything that is waiting (up
to ``max_batch_rows`` rows), groups it by column set, builds one frame per group and runs one
``predict`` in the model's thread. While that call runs, new requests pile up and become the
next batch, so the batch size follows the load with no added latency when the server is idle.
``max_wait_ms`` > 0 additionally holds a batch open for up to that long to collect more rows.

A batch whose ``predict`` fails is re-run request by request, so one bad request never fails its
neighbours. With ``enabled=False`` each request gets its own ``predict`` call (still off the
event loop).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from modelyard.serving._predictor import Predictor, slice_predictions
from modelyard.serving._protocol import ScoringInput

__all__ = ["BatchConfig", "MicroBatcher"]


@dataclass(frozen=True, slots=True)
class BatchConfig:
    enabled: bool = True
    max_batch_rows: int = 512
    max_wait_ms: float = 0.0
    #: run ``predict`` on the event loop (True) or in a dedicated thread (False). Inline avoids
    #: GIL hand-offs between the loop and the model thread (each costs up to the 5 ms switch
    #: interval); requests that arrive while a batch runs wait in the socket buffers and form
    #: the next batch. Threaded keeps the loop responsive for very slow models.
    inline: bool = True


_Item = tuple[ScoringInput, "asyncio.Future[Any]"]


class MicroBatcher:
    """Feeds one :class:`Predictor` from the event loop."""

    def __init__(
        self,
        predictor: Predictor,
        config: BatchConfig = BatchConfig(),
        on_batch: Callable[[int, int], None] | None = None,
    ) -> None:
        self.predictor = predictor
        self.config = config
        self._on_batch = on_batch  # (requests, rows) per predict call, for metrics
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="predict")
        self._pending: deque[_Item] = deque()
        self._pending_rows = 0
        self._wakeup: asyncio.Event | None = None
        self._full: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    async def submit(self, inp: ScoringInput) -> Any:
        """Predictions for one request (raises what ``predict`` raised for it)."""
        loop = asyncio.get_running_loop()
        alone = (
            not self.config.enabled
            or inp.batch_key is None
            or inp.n_rows >= self.config.max_batch_rows
        )
        if alone:
            if self.config.inline:
                if self._on_batch is not None:
                    self._on_batch(1, inp.n_rows)
                return _predict_one(self.predictor, inp)
            return await loop.run_in_executor(self._executor, _predict_one, self.predictor, inp)
        if self._task is None:
            self._wakeup = asyncio.Event()
            self._full = asyncio.Event()
            self._task = loop.create_task(self._run())
        fut: asyncio.Future[Any] = loop.create_future()
        self._pending.append((inp, fut))
        self._pending_rows += inp.n_rows
        assert self._wakeup is not None and self._full is not None
        self._wakeup.set()
        if self._pending_rows >= self.config.max_batch_rows:
            self._full.set()
        return await fut

    async def _run(self) -> None:
        assert self._wakeup is not None and self._full is not None
        loop = asyncio.get_running_loop()
        wait_s = self.config.max_wait_ms / 1000.0
        while not self._closed:
            if not self._pending:
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            if wait_s > 0 and self._pending_rows < self.config.max_batch_rows:
                self._full.clear()
                try:
                    await asyncio.wait_for(self._full.wait(), wait_s)
                except TimeoutError:
                    pass
            batch = self._take()
            if self.config.inline:
                await asyncio.sleep(0)  # let the requests already read join this batch
                batch.extend(self._take_more(batch))
                self._predict_batch(batch, threadsafe=False)
                continue
            try:
                await loop.run_in_executor(self._executor, self._predict_batch, batch)
            except Exception as exc:  # pragma: no cover - _predict_batch catches per item
                for _, fut in batch:
                    if not fut.done():
                        fut.set_exception(exc)

    def _take(self) -> list[_Item]:
        batch: list[_Item] = []
        rows = 0
        limit = self.config.max_batch_rows
        while self._pending:
            n = self._pending[0][0].n_rows
            if batch and rows + n > limit:
                break
            item = self._pending.popleft()
            if item[1].cancelled():
                self._pending_rows -= n
                continue
            batch.append(item)
            rows += n
        self._pending_rows -= rows
        return batch

    def _take_more(self, batch: list[_Item]) -> list[_Item]:
        rows = sum(inp.n_rows for inp, _ in batch)
        more: list[_Item] = []
        while self._pending and rows + self._pending[0][0].n_rows <= self.config.max_batch_rows:
            item = self._pending.popleft()
            self._pending_rows -= item[0].n_rows
            if not item[1].cancelled():
                more.append(item)
                rows += item[0].n_rows
        return more

    def _predict_batch(self, batch: list[_Item], threadsafe: bool = True) -> None:
        """Runs in the model thread: one predict per column-set group."""
        groups: dict[tuple[str, ...] | None, list[_Item]] = {}
        for item in batch:
            groups.setdefault(item[0].batch_key, []).append(item)
        for items in groups.values():
            results = self._predict_group(items)
            if threadsafe:
                items[0][1].get_loop().call_soon_threadsafe(_resolve, items, results)
            else:
                _resolve(items, results)

    def _predict_group(self, items: list[_Item]) -> list[tuple[bool, Any]]:
        if len(items) == 1:
            if self._on_batch is not None:
                self._on_batch(1, items[0][0].n_rows)
            return [_safe(self.predictor, items[0][0])]
        merged: dict[str, list[Any]] = {name: [] for name in items[0][0].columns or {}}
        for inp, _ in items:
            assert inp.columns is not None
            for name, values in inp.columns.items():
                merged[name].extend(values)
        total = sum(inp.n_rows for inp, _ in items)
        combined = ScoringInput(merged, None, None, total)
        if self._on_batch is not None:
            self._on_batch(len(items), total)
        try:
            predictions = _predict_one(self.predictor, combined)
            if len(predictions) != total:
                raise ValueError("prediction count differs from row count")
        except Exception:
            # find the culprit(s): every request on its own
            return [_safe(self.predictor, inp) for inp, _ in items]
        out: list[tuple[bool, Any]] = []
        start = 0
        for inp, _ in items:
            out.append((True, slice_predictions(predictions, start, start + inp.n_rows)))
            start += inp.n_rows
        return out

    async def aclose(self) -> None:
        self._closed = True
        if self._task is not None:
            self._task.cancel()
        self._executor.shutdown(wait=False, cancel_futures=True)


def _predict_one(predictor: Predictor, inp: ScoringInput) -> Any:
    return predictor.predict(inp.to_model_input(), inp.params)


def _safe(predictor: Predictor, inp: ScoringInput) -> tuple[bool, Any]:
    try:
        return True, _predict_one(predictor, inp)
    except Exception as exc:
        return False, exc


def _resolve(items: list[_Item], results: list[tuple[bool, Any]]) -> None:
    for (_, fut), (ok, value) in zip(items, results, strict=True):
        if fut.done():
            continue
        if ok:
            fut.set_result(value)
        else:
            fut.set_exception(value)
