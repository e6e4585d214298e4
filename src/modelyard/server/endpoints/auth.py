"""MLflow's auth REST API (``mlflow.server.get_app_client("basic-auth", ...)``), our token
routes and the UI's session login.

MLflow routes: ``/api/2.0/mlflow/users/{create,get,current,list,update-password,update-admin,
delete}``, ``/api/2.0/mlflow/experiments/permissions/{create,get,update,delete}``,
``/api/2.0/mlflow/registered-models/permissions/{create,get,update,delete}`` and
``/api/3.0/mlflow/users/permissions/{grant,revoke,get,list}`` plus ``users/current/permissions``.
modelyard routes: ``/api/2.0/mlflow/users/tokens/{create,list,revoke}`` (personal access
tokens; the secret is in the answer of ``create`` only), ``/api/2.0/mlflow/users/audit/list``
(admins), ``POST /auth/login`` / ``POST /auth/logout`` (session cookie for the web UI) and
``GET /auth/session`` (the UI's start: is auth on, who is signed in, the session's CSRF token).

Who may call each route is decided by the auth middleware's route table; the handlers add the
rules that depend on the target (admin or the user themself). With auth off every route here
answers an error.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from modelyard.errors import InvalidParameterValue, InvalidState, PermissionDenied
from modelyard.server.auth.middleware import SCOPE_SERVICE, SCOPE_USER
from modelyard.server.auth.session import (
    COOKIE_NAME,
    SESSION_SECONDS,
    cookie_value,
    csrf_token,
    session_user,
    sign_session,
)
from modelyard.server.errors import json_response
from modelyard.server.routing import Call, Endpoint
from modelyard.services.auth import AuthService
from modelyard.store.auth.base import Token, User
from modelyard.utils.time import now_ms

__all__ = ["ENDPOINTS"]


def _service(call: Call) -> AuthService:
    service = call.request.scope.get(SCOPE_SERVICE)
    if service is None:
        raise InvalidState("Authentication is not enabled on this server (start it with --auth).")
    return service


def _caller(call: Call) -> User:
    _service(call)
    user = call.request.scope.get(SCOPE_USER)
    if user is None:
        raise PermissionDenied("Permission denied.")
    return user


def _user_json(user: User) -> dict[str, Any]:
    return {"id": user.id, "username": user.username, "is_admin": user.is_admin}


def _token_json(token: Token) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": token.id,
        "name": token.name,
        "created_time": token.created_time,
        "revoked": token.revoked,
    }
    if token.expiry_time is not None:
        out["expiry_time"] = token.expiry_time
    return out


def _admin_or_self(caller: User, username: object) -> None:
    if not caller.is_admin and username != caller.username:
        raise PermissionDenied("Permission denied: admins only, or the user themself.")


# ---------------------------------------------------------------------- users
def create_user(call: Call) -> dict[str, Any]:
    service, caller = _service(call), _caller(call)
    user = service.create_user(
        call.args.get_raw("username"), call.args.get_raw("password"), actor=caller.username
    )
    return {"user": _user_json(user)}


def get_user(call: Call) -> dict[str, Any]:
    username = call.args.get_raw("username")
    _admin_or_self(_caller(call), username)
    return {"user": _user_json(_service(call).get_user(username))}


def current_user(call: Call) -> dict[str, Any]:
    return {"user": _user_json(_caller(call)), "is_basic_auth": True}


def list_users(call: Call) -> dict[str, Any]:
    return {"users": [{**_user_json(u), "roles": []} for u in _service(call).list_users()]}


def update_password(call: Call) -> dict[str, Any]:
    service, caller = _service(call), _caller(call)
    username = call.args.get_raw("username")
    _admin_or_self(caller, username)
    password = call.args.get_raw("password")
    if username == caller.username:  # self-service re-asserts the current password
        current = call.args.get_raw("current_password")
        if not current:
            raise InvalidParameterValue(
                "Current password is required when changing your own password."
            )
        if not service.check_password(caller, current):
            raise InvalidParameterValue("Current password does not match.")
        if password == current:
            raise InvalidParameterValue("New password must differ from the current password.")
    service.update_password(username, password, actor=caller.username)
    return {}


def update_admin(call: Call) -> dict[str, Any]:
    caller = _caller(call)
    username = call.args.get_raw("username")
    _service(call).update_admin(username, call.args.get_raw("is_admin"), actor=caller.username)
    return {}


def delete_user(call: Call) -> dict[str, Any]:
    caller = _caller(call)
    username = call.args.get_raw("username")
    if username == caller.username:
        raise InvalidParameterValue(
            "Users cannot delete their own account. Ask another admin to delete this user instead."
        )
    _service(call).delete_user(username, actor=caller.username)
    return {}


# ---------------------------------------------------------------------- MLflow 2.x permissions
def _legacy(call: Call, resource_type: str, field: str, mode: str) -> dict[str, Any]:
    service, caller, a = _service(call), _caller(call), call.args
    resource_id = a.get_raw(field)
    username = a.get_raw("username")
    key = (
        "experiment_permission" if resource_type == "experiment" else "registered_model_permission"
    )
    if mode == "get":
        permission = service.grant_of(username, resource_type, resource_id)
    elif mode == "delete":
        service.delete_grant(caller, username, resource_type, resource_id)
        return {}
    else:
        permission = a.get_raw("permission")
        service.set_grant(caller, username, resource_type, resource_id, permission, mode)
        if mode == "update":
            return {}
    user = service.get_user(username)
    return {key: {field: str(resource_id), "user_id": user.id, "permission": permission}}


def _legacy_handler(resource_type: str, field: str, mode: str) -> Any:
    def handler(call: Call) -> dict[str, Any]:
        return _legacy(call, resource_type, field, mode)

    handler.__name__ = f"{mode}_{resource_type}_permission"
    return handler


# ---------------------------------------------------------------------- MLflow 3.x per-user grants
def grant_permission(call: Call) -> dict[str, Any]:
    a = call.args
    _service(call).set_grant(
        _caller(call),
        a.get_raw("username"),
        a.get_raw("resource_type"),
        a.get_raw("resource_id"),
        a.get_raw("permission"),
        "create",
    )
    return {}


def revoke_permission(call: Call) -> dict[str, Any]:
    a = call.args
    _service(call).delete_grant(
        _caller(call), a.get_raw("username"), a.get_raw("resource_type"), a.get_raw("resource_id")
    )
    return {}


def get_permission(call: Call) -> dict[str, Any]:
    service, caller, a = _service(call), _caller(call), call.args
    username = a.get_raw("username")
    _admin_or_self(caller, username)
    resource_type = a.get_raw("resource_type")
    if resource_type not in ("experiment", "registered_model", "endpoint"):
        raise InvalidParameterValue(f"Invalid resource type '{resource_type}'.")
    resource_id = a.get_raw("resource_id")
    if not isinstance(resource_id, str) or not resource_id:
        raise InvalidParameterValue("Missing value for required parameter 'resource_id'.")
    target = service.get_user(username)
    permission = service.permission(target, str(resource_type), resource_id)
    return {"allowed": permission.can_use, "permission": permission.name}


def _permission_rows(service: AuthService, user: User) -> dict[str, Any]:
    rows = [
        {
            "role_id": 0,
            "role_name": f"__user_{user.id}__",
            "workspace": "default",
            "resource_type": g.resource_type,
            "resource_pattern": g.resource_id,
            "permission": g.permission,
        }
        for g in service.grants(user)
    ]
    return {"is_admin": user.is_admin, "permissions": rows}


def list_permissions(call: Call) -> dict[str, Any]:
    service, caller = _service(call), _caller(call)
    username = call.args.get_raw("username")
    _admin_or_self(caller, username)
    return _permission_rows(service, service.get_user(username))


def current_permissions(call: Call) -> dict[str, Any]:
    return _permission_rows(_service(call), _caller(call))


# ---------------------------------------------------------------------- tokens, audit
def _token_owner(call: Call) -> User:
    caller = _caller(call)
    username = call.args.get_raw("username")
    if username in (None, "", caller.username):
        return caller
    _admin_or_self(caller, username)
    return _service(call).get_user(username)


def create_token(call: Call) -> dict[str, Any]:
    owner = _token_owner(call)
    secret, token = _service(call).create_token(
        owner, call.args.get_raw("name"), call.args.get_raw("expires_in_seconds")
    )
    return {"token": secret, "token_info": _token_json(token)}


def list_tokens(call: Call) -> dict[str, Any]:
    return {"tokens": [_token_json(t) for t in _service(call).list_tokens(_token_owner(call))]}


def revoke_token(call: Call) -> dict[str, Any]:
    owner = _token_owner(call)
    token = _service(call).revoke_token(
        owner, call.args.get_raw("token_id"), actor=_caller(call).username
    )
    return {"token_info": _token_json(token)}


def list_audit(call: Call) -> dict[str, Any]:
    a = call.args
    limit = a.int("max_results", default=100)
    before = a.int("before_id")
    events = _service(call).audit_log(limit, before)
    return {
        "events": [
            {
                k: v
                for k, v in (
                    ("id", e.id),
                    ("timestamp", e.timestamp),
                    ("event", e.event),
                    ("username", e.username),
                    ("actor", e.actor),
                    ("address", e.address),
                    ("detail", e.detail),
                )
                if v is not None
            }
            for e in events
        ]
    }


# ---------------------------------------------------------------------- UI session
def login(call: Call) -> Response:
    service = _service(call)
    key: bytes = call.request.scope["modelyard.session_key"]
    client = call.request.client
    user = service.authenticate_basic(
        str(call.args.get_raw("username") or ""),
        str(call.args.get_raw("password") or ""),
        client.host if client else "",
    )
    cookie = sign_session(key, user.id, user.version, now_ms() + SESSION_SECONDS * 1000)
    response = json_response({"user": _user_json(user), "csrf_token": csrf_token(key, cookie)})
    response.set_cookie(
        COOKIE_NAME,
        cookie,
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="strict",
        path="/",
        secure=call.request.url.scheme == "https",
    )
    return response


def session(call: Call) -> dict[str, Any]:
    """Public: ``auth_enabled``; with a valid session cookie also its user and CSRF token."""
    service = call.request.scope.get(SCOPE_SERVICE)
    if service is None:
        return {"auth_enabled": False}
    key: bytes = call.request.scope["modelyard.session_key"]
    cookie = cookie_value(call.request.headers.get("cookie", ""))
    user = session_user(service.store, key, cookie, now_ms()) if cookie else None
    if user is None:
        return {"auth_enabled": True}
    return {"auth_enabled": True, "user": _user_json(user), "csrf_token": csrf_token(key, cookie)}


def logout(call: Call) -> Response:
    _service(call)
    response = json_response({})
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="strict")
    return response


_U = "/mlflow/users"
_E = "/mlflow/experiments/permissions"
_R = "/mlflow/registered-models/permissions"

ENDPOINTS: list[Endpoint] = [
    Endpoint("POST", f"{_U}/create", create_user),
    Endpoint("GET", f"{_U}/get", get_user),
    Endpoint("GET", f"{_U}/current", current_user),
    Endpoint("GET", f"{_U}/list", list_users),
    Endpoint("PATCH", f"{_U}/update-password", update_password),
    Endpoint("PATCH", f"{_U}/update-admin", update_admin),
    Endpoint("DELETE", f"{_U}/delete", delete_user),
    Endpoint("POST", f"{_U}/tokens/create", create_token),
    Endpoint("GET", f"{_U}/tokens/list", list_tokens),
    Endpoint("POST", f"{_U}/tokens/revoke", revoke_token),
    Endpoint("GET", f"{_U}/audit/list", list_audit),
    *(
        Endpoint(method, f"{prefix}/{mode}", _legacy_handler(rtype, field, mode))
        for prefix, rtype, field in (
            (_E, "experiment", "experiment_id"),
            (_R, "registered_model", "name"),
        )
        for method, mode in (
            ("POST", "create"),
            ("GET", "get"),
            ("PATCH", "update"),
            ("DELETE", "delete"),
        )
    ),
    Endpoint("POST", f"{_U}/permissions/grant", grant_permission, version="3.0"),
    Endpoint("POST", f"{_U}/permissions/revoke", revoke_permission, version="3.0"),
    Endpoint("GET", f"{_U}/permissions/get", get_permission, version="3.0"),
    Endpoint("GET", f"{_U}/permissions/list", list_permissions, version="3.0"),
    Endpoint("GET", f"{_U}/current/permissions", current_permissions, version="3.0"),
    Endpoint("POST", "/auth/login", login, absolute=True),
    Endpoint("POST", "/auth/logout", logout, absolute=True),
    Endpoint("GET", "/auth/session", session, absolute=True),
]
