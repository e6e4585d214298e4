"""The credential and permission cache never outlives a change: a revoked token, a changed
password, a changed or removed grant, a removed admin flag, a deleted user and an expired token
are refused on the very next request, in one server, across two servers on one database and
across the workers of ``--workers 2``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from auth_helpers import (
    ADMIN,
    ADMIN_PASSWORD,
    API,
    World,
    auth_config,
    basic,
    build_world,
    make_client,
    ok,
)

from modelyard.testing.server_process import ServerProcess


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with make_client(auth_config(tmp_path)) as client:
        yield build_world(client)


def _status(world: World, headers: dict[str, str], path: str = "runs/get") -> int:
    params = {"run_id": world.run_id} if path == "runs/get" else {}
    return int(world.client.get(f"{API}/{path}", params=params, headers=headers).status_code)


def test_every_change_takes_effect_on_the_next_request(world: World) -> None:
    c = world.client
    ok(
        c.post(
            f"{API}/users/create", json={"username": "ana", "password": "ana-pass-1"}, headers=ADMIN
        )
    )
    grant = {"experiment_id": world.experiment_id, "username": "ana", "permission": "READ"}
    ok(c.post(f"{API}/experiments/permissions/create", json=grant, headers=ADMIN))
    ana = basic("ana", "ana-pass-1")
    token = ok(c.post(f"{API}/users/tokens/create", json={}, headers=ana))
    bearer = {"Authorization": f"Bearer {token['token']}"}
    for _ in range(3):  # warm every cache: basic, token, grant
        assert _status(world, ana) == 200
        assert _status(world, bearer) == 200
    # the grant lowered, then removed, then given back
    ok(
        c.patch(
            f"{API}/experiments/permissions/update",
            json={**grant, "permission": "NO_PERMISSIONS"},
            headers=ADMIN,
        )
    )
    assert _status(world, ana) == 403 and _status(world, bearer) == 403
    ok(c.patch(f"{API}/experiments/permissions/update", json=grant, headers=ADMIN))
    assert _status(world, ana) == 200
    delete = {"experiment_id": world.experiment_id, "username": "ana"}
    ok(c.request("DELETE", f"{API}/experiments/permissions/delete", json=delete, headers=ADMIN))
    assert _status(world, ana) == 403  # back to the default, NO_PERMISSIONS
    ok(c.post(f"{API}/experiments/permissions/create", json=grant, headers=ADMIN))
    assert _status(world, ana) == 200
    # the token revoked
    revoke = {"token_id": token["token_info"]["id"]}
    ok(c.post(f"{API}/users/tokens/revoke", json=revoke, headers=ana))
    refused = c.get(f"{API}/runs/get", params={"run_id": world.run_id}, headers=bearer)
    assert refused.status_code == 401 and "revoked" in refused.json()["message"]
    # the admin flag given and taken away
    assert _status(world, ana, "users/list") == 403
    ok(
        c.patch(
            f"{API}/users/update-admin", json={"username": "ana", "is_admin": True}, headers=ADMIN
        )
    )
    assert _status(world, ana, "users/list") == 200
    ok(
        c.patch(
            f"{API}/users/update-admin", json={"username": "ana", "is_admin": False}, headers=ADMIN
        )
    )
    assert _status(world, ana, "users/list") == 403
    # the password changed: the old one is refused at once, the new one works
    change = {"username": "ana", "password": "ana-pass-2"}
    ok(c.patch(f"{API}/users/update-password", json=change, headers=ADMIN))
    assert _status(world, ana) == 401
    new = basic("ana", "ana-pass-2")
    assert _status(world, new) == 200
    # the user deleted
    ok(c.request("DELETE", f"{API}/users/delete", json={"username": "ana"}, headers=ADMIN))
    assert _status(world, new) == 401


def test_a_cached_token_still_expires(world: World) -> None:
    c = world.client
    made = ok(c.post(f"{API}/users/tokens/create", json={"expires_in_seconds": 1}, headers=ADMIN))
    bearer = {"Authorization": f"Bearer {made['token']}"}
    assert _status(world, bearer) == 200  # cached now, with its expiry
    deadline = made["token_info"]["expiry_time"]
    for _ in range(600):  # bounded wait for the expiry to pass (no timing assertion)
        if time.time() * 1000 > deadline:
            break
        time.sleep(0.05)
    refused = c.get(f"{API}/runs/get", params={"run_id": world.run_id}, headers=bearer)
    assert refused.status_code == 401 and "expired" in refused.json()["message"]


def _servers(tmp_path: Path, db: str) -> tuple[ServerProcess, ServerProcess]:
    env = {"MLFLOW_AUTH_ADMIN_PASSWORD": ADMIN_PASSWORD}
    art = tmp_path / "art"
    art.mkdir()
    first = ServerProcess(db, art, extra_args=("--auth",), env=env)
    second = ServerProcess(db, art, workers=2, extra_args=("--auth",), env=env)
    return first, second


def test_changes_reach_every_server_and_worker_at_once(tmp_path: Path) -> None:
    first, second = _servers(tmp_path, f"sqlite:///{tmp_path / 'shared.db'}")
    admin = ("admin", ADMIN_PASSWORD)
    with first:
        httpx.post(
            f"{first.url}{API}/users/create",
            json={"username": "bo", "password": "bo-password-1"},
            auth=admin,
        ).raise_for_status()
        token = httpx.post(
            f"{first.url}{API}/users/tokens/create", json={}, auth=("bo", "bo-password-1")
        ).json()
        with second:
            bo = basic("bo", "bo-password-1")
            bearer = {"Authorization": f"Bearer {token['token']}"}

            def statuses(url: str, headers: dict[str, str], n: int = 12) -> set[int]:
                # fresh connections, so that both workers of `second` answer some of them
                return {
                    httpx.get(f"{url}{API}/users/current", headers=headers).status_code
                    for _ in range(n)
                }

            for url in (first.url, second.url):  # warm every process
                assert statuses(url, bo) == {200} and statuses(url, bearer) == {200}
            revoke = {"token_id": token["token_info"]["id"]}
            httpx.post(
                f"{first.url}{API}/users/tokens/revoke", json=revoke, auth=("bo", "bo-password-1")
            ).raise_for_status()
            assert statuses(second.url, bearer) == {401}
            assert statuses(first.url, bearer) == {401}
            change = {"username": "bo", "password": "bo-password-2"}
            httpx.patch(
                f"{second.url}{API}/users/update-password", json=change, auth=admin
            ).raise_for_status()
            # fewer tries: 10 failed logins in one process would hit the login rate limit
            assert statuses(first.url, bo, 6) == {401}
            assert statuses(second.url, bo, 6) == {401}
            assert statuses(second.url, basic("bo", "bo-password-2")) == {200}
