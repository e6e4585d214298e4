"""Auth on a real app: credentials, tokens, grants, filtering, sessions, limits, bad input."""

from __future__ import annotations

import base64
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

warnings.filterwarnings("ignore", message=".*httpx.*")

from auth_helpers import (  # noqa: E402
    ADMIN,
    API,
    NOBODY,
    World,
    auth_config,
    basic,
    build_world,
    make_client,
    ok,
)

from modelyard.errors import InvalidParameterValue  # noqa: E402
from modelyard.server import ServerConfig, create_app  # noqa: E402
from modelyard.services.auth import hash_token  # noqa: E402


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with make_client(auth_config(tmp_path)) as client:
        yield build_world(client)


def _code(response) -> str:  # type: ignore[no-untyped-def]
    return response.json()["error_code"]  # type: ignore[no-any-return]


def _new_user(world: World, name: str) -> dict[str, str]:
    password = f"{name}-password"
    body = {"username": name, "password": password}
    ok(world.client.post(f"{API}/users/create", json=body, headers=ADMIN))
    return basic(name, password)


def _token(world: World, headers: dict[str, str], **body: object) -> tuple[str, int]:
    out = ok(world.client.post(f"{API}/users/tokens/create", json=body, headers=headers))
    return out["token"], out["token_info"]["id"]


def test_wrong_password_and_unknown_user_look_alike(world: World) -> None:
    c = world.client
    wrong = c.get(f"{API}/users/current", headers=basic("admin", "not-the-password"))
    unknown = c.get(f"{API}/users/current", headers=basic("ghost", "not-the-password"))
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["error_code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize(
    "header",
    [
        "Basic !!!not-base64",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Bearer",
        "Bearer not-a-token",
        "Digest username=admin",
        "Basic",
    ],
)
def test_malformed_or_unknown_credentials(world: World, header: str) -> None:
    r = world.client.get(f"{API}/users/current", headers={"Authorization": header})
    assert r.status_code == 401 and _code(r) == "UNAUTHENTICATED"
    assert "Traceback" not in r.text


def test_tokens_expire_and_revoke_at_once(world: World) -> None:
    c = world.client
    secret, token_id = _token(world, NOBODY, name="laptop", expires_in_seconds=3600)
    bearer = {"Authorization": f"Bearer {secret}"}
    assert ok(c.get(f"{API}/users/current", headers=bearer))["user"]["username"] == "nobody"
    listed = ok(c.get(f"{API}/users/tokens/list", headers=NOBODY))["tokens"]
    assert [t["name"] for t in listed] == ["laptop"] and "token" not in listed[0]
    ok(c.post(f"{API}/users/tokens/revoke", json={"token_id": token_id}, headers=NOBODY))
    r = c.get(f"{API}/users/current", headers=bearer)
    assert r.status_code == 401 and "revoked" in r.json()["message"]
    # an expired token (its expiry in the past, written directly in the store)
    service = c.app.router.default.service  # type: ignore[attr-defined]
    user = service.get_user("nobody")
    service.store.create_token(user.id, hash_token("myt_expired-one"), "old", 1, 2)
    r = c.get(f"{API}/users/current", headers={"Authorization": "Bearer myt_expired-one"})
    assert r.status_code == 401 and "expired" in r.json()["message"]
    # a token is also accepted as the password of basic auth, for its own user only
    secret2, _ = _token(world, NOBODY)
    assert c.get(f"{API}/users/current", headers=basic("nobody", secret2)).status_code == 200
    assert c.get(f"{API}/users/current", headers=basic("admin", secret2)).status_code == 401
    bad = c.post(f"{API}/users/tokens/create", json={"expires_in_seconds": -5}, headers=NOBODY)
    assert bad.status_code == 400 and _code(bad) == "INVALID_PARAMETER_VALUE"


def test_a_users_token_on_another_users_private_experiment(world: World) -> None:
    c = world.client
    alice = _new_user(world, "alice")
    mine = ok(c.post(f"{API}/experiments/create", json={"name": "alice-exp"}, headers=alice))
    secret, _ = _token(world, NOBODY)
    bearer = {"Authorization": f"Bearer {secret}"}
    params = {"experiment_id": mine["experiment_id"]}
    r = c.get(f"{API}/experiments/get", params=params, headers=bearer)
    assert r.status_code == 403 and "alice-exp" not in r.text
    assert ok(c.get(f"{API}/experiments/get", params=params, headers=alice))


def test_admin_only_and_self_rules(world: World) -> None:
    c = world.client
    body = {"username": "eve", "password": "eve-password"}
    r = c.post(f"{API}/users/create", json=body, headers=NOBODY)
    assert r.status_code == 403 and _code(r) == "PERMISSION_DENIED"
    r = c.get(f"{API}/users/get", params={"username": "admin"}, headers=NOBODY)
    assert r.status_code == 403
    assert ok(c.get(f"{API}/users/get", params={"username": "nobody"}, headers=NOBODY))
    r = c.patch(
        f"{API}/users/update-admin", json={"username": "nobody", "is_admin": True}, headers=NOBODY
    )
    assert r.status_code == 403
    short = c.post(
        f"{API}/users/create", json={"username": "x", "password": "short"}, headers=ADMIN
    )
    assert short.status_code == 400 and "at least 8" in short.json()["message"]
    again = c.post(
        f"{API}/users/create", json={"username": "nobody", "password": "long-enough"}, headers=ADMIN
    )
    assert again.status_code == 400 and _code(again) == "RESOURCE_ALREADY_EXISTS"
    own = {"username": "nobody", "password": "new-password-1"}
    r = c.patch(f"{API}/users/update-password", json=own, headers=NOBODY)
    assert r.status_code == 400 and "Current password" in r.json()["message"]
    r = c.request("DELETE", f"{API}/users/delete", json={"username": "admin"}, headers=ADMIN)
    assert r.status_code == 400


def test_grants_validation_and_self_manage(world: World) -> None:
    c = world.client
    e = world.experiment_id
    grant = "/api/3.0/mlflow/users/permissions/grant"
    body = {"username": "nobody", "resource_type": "experiment", "resource_id": e}
    r = c.post(grant, json={**body, "permission": "OWNER"}, headers=ADMIN)
    assert r.status_code == 400 and "Invalid permission 'OWNER'" in r.json()["message"]
    r = c.post(
        grant, json={**body, "resource_type": "cluster", "permission": "READ"}, headers=ADMIN
    )
    assert r.status_code == 400 and _code(r) == "INVALID_PARAMETER_VALUE"
    ok(c.post(grant, json={**body, "permission": "READ"}, headers=ADMIN))
    # READ lets nobody see the experiment, not grant themself MANAGE on it
    r = c.post(grant, json={**body, "permission": "MANAGE"}, headers=NOBODY)
    assert r.status_code == 403
    got = ok(c.get("/api/3.0/mlflow/users/permissions/get", params=body, headers=NOBODY))
    assert got == {"allowed": False, "permission": "READ"}
    # on their own experiment (MANAGE) nobody may share, but not change their own grant
    mine = ok(c.post(f"{API}/experiments/create", json={"name": "n-exp"}, headers=NOBODY))
    r = c.post(
        grant,
        json={**body, "resource_id": mine["experiment_id"], "permission": "READ"},
        headers=NOBODY,
    )
    assert r.status_code == 403 and "own permissions" in r.json()["message"]
    # MLflow 2.x routes
    legacy = {"experiment_id": e, "username": "nobody"}
    got = ok(c.get(f"{API}/experiments/permissions/get", params=legacy, headers=ADMIN))
    assert got["experiment_permission"]["permission"] == "READ"
    ok(
        c.patch(
            f"{API}/experiments/permissions/update",
            json={**legacy, "permission": "EDIT"},
            headers=ADMIN,
        )
    )
    run = c.post(f"{API}/runs/create", json={"experiment_id": e}, headers=NOBODY)
    assert run.status_code == 200
    delete = c.post(f"{API}/experiments/delete", json={"experiment_id": e}, headers=NOBODY)
    assert delete.status_code == 403  # EDIT does not delete
    listed = ok(
        c.get(
            "/api/3.0/mlflow/users/permissions/list", params={"username": "nobody"}, headers=ADMIN
        )
    )
    assert {(p["resource_type"], p["permission"]) for p in listed["permissions"]} >= {
        ("experiment", "EDIT"),
        ("experiment", "MANAGE"),
    }


def test_searches_show_only_what_the_caller_may_read(world: World) -> None:
    c = world.client

    def names(path: str, field: str, key: str, headers: dict[str, str]) -> list[str]:
        return [x[key] for x in ok(c.get(f"{API}/{path}", headers=headers)).get(field, [])]

    assert names("registered-models/search", "registered_models", "name", NOBODY) == []
    assert names("model-versions/search", "model_versions", "name", NOBODY) == []
    assert names("registered-models/search", "registered_models", "name", ADMIN) == [
        world.model_name
    ]
    runs = ok(
        c.post(f"{API}/runs/search", json={"experiment_ids": [world.experiment_id]}, headers=NOBODY)
    )
    assert runs.get("runs", []) == []
    body = {"username": "nobody", "name": world.model_name, "permission": "READ"}
    ok(c.post(f"{API}/registered-models/permissions/create", json=body, headers=ADMIN))
    assert names("model-versions/search", "model_versions", "name", NOBODY) == [world.model_name]
    # a rename carries the grant along; the creator of a model gets MANAGE
    ok(
        c.post(
            f"{API}/registered-models/rename",
            json={"name": world.model_name, "new_name": "renamed"},
            headers=ADMIN,
        )
    )
    assert names("registered-models/search", "registered_models", "name", NOBODY) == ["renamed"]
    ok(c.post(f"{API}/registered-models/create", json={"name": "n-model"}, headers=NOBODY))
    ok(
        c.request(
            "DELETE", f"{API}/registered-models/delete", json={"name": "n-model"}, headers=NOBODY
        )
    )


def test_default_permission_read(tmp_path: Path) -> None:
    with make_client(auth_config(tmp_path, "READ")) as client:
        world = build_world(client)
        params = {"experiment_id": world.experiment_id}
        assert ok(client.get(f"{API}/experiments/get", params=params, headers=NOBODY))
        body = {"experiment_id": world.experiment_id}
        assert client.post(f"{API}/runs/create", json=body, headers=NOBODY).status_code == 403


def test_password_change_takes_effect_at_once(world: World) -> None:
    c = world.client
    alice = _new_user(world, "alice")
    assert c.get(f"{API}/users/current", headers=alice).status_code == 200  # now cached
    change = {"username": "alice", "password": "alice-password-2"}
    ok(c.patch(f"{API}/users/update-password", json=change, headers=ADMIN))
    assert c.get(f"{API}/users/current", headers=alice).status_code == 401
    assert (
        c.get(f"{API}/users/current", headers=basic("alice", "alice-password-2")).status_code == 200
    )
    ok(c.request("DELETE", f"{API}/users/delete", json={"username": "alice"}, headers=ADMIN))
    assert (
        c.get(f"{API}/users/current", headers=basic("alice", "alice-password-2")).status_code == 401
    )


def test_session_cookie_login_and_csrf(world: World) -> None:
    c = world.client
    bad = c.post("/auth/login", json={"username": "nobody", "password": "wrong-password"})
    assert bad.status_code == 401
    r = c.post("/auth/login", json={"username": "nobody", "password": "nobody-password"})
    assert r.status_code == 200
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    csrf = r.json()["csrf_token"]
    assert ok(c.get(f"{API}/users/current"))["user"]["username"] == "nobody"
    r = c.post(f"{API}/experiments/create", json={"name": "cookie-exp"})
    assert r.status_code == 403 and "CSRF" in r.json()["message"]
    ok(
        c.post(
            f"{API}/experiments/create", json={"name": "cookie-exp"}, headers={"X-CSRF-Token": csrf}
        )
    )
    change = {"username": "nobody", "password": "nobody-password-2"}
    ok(c.patch(f"{API}/users/update-password", json=change, headers=ADMIN))
    assert c.get(f"{API}/users/current").status_code == 401  # the session ended with the change
    c.cookies.clear()


def test_session_route_tells_the_ui_who_is_signed_in(world: World) -> None:
    c = world.client
    c.cookies.clear()
    assert ok(c.get("/auth/session")) == {"auth_enabled": True}  # anonymous: nothing else
    r = ok(c.post("/auth/login", json={"username": "nobody", "password": "nobody-password"}))
    session = ok(c.get("/auth/session"))
    assert session["user"]["username"] == "nobody" and not session["user"]["is_admin"]
    assert session["csrf_token"] == r["csrf_token"]  # the UI gets it back after a reload
    cookie = c.cookies["modelyard_session"]
    user_id, version, expiry, mac = cookie.split(".")
    forged = f"{user_id}.{version}.{int(expiry) + 1}.{mac}"
    c.cookies.clear()
    c.cookies.set("modelyard_session", forged)
    assert ok(c.get("/auth/session")) == {"auth_enabled": True}
    assert c.get(f"{API}/users/current").status_code == 401
    c.cookies.clear()


def test_the_ui_gets_no_basic_auth_challenge(world: World) -> None:
    c = world.client
    plain = c.get(f"{API}/users/current")
    assert plain.status_code == 401 and plain.headers["www-authenticate"].startswith("Basic")
    ui = c.get(f"{API}/users/current", headers={"X-Requested-With": "modelyard-ui"})
    assert ui.status_code == 401 and "www-authenticate" not in ui.headers


def test_failed_logins_are_rate_limited(world: World) -> None:
    c = world.client
    for _ in range(10):
        assert (
            c.get(f"{API}/users/current", headers=basic("admin", "guess-password")).status_code
            == 401
        )
    r = c.get(f"{API}/users/current", headers=ADMIN)
    assert r.status_code == 429 and _code(r) == "REQUEST_LIMIT_EXCEEDED"
    # another user from the same address is refused too (the address is limited)
    r = c.get(f"{API}/users/current", headers=NOBODY)
    assert r.status_code == 429


def test_audit_log(world: World) -> None:
    c = world.client
    c.get(f"{API}/users/current", headers=basic("nobody", "bad-password"))
    _token(world, NOBODY)
    assert c.get(f"{API}/users/audit/list", headers=NOBODY).status_code == 403
    events = ok(c.get(f"{API}/users/audit/list", headers=ADMIN))["events"]
    kinds = [e["event"] for e in events]
    assert {"login_failure", "login_success", "token_created", "user_created"} <= set(kinds)
    failure = next(e for e in events if e["event"] == "login_failure")
    assert failure["username"] == "nobody" and failure["address"] == "testclient"


def test_security_headers_on_every_response(world: World) -> None:
    for path in ("/health", f"{API}/users/current", "/no/such/route"):
        r = world.client.get(path)
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["referrer-policy"] == "no-referrer"


def test_refuses_to_start_without_an_admin_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MLFLOW_AUTH_ADMIN_PASSWORD", raising=False)
    config = ServerConfig(backend_store_uri=f"sqlite:///{tmp_path / 'db.sqlite'}", auth=True)
    with pytest.raises(InvalidParameterValue, match="no default password"):
        create_app(config)
    monkeypatch.setenv("MLFLOW_AUTH_ADMIN_PASSWORD", "from-the-env-1")
    create_app(config)  # creates the admin; later starts need no password
    monkeypatch.delenv("MLFLOW_AUTH_ADMIN_PASSWORD")
    create_app(config)


def test_auth_routes_refuse_when_auth_is_off(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get(f"{API}/users/current")
    assert r.status_code == 400 and "not enabled" in r.json()["message"]


def test_a_bad_body_is_answered_after_the_credential_check(world: World) -> None:
    c = world.client
    headers = {"Content-Type": "application/json"}
    r = c.post(f"{API}/runs/log-metric", content=b"{not json", headers=headers)
    assert r.status_code == 401
    r = c.post(f"{API}/runs/log-metric", content=b"{not json", headers={**headers, **NOBODY})
    assert r.status_code == 400 and _code(r) == "INVALID_PARAMETER_VALUE"
