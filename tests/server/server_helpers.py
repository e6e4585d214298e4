"""Request helpers shared by the server tests."""

from __future__ import annotations

from starlette.testclient import TestClient

API = "/api/2.0/mlflow"


def post(client: TestClient, path: str, body: dict | None = None, status: int = 200) -> dict:
    r = client.post(API + path, json=body or {})
    assert r.status_code == status, r.text
    return r.json()


def get(
    client: TestClient, path: str, params: dict | list | None = None, status: int = 200
) -> dict:
    r = client.get(API + path, params=params)
    assert r.status_code == status, r.text
    return r.json()


def new_experiment(client: TestClient, name: str = "exp") -> str:
    return post(client, "/experiments/create", {"name": name})["experiment_id"]


def new_run(client: TestClient, experiment_id: str, **fields: object) -> dict:
    return post(client, "/runs/create", {"experiment_id": experiment_id, **fields})["run"]
