"""``create_app(config)``: the Starlette app serving the MLflow REST API.

Endpoints come from the modules listed in :data:`ENDPOINT_MODULES` (each exposes
``ENDPOINTS: list[Endpoint]``), imported when the app is built. Extra endpoints can be passed to
:func:`create_app` (plugins, tests).
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware

from modelyard.server.config import ServerConfig
from modelyard.server.context import ServerContext
from modelyard.server.routing import Dispatcher, Endpoint
from modelyard.server.security import SecurityMiddleware
from modelyard.wire.paths import ARTIFACTS_PROXY_PATH

__all__ = [
    "ENDPOINT_MODULES",
    "app_from_env",
    "collect_endpoints",
    "create_app",
]

_log = logging.getLogger(__name__)

ENDPOINT_MODULES: tuple[str, ...] = (
    "modelyard.server.endpoints.meta",
    "modelyard.server.endpoints.experiments",
    "modelyard.server.endpoints.runs",
    "modelyard.server.endpoints.metric_intervals",
    "modelyard.server.endpoints.logged_models",
    "modelyard.server.endpoints.traces",
    "modelyard.server.endpoints.artifacts",
    "modelyard.server.endpoints.jobs",
    "modelyard.monitoring.rest",  # a feature's endpoints, composed here by name
    "modelyard.mlops.alerts.rest",
    "modelyard.serving.rest",
    "modelyard.automl.rest",
    "modelyard.server.endpoints.registry",
    "modelyard.server.endpoints.promotion",
    "modelyard.server.endpoints.webhooks",
    "modelyard.server.endpoints.promptlab",
    "modelyard.server.endpoints.gateway",
    "modelyard.server.endpoints.auth",
    "modelyard.server.graphql",
    "modelyard.server.ui",  # the web UI at / (static files)
)


def collect_endpoints(modules: Iterable[str] = ENDPOINT_MODULES) -> list[Endpoint]:
    endpoints: list[Endpoint] = []
    for name in modules:
        endpoints.extend(importlib.import_module(name).ENDPOINTS)
    return endpoints


def create_app(
    config: ServerConfig | None = None, extra_endpoints: Iterable[Endpoint] = ()
) -> Starlette:
    config = config or ServerConfig()
    ctx = ServerContext(config)
    endpoints = collect_endpoints() + list(extra_endpoints)
    if not config.serve_artifacts:
        endpoints = [e for e in endpoints if not e.path.startswith(ARTIFACTS_PROXY_PATH)]
    dispatcher = Dispatcher(endpoints, ctx, config.static_prefix, on_request=ctx.metrics.record)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        ctx.tracking  # noqa: B018 - open the store (and create the schema) before serving
        # the job scheduler keeps its state in the database and polls it, so it may start
        # after the first answer: its imports are the largest part of a feature's start-up
        stop_jobs = _start_in_background("modelyard.jobs.server_hook", config)
        stop_webhooks = _start_webhook_worker(ctx)
        stop_alerts = _start_feature("modelyard.mlops.alerts.server_hook", config)
        try:
            yield
        finally:
            stop_alerts()
            stop_webhooks()
            stop_jobs()
            _close_databases(config)

    app = Starlette(middleware=[Middleware(SecurityMiddleware, config=config)], lifespan=lifespan)
    app.router.default = dispatcher  # every HTTP request goes to the dispatcher
    if config.auth:  # users, tokens, permissions: one middleware keyed by the resolved route
        from modelyard.server.auth import AuthMiddleware, build_auth_service

        app.router.default = AuthMiddleware(dispatcher, dispatcher, build_auth_service(config))
    app.state.ctx = ctx
    app.state.dispatcher = dispatcher
    return app


def _close_databases(config: ServerConfig) -> None:
    """Close this worker's pooled database connections at shutdown (on SQLite the last one
    checkpoints the write-ahead log into the database file)."""
    from modelyard.store.sql.engine import dispose

    for uri in {config.backend_store_uri, config.registry_store_uri or config.backend_store_uri}:
        try:
            dispose(str(uri))
        except Exception:  # shutting down: a failure to close is logged, never raised
            _log.exception("closing the database connections of %s failed", uri)


def _start_feature(module: str, config: ServerConfig) -> Callable[[], None]:
    """A feature's threads in this worker (``start(config)`` of a module named here): features
    sit above the server, so they are loaded by name here, the one place the app is composed."""
    stop: Callable[[], None] = importlib.import_module(module).start(config)
    return stop


def _start_in_background(module: str, config: ServerConfig) -> Callable[[], None]:
    """:func:`_start_feature` on a thread; the returned stop waits for the start to finish."""
    stops: list[Callable[[], None]] = []

    def run() -> None:
        try:
            stops.append(_start_feature(module, config))
        except Exception:  # the server keeps answering; the log says why the feature is off
            _log.exception("could not start %s", module)

    starter = threading.Thread(
        target=run,
        name=f"start {module}",
        daemon=True,
    )
    starter.start()

    def stop() -> None:
        starter.join()
        for fn in stops:
            fn()

    return stop


def _start_webhook_worker(ctx: ServerContext) -> Callable[[], None]:
    """Registry events into the webhook outbox, and this worker's delivery thread."""
    from modelyard.server.endpoints import webhooks

    return webhooks.start(ctx)


def app_from_env() -> Starlette:
    """App factory for uvicorn workers: the config travels in ``MODELYARD_SERVER_CONFIG``."""
    return create_app(ServerConfig.from_env())
