"""Endpoints inside one worker process: loaded models, traffic routing and hot reload.

Each endpoint holds an immutable *routing table* (served models with their loaded predictor and
cumulative traffic weights). A request picks one entry and keeps a reference to it, so
replacing the table is one attribute assignment: requests already running finish on the model
they started with, new ones see the new table. No request is dropped during a reload.

The :class:`Reloader` polls the serving store (endpoint configs) and the registry (stage and
alias targets) every ``poll_interval_s``. When a served model now points at a different version,
the new version is loaded in a background thread; only when that succeeded is the table
swapped. Shadow served models are loaded the same way and kept in the table's ``shadows``
(they take no traffic share; ``_shadow.ShadowDispatcher`` feeds them copies). A version that
fails to load is reported in the endpoint state (``/status``) and the
log, the old version keeps serving, and the broken version is tried again after 1 s, 2 s,
4 s ... (at most every minute), so a passing failure does not pin an endpoint to part of its
traffic split. Retired models are closed after a grace period.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import os
import random
import time
from dataclasses import dataclass, field
from typing import Any

from modelyard.serving._batcher import BatchConfig, MicroBatcher
from modelyard.serving._config import EndpointConfig, ServedModel, resolve_version
from modelyard.serving._metrics import Metrics
from modelyard.serving._predictor import load_predictor
from modelyard.serving._store import ServingStore

__all__ = ["EndpointRuntime", "Reloader", "Route"]

_log = logging.getLogger("modelyard.serving.endpoints")
#: the longest wait (seconds) before a version that failed to load is tried again
_RETRY_MAX_S = 60.0
_RETIRE_GRACE_S = 120.0


@dataclass(slots=True)
class Route:
    served: ServedModel
    version: str
    batcher: MicroBatcher
    loaded_at_ms: int


@dataclass(slots=True)
class _Table:
    routes: tuple[Route, ...]
    cumulative: tuple[int, ...]
    #: shadow routes: each gets a copy of every request, off the request path
    shadows: tuple[Route, ...] = ()

    def pick(self) -> Route:
        if len(self.routes) == 1:
            return self.routes[0]
        total = self.cumulative[-1]
        x = random.random() * total
        return self.routes[bisect.bisect_right(self.cumulative, x)]


def _table(routes: list[Route]) -> _Table:
    live = [r for r in routes if r.served.traffic_percentage > 0 and not r.served.shadow]
    cum: list[int] = []
    acc = 0
    for r in live:
        acc += r.served.traffic_percentage
        cum.append(acc)
    return _Table(tuple(live), tuple(cum), tuple(r for r in routes if r.served.shadow))


def _all_routes(table: _Table | None) -> tuple[Route, ...]:
    return (*table.routes, *table.shadows) if table is not None else ()


@dataclass(slots=True)
class EndpointRuntime:
    name: str
    config: EndpointConfig
    table: _Table | None = None
    errors: dict[str, str] = field(default_factory=dict)  # served model name -> last failure
    #: served model name -> (version that failed to load, when to try it again, attempts)
    failed: dict[str, tuple[str, float, int]] = field(default_factory=dict)
    config_stamp: int = 0
    shadow_dropped: int = 0  # request copies a full shadow queue could not take

    def state(self) -> dict[str, Any]:
        routes = _all_routes(self.table)
        return {
            "ready": self.table is not None,
            "served_models": [
                {
                    "name": r.served.name,
                    "model_name": r.served.model_name,
                    "target": r.served.target,
                    "model_version": r.version,
                    "traffic_percentage": r.served.traffic_percentage,
                    "shadow": r.served.shadow,
                    "loaded_at": r.loaded_at_ms,
                }
                for r in routes
            ],
            "errors": dict(self.errors),
            "shadow_dropped": self.shadow_dropped,
        }


class Reloader:
    """Keeps every endpoint of the worker in step with the store and the registry."""

    def __init__(
        self,
        store: ServingStore,
        names: list[str] | None,
        metrics: Metrics,
        poll_interval_s: float = 5.0,
    ) -> None:
        self.store = store
        self.names = names
        self.metrics = metrics
        self.poll_interval_s = poll_interval_s
        self.endpoints: dict[str, EndpointRuntime] = {}
        self.worker = str(os.getpid())
        self._client: Any = None
        self._task: asyncio.Task[None] | None = None

    def client(self) -> Any:
        if self._client is None:
            from modelyard.client import MlflowClient

            self._client = MlflowClient()
        return self._client

    async def start(self) -> None:
        await self.refresh()
        self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        for ep in self.endpoints.values():
            for r in _all_routes(ep.table):
                await r.batcher.aclose()
        await asyncio.to_thread(self.store.drop_worker_state, self.worker)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.poll_interval_s)
            try:
                await self.refresh()
            except Exception:
                _log.exception("endpoint refresh failed")

    async def refresh(self) -> None:
        rows = await asyncio.to_thread(self.store.list_endpoints)
        wanted = {r["name"]: r for r in rows if self.names is None or r["name"] in self.names}
        for gone in set(self.endpoints) - set(wanted):
            dropped = self.endpoints.pop(gone)
            self._retire(_all_routes(dropped.table))
        for name, row in wanted.items():
            ep: EndpointRuntime | None = self.endpoints.get(name)
            if ep is None or ep.config_stamp != row["last_updated_timestamp"]:
                config = EndpointConfig.from_dict(row)
                if ep is None:
                    ep = self.endpoints[name] = EndpointRuntime(name, config)
                else:
                    ep.config, ep.failed = config, {}
                ep.config_stamp = row["last_updated_timestamp"]
            await self._sync(ep)

    async def _sync(self, ep: EndpointRuntime) -> None:
        current = {r.served.name: r for r in _all_routes(ep.table)}
        routes: list[Route] = []
        changed = ep.table is None or len(current) != len(ep.config.served_models)
        for served in ep.config.served_models:
            try:
                version = await asyncio.to_thread(resolve_version, self.client(), served)
            except Exception as exc:
                ep.errors[served.name] = (
                    f"cannot resolve {served.model_name}/{served.target}: {exc}"
                )
                old = current.get(served.name)
                if old is not None:
                    routes.append(old)
                continue
            old = current.get(served.name)
            if old is not None and old.version == version:
                if old.served.shadow != served.shadow:  # same model, other batching mode
                    old = self._route(ep, served, version, old.batcher.predictor)
                    changed = True
                elif old.served != served:  # only the traffic share changed: keep the model
                    old = Route(served, version, old.batcher, old.loaded_at_ms)
                    changed = True
                routes.append(old)
                continue
            failed = ep.failed.get(served.name)
            if failed is not None and failed[0] == version and time.monotonic() < failed[1]:
                if old is not None:
                    routes.append(old)
                continue
            uri = f"models:/{served.model_name}/{version}"
            try:
                predictor = await asyncio.to_thread(load_predictor, uri)
            except Exception as exc:
                # a failure may be passing (a busy disk, a registry restarting): try the same
                # version again after 1 s, 2 s, 4 s ... at most every _RETRY_MAX_S
                attempts = failed[2] + 1 if failed is not None and failed[0] == version else 1
                retry_at = time.monotonic() + min(_RETRY_MAX_S, 2.0 ** (attempts - 1))
                ep.failed[served.name] = (version, retry_at, attempts)
                ep.errors[served.name] = f"failed to load {uri}: {type(exc).__name__}: {exc}"
                _log.error(
                    "endpoint %s: %s; still serving %s",
                    ep.name,
                    ep.errors[served.name],
                    old.version if old else "nothing",
                )
                if old is not None:
                    routes.append(old)
                continue
            ep.errors.pop(served.name, None)
            ep.failed.pop(served.name, None)
            routes.append(self._route(ep, served, version, predictor))
            changed = True
            _log.info("endpoint %s: serving %s (version %s)", ep.name, served.name, version)
        new_table = _table(routes) if changed else None
        if new_table is not None and new_table.routes:  # something live answers
            kept = {id(r.batcher) for r in routes}
            retired = [r for r in current.values() if id(r.batcher) not in kept]
            ep.table = new_table  # the atomic swap
            self._retire(retired)
            for r in routes:
                self.metrics.set_gauge(
                    "modelyard_served_model_version",
                    {"endpoint": ep.name, "served_model": r.served.name},
                    float(r.version),
                )
        await asyncio.to_thread(self.store.put_state, ep.name, self.worker, ep.state())

    def _route(
        self, ep: EndpointRuntime, served: ServedModel, version: str, predictor: Any
    ) -> Route:
        options = dict(ep.config.batching)
        if served.shadow:  # never on the event loop: a shadow must not delay live requests
            options["inline"] = False
        cfg = BatchConfig(**options)
        labels = {"endpoint": ep.name, "served_model": served.name}

        def on_batch(_requests: int, rows: int) -> None:
            self.metrics.observe_batch(labels, rows)

        return Route(
            served, version, MicroBatcher(predictor, cfg, on_batch), int(time.time() * 1000)
        )

    def _retire(self, routes: Any) -> None:
        loop = asyncio.get_running_loop()

        def close(batcher: MicroBatcher) -> None:
            loop.create_task(batcher.aclose())

        for r in routes:
            loop.call_later(_RETIRE_GRACE_S, close, r.batcher)
