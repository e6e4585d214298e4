"""The alerts' REST endpoints on the real server app: CRUD, evaluation through a monitor
refresh made by the server, the server's dispatcher delivering to a local receiver, the
scheduled evaluation of an endpoint rule, and the refused table path."""

from __future__ import annotations

import json
import uuid
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

warnings.filterwarnings("ignore", message=".*httpx.*")  # starlette TestClient notice

from starlette.testclient import TestClient  # noqa: E402
from tests.mlops.alerts.conftest import day_frame, wait_for  # noqa: E402

from modelyard.server import ServerConfig, create_app  # noqa: E402

API = "/api/2.0/modelyard/alerts"
MON = "/api/2.0/modelyard/monitors"


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MODELYARD_MONITORS_ROOT", str(tmp_path / "monitors"))
    monkeypatch.setenv("MODELYARD_SERVING_HOME", str(tmp_path / "serving"))
    monkeypatch.setenv("MODELYARD_ALERTS_EVAL_SECONDS", "1")
    monkeypatch.setenv("MODELYARD_ALERTS_POLL_MS", "100")
    monkeypatch.setenv("MODELYARD_JOBS_SCHEDULER", "0")
    dest = tmp_path / "artifacts"
    dest.mkdir()
    config = ServerConfig(
        backend_store_uri=f"sqlite:///{tmp_path / 's.db'}",
        artifacts_destination=dest.as_uri(),
        allowed_hosts=("testserver",),
    )
    with TestClient(create_app(config)) as c:
        yield c, dest


def _ok(response):  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    return response.json()


def test_crud_refresh_through_the_server_and_delivery(server, receiver) -> None:  # type: ignore[no-untyped-def]
    c, dest = server
    folder = dest / "table"
    folder.mkdir()
    day_frame(0).to_parquet(folder / "d0.parquet")
    _ok(
        c.post(
            f"{MON}/create",
            json={
                "name": "churn",
                "table": str(folder),
                "timestamp_col": "ts",
                "prediction_col": "prediction",
                "profile": "inference",
            },
        )
    )
    # a monitor made by REST has no baseline; drift against the previous window
    body = {
        "name": "rest-drift",
        "condition": {
            "type": "drift",
            "monitor": "churn",
            "min_columns": 2,
            "drift_type": "consecutive",
        },
        "actions": [{"type": "webhook", "url": f"{receiver.base}/hook", "secret": "k"}],
        "cooldown_seconds": 0,
    }
    alert = _ok(c.post(f"{API}/create", json=body))["alert"]
    assert alert["state"] == "OK" and alert["actions"] == [
        {"type": "webhook", "url": f"{receiver.base}/hook"}
    ]
    assert _ok(c.get(f"{API}/get", params={"alert": alert["alert_id"]}))["alert"]["name"] == (
        "rest-drift"
    )
    assert [
        a["name"] for a in _ok(c.get(f"{API}/list", params={"monitor": "churn"}))["alerts"]
    ] == ["rest-drift"]
    assert _ok(c.get(f"{API}/list", params={"monitor": "other"}))["alerts"] == []

    day_frame(1, shift=1.5).to_parquet(folder / "d1.parquet")
    _ok(c.post(f"{MON}/refresh", json={"name": "churn"}))  # the server evaluates its rules
    assert _ok(c.get(f"{API}/get", params={"alert": "rest-drift"}))["alert"]["state"] == "TRIGGERED"
    wait_for(lambda: receiver.bodies("/hook"), "the server's dispatcher to deliver")
    wait_for(
        lambda: (
            _ok(c.get(f"{API}/notifications", params={"alert": "rest-drift"}))["notifications"][0][
                "status"
            ]
            == "DELIVERED"
        ),
        "the delivery to be recorded",
    )
    notes = _ok(c.get(f"{API}/notifications", params={"alert": "rest-drift"}))["notifications"]
    assert [n["kind"] for n in notes] == ["webhook"]
    assert "secret" not in json.dumps(notes)
    events = _ok(c.get(f"{API}/history", params={"alert": "rest-drift"}))["events"]
    assert [(e["from_state"], e["to_state"]) for e in events] == [("OK", "TRIGGERED")]
    assert (
        _ok(c.post(f"{API}/evaluate", json={"alert": "rest-drift"}))["evaluations"][0][
            "windows_judged"
        ]
        == 0
    )

    updated = _ok(c.post(f"{API}/update", json={"alert": "rest-drift", "enabled": False}))
    assert updated["alert"]["enabled"] is False
    r = c.post(f"{API}/update", json={"alert": "rest-drift", "state": "OK"})
    assert r.status_code == 400 and "state" in r.json()["message"]
    _ok(c.post(f"{API}/delete", json={"alert": "rest-drift"}))
    r = c.get(f"{API}/get", params={"alert": "rest-drift"})
    assert r.status_code == 404 and r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_bad_requests(server) -> None:  # type: ignore[no-untyped-def]
    c, _dest = server
    r = c.post(f"{API}/create", json={"name": "x"})
    assert r.status_code == 400 and "'condition'" in r.json()["message"]
    r = c.post(
        f"{API}/create",
        json={
            "name": "x",
            "condition": {
                "type": "endpoint",
                "table": "/etc",
                "metric": "error_rate",
                "threshold": 0.1,
            },
        },
    )
    assert r.status_code == 403 and r.json()["error_code"] == "PERMISSION_DENIED"
    r = c.post(f"{API}/create", json={"name": "x", "condition": {"type": "drift", "monitor": "m"}})
    assert r.status_code == 404 and "condition.monitor" in r.json()["message"]
    folder = _dest / "t"
    folder.mkdir()
    day_frame(0).to_parquet(folder / "d0.parquet")
    _ok(
        c.post(
            f"{MON}/create",
            json={
                "name": "nobase",
                "table": str(folder),
                "timestamp_col": "ts",
                "prediction_col": "prediction",
            },
        )
    )
    r = c.post(
        f"{API}/create", json={"name": "x", "condition": {"type": "drift", "monitor": "nobase"}}
    )
    assert r.status_code == 400 and "has no baseline" in r.json()["message"]
    r = c.post(
        f"{API}/create",
        json={
            "name": "x",
            "condition": {
                "type": "drift",
                "monitor": "nobase",
                "drift_type": "consecutive",
                "granularity": "1 hour",
            },
        },
    )
    assert r.status_code == 400 and "'condition.granularity' '1 hour'" in r.json()["message"]
    r = c.get(f"{API}/notifications", params={"status": "LOST"})
    assert r.status_code == 400 and "status" in r.json()["message"]
    assert "Traceback" not in r.text


def test_scheduled_evaluation_of_an_endpoint_rule(server, receiver, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import pyarrow as pa
    from deltalake import write_deltalake

    c, _ = server
    _ok(
        c.post(
            f"{API}/create",
            json={
                "name": "slow-endpoint",
                "condition": {
                    "type": "endpoint",
                    "endpoint": "churn",
                    "metric": "p99_latency_ms",
                    "threshold": 100,
                },
                "actions": [{"type": "slack", "url": f"{receiver.base}/slack"}],
            },
        )
    )
    n = 100
    start = pd.Timestamp("2026-11-02T10:00:00", tz="UTC")
    frame = pd.DataFrame(
        {
            "request_id": [uuid.uuid4().hex for _ in range(n)],
            "timestamp": start + pd.to_timedelta(np.arange(n) * 1000, "ms"),
            "endpoint": "churn",
            "served_model": "churn-1",
            "model_name": "churn",
            "model_version": "1",
            "status_code": np.full(n, 200, dtype="int32"),
            "latency_ms": np.linspace(10, 500, n),
            "request": "{}",
            "response": "{}",
        }
    )
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.cast(table.schema.set(1, pa.field("timestamp", pa.timestamp("us", tz="UTC"))))
    write_deltalake(str(tmp_path / "serving" / "inference" / "churn"), table, mode="append")
    # no call: the server's evaluator thread finds the window and its dispatcher sends
    wait_for(lambda: receiver.bodies("/slack"), "the scheduled evaluation and delivery")
    [msg] = receiver.bodies("/slack")
    assert "slow-endpoint" in msg["text"] and "p99_latency_ms > 100" in msg["text"]
