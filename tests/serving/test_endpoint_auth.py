"""Serving endpoints accept the tracking server's users (``--auth-db``): personal access tokens
and basic credentials, with CAN_QUERY / CAN_MANAGE on the endpoint; endpoint tokens keep
working."""

from __future__ import annotations

import base64

import httpx
import pytest
from serving_helpers import row_dicts

from modelyard.services.auth import AuthService
from modelyard.serving import endpoints
from modelyard.store.auth import get_auth_store

pytestmark = pytest.mark.timeout(400)
ROWS = row_dicts(5, seed=1)


@pytest.fixture(scope="module")
def users(registry):
    service = AuthService(get_auth_store(registry.uri))
    service.bootstrap("admin", "admin-password")
    alice = service.create_user("alice", "alice-password")
    service.create_user("bob", "bob-password")
    admin = service.get_user("admin")
    service.set_grant(admin, "alice", "endpoint", "scored", "CAN_QUERY", "put")
    return {"service": service, "alice_token": service.create_token(alice, "ci")}


@pytest.fixture(scope="module")
def gateway(start_server, registry, users):
    version = registry.register("scored", stage="Production")
    endpoints.create_endpoint(
        "scored",
        [{"model_name": "scored", "model_version": version, "traffic_percentage": 100}],
        home=registry.home,
    )
    args = ["endpoints", "serve", "--workers", "1", "--auth-db", registry.uri]
    return start_server(args, registry.env, workers=1)


def _basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_users_tokens_on_endpoints(gateway, users, registry):
    secret, token = users["alice_token"]
    url = "/serving-endpoints/scored/invocations"
    body = {"dataframe_records": ROWS}
    with httpx.Client(base_url=gateway.url, timeout=60) as c:
        ok = c.post(url, json=body, headers={"Authorization": f"Bearer {secret}"})
        assert ok.status_code == 200, ok.text
        assert len(ok.json()["predictions"]) == len(ROWS)
        assert ok.headers["x-content-type-options"] == "nosniff"
        assert c.post(url, json=body, headers=_basic("alice", "alice-password")).status_code == 200
        assert c.post(url, json=body, headers=_basic("admin", "admin-password")).status_code == 200
        denied = c.post(url, json=body, headers=_basic("bob", "bob-password"))
        assert denied.status_code == 403 and "CAN_QUERY" in denied.json()["message"]
        wrong = c.post(url, json=body, headers=_basic("bob", "not-bob-password"))
        assert wrong.status_code == 401
        legacy = endpoints.create_token("old style", home=registry.home)["token"]
        assert (
            c.post(url, json=body, headers={"Authorization": f"Bearer {legacy}"}).status_code == 200
        )
        alice = users["service"].get_user("alice")
        users["service"].revoke_token(alice, token.id, actor="alice")
        revoked = c.post(url, json=body, headers={"Authorization": f"Bearer {secret}"})
        assert revoked.status_code == 401  # at once: no cache in front of user tokens
