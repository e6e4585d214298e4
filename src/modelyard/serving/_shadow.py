"""Shadow traffic: a copy of every live request goes to the endpoint's shadow served models.

The request handler only *offers* a copy (:meth:`ShadowDispatcher.offer`, a ``put_nowait`` on a
bounded queue) and answers its caller at once; it never waits for, or sees, a shadow answer.
When the queue is full the copy is dropped and counted (``EndpointRuntime.shadow_dropped``, the
``modelyard_shadow_dropped_total`` metric), so a slow shadow model can neither delay nor fail
live traffic nor grow memory without bound. One consumer task per endpoint takes what is
queued (up to ``_MAX_GROUP`` copies at a time, so their rows share micro-batches), scores each
copy on every shadow route of the endpoint's *current* routing table (hot reload applies to
shadows too) and hands each answer to ``on_answer``. Shadow routes predict in a thread, never on
the event loop (see ``_runtime.Reloader._route``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from modelyard.serving._invoke import Outcome, score_body
from modelyard.serving._runtime import EndpointRuntime, Route

__all__ = ["ShadowCopy", "ShadowDispatcher"]

_log = logging.getLogger("modelyard.serving.shadow")
_MAX_GROUP = 64


@dataclass(frozen=True, slots=True)
class ShadowCopy:
    request_id: str
    body: bytes
    content_type: str | None


AnswerHook = Callable[[Route, ShadowCopy, Outcome, float], None]


class ShadowDispatcher:
    """Feeds one endpoint's shadow routes from a bounded queue, on the event loop."""

    def __init__(
        self,
        endpoint: EndpointRuntime,
        on_answer: AnswerHook,
        *,
        max_queue: int = 1000,
        timeout_s: float | None = 60.0,
        on_drop: Callable[[], None] | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.on_answer = on_answer
        self.timeout_s = timeout_s
        self.on_drop = on_drop
        self._queue: asyncio.Queue[ShadowCopy] = asyncio.Queue(max(1, max_queue))
        self._task: asyncio.Task[None] | None = None

    def offer(self, copy: ShadowCopy) -> bool:
        """Queue a copy for the shadow routes; ``False`` when there are none or it was dropped."""
        table = self.endpoint.table
        if table is None or not table.shadows:
            return False
        try:
            self._queue.put_nowait(copy)
        except asyncio.QueueFull:
            self.endpoint.shadow_dropped += 1
            if self.on_drop is not None:
                self.on_drop()
            return False
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())
        return True

    @property
    def pending(self) -> int:
        return self._queue.qsize()

    async def _run(self) -> None:
        while True:
            group = [await self._queue.get()]
            while len(group) < _MAX_GROUP and not self._queue.empty():
                group.append(self._queue.get_nowait())
            table = self.endpoint.table
            routes = table.shadows if table is not None else ()
            try:
                await asyncio.gather(*(self._one(r, c) for r in routes for c in group))
            finally:
                for _ in group:
                    self._queue.task_done()

    async def _one(self, route: Route, copy: ShadowCopy) -> None:
        start = time.perf_counter()
        try:
            outcome = await score_body(
                copy.body, copy.content_type, route.batcher, self.timeout_s, copy.request_id
            )
        except Exception:  # a closed (retired) batcher, ...: this copy only
            _log.exception("shadow %s: request %s failed", route.served.name, copy.request_id)
            return
        try:
            self.on_answer(route, copy, outcome, time.perf_counter() - start)
        except Exception:
            _log.exception(
                "shadow %s: recording request %s failed", route.served.name, copy.request_id
            )

    async def aclose(self, drain_timeout_s: float = 10.0) -> None:
        """Answer what is queued (for at most ``drain_timeout_s``), then stop."""
        if self._task is None:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._queue.join(), drain_timeout_s)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
