"""The scoring server of ``modelyard models serve``: one model, MLflow's routes.

``/ping`` and ``/health`` (200 once the model is loaded), ``/version``, ``POST /invocations``
and Prometheus ``/metrics``. The model is loaded once per worker process at startup.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from modelyard.serving._batcher import BatchConfig, MicroBatcher
from modelyard.serving._invoke import error_response, json_exception_handlers, score_asgi
from modelyard.serving._metrics import Metrics
from modelyard.serving._predictor import Predictor, load_predictor

__all__ = ["CONFIG_ENV", "ScoringConfig", "create_scoring_app", "scoring_app_from_env"]

CONFIG_ENV = "MODELYARD_SCORING_CONFIG"
DEFAULT_MAX_BODY_BYTES = 100 * 1024 * 1024


@dataclass(slots=True)
class ScoringConfig:
    model_uri: str = ""
    batch: BatchConfig = field(default_factory=BatchConfig)
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    timeout_s: float | None = 60.0

    def to_json(self) -> str:
        return orjson.dumps(asdict(self)).decode()

    @classmethod
    def from_json(cls, text: str) -> ScoringConfig:
        raw: dict[str, Any] = orjson.loads(text)
        raw["batch"] = BatchConfig(**raw.get("batch", {}))
        return cls(**raw)


def _version() -> str:
    from importlib.metadata import version

    try:
        return version("modelyard")
    except Exception:  # pragma: no cover - not installed
        return "0+unknown"


def create_scoring_app(config: ScoringConfig, predictor: Predictor | None = None) -> Starlette:
    """A Starlette app serving ``predictor`` (or the model at ``config.model_uri``)."""
    state: dict[str, Any] = {"batcher": None}
    metrics = Metrics()
    labels = {"model_uri": config.model_uri or "local"}
    version_body = _version().encode()

    def on_batch(_requests: int, rows: int) -> None:
        metrics.observe_batch(labels, rows)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        loaded = predictor
        if loaded is None:
            loaded = await asyncio.to_thread(load_predictor, config.model_uri)
        state["batcher"] = MicroBatcher(loaded, config.batch, on_batch)
        gc.collect()
        gc.freeze()  # the model and libraries are long-lived: keep them out of GC cycles
        metrics.set_gauge("modelyard_model_loaded", labels, 1)
        try:
            yield
        finally:
            await state["batcher"].aclose()

    async def ping(_request: Request) -> Response:
        status = 200 if state["batcher"] is not None else 404
        return Response(b"\n", status, media_type="application/json")

    async def version(_request: Request) -> Response:
        return Response(version_body, media_type="application/json")

    async def invocations(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] != "POST":
            response = error_response(405, "ENDPOINT_NOT_FOUND", "Use POST for /invocations.")
            await response(scope, receive, send)
            return
        start = time.perf_counter()
        outcome = await score_asgi(
            scope,
            receive,
            send,
            state["batcher"],
            max_body_bytes=config.max_body_bytes,
            timeout_s=config.timeout_s,
        )
        metrics.observe_request(labels, outcome.status, time.perf_counter() - start)

    async def metrics_route(_request: Request) -> Response:
        return PlainTextResponse(metrics.render(), media_type="text/plain; version=0.0.4")

    routes = [
        Route("/ping", ping, methods=["GET"]),
        Route("/health", ping, methods=["GET"]),
        Route("/version", version, methods=["GET"]),
        Route("/invocations", _AsgiEndpoint(invocations)),  # raw ASGI: the hot path
        Route("/metrics", metrics_route, methods=["GET"]),
    ]
    return Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers=json_exception_handlers(_not_found_hint),
    )


def _not_found_hint(path: str) -> str:
    """The course's Databricks-style path reaches the single-model server by mistake."""
    if path.startswith("/serving-endpoints/"):
        return (
            f"{path} is a serving-endpoint route: 'modelyard models serve' serves one model at "
            "POST /invocations. Use 'modelyard endpoints serve' for /serving-endpoints/<name>/"
            "invocations, or POST to /invocations here."
        )
    return ""


class _AsgiEndpoint:
    """Marks a coroutine function as an ASGI app for Starlette's router (a plain function would
    be called with a Request)."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


def scoring_app_from_env() -> Starlette:
    """uvicorn factory for worker processes: the config comes from ``MODELYARD_SCORING_CONFIG``."""
    return create_scoring_app(ScoringConfig.from_json(os.environ[CONFIG_ENV]))
