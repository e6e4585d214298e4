"""Webhooks against a real ``modelyard server`` process and a real receiver process.

The server runs with MLflow's development switches (``MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS=true``,
``MLFLOW_WEBHOOK_ALLOWED_SCHEMES=http,https``) so that it may call the receiver on 127.0.0.1;
retries use a 100 ms first backoff.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from webhook_helpers import Receiver, wait_for

from modelyard.testing.server_process import ServerProcess

API = "/api/2.0/mlflow"
ENV = {
    "MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS": "true",
    "MLFLOW_WEBHOOK_ALLOWED_SCHEMES": "http,https",
    "MODELYARD_WEBHOOK_BACKOFF_MS": "100",
    "MODELYARD_WEBHOOK_POLL_MS": "100",
    "MLFLOW_WEBHOOK_REQUEST_TIMEOUT": "2",
    "MODELYARD_JOBS_SCHEDULER": "0",
}
ALL_EVENTS = [
    {"entity": "REGISTERED_MODEL", "action": "CREATED"},
    {"entity": "MODEL_VERSION", "action": "CREATED"},
    {"entity": "MODEL_VERSION_TAG", "action": "SET"},
    {"entity": "MODEL_VERSION_TAG", "action": "DELETED"},
    {"entity": "MODEL_VERSION_ALIAS", "action": "CREATED"},
    {"entity": "MODEL_VERSION_ALIAS", "action": "DELETED"},
]


def _server(base: Path) -> ServerProcess:
    (base / "artifacts").mkdir(exist_ok=True)
    return ServerProcess(
        f"sqlite:///{base / 'store.db'}", base / "artifacts", log_path=base / "server.log"
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with pytest.MonkeyPatch.context() as mp:
        for k, v in ENV.items():
            mp.setenv(k, v)
        with _server(tmp_path_factory.mktemp("webhooks-server")) as proc:
            yield proc


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[Receiver]:
    r = Receiver(tmp_path)
    yield r
    r.stop()


def call(server: ServerProcess, method: str, path: str, **kw) -> httpx.Response:
    return httpx.request(method, f"{server.url}{API}{path}", timeout=30, **kw)


def ok(response: httpx.Response) -> dict:
    assert response.status_code == 200, response.text
    return response.json()


def hook(server: ServerProcess, url: str, name: str, **extra) -> dict:
    body = {"name": name, "url": url, "events": ALL_EVENTS, **extra}
    return ok(call(server, "POST", "/webhooks", json=body))["webhook"]


def deliveries(server: ServerProcess, webhook_id: str) -> list[dict]:
    return ok(call(server, "GET", f"/webhooks/{webhook_id}/deliveries"))["deliveries"]


def at_least(items: list, n: int) -> list | None:
    return items if len(items) >= n else None


def all_delivered(items: list[dict], n: int) -> list[dict] | None:
    done = len(items) == n and all(x["status"] == "DELIVERED" for x in items)
    return items if done else None


def test_crud_secret_is_write_only(server: ServerProcess, receiver: Receiver) -> None:
    created = hook(server, receiver.url, "crud-hook", secret="top-secret", description="d")
    assert "secret" not in created
    assert created["status"] == "ACTIVE" and created["events"] == ALL_EVENTS
    wid = created["webhook_id"]
    got = ok(call(server, "GET", f"/webhooks/{wid}"))["webhook"]
    assert got == created
    listed = ok(call(server, "GET", "/webhooks", params={"max_results": 1000}))["webhooks"]
    assert wid in [w["webhook_id"] for w in listed]
    assert all("secret" not in w for w in listed)
    up = ok(
        call(
            server,
            "PATCH",
            f"/webhooks/{wid}",
            json={
                "status": "DISABLED",
                "description": "new",
                "extra_events": ["model_version_stage.transitioned"],
            },
        )
    )["webhook"]
    assert (up["status"], up["description"]) == ("DISABLED", "new")
    assert up["extra_events"] == ["model_version_stage.transitioned"]
    assert "secret" not in up
    ok(call(server, "DELETE", f"/webhooks/{wid}"))
    gone = call(server, "GET", f"/webhooks/{wid}")
    assert gone.status_code == 404
    assert gone.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "http://127.0.0.1:1/x", "events": ALL_EVENTS}, "name"),
        ({"name": "-bad-", "url": "http://127.0.0.1:1/x", "events": ALL_EVENTS}, "name"),
        ({"name": "h", "url": "ftp://127.0.0.1/x", "events": ALL_EVENTS}, "scheme"),
        ({"name": "h", "url": "http://127.0.0.1:1/x", "events": []}, "events"),
        (
            {
                "name": "h",
                "url": "http://127.0.0.1:1/x",
                "events": [{"entity": "MODEL_VERSION", "action": "EXPLODED"}],
            },
            "model_version.exploded",
        ),
        (
            {"name": "h", "url": "http://127.0.0.1:1/x", "events": ALL_EVENTS, "status": "ON"},
            "status",
        ),
    ],
)
def test_bad_input_names_the_field(server: ServerProcess, body: dict, field: str) -> None:
    response = call(server, "POST", "/webhooks", json=body)
    assert response.status_code == 400, response.text
    payload = response.json()
    assert payload["error_code"] == "INVALID_PARAMETER_VALUE"
    assert field in payload["message"]
    assert "Traceback" not in response.text


def test_registry_events_are_delivered_signed(server: ServerProcess, receiver: Receiver) -> None:
    secret = "s3cr3t-key"
    created = hook(
        server,
        receiver.url,
        "events-hook",
        secret=secret,
        extra_events=["model_version_stage.transitioned"],
    )
    name = "wh-model"
    ok(
        call(
            server,
            "POST",
            "/registered-models/create",
            json={"name": name, "tags": [{"key": "team", "value": "ml"}]},
        )
    )
    ok(
        call(
            server,
            "POST",
            "/model-versions/create",
            json={"name": name, "source": "runs:/abc123/model", "run_id": "abc123"},
        )
    )
    ok(
        call(
            server,
            "POST",
            "/model-versions/set-tag",
            json={"name": name, "version": "1", "key": "k", "value": "v"},
        )
    )
    ok(
        call(
            server,
            "DELETE",
            "/model-versions/delete-tag",
            json={"name": name, "version": "1", "key": "k"},
        )
    )
    ok(
        call(
            server,
            "POST",
            "/registered-models/alias",
            json={"name": name, "alias": "champion", "version": "1"},
        )
    )
    ok(call(server, "DELETE", "/registered-models/alias", json={"name": name, "alias": "champion"}))
    ok(
        call(
            server,
            "POST",
            "/model-versions/transition-stage",
            json={
                "name": name,
                "version": "1",
                "stage": "Staging",
                "archive_existing_versions": False,
            },
        )
    )
    records = wait_for(lambda: at_least(receiver.records(), 7))
    assert len(records) == 7
    bodies = [json.loads(r["body"]) for r in records]
    assert [f"{b['entity']}.{b['action']}" for b in bodies] == [
        "registered_model.created",
        "model_version.created",
        "model_version_tag.set",
        "model_version_tag.deleted",
        "model_version_alias.created",
        "model_version_alias.deleted",
        "model_version_stage.transitioned",
    ]
    assert bodies[0]["data"] == {"name": name, "tags": {"team": "ml"}, "description": None}
    assert bodies[1]["data"]["version"] == "1" and bodies[1]["data"]["run_id"] == "abc123"
    assert bodies[2]["data"] == {"name": name, "version": "1", "key": "k", "value": "v"}
    assert bodies[4]["data"] == {"name": name, "alias": "champion", "version": "1"}
    assert bodies[5]["data"] == {"name": name, "alias": "champion"}
    assert bodies[6]["data"]["from_stage"] == "None"
    assert bodies[6]["data"]["to_stage"] == "Staging"
    for record in records:
        h = {k.lower(): v for k, v in record["headers"].items()}
        content = f"{h['x-mlflow-delivery-id']}.{h['x-mlflow-timestamp']}.{record['body']}"
        digest = hmac.new(secret.encode(), content.encode(), hashlib.sha256).digest()
        assert h["x-mlflow-signature"] == "v1," + base64.b64encode(digest).decode()
        assert h["content-type"] == "application/json"
    history = wait_for(lambda: all_delivered(deliveries(server, created["webhook_id"]), 7))
    assert {d["response_status"] for d in history} == {200}
    assert {d["delivery_id"] for d in history} == {
        r["headers"]["X-MLflow-Delivery-Id"] for r in records
    }


def test_500_then_200_is_retried(server: ServerProcess, tmp_path: Path) -> None:
    flaky = Receiver(tmp_path, "--fail-first", "1")
    try:
        created = hook(server, flaky.url, "retry-hook")
        ok(call(server, "POST", "/registered-models/create", json={"name": "wh-retry"}))
        done = wait_for(
            lambda: [
                d for d in deliveries(server, created["webhook_id"]) if d["status"] == "DELIVERED"
            ]
        )
        assert done[0]["attempts"] == 2 and done[0]["response_status"] == 200
        records = flaky.records()
        assert [r["status"] for r in records] == [500, 200]
        ids = {r["headers"]["X-MLflow-Delivery-Id"] for r in records}
        assert ids == {done[0]["delivery_id"]}  # the same id on every attempt
    finally:
        flaky.stop()


def test_always_500_fails_after_retries(server: ServerProcess, tmp_path: Path) -> None:
    broken = Receiver(tmp_path, "--fail-first", "1000")
    try:
        created = hook(server, broken.url, "fail-hook")
        ok(call(server, "POST", "/registered-models/create", json={"name": "wh-fail"}))
        failed = wait_for(
            lambda: [
                d for d in deliveries(server, created["webhook_id"]) if d["status"] == "FAILED"
            ]
        )
        assert failed[0]["attempts"] == 4  # one try and MLflow's default 3 retries
        assert failed[0]["response_status"] == 500
        assert "HTTP 500" in failed[0]["error"]
        assert len(broken.records()) == 4
    finally:
        broken.stop()


def test_test_endpoint_sends_example(server: ServerProcess, receiver: Receiver) -> None:
    created = hook(server, receiver.url, "test-hook", secret="x")
    result = ok(
        call(
            server,
            "POST",
            f"/webhooks/{created['webhook_id']}/test",
            json={"event": {"entity": "MODEL_VERSION_TAG", "action": "SET"}},
        )
    )["result"]
    assert result == {"success": True, "response_status": 200, "response_body": "ok"}
    [record] = receiver.records()
    body = json.loads(record["body"])
    assert (body["entity"], body["action"]) == ("model_version_tag", "set")
    assert body["data"]["key"] == "example_key"
