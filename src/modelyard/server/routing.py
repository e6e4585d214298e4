"""Endpoint registration and dispatch.

An area of the API is a module under ``modelyard.server.endpoints`` with a list
``ENDPOINTS: list[Endpoint]``. :func:`modelyard.server.create_app` collects them and builds one
:class:`Dispatcher`. A handler takes a :class:`Call` and returns a JSON-able ``dict`` (sent as
200 ``application/json``) or a Starlette ``Response``. Plain ``def`` handlers run in the thread
pool (stores are synchronous); ``async def`` handlers run on the event loop.

Dispatch is a dict lookup for fixed paths and a short regex list for templated ones
(``/mlflow/logged-models/{model_id}``, ``/mlflow-artifacts/artifacts/{path:path}``), so the cost
per request does not grow with the number of endpoints. Every RPC is served under ``/api/<v>``
and ``/ajax-api/<v>``; unknown paths and wrong methods get JSON errors.
"""

from __future__ import annotations

import inspect
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from modelyard.errors import EndpointNotFound, InvalidParameterValue
from modelyard.server.errors import (
    MethodNotAllowed,
    PayloadTooLarge,
    error_response,
    json_response,
)
from modelyard.wire import API_PREFIXES, WireArgs, parse_json_body

if TYPE_CHECKING:
    from modelyard.server.context import ServerContext
    from modelyard.services.registry import RegistryService
    from modelyard.services.tracking import TrackingService

__all__ = ["SCOPE_PRECHECK", "Call", "Dispatcher", "Endpoint", "Handler", "read_body"]

#: A callable a middleware leaves in the scope (the auth check): the dispatcher runs it in the
#: handler's own worker-thread hop, before the arguments are parsed and the handler runs; what it
#: raises is the answer. Set only on requests whose route matched.
SCOPE_PRECHECK = "modelyard.precheck"

Handler = Callable[["Call"], Any] | Callable[["Call"], Awaitable[Any]]

#: Body handling: "json" parses a JSON body into ``Call.args`` (query string for GET),
#: "query" always reads the query string, "stream" leaves the body to the handler.
BODY_KINDS = ("json", "query", "stream")


@dataclass(frozen=True)
class Endpoint:
    """One (method, path) pair.

    ``path`` is relative to ``/api/<version>`` (e.g. ``/mlflow/runs/get``) and is also served
    under ``/ajax-api/<version>`` unless ``ajax`` is false. With ``absolute=True`` the path is
    served as given (``/health``). ``{name}`` matches one segment, ``{name:path}`` the rest.
    """

    method: str
    path: str
    handler: Handler
    version: str = "2.0"
    body: str = "json"
    ajax: bool = True
    absolute: bool = False

    def full_paths(self) -> list[str]:
        if self.absolute:
            return [self.path]
        prefixes = API_PREFIXES if self.ajax else API_PREFIXES[:1]
        return [f"{prefix}/{self.version}{self.path}" for prefix in prefixes]


class Call:
    """What a handler sees: parsed fields, path parameters, the server context."""

    __slots__ = ("args", "ctx", "path_params", "request")

    def __init__(
        self, request: Request, args: WireArgs, path_params: dict[str, str], ctx: ServerContext
    ) -> None:
        self.request = request
        self.args = args
        self.path_params = path_params
        self.ctx = ctx

    @property
    def tracking(self) -> TrackingService:
        return self.ctx.tracking

    @property
    def registry(self) -> RegistryService:
        return self.ctx.registry


_PARAM = re.compile(r"\{(\w+)(?::(path))?\}")


def _compile(template: str) -> re.Pattern[str]:
    pattern, pos = "", 0
    for m in _PARAM.finditer(template):
        pattern += re.escape(template[pos : m.start()])
        pattern += f"(?P<{m.group(1)}>.+)" if m.group(2) == "path" else f"(?P<{m.group(1)}>[^/]+)"
        pos = m.end()
    pattern += re.escape(template[pos:])
    return re.compile(f"^{pattern}$")


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, refusing more than ``limit`` bytes (413) before reading it all: by the
    declared ``Content-Length``, else while streaming. The one body reader of the tracking server
    and the serving endpoints."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise PayloadTooLarge(f"Request body is larger than the limit of {limit} bytes.")
        except ValueError:
            raise InvalidParameterValue("Invalid Content-Length header.") from None
        return await request.body()  # within the limit; the server enforces the declared length
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"Request body is larger than the limit of {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


class _Route:
    __slots__ = ("by_method", "template")

    def __init__(self, template: str) -> None:
        self.template = template
        self.by_method: dict[str, Endpoint] = {}


class Dispatcher:
    """The ASGI app serving every registered endpoint (plus JSON 404/405 for the rest)."""

    def __init__(
        self,
        endpoints: Iterable[Endpoint],
        ctx: ServerContext,
        static_prefix: str = "",
        on_request: Callable[[str, str, int, float], None] | None = None,
    ) -> None:
        self.ctx = ctx
        self.static_prefix = static_prefix
        self.on_request = on_request
        self._exact: dict[str, _Route] = {}
        self._templated: list[tuple[re.Pattern[str], _Route]] = []
        self._is_async: dict[Handler, bool] = {}
        templated: dict[str, _Route] = {}
        for ep in endpoints:
            if ep.body not in BODY_KINDS:
                raise ValueError(f"unknown body kind {ep.body!r} for {ep.path}")
            self._is_async[ep.handler] = inspect.iscoroutinefunction(ep.handler)
            for path in ep.full_paths():
                if "{" in path:
                    route = templated.get(path)
                    if route is None:
                        route = templated[path] = _Route(path)
                        self._templated.append((_compile(path), route))
                else:
                    route = self._exact.setdefault(path, _Route(path))
                implicit_head = ep.method == "HEAD" and route.by_method.get("HEAD") is not None
                if ep.method in route.by_method and not (
                    implicit_head and route.by_method["HEAD"].method == "GET"
                ):
                    raise ValueError(f"duplicate endpoint {ep.method} {path}")
                route.by_method[ep.method] = ep
                if ep.method == "GET" and "HEAD" not in route.by_method:
                    route.by_method["HEAD"] = ep  # HEAD answers like GET unless registered

    def routes(self) -> list[tuple[str, str]]:
        """(method, path) of every registered route, for introspection and docs."""
        out = [(m, r.template) for r in self._exact.values() for m in r.by_method]
        out += [(m, r.template) for _, r in self._templated for m in r.by_method]
        return sorted(out)

    def _match(self, path: str) -> tuple[_Route | None, dict[str, str]]:
        route = self._exact.get(path)
        if route is not None:
            return route, {}
        for pattern, candidate in self._templated:
            m = pattern.match(path)
            if m is not None:
                return candidate, m.groupdict()
        return None, {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan is handled by Starlette's router
            return
        started = time.perf_counter()
        path: str = scope["path"]
        method: str = scope["method"]
        if self.static_prefix:
            if path.startswith(self.static_prefix):
                path = path[len(self.static_prefix) :] or "/"
            else:
                path = ""
        route, params = self._match(path)
        template = route.template if route is not None else "<unmatched>"
        request = Request(scope, receive)
        try:
            if route is None:
                raise EndpointNotFound(f"No API endpoint {method} {scope['path']}")
            endpoint = route.by_method.get(method)
            if endpoint is None:
                allowed = ", ".join(sorted(route.by_method))
                raise MethodNotAllowed(
                    f"Method {method} is not allowed for {path} (allowed: {allowed})"
                )
            response = await self._handle(endpoint, request, params)
        except ClientDisconnect:  # the client went away mid-request: nobody to answer
            if self.on_request is not None:
                self.on_request(method, template, 499, time.perf_counter() - started)
            return
        except Exception as exc:  # every error becomes a JSON body
            response = error_response(exc)
        await response(scope, receive, send)
        if self.on_request is not None:
            self.on_request(method, template, response.status_code, time.perf_counter() - started)

    async def _handle(self, ep: Endpoint, request: Request, params: dict[str, str]) -> Response:
        precheck: Callable[[], None] | None = request.scope.pop(SCOPE_PRECHECK, None)
        body: bytes | None = None
        if ep.body == "json" and request.method not in ("GET", "HEAD"):
            body = await read_body(request, self.ctx.config.max_request_bytes)
        if self._is_async[ep.handler]:
            if precheck is not None:
                await run_in_threadpool(precheck)
            return _to_response(await ep.handler(self._call(request, params, body)))
        # The check, the parsing, the handler and the JSON encoding of its answer all run in one
        # worker-thread hop, so a large search result never blocks the event loop.
        return await run_in_threadpool(self._call_sync, ep.handler, request, params, body, precheck)

    def _call(self, request: Request, params: dict[str, str], body: bytes | None) -> Call:
        if body is None:
            args = WireArgs.from_query(request.query_params.multi_items())
        else:
            ctype = request.headers.get("content-type")
            if ctype is not None:
                mime = ctype.split(";", 1)[0].strip().lower()
                if mime != "application/json":
                    raise InvalidParameterValue(
                        "Bad request: Content-Type must be 'application/json' "
                        f"(got {mime or 'an empty value'!r})."
                    )
            elif body.strip():
                raise InvalidParameterValue("Bad request: Content-Type must be 'application/json'.")
            args = WireArgs.from_json(parse_json_body(body))
        return Call(request, args, params, self.ctx)

    def _call_sync(
        self,
        handler: Handler,
        request: Request,
        params: dict[str, str],
        body: bytes | None,
        precheck: Callable[[], None] | None,
    ) -> Response:
        if precheck is not None:
            precheck()
        return _to_response(handler(self._call(request, params, body)))


def _to_response(result: Any) -> Response:
    if isinstance(result, Response):
        return result
    return json_response({} if result is None else result)
