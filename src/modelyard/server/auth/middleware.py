"""The auth middleware: authenticate every request, authorize it by its resolved route.

The route is found with the dispatcher's own matcher on the same path, so what is checked is what
is served: ``//api/...``, ``/API/...``, ``..`` segments, trailing slashes and percent-encoded
paths either resolve to the very route that is checked or to no route (then the caller must be
authenticated, and gets the dispatcher's 404/405). ``X-Forwarded-For`` is never read: the client
address for the login limiter is the socket's.

Search answers are filtered to the items the caller may read; creating an experiment or a
registered model gives its creator MANAGE; renaming or deleting a model moves or removes grants.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import anyio.to_thread
import orjson
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from modelyard.errors import (
    InvalidParameterValue,
    PermissionDenied,
    Unauthenticated,
)
from modelyard.server.auth.rules import FILTERS, RULES, Need, Rule, rule_key
from modelyard.server.auth.session import (
    CSRF_HEADER,
    cookie_value,
    csrf_token,
    parse_session,
    session_user,
)
from modelyard.server.errors import error_response
from modelyard.server.routing import SCOPE_PRECHECK, read_body
from modelyard.services.auth import PERMISSIONS, AuthService, Permission
from modelyard.store.auth.base import User
from modelyard.utils.time import now_ms
from modelyard.wire import WireArgs, parse_json_body

if TYPE_CHECKING:
    from modelyard.server.config import ServerConfig
    from modelyard.server.routing import Dispatcher

__all__ = ["SCOPE_SERVICE", "SCOPE_USER", "AuthMiddleware", "build_auth_service"]

SCOPE_USER = "modelyard.user"
SCOPE_SERVICE = "modelyard.auth"
SCOPE_SESSION_KEY = "modelyard.session_key"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_AUTHENTICATED = Rule("user")
_UNLISTED = Rule("admin")  # a route without a rule: admins only (default-deny)
_PASS = PERMISSIONS["MANAGE"]  # the resource does not exist: the handler answers 404
_NONE = PERMISSIONS["NO_PERMISSIONS"]


def build_auth_service(config: ServerConfig) -> AuthService:
    """The auth service of a server: the store in the backend database, the first admin created
    when there is no user (from ``MLFLOW_AUTH_ADMIN_PASSWORD`` or the ``auth_config`` file)."""
    import configparser
    import os

    from modelyard.store.auth import get_auth_store

    admin_username = config.auth_admin_username
    default_permission = config.auth_default_permission
    password = os.environ.get("MLFLOW_AUTH_ADMIN_PASSWORD") or None
    if config.auth_config:
        parser = configparser.ConfigParser()
        if not parser.read(config.auth_config):
            raise InvalidParameterValue(f"Cannot read the auth config file {config.auth_config!r}.")
        section = (
            parser["mlflow"] if parser.has_section("mlflow") else parser[parser.default_section]
        )
        password = password or section.get("admin_password") or None
        admin_username = section.get("admin_username", admin_username)
        default_permission = section.get("default_permission", default_permission)
    service = AuthService(get_auth_store(config.backend_store_uri), default_permission)
    service.bootstrap(admin_username, password)
    return service


class AuthMiddleware:
    """Wraps the dispatcher (``app``) of a server with auth on."""

    def __init__(self, app: ASGIApp, dispatcher: Dispatcher, service: AuthService) -> None:
        self.app = app
        self.dispatcher = dispatcher
        self.service = service
        self.store = service.store
        self.session_key = service.store.setting("session_key", secrets.token_hex(32)).encode()
        self.limit = dispatcher.ctx.config.max_request_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope[SCOPE_SERVICE] = self.service
        scope[SCOPE_SESSION_KEY] = self.session_key
        try:
            rule, params, body_kind, matched = self._rule(scope)
            if rule.access == "public":
                await self.app(scope, receive, send)
                return
            args: WireArgs | None = None
            if rule.needs or rule.hook:  # the body is read within the server's size limit
                args, receive = await self._args(scope, receive, body_kind)
            if (
                matched
                and self.app is self.dispatcher  # the dispatcher runs SCOPE_PRECHECK
                and not rule.filter
                and not rule.hook
                and (args is not None or body_kind != "json" or scope["method"] in ("GET", "HEAD"))
            ):
                # the common case: the check runs in the dispatcher's own worker-thread hop,
                # before the handler (a body, if any, was read above: an anonymous caller makes
                # the server read no more than it does today)
                await self._deferred(scope, receive, send, rule, args, params)
                return
            # one worker-thread hop for the credential check and the permission check
            user = await anyio.to_thread.run_sync(self._check, scope, rule, args, params)
            scope[SCOPE_USER] = user
        except Exception as exc:  # every refusal is a JSON error body
            await _error(exc, scope)(scope, receive, send)
            return
        if (rule.filter and not user.is_admin) or rule.hook:
            await self._call_and_rewrite(scope, receive, send, user, rule, args)
        else:
            await self.app(scope, receive, send)

    async def _deferred(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        rule: Rule,
        args: WireArgs | None,
        params: dict[str, str],
    ) -> None:
        refused: list[BaseException] = []

        def precheck() -> None:
            try:
                scope[SCOPE_USER] = self._check(scope, rule, args, params)
            except Exception as exc:
                refused.append(exc)
                raise

        async def send_with_challenge(message: Message) -> None:
            if refused and message["type"] == "http.response.start":
                if _wants_challenge(refused[0], scope):
                    extra = [(b"www-authenticate", _CHALLENGE.encode())]
                    message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        scope[SCOPE_PRECHECK] = precheck
        await self.app(scope, receive, send_with_challenge)
        if not refused and SCOPE_USER not in scope and SCOPE_PRECHECK in scope:
            # the dispatcher answered without running the check (a body it refused): fine,
            # no handler ran; never leave the callable behind
            del scope[SCOPE_PRECHECK]

    # ------------------------------------------------------------ route and arguments
    def _rule(self, scope: Scope) -> tuple[Rule, dict[str, str], str, bool]:
        path: str = scope["path"]
        prefix = self.dispatcher.static_prefix
        if prefix:
            path = (path[len(prefix) :] or "/") if path.startswith(prefix) else ""
        route, params = self.dispatcher._match(path)
        method = scope["method"]
        if route is None or method not in route.by_method:
            return _AUTHENTICATED, {}, "query", False  # the dispatcher answers 404 / 405
        rule = RULES.get(rule_key(method, route.template), _UNLISTED)
        return rule, params, route.by_method[method].body, True

    async def _args(
        self, scope: Scope, receive: Receive, body_kind: str
    ) -> tuple[WireArgs, Receive]:
        request = Request(scope, receive)
        if body_kind != "json" or scope["method"] in ("GET", "HEAD"):
            return WireArgs.from_query(request.query_params.multi_items()), receive
        body = await read_body(request, self.limit)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        try:
            args = WireArgs.from_json(parse_json_body(body) if body.strip() else {})
        except InvalidParameterValue as exc:  # answered after the credential check
            return _BadBody(exc), replay
        return args, replay

    def _check(
        self, scope: Scope, rule: Rule, args: WireArgs | None, params: dict[str, str]
    ) -> User:
        generation = self.service.generation()  # first: what is cached under it is current
        user = self._authenticate(scope, generation)
        if isinstance(args, _BadBody):
            raise args.error
        if rule.access == "admin" and not user.is_admin:
            raise PermissionDenied("Permission denied: only admins may call this route.")
        if rule.access == "resource" and not user.is_admin:
            assert args is not None
            self._authorize(user, rule, args, params, generation)
        return user

    # ------------------------------------------------------------ authentication
    def _authenticate(self, scope: Scope, generation: int | None) -> User:
        authorization = cookie = csrf = ""
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value.decode("latin-1")
            elif name == b"cookie":
                cookie = value.decode("latin-1")
            elif name == CSRF_HEADER.encode():
                csrf = value.decode("latin-1")
        client = scope.get("client")
        address = str(client[0]) if client else ""
        if authorization:
            scheme, _, credentials = authorization.strip().partition(" ")
            credentials = credentials.strip()
            if scheme.lower() == "bearer" and credentials:
                return self.service.authenticate_token(credentials, address, generation)
            if scheme.lower() == "basic" and credentials:
                username, password = _basic(credentials)
                if password.startswith("myt_"):  # a token as the password of basic auth
                    user = self.service.authenticate_token(password, address, generation)
                    if user.username != username:
                        raise Unauthenticated("Invalid username or access token.")
                    return user
                return self.service.authenticate_basic(username, password, address, generation)
            raise Unauthenticated("Malformed Authorization header: use Basic or Bearer.")
        session = cookie_value(cookie)
        if session:
            user = self._session_user(session, generation)
            if scope["method"] not in _SAFE_METHODS and csrf != csrf_token(
                self.session_key, session
            ):
                raise PermissionDenied("Missing or invalid X-CSRF-Token header.")
            return user
        raise Unauthenticated(
            "You are not authenticated: send HTTP basic credentials "
            "(MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD) or a token "
            "(MLFLOW_TRACKING_TOKEN)."
        )

    def _session_user(self, session: str, generation: int | None) -> User:
        user = self.service.cached_session(session, generation)
        if user is None:  # session_user checks the signature and the expiry, then the user row
            user = session_user(self.store, self.session_key, session, now_ms())
            if user is not None:
                self.service.remember_session(session, generation, user)
        elif parse_session(self.session_key, session, now_ms()) is None:  # signature, expiry
            user = None
        if user is None:
            raise Unauthenticated("Your session has expired; log in again.")
        return user

    # ------------------------------------------------------------ authorization
    def _authorize(
        self,
        user: User,
        rule: Rule,
        args: WireArgs,
        params: dict[str, str],
        generation: int | None = None,
    ) -> None:
        for need in rule.needs:
            values = _values(need, args, params)
            if not values:
                if need.default is not None:
                    values = [need.default]
                elif need.optional:
                    continue
                else:
                    raise InvalidParameterValue(
                        f"Missing value for required parameter '{need.fields[0].split(':')[-1]}'."
                    )
            for value in values:
                permission = self._permission(user, need.kind, value, args, generation)
                if not permission.allows(need.action):
                    raise PermissionDenied(
                        f"Permission denied: {need.action} on {_label(need.kind)} '{value}' "
                        f"needs more than {permission.name}."
                    )

    def _permission(
        self, user: User, kind: str, value: str, args: WireArgs, generation: int | None = None
    ) -> Permission:
        service, store = self.service, self.store
        if kind in ("experiment", "registered_model"):
            return service.permission(user, kind, value, generation)
        if kind == "run":
            permission = service.run_permission(user, value, generation)
            return _PASS if permission is None else permission
        lookup = _EXPERIMENT_OF.get(kind)
        if lookup is not None:
            experiment = getattr(store, lookup)(value)
            return (
                _PASS
                if experiment is None
                else service.permission(user, "experiment", experiment, generation)
            )
        if kind == "artifact_path":
            segments = [s for s in value.split("/") if s not in ("", ".")]
            if not segments or ".." in segments or not segments[0].isdigit():
                return _NONE  # outside any experiment's directory: admins only
            return service.permission(user, "experiment", segments[0], generation)
        if kind == "granted":
            resource_type = args.get_raw("resource_type")
            if resource_type not in ("experiment", "registered_model", "endpoint"):
                raise InvalidParameterValue(
                    f"Invalid resource type '{resource_type}'. Valid resource types are: "
                    "('experiment', 'registered_model', 'endpoint')"
                )
            return service.permission(user, str(resource_type), value, generation)
        return _NONE

    # ------------------------------------------------------------ filters and hooks
    async def _call_and_rewrite(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        user: User,
        rule: Rule,
        args: WireArgs | None,
    ) -> None:
        start: Message | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            assert start is not None
            body = b"".join(chunks)
            if start["status"] == 200:
                body = await anyio.to_thread.run_sync(self._rewrite, body, user, rule, args)
            headers = [(k, v) for k, v in start.get("headers", []) if k != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body, "more_body": False})

        await self.app(scope, receive, capture)

    def _rewrite(self, body: bytes, user: User, rule: Rule, args: WireArgs | None) -> bytes:
        try:
            payload = orjson.loads(body) if body else {}
        except orjson.JSONDecodeError:
            return body
        if not isinstance(payload, dict):
            return body
        if rule.hook:
            self._hook(rule.hook, payload, user, args)
            return body
        if rule.filter and not user.is_admin:
            field, resource_type, key_path = FILTERS[rule.filter]
            items = payload.get(field)
            if isinstance(items, list):
                readable = self.service.readable(user, resource_type)
                payload[field] = [i for i in items if readable(str(_dig(i, key_path)))]
                return orjson.dumps(payload)
        return body

    def _hook(self, hook: str, payload: dict[str, Any], user: User, args: WireArgs | None) -> None:
        store = self.store
        if hook == "experiment_created" and payload.get("experiment_id") is not None:
            self.service.grant_creator(user, "experiment", str(payload["experiment_id"]))
        elif hook == "model_created":
            name = _dig(payload, ("registered_model", "name"))
            if isinstance(name, str):
                self.service.grant_creator(user, "registered_model", name)
        elif hook == "model_renamed" and args is not None:
            old, new = args.get_raw("name"), args.get_raw("new_name")
            if isinstance(old, str) and isinstance(new, str):
                store.rename_resource("registered_model", old, new)
        elif hook == "model_deleted" and args is not None:
            name = args.get_raw("name")
            if isinstance(name, str):
                store.delete_resource("registered_model", name)


class _BadBody(WireArgs):
    """A body that is not valid JSON: its error is raised once the caller is authenticated."""

    def __init__(self, error: InvalidParameterValue) -> None:
        super().__init__({})
        self.error = error


#: resources whose permission is their experiment's: the auth store's lookup of that experiment
_EXPERIMENT_OF = {
    "logged_model": "experiment_of_logged_model",
    "trace": "experiment_of_trace",  # an MLflow 3 trace
    "experiment_name": "experiment_by_name",
}


def _nested(args: WireArgs, field: str) -> Any:
    """The value under a dotted ``field`` (``trace.trace_info.trace_location...``), each segment
    read as the handlers read it (snake_case or lowerCamel); a list on the way is walked item by
    item, so ``locations.mlflow_experiment.experiment_id`` gives every location's id."""
    current: list[Any] = [args]
    for segment in field.split("."):
        found: list[Any] = []
        for item in current:
            if isinstance(item, dict):
                item = WireArgs(item)
            if not isinstance(item, WireArgs):
                continue
            value = item.get_raw(segment)
            if isinstance(value, list):
                found.extend(value)
            elif value is not None:
                found.append(value)
        current = found
    if not current:
        return None
    return current[0] if len(current) == 1 else current


def _values(need: Need, args: WireArgs, params: dict[str, str]) -> list[str]:
    for field in need.fields:
        if field.startswith("path:"):
            value = params.get(field[5:])
            if value:
                return [value]
            continue
        raw = _nested(args, field) if "." in field else args.get_raw(field)
        if raw is None or raw == "":
            continue
        items = raw if isinstance(raw, list) else [raw]
        if not need.many and len(items) > 1:
            raise InvalidParameterValue(f"Parameter '{field}' must have one value.")
        out = []
        for item in items:
            if isinstance(item, bool) or not isinstance(item, str | int):
                raise InvalidParameterValue(f"Invalid value {item!r} for parameter '{field}'.")
            out.append(str(item))
        return out
    return []


def _dig(item: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(item, dict):
            return None
        item = item.get(key)
    return item


def _label(kind: str) -> str:
    return {
        "experiment_name": "experiment",
        "artifact_path": "artifact path",
        "granted": "resource",
        "logged_model": "logged model",
        "trace": "the experiment of trace",
        "registered_model": "registered model",
    }.get(kind, kind)


def _basic(credentials: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise Unauthenticated(
            "Malformed Authorization header: invalid basic credentials."
        ) from None
    username, sep, password = decoded.partition(":")
    if not sep or not username:
        raise Unauthenticated("Malformed Authorization header: invalid basic credentials.")
    return username, password


_CHALLENGE = 'Basic realm="mlflow"'


def _wants_challenge(exc: BaseException, scope: Scope) -> bool:
    """A 401 carries the basic-auth challenge, except to the web UI's own calls (marked
    X-Requested-With), for which a browser would pop its password prompt over the login page."""
    return isinstance(exc, Unauthenticated) and not any(
        name == b"x-requested-with" for name, _ in scope["headers"]
    )


def _error(exc: BaseException, scope: Scope) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    response = error_response(exc)
    if _wants_challenge(exc, scope):
        response.headers["WWW-Authenticate"] = _CHALLENGE
    return response
