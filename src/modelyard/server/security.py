"""Host-header and cross-origin protection (on by default), plus CORS for allowed origins.

* **DNS rebinding**: a request whose ``Host`` is not one of localhost, 127.0.0.1, [::1], the
  bound host or an ``allowed_hosts`` entry is refused with 403. ``"*"`` disables the check.
* **Cross-origin writes**: a state-changing request (POST, PUT, PATCH, DELETE) carrying an
  ``Origin`` that is neither the server's own origin nor in ``cors_allowed_origins`` is refused
  with 403. Requests without ``Origin`` (every non-browser client) pass.
* **CORS**: allowed origins get ``Access-Control-Allow-*`` headers; preflights are answered here.
* **Security headers** on every response (unless the route set its own):
  ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY``, ``Referrer-Policy:
  no-referrer`` (the UI adds its ``Content-Security-Policy``).

A pure ASGI middleware: no per-request objects beyond a header scan.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from modelyard.errors import PermissionDenied
from modelyard.server.config import ServerConfig
from modelyard.server.errors import error_response

__all__ = [
    "SECURITY_HEADERS",
    "SecurityHeadersMiddleware",
    "SecurityMiddleware",
    "add_security_headers",
]

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
)


def add_security_headers(send: Send) -> Send:
    """``send`` with :data:`SECURITY_HEADERS` added to the response start (kept if present)."""

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            present = {k.lower() for k, _ in headers}
            headers.extend(h for h in SECURITY_HEADERS if h[0] not in present)
            message = {**message, "headers": headers}
        await send(message)

    return wrapped


_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_CORS_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"


def _host_name(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("["):  # [::1]:5000
        end = host.find("]")
        return host[: end + 1] if end != -1 else host
    if host.count(":") == 1:
        return host.split(":", 1)[0]
    return host


class SecurityHeadersMiddleware:
    """Only the :data:`SECURITY_HEADERS` (the serving endpoints' app)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.app(scope, receive, add_security_headers(send))


class SecurityMiddleware:
    def __init__(self, app: ASGIApp, config: ServerConfig) -> None:
        self.app = app
        self.check_hosts = config.security_checks and "*" not in config.allowed_hosts
        self.hosts = frozenset(_host_name(h) for h in config.effective_hosts)
        self.origins = frozenset(o.rstrip("/").lower() for o in config.cors_allowed_origins)
        self.any_origin = "*" in config.cors_allowed_origins
        self.check_origins = config.security_checks and not self.any_origin

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = add_security_headers(send)
        host = origin = ""
        for name, value in scope["headers"]:
            if name == b"host":
                host = value.decode("latin-1")
            elif name == b"origin":
                origin = value.decode("latin-1")
        if self.check_hosts and _host_name(host) not in self.hosts:
            await error_response(
                PermissionDenied(f"Host {host!r} is not allowed (see --allowed-hosts).")
            )(scope, receive, send)
            return
        method = scope["method"]
        allowed_origin = bool(origin) and self._origin_allowed(origin, host)
        if origin and method == "OPTIONS" and allowed_origin:
            await self._preflight(origin, scope, receive, send)
            return
        if origin and method in _WRITE_METHODS and self.check_origins and not allowed_origin:
            await error_response(
                PermissionDenied(f"Cross-origin request from {origin!r} is not allowed.")
            )(scope, receive, send)
            return
        if not (origin and allowed_origin and (self.origins or self.any_origin)):
            await self.app(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"access-control-allow-origin", origin.encode("latin-1")))
                headers.append((b"vary", b"Origin"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_cors)

    def _origin_allowed(self, origin: str, host: str) -> bool:
        normalized = origin.rstrip("/").lower()
        if self.any_origin or normalized in self.origins:
            return True
        parts = urlsplit(normalized)
        return bool(parts.netloc) and parts.netloc == host.strip().lower()

    async def _preflight(self, origin: str, scope: Scope, receive: Receive, send: Send) -> None:
        req_headers = ""
        for name, value in scope["headers"]:
            if name == b"access-control-request-headers":
                req_headers = value.decode("latin-1")
        headers = [
            (b"access-control-allow-origin", origin.encode("latin-1")),
            (b"access-control-allow-methods", _CORS_METHODS.encode()),
            (
                b"access-control-allow-headers",
                (req_headers or "Content-Type, Authorization").encode("latin-1"),
            ),
            (b"access-control-max-age", b"600"),
            (b"vary", b"Origin"),
            (b"content-length", b"0"),
        ]
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
