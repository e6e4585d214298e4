"""The HTTP server of ``modelyard endpoints serve``.

Routes: ``POST /serving-endpoints/<name>/invocations`` (MLflow scoring protocol, bearer token),
(with ``auth_db_uri``, the tracking database of a ``modelyard server --auth``, its users'
personal access tokens and basic credentials are accepted too, for users with CAN_QUERY or
CAN_MANAGE on the endpoint, or admins),
``GET /serving-endpoints/<name>/status`` (what every worker serves, and load failures),
``GET /ping``, ``/health``, ``/version``, ``/metrics``, plus the routes of the feature modules
in :data:`ROUTE_MODULES` (composed by name, like the tracking server's endpoint modules: the
A/B analysis lives in a layer above serving). Responses of an invocation carry
``X-Modelyard-Served-Model`` and ``X-Modelyard-Model-Version``: the model that answered. A copy of
every invocation goes to the endpoint's shadow models, if any (``_shadow``), after the answer
is ready; shadow answers are logged (``shadow=True``) and never returned.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from modelyard.serving._inference_log import InferenceLogger
from modelyard.serving._invoke import Outcome, error_response, json_exception_handlers, score
from modelyard.serving._metrics import Metrics
from modelyard.serving._runtime import EndpointRuntime, Reloader
from modelyard.serving._runtime import Route as ServedRoute
from modelyard.serving._shadow import ShadowCopy, ShadowDispatcher
from modelyard.serving._store import ServingStore, hash_token, mark_stale, workers_summary

__all__ = [
    "GATEWAY_CONFIG_ENV",
    "ROUTE_MODULES",
    "AppContext",
    "GatewayConfig",
    "create_endpoint_app",
    "endpoint_app_from_env",
]

#: feature modules whose ``endpoint_routes(ctx: AppContext)`` add routes to this server
ROUTE_MODULES: tuple[str, ...] = ("modelyard.mlops.ab.rest",)

GATEWAY_CONFIG_ENV = "MODELYARD_GATEWAY_CONFIG"
_TOKEN_TTL_S = 2.0
_MAX_LOGGED_CHARS = 1_000_000


@dataclass(slots=True)
class GatewayConfig:
    home: str
    endpoints: list[str] | None = None
    auth: bool = True
    poll_interval_s: float = 5.0
    max_body_bytes: int = 100 * 1024 * 1024
    timeout_s: float | None = 60.0
    auth_db_uri: str | None = None
    shadow_queue_size: int = 1000

    def to_json(self) -> str:
        return orjson.dumps(asdict(self)).decode()


class _TokenCache:
    """Token digest → record, re-read from the store after ``_TOKEN_TTL_S`` (so a revocation
    takes effect within that time in every worker)."""

    def __init__(self, store: ServingStore, auth_db_uri: str | None = None) -> None:
        self.store = store
        self._cache: dict[str, tuple[float, dict[str, Any] | None]] = {}
        self.users: Any = None
        if auth_db_uri:  # the users of a tracking server with auth on
            from modelyard.services.auth import AuthService
            from modelyard.store.auth import get_auth_store

            self.users = AuthService(get_auth_store(auth_db_uri))

    def _check_user(self, scheme: str, credentials: str, endpoint: str, address: str) -> None:
        import base64

        from modelyard.errors import PermissionDenied, Unauthenticated

        if scheme == "bearer":
            user = self.users.authenticate_token(credentials, address)
        else:
            try:
                username, sep, password = base64.b64decode(credentials).decode().partition(":")
            except ValueError:
                raise Unauthenticated("Malformed Authorization header.") from None
            if not sep:
                raise Unauthenticated("Malformed Authorization header.")
            user = self.users.authenticate_basic(username, password, address)
        if not self.users.permission(user, "endpoint", endpoint).can_use:
            raise PermissionDenied(
                f"User {user.username!r} may not query endpoint {endpoint!r} (needs CAN_QUERY)."
            )

    async def check(self, request: Request, endpoint: str) -> Response | None:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if self.users is not None and (
            scheme.lower() == "basic" or token.strip().startswith("myt_")
        ):
            from modelyard.errors import ModelyardError
            from modelyard.wire.errors import http_status

            address = request.client.host if request.client else ""
            try:
                await asyncio.to_thread(
                    self._check_user, scheme.lower(), token.strip(), endpoint, address
                )
            except ModelyardError as exc:
                return error_response(http_status(exc), exc.error_code, exc.message)
            return None
        if scheme.lower() != "bearer" or not token.strip():
            return error_response(
                401,
                "UNAUTHENTICATED",
                "Missing bearer token: send 'Authorization: Bearer <token>'.",
            )
        digest = hash_token(token.strip())
        now = time.monotonic()
        hit = self._cache.get(digest)
        if hit is None or hit[0] < now:
            record = await asyncio.to_thread(self.store.find_token, digest)
            self._cache[digest] = (now + _TOKEN_TTL_S, record)
            if len(self._cache) > 10_000:
                self._cache.clear()
        else:
            record = hit[1]
        if (
            record is None
            or record["revoked"]
            or (record["expiry"] is not None and record["expiry"] < time.time() * 1000)
        ):
            return error_response(401, "UNAUTHENTICATED", "Invalid, expired or revoked token.")
        if record["endpoint"] and record["endpoint"] != endpoint:
            return error_response(
                403,
                "PERMISSION_DENIED",
                f"Token {record['token_id']} is not allowed to query endpoint {endpoint!r}.",
            )
        return None


@dataclass(frozen=True, slots=True)
class AppContext:
    """What a feature route module gets from the endpoint server."""

    home: Path
    #: ``await authorize(request, endpoint)``: ``None`` when allowed, else the error response
    authorize: Callable[[Request, str], Awaitable[Response | None]]
    #: ``await flush(endpoint)``: this worker's buffered inference rows written to the table
    flush: Callable[[str], Awaitable[None]]
    #: the endpoint's stored config row, or ``None``
    get_endpoint: Callable[[str], dict[str, Any] | None]


def create_endpoint_app(config: GatewayConfig) -> Starlette:
    store = ServingStore(config.home)
    metrics = Metrics()
    reloader = Reloader(store, config.endpoints, metrics, config.poll_interval_s)
    tokens = _TokenCache(store, config.auth_db_uri)
    loggers: dict[str, InferenceLogger] = {}
    shadows: dict[str, ShadowDispatcher] = {}
    version_body = _version().encode()

    def logger_for(name: str) -> InferenceLogger:
        lg = loggers.get(name)
        if lg is None:
            lg = loggers[name] = InferenceLogger(store.home / "inference" / name)
        return lg

    def shadow_for(ep: EndpointRuntime) -> ShadowDispatcher:
        sd = shadows.get(ep.name)
        if sd is None or sd.endpoint is not ep:
            if sd is not None:  # the endpoint was deleted and created again
                asyncio.get_running_loop().create_task(sd.aclose(0.0))
            drop_labels = {"endpoint": ep.name}

            def on_answer(
                route: ServedRoute, copy: ShadowCopy, outcome: Outcome, seconds: float
            ) -> None:
                labels = {
                    "endpoint": ep.name,
                    "served_model": route.served.name,
                    "version": route.version,
                    "status": str(outcome.status),
                }
                metrics.inc("modelyard_shadow_requests_total", labels)
                if ep.config.inference_logging:
                    logger_for(ep.name).log(
                        copy.request_id,
                        ep.name,
                        route.served.name,
                        route.served.model_name,
                        route.version,
                        outcome.status,
                        seconds * 1000.0,
                        "",  # the request is on the live row with the same request_id
                        outcome.body[:_MAX_LOGGED_CHARS].decode("utf-8", "replace"),
                        shadow=True,
                    )

            sd = shadows[ep.name] = ShadowDispatcher(
                ep,
                on_answer,
                max_queue=config.shadow_queue_size,
                timeout_s=config.timeout_s,
                on_drop=lambda: metrics.inc("modelyard_shadow_dropped_total", drop_labels),
            )
        return sd

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await reloader.start()
        gc.collect()
        gc.freeze()  # loaded models and libraries are long-lived: keep them out of GC cycles
        try:
            yield
        finally:
            for sd in shadows.values():
                await sd.aclose()
            await reloader.stop()
            for lg in loggers.values():
                await asyncio.to_thread(lg.close)

    async def ping(_request: Request) -> Response:
        ready = all(ep.table is not None for ep in reloader.endpoints.values())
        return Response(b"\n", 200 if ready else 503, media_type="application/json")

    async def version(_request: Request) -> Response:
        return Response(version_body, media_type="application/json")

    async def invocations(request: Request) -> Response:
        start = time.perf_counter()
        name = request.path_params["name"]
        ep = reloader.endpoints.get(name)
        if ep is None:
            return error_response(
                404, "RESOURCE_DOES_NOT_EXIST", f"Serving endpoint {name!r} does not exist."
            )
        if config.auth:
            denied = await tokens.check(request, name)
            if denied is not None:
                return denied
        table = ep.table
        if table is None:
            detail = "; ".join(ep.errors.values()) or "loading"
            return error_response(
                503, "TEMPORARILY_UNAVAILABLE", f"Endpoint {name!r} is not ready: {detail}"
            )
        route = table.pick()
        request_id = uuid.uuid4().hex
        outcome = await score(
            request,
            route.batcher,
            max_body_bytes=config.max_body_bytes,
            timeout_s=config.timeout_s,
            request_id=request_id,
        )
        elapsed = time.perf_counter() - start
        labels = {"endpoint": name, "served_model": route.served.name, "version": route.version}
        metrics.observe_request(labels, outcome.status, elapsed)
        if ep.config.inference_logging:
            logger_for(name).log(
                request_id,
                name,
                route.served.name,
                route.served.model_name,
                route.version,
                outcome.status,
                elapsed * 1000.0,
                _logged_request(request, outcome),
                outcome.body[:_MAX_LOGGED_CHARS].decode("utf-8", "replace"),
            )
        body = getattr(request, "_body", None)
        if table.shadows and body is not None and outcome.status != 413:
            shadow_for(ep).offer(ShadowCopy(request_id, body, request.headers.get("content-type")))
        return outcome.response(
            {
                "X-Modelyard-Served-Model": route.served.name,
                "X-Modelyard-Model-Version": route.version,
                "X-Request-Id": request_id,
            }
        )

    async def status(request: Request) -> Response:
        name = request.path_params["name"]
        row = await asyncio.to_thread(store.get_endpoint, name)
        if row is None:
            return error_response(
                404, "RESOURCE_DOES_NOT_EXIST", f"Serving endpoint {name!r} does not exist."
            )
        if config.auth:
            denied = await tokens.check(request, name)
            if denied is not None:
                return denied
        workers = await asyncio.to_thread(store.get_states, name)
        live = mark_stale(workers, config.poll_interval_s)
        ep = reloader.endpoints.get(name)
        body = {
            "name": name,
            "state": workers_summary(live),
            "config": {k: row[k] for k in ("served_models", "workload_size", "batching")},
            "workers": workers,
            "answered_by": {"worker": str(os.getpid()), **(ep.state() if ep else {})},
        }
        return Response(orjson.dumps(body), media_type="application/json")

    async def metrics_route(_request: Request) -> Response:
        return PlainTextResponse(metrics.render(), media_type="text/plain; version=0.0.4")

    async def authorize(request: Request, name: str) -> Response | None:
        if await asyncio.to_thread(store.get_endpoint, name) is None:
            return error_response(
                404, "RESOURCE_DOES_NOT_EXIST", f"Serving endpoint {name!r} does not exist."
            )
        return await tokens.check(request, name) if config.auth else None

    async def flush(name: str) -> None:
        lg = loggers.get(name)
        if lg is not None:
            await asyncio.to_thread(lg.flush)

    context = AppContext(store.home, authorize, flush, store.get_endpoint)
    routes = [
        Route("/ping", ping, methods=["GET"]),
        Route("/health", ping, methods=["GET"]),
        Route("/version", version, methods=["GET"]),
        Route("/metrics", metrics_route, methods=["GET"]),
        Route("/serving-endpoints/{name}/invocations", invocations, methods=["POST"]),
        Route("/serving-endpoints/{name}/status", status, methods=["GET"]),
    ]
    for module in ROUTE_MODULES:
        routes += importlib.import_module(module).endpoint_routes(context)
    from starlette.middleware import Middleware

    from modelyard.server.security import SecurityHeadersMiddleware

    return Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[Middleware(SecurityHeadersMiddleware)],
        exception_handlers=json_exception_handlers(),
    )


def _logged_request(request: Request, outcome: Outcome) -> str:
    body = getattr(request, "_body", b"")
    ctype = request.headers.get("content-type", "")
    if body and ctype.startswith("application/json"):
        return body[:_MAX_LOGGED_CHARS].decode("utf-8", "replace")
    if outcome.scoring_input is not None:
        try:
            return orjson.dumps(
                outcome.scoring_input.raw(), option=orjson.OPT_SERIALIZE_NUMPY
            ).decode()[:_MAX_LOGGED_CHARS]
        except TypeError:
            return ""
    return ""


def _version() -> str:
    from importlib.metadata import version

    try:
        return version("modelyard")
    except Exception:  # pragma: no cover
        return "0+unknown"


def endpoint_app_from_env() -> Starlette:
    raw = orjson.loads(os.environ[GATEWAY_CONFIG_ENV])
    return create_endpoint_app(GatewayConfig(**raw))
