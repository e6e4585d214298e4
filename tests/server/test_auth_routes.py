"""Every registered route refuses an anonymous caller and a caller without permission.

The routes come from the dispatcher itself (``Dispatcher.routes()``), so a route added later is
tested here without anyone listing it: it must either be in the public allow-list, be one of the
routes open to every signed-in user (whose answers must not show the admin's resources), or be
refused (401 anonymous, 403 for a user without a grant).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

warnings.filterwarnings("ignore", message=".*httpx.*")

from auth_helpers import (  # noqa: E402
    ADMIN,
    NOBODY,
    World,
    auth_config,
    build_world,
    make_client,
    trace_body,
)

from modelyard.server.auth.rules import RULES, rule_key  # noqa: E402

PUBLIC = {
    ("GET", "/health"),
    ("GET", "/version"),
    ("GET", "/3.0/mlflow/server-info"),
    ("GET", "/"),
    ("GET", "/static-files/{path:path}"),
    ("POST", "/auth/login"),
    ("POST", "/auth/logout"),
    ("GET", "/auth/session"),
    ("GET", "/favicon.ico"),
}
M = "/2.0/mlflow"
#: Open to every signed-in user: creating one's own resources, searches (filtered), oneself.
SIGNED_IN = {
    ("POST", "/v1/traces"),  # answers 501 NOT_IMPLEMENTED to everyone (on main)
    ("GET", f"{M}/gateway-proxy"),  # the operator's deployments target, or an empty gateway
    ("POST", f"{M}/gateway-proxy"),
    ("POST", f"{M}/experiments/create"),
    ("POST", f"{M}/registered-models/create"),
    ("GET", f"{M}/experiments/search"),
    ("POST", f"{M}/experiments/search"),
    ("GET", f"{M}/runs/search"),
    ("POST", f"{M}/runs/search"),
    ("POST", f"{M}/logged-models/search"),
    ("GET", f"{M}/registered-models/search"),
    ("GET", f"{M}/model-versions/search"),
    ("GET", f"{M}/users/current"),
    ("GET", "/3.0/mlflow/users/current/permissions"),
    ("POST", f"{M}/users/tokens/create"),
    ("GET", f"{M}/users/tokens/list"),
    ("POST", f"{M}/users/tokens/revoke"),
}
#: Creating answers "already exists" for a taken name, as MLflow does.
MAY_NAME_EXISTING = {("POST", f"{M}/experiments/create"), ("POST", f"{M}/registered-models/create")}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    config = auth_config(Path(tmp_path_factory.mktemp("auth-routes")))
    with make_client(config) as client:
        yield build_world(client)


def _routes(world: World) -> list[tuple[str, str]]:
    return world.client.app.state.dispatcher.routes()  # type: ignore[attr-defined, no-any-return]


def _request(world: World, method: str, template: str, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    e, r, lm, t = world.experiment_id, world.run_id, world.logged_model_id, world.trace_id
    path = (
        template.replace("{path:path}", f"{e}/{r}/artifacts/x.txt")
        .replace("{model_id}", lm)
        .replace("{tag_key:path}", "k")
        .replace("{trace_id}", t)
    )
    fields = {
        "experiment_id": e,
        "experiment_name": world.experiment_name,
        "run_id": r,
        "run_uuid": r,
        "name": world.model_name,
        "new_name": "stolen",
        "version": "1",
        "path": f"{e}/{r}/artifacts",
        "key": "k",
        "value": "v",
        "metric_key": "m",
        "username": "admin",
        "password": "whatever-password",
        "resource_type": "experiment",
        "resource_id": e,
        "permission": "MANAGE",
        "alias": "a",
        "job_id": "1",
        "token_id": "999",
        "is_admin": "true",
        "trace_id": t,
        "request_id": t,
    }
    query = {**fields, "experiment_ids": e, "run_ids": r, "trace_ids": t}
    body = {
        **fields,
        "experiment_ids": [e],
        "run_ids": [r],
        "trace_ids": [t],
        "request_ids": [t],
        "locations": [{"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": e}}],
        **trace_body(e, "tr-stolen"),
    }
    if method in ("GET", "HEAD"):
        return world.client.request(method, path, params=query, headers=headers)
    return world.client.request(method, path, params=query, json=body, headers=headers)


def test_every_route_has_a_rule(world: World) -> None:
    missing = [(m, t) for m, t in _routes(world) if rule_key(m, t) not in RULES]
    assert missing == []
    public = {rule_key(m, t) for m, t in _routes(world) if RULES[rule_key(m, t)].access == "public"}
    assert public <= PUBLIC
    assert {k for k, rule in RULES.items() if rule.access == "public"} == PUBLIC


def test_every_route_refuses_an_anonymous_caller(world: World) -> None:
    checked = 0
    for method, template in _routes(world):
        if rule_key(method, template) in PUBLIC:
            continue
        response = _request(world, method, template, {})
        assert response.status_code == 401, (method, template, response.text)
        assert response.headers["www-authenticate"] == 'Basic realm="mlflow"'
        assert world.experiment_name not in response.text
        checked += 1
    assert checked > 150  # REST and ajax twins of every area


def test_every_route_refuses_a_caller_without_permission(world: World) -> None:
    secrets_ = (
        world.experiment_name,
        world.model_name,
        world.run_id,
        world.logged_model_id,
        world.trace_id,
    )
    # creations last: nobody's own new experiment may carry the model's name
    routes = sorted(_routes(world), key=lambda r: rule_key(*r) in MAY_NAME_EXISTING)
    for method, template in routes:
        key = rule_key(method, template)
        if key in PUBLIC:
            continue
        response = _request(world, method, template, NOBODY)
        if key in SIGNED_IN:
            assert response.status_code != 401, (method, template)
            if key not in MAY_NAME_EXISTING:
                assert not any(s in response.text for s in secrets_), (method, template)
            continue
        assert response.status_code == 403, (method, template, response.status_code, response.text)
        if method != "HEAD":
            assert response.json()["error_code"] == "PERMISSION_DENIED"


@pytest.mark.parametrize(
    "path",
    [
        "//api/2.0/mlflow/experiments/get",
        "/API/2.0/mlflow/experiments/get",
        "/api/2.0/mlflow/experiments/get/",
        "/api/2.0/mlflow/runs/../experiments/get",
        "/api/2.0/mlflow/experiments%2Fget",
        "/api/2.0/mlflow/./experiments/get",
        "/ajax-api//2.0/mlflow/experiments/get",
    ],
)
def test_path_tricks_never_reach_a_handler_unchecked(world: World, path: str) -> None:
    params = {"experiment_id": world.experiment_id}
    anonymous = world.client.get(path, params=params)
    assert anonymous.status_code == 401
    denied = world.client.get(path, params=params, headers=NOBODY)
    assert denied.status_code in (403, 404)
    assert world.experiment_name not in denied.text


def test_forwarded_headers_grant_nothing(world: World) -> None:
    headers = {
        "X-Forwarded-For": "127.0.0.1",
        "X-Real-IP": "127.0.0.1",
        "X-Forwarded-User": "admin",
        "X-Remote-User": "admin",
    }
    params = {"experiment_id": world.experiment_id}
    assert (
        world.client.get(f"/api{M}/experiments/get", params=params, headers=headers).status_code
        == 401
    )
    r = world.client.get(f"/api{M}/experiments/get", params=params, headers={**headers, **NOBODY})
    assert r.status_code == 403


# last: the admin's calls change the world (deletions)
def test_the_admin_passes_every_check(world: World) -> None:
    for method, template in _routes(world):
        if rule_key(method, template) == ("POST", "/auth/login"):
            continue  # the sample password is wrong on purpose
        response = _request(world, method, template, ADMIN)
        assert response.status_code not in (401, 403), (method, template, response.text)
