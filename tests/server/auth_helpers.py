"""Shared setup of the auth tests: a server with auth on, an admin's resources, a user."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

from starlette.testclient import TestClient

from modelyard.server import ServerConfig, create_app

API = "/api/2.0/mlflow"
ADMIN_PASSWORD = "admin-password-1"


def basic(username: str, password: str) -> dict[str, str]:
    raw = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


ADMIN = basic("admin", ADMIN_PASSWORD)
NOBODY = basic("nobody", "nobody-password")


@dataclass
class World:
    client: TestClient
    experiment_id: str
    experiment_name: str
    run_id: str
    model_name: str
    logged_model_id: str
    trace_id: str = ""


def auth_config(tmp_path: Path, default_permission: str = "NO_PERMISSIONS") -> ServerConfig:
    ini = tmp_path / "auth.ini"
    ini.write_text(
        f"[mlflow]\nadmin_password = {ADMIN_PASSWORD}\ndefault_permission = {default_permission}\n"
    )
    dest = tmp_path / "proxied"
    dest.mkdir(exist_ok=True)
    return ServerConfig(
        backend_store_uri=f"sqlite:///{tmp_path / 'server.db'}",
        artifacts_destination=dest.as_uri(),
        allowed_hosts=("testserver",),
        auth=True,
        auth_config=str(ini),
    )


def ok(response) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def build_world(client: TestClient) -> World:
    """Resources of the admin, and a user ``nobody`` without any grant."""
    ok(
        client.post(
            f"{API}/users/create",
            json={"username": "nobody", "password": "nobody-password"},
            headers=ADMIN,
        )
    )
    name = "admin-secret-experiment"
    eid = ok(client.post(f"{API}/experiments/create", json={"name": name}, headers=ADMIN))[
        "experiment_id"
    ]
    run = ok(client.post(f"{API}/runs/create", json={"experiment_id": eid}, headers=ADMIN))["run"]
    run_id = run["info"]["run_id"]
    ok(
        client.post(
            f"{API}/runs/log-metric",
            json={"run_id": run_id, "key": "m", "value": 1.0, "timestamp": 1, "step": 0},
            headers=ADMIN,
        )
    )
    ok(
        client.put(
            f"/api/2.0/mlflow-artifacts/artifacts/{eid}/{run_id}/artifacts/x.txt",
            content=b"secret",
            headers=ADMIN,
        )
    )
    model = "admin-secret-model"
    ok(client.post(f"{API}/registered-models/create", json={"name": model}, headers=ADMIN))
    ok(
        client.post(
            f"{API}/model-versions/create",
            json={"name": model, "source": f"runs:/{run_id}/x.txt", "run_id": run_id},
            headers=ADMIN,
        )
    )
    lm = ok(client.post(f"{API}/logged-models", json={"experiment_id": eid}, headers=ADMIN))
    trace_id = start_trace(client, eid, ADMIN, "tr-admin-secret-trace")
    return World(client, eid, name, run_id, model, lm["model"]["info"]["model_id"], trace_id)


def trace_body(experiment_id: str, trace_id: str) -> dict:
    """A StartTraceV3 body (the shape MLflow 3's client sends)."""
    return {
        "trace": {
            "trace_info": {
                "trace_id": trace_id,
                "trace_location": {
                    "type": "MLFLOW_EXPERIMENT",
                    "mlflow_experiment": {"experiment_id": experiment_id},
                },
                "request_time": "2026-12-02T06:47:30.065Z",
                "execution_duration": "0.25s",
                "state": "OK",
                "tags": {"mlflow.traceName": "predict"},
                "request_preview": "secret-request",
            }
        }
    }


def start_trace(client: TestClient, experiment_id: str, headers: dict, trace_id: str) -> str:
    body = trace_body(experiment_id, trace_id)
    info = ok(client.post("/api/3.0/mlflow/traces", json=body, headers=headers))
    return str(info["trace"]["trace_info"]["trace_id"])


def make_client(config: ServerConfig) -> TestClient:
    return TestClient(create_app(config))
