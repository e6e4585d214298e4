"""The MLflow web UI's ajax routes: search-datasets, upload-artifact, create-promptlab-run."""

from __future__ import annotations

import json

from server_helpers import get, new_experiment, new_run, post

AJAX = "/ajax-api/2.0/mlflow"


def _error(r, status: int = 400) -> str:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"
    return body["message"]


def test_search_datasets(client):
    assert "at least one experiment_id" in _error(
        client.post(f"{AJAX}/experiments/search-datasets", json={})
    )
    too_many = client.post(
        f"{AJAX}/experiments/search-datasets", json={"experiment_ids": [str(i) for i in range(21)]}
    )
    assert "cannot specify more than 20" in _error(too_many)
    exp_id = new_experiment(client, "with-data")
    run_id = new_run(client, exp_id)["info"]["run_id"]
    post(
        client,
        "/runs/log-inputs",
        {
            "run_id": run_id,
            "datasets": [
                {
                    "dataset": {"name": "n1", "digest": "d1", "source_type": "t", "source": "s"},
                    "tags": [{"key": "mlflow.data.context", "value": "training"}],
                }
            ],
        },
    )
    r = client.post(f"{AJAX}/experiments/search-datasets", json={"experiment_ids": [exp_id]})
    assert r.status_code == 200
    assert r.json() == {
        "dataset_summaries": [
            {"experiment_id": exp_id, "name": "n1", "digest": "d1", "context": "training"}
        ]
    }


def test_upload_artifact_checks_then_stores_the_file(client):
    run_id = new_run(client, new_experiment(client, "uploads"))["info"]["run_id"]
    url = f"{AJAX}/upload-artifact"
    assert "run_uuid" in _error(client.post(url, params={}))
    assert "path" in _error(client.post(url, params={"run_uuid": run_id}))
    assert "path" in _error(client.post(url, params={"run_uuid": run_id, "path": ""}))
    assert "Invalid path" in _error(
        client.post(url, params={"run_uuid": run_id, "path": "../x.txt"}, content=b"x")
    )
    assert "Invalid path" in _error(
        client.post(url, params={"run_uuid": run_id, "path": "a/%2e%2e/%2e%2e/x"}, content=b"x")
    )
    assert "data" in _error(client.post(url, params={"run_uuid": run_id, "path": "t.txt"}))
    r = client.post(url, params={"run_uuid": run_id, "path": "t.txt"}, content=b"hello world")
    assert r.status_code == 200, r.text
    r = client.get("/get-artifact", params={"run_uuid": run_id, "path": "t.txt"})
    assert r.status_code == 200
    assert r.text == "hello world"
    listed = get(client, "/artifacts/list", {"run_id": run_id})["files"]
    assert [f["path"] for f in listed] == ["t.txt"]


def test_upload_artifact_size_limit(tmp_path):
    from starlette.testclient import TestClient

    from modelyard.server import ServerConfig, create_app

    config = ServerConfig(
        backend_store_uri=f"sqlite:///{tmp_path / 's.db'}",
        artifacts_destination=(tmp_path / "a").as_uri(),
        allowed_hosts=("testserver",),
        max_artifact_bytes=10,
    )
    with TestClient(create_app(config)) as client:
        run_id = new_run(client, new_experiment(client))["info"]["run_id"]
        r = client.post(
            f"{AJAX}/upload-artifact",
            params={"run_uuid": run_id, "path": "big.bin"},
            content=b"x" * 11,
        )
        assert r.status_code == 413
        assert r.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"
        assert get(client, "/artifacts/list", {"run_id": run_id}).get("files", []) == []


def test_create_promptlab_run(client):
    url = f"{AJAX}/runs/create-promptlab-run"
    body: dict = {}
    for field, value in [
        ("experiment_id", "0"),
        ("prompt_template", "Hello {{name}}"),
        ("prompt_parameters", [{"key": "name", "value": "Ada"}]),
        ("model_route", "chat"),
        ("model_input", "Hello Ada"),
        ("mlflow_version", "3.17.2"),
    ]:
        assert f"must specify {field}." in _error(client.post(url, json=body))
        body[field] = value
    exp_id = new_experiment(client, "prompts")
    body.update(
        experiment_id=exp_id,
        run_name="p1",
        model_parameters=[{"key": "temperature", "value": "0.1"}],
        model_output="Hi!",
        model_output_parameters=[{"key": "latency", "value": "100"}],
        user_id="ada",
        start_time=456,
    )
    r = client.post(url, json=body)
    assert r.status_code == 200, r.text
    run = r.json()["run"]
    assert run["info"]["run_name"] == "p1"
    assert run["info"]["status"] == "FINISHED"
    assert run["info"]["user_id"] == "ada"
    assert run["info"]["start_time"] == 456
    params = {p["key"]: p["value"] for p in run["data"]["params"]}
    assert params == {
        "model_route": "chat",
        "prompt_template": "Hello {{name}}",
        "temperature": "0.1",
    }
    tags = {t["key"]: t["value"] for t in run["data"]["tags"]}
    assert tags["mlflow.runSourceType"] == "PROMPT_ENGINEERING"
    assert json.loads(tags["mlflow.loggedArtifacts"]) == [
        {"path": "eval_results_table.json", "type": "table"}
    ]
    table = client.get(
        "/get-artifact", params={"run_id": run["info"]["run_id"], "path": "eval_results_table.json"}
    ).json()
    assert table == {
        "columns": ["name", "prompt", "output", "latency"],
        "data": [["Ada", "Hello Ada", "Hi!", "100"]],
    }
