"""``create_app(config)``: the Starlette app serving the MLflow REST API.

Endpoints come from the modules listed in :data:`ENDPOINT_MODULES` (each exposes
``ENDPOINTS: list[Endpoint]``); ``modelyard.server.endpoints.registry`` is included when it is
present. Extra endpoints can be passed to :func:`create_app` (plugins, tests).
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware

from modelyard.server.config import ServerConfig
from modelyard.server.context import ServerContext
from modelyard.server.routing import Dispatcher, Endpoint
from modelyard.server.security import SecurityMiddleware

__all__ = [
    "ENDPOINT_MODULES",
    "OPTIONAL_ENDPOINT_MODULES",
    "app_from_env",
    "collect_endpoints",
    "create_app",
]

ENDPOINT_MODULES: tuple[str, ...] = (
    "modelyard.server.endpoints.meta",
    "modelyard.server.endpoints.experiments",
    "modelyard.server.endpoints.runs",
    "modelyard.server.endpoints.metric_intervals",
    "modelyard.server.endpoints.logged_models",
    "modelyard.server.endpoints.artifacts",
)
OPTIONAL_ENDPOINT_MODULES: tuple[str, ...] = (
    "modelyard.server.endpoints.registry",
    "modelyard.server.ui",  # the web UI at / (static files)
)


def collect_endpoints(modules: Iterable[str] = ENDPOINT_MODULES) -> list[Endpoint]:
    endpoints: list[Endpoint] = []
    for name in modules:
        endpoints.extend(importlib.import_module(name).ENDPOINTS)
    for name in OPTIONAL_ENDPOINT_MODULES:
        if importlib.util.find_spec(name) is not None:
            endpoints.extend(importlib.import_module(name).ENDPOINTS)
    return endpoints


def create_app(
    config: ServerConfig | None = None, extra_endpoints: Iterable[Endpoint] = ()
) -> Starlette:
    config = config or ServerConfig()
    ctx = ServerContext(config)
    endpoints = collect_endpoints() + list(extra_endpoints)
    if not config.serve_artifacts:
        endpoints = [e for e in endpoints if not e.path.startswith("/mlflow-artifacts/")]
    dispatcher = Dispatcher(endpoints, ctx, config.static_prefix, on_request=ctx.metrics.record)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        ctx.tracking  # noqa: B018 - open the store (and create the schema) before serving
        yield

    app = Starlette(middleware=[Middleware(SecurityMiddleware, config=config)], lifespan=lifespan)
    app.router.default = dispatcher  # every HTTP request goes to the dispatcher
    app.state.ctx = ctx
    app.state.dispatcher = dispatcher
    return app


def app_from_env() -> Starlette:
    """App factory for uvicorn workers: the config travels in ``MODELYARD_SERVER_CONFIG``."""
    return create_app(ServerConfig.from_env())
