"""Run RPCs: lifecycle, logging, search, history, NaN/Inf round trip, errors."""

from __future__ import annotations

import math

from server_helpers import API, get, new_experiment, new_run, post


def test_create_run_shape(client):
    exp_id = new_experiment(client)
    run = new_run(client, exp_id, start_time=1700000000000, user_id="ann")
    info = run["info"]
    assert len(info["run_id"]) == 32
    assert info["run_uuid"] == info["run_id"]
    assert info["status"] == "RUNNING"
    assert info["start_time"] == 1700000000000
    assert "end_time" not in info
    assert info["artifact_uri"] == f"mlflow-artifacts:/{exp_id}/{info['run_id']}/artifacts"
    assert info["lifecycle_stage"] == "active"
    tags = {t["key"]: t["value"] for t in run["data"]["tags"]}
    assert tags["mlflow.runName"] == info["run_name"]
    assert "metrics" not in run["data"]


def test_log_and_get(client):
    exp_id = new_experiment(client)
    run_id = new_run(client, exp_id, run_name="r")["info"]["run_id"]
    both = {"run_id": run_id, "run_uuid": run_id}
    post(client, "/runs/log-parameter", {**both, "key": "lr", "value": "0.1"})
    post(
        client, "/runs/log-metric", {**both, "key": "acc", "value": 0.5, "timestamp": 10, "step": 1}
    )
    post(
        client,
        "/runs/log-metric",
        {"run_uuid": run_id, "key": "acc", "value": 0.9, "timestamp": 11, "step": 2},
    )
    post(client, "/runs/set-tag", {**both, "key": "team", "value": "a"})
    post(
        client,
        "/runs/log-batch",
        {
            "run_id": run_id,
            "metrics": [{"key": "loss", "value": 1.5, "timestamp": 5, "step": 0}],
            "params": [{"key": "depth", "value": "3"}],
            "tags": [{"key": "t2", "value": "x"}],
        },
    )
    run = get(client, "/runs/get", {"run_id": run_id, "run_uuid": run_id})["run"]
    metrics = {m["key"]: m for m in run["data"]["metrics"]}
    assert metrics["acc"] == {"key": "acc", "value": 0.9, "timestamp": 11, "step": 2}
    assert metrics["loss"]["value"] == 1.5
    params = {p["key"]: p["value"] for p in run["data"]["params"]}
    assert params == {"lr": "0.1", "depth": "3"}
    tags = {t["key"]: t["value"] for t in run["data"]["tags"]}
    assert tags["team"] == "a"
    assert tags["t2"] == "x"
    post(client, "/runs/delete-tag", {"run_id": run_id, "key": "team"})
    run = get(client, "/runs/get", {"run_id": run_id})["run"]
    assert "team" not in {t["key"] for t in run["data"]["tags"]}
    hist = get(
        client,
        "/metrics/get-history",
        {"run_id": run_id, "metric_key": "acc", "max_results": 25000},
    )
    assert [(m["step"], m["value"]) for m in hist["metrics"]] == [(1, 0.5), (2, 0.9)]
    assert get(client, "/metrics/get-history", {"run_id": run_id, "metric_key": "none"}) == {}


def test_param_immutability_and_bad_metric(client):
    exp_id = new_experiment(client)
    run_id = new_run(client, exp_id)["info"]["run_id"]
    post(client, "/runs/log-parameter", {"run_id": run_id, "key": "p", "value": "1"})
    post(client, "/runs/log-parameter", {"run_id": run_id, "key": "p", "value": "1"})
    body = post(
        client, "/runs/log-parameter", {"run_id": run_id, "key": "p", "value": "2"}, status=400
    )
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"
    body = post(
        client,
        "/runs/log-metric",
        {"run_id": run_id, "key": "m", "value": "abc", "timestamp": 1},
        status=400,
    )
    assert body["message"].startswith("Invalid value \"abc\" for parameter 'value'")
    body = post(
        client, "/runs/log-metric", {"run_id": run_id, "key": "m", "value": 1.0}, status=400
    )
    assert "Missing value for required parameter 'timestamp'" in body["message"]


def test_nan_and_infinity_round_trip(client):
    exp_id = new_experiment(client)
    run_id = new_run(client, exp_id)["info"]["run_id"]
    post(
        client,
        "/runs/log-batch",
        {
            "run_id": run_id,
            "metrics": [
                {"key": "n", "value": "NaN", "timestamp": 1, "step": 0},
                {"key": "pinf", "value": "Infinity", "timestamp": 1, "step": 0},
                {"key": "ninf", "value": "-Infinity", "timestamp": 1, "step": 0},
            ],
        },
    )
    raw = client.get(f"{API}/runs/get", params={"run_id": run_id}).text
    assert '"value":"NaN"' in raw
    assert '"value":"Infinity"' in raw
    assert '"value":"-Infinity"' in raw
    hist = get(client, "/metrics/get-history", {"run_id": run_id, "metric_key": "pinf"})
    assert hist["metrics"][0]["value"] == "Infinity"
    assert math.isinf(float(hist["metrics"][0]["value"]))


def test_unknown_run_is_404(client):
    body = get(client, "/runs/get", {"run_id": "0" * 32}, status=404)
    assert body["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    body = post(client, "/runs/delete", {"run_id": "f" * 32}, status=404)
    assert body["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    body = get(client, "/runs/get", status=400)
    assert "Missing value for required parameter 'run_id'" in body["message"]


def test_update_delete_restore(client):
    exp_id = new_experiment(client)
    run_id = new_run(client, exp_id)["info"]["run_id"]
    info = post(client, "/runs/update", {"run_id": run_id, "status": "FINISHED", "end_time": 99})[
        "run_info"
    ]
    assert info["status"] == "FINISHED"
    assert info["end_time"] == 99
    info = post(client, "/runs/update", {"run_id": run_id, "status": 4})["run_info"]
    assert info["status"] == "FAILED"
    post(client, "/runs/delete", {"run_id": run_id})
    assert (
        get(client, "/runs/get", {"run_id": run_id})["run"]["info"]["lifecycle_stage"] == "deleted"
    )
    body = post(
        client,
        "/runs/log-metric",
        {"run_id": run_id, "key": "m", "value": 1, "timestamp": 1},
        status=400,
    )
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"
    post(client, "/runs/restore", {"run_id": run_id})
    assert (
        get(client, "/runs/get", {"run_id": run_id})["run"]["info"]["lifecycle_stage"] == "active"
    )


def test_search_runs(client):
    exp_id = new_experiment(client)
    ids = []
    for i in range(3):
        run_id = new_run(client, exp_id, run_name=f"r{i}", start_time=1000 + i)["info"]["run_id"]
        post(
            client,
            "/runs/log-metric",
            {"run_id": run_id, "key": "acc", "value": i / 10, "timestamp": 1},
        )
        ids.append(run_id)
    res = post(
        client,
        "/runs/search",
        {
            "experiment_ids": [exp_id],
            "filter": "metrics.acc > 0.05",
            "order_by": ["metrics.acc DESC"],
        },
    )
    assert [r["info"]["run_id"] for r in res["runs"]] == [ids[2], ids[1]]
    page = post(client, "/runs/search", {"experiment_ids": [exp_id], "max_results": 2})
    assert len(page["runs"]) == 2
    rest = post(
        client,
        "/runs/search",
        {"experiment_ids": [exp_id], "max_results": 2, "page_token": page["next_page_token"]},
    )
    assert len(rest["runs"]) == 1
    assert "next_page_token" not in rest
    assert (
        post(client, "/runs/search", {"experiment_ids": [exp_id], "run_view_type": "DELETED_ONLY"})
        == {}
    )
    body = post(
        client,
        "/runs/search",
        {"experiment_ids": [exp_id], "filter": "metrics.acc = 'x'"},
        status=400,
    )
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"
    body = post(
        client, "/runs/search", {"experiment_ids": [exp_id], "page_token": "@@bad@@"}, status=400
    )
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"
    body = post(
        client, "/runs/search", {"experiment_ids": [exp_id], "max_results": 50001}, status=400
    )
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"


def test_batch_limits(client):
    exp_id = new_experiment(client)
    run_id = new_run(client, exp_id)["info"]["run_id"]
    metrics = [{"key": f"m{i}", "value": 1, "timestamp": 1} for i in range(1001)]
    body = post(client, "/runs/log-batch", {"run_id": run_id, "metrics": metrics}, status=400)
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"


def test_inputs_outputs_and_bulk_history(client):
    exp_id = new_experiment(client)
    run_id = new_run(client, exp_id)["info"]["run_id"]
    dataset = {"name": "d", "digest": "abc", "source_type": "local", "source": "/tmp/d"}
    post(
        client,
        "/runs/log-inputs",
        {
            "run_id": run_id,
            "datasets": [
                {"dataset": dataset, "tags": [{"key": "mlflow.data.context", "value": "train"}]}
            ],
        },
    )
    model = post(
        client, "/logged-models", {"experiment_id": exp_id, "name": "m", "source_run_id": run_id}
    )["model"]
    post(
        client,
        "/runs/outputs",
        {"run_id": run_id, "models": [{"model_id": model["info"]["model_id"], "step": 3}]},
    )
    run = get(client, "/runs/get", {"run_id": run_id})["run"]
    assert run["inputs"]["dataset_inputs"][0]["dataset"]["digest"] == "abc"
    assert run["outputs"]["model_outputs"] == [{"model_id": model["info"]["model_id"], "step": 3}]
    for step in range(10):
        post(
            client,
            "/runs/log-metric",
            {"run_id": run_id, "key": "l", "value": step, "timestamp": step, "step": step},
        )
    bulk = get(
        client,
        "/metrics/get-history-bulk-interval",
        [("run_ids", run_id), ("metric_key", "l"), ("max_results", "4")],
    )
    steps = [m["step"] for m in bulk["metrics"]]
    assert steps[0] == 0
    assert steps[-1] == 9
    assert len(steps) == 4
    assert all(m["run_id"] == run_id for m in bulk["metrics"])


def test_run_relative_artifact_list(client):
    exp_id = new_experiment(client)
    run = new_run(client, exp_id)
    run_id = run["info"]["run_id"]
    rest = run["info"]["artifact_uri"][len("mlflow-artifacts:/") :]
    assert get(client, "/artifacts/list", {"run_id": run_id}) == {
        "root_uri": run["info"]["artifact_uri"]
    }
    r = client.put(
        f"/api/2.0/mlflow-artifacts/artifacts/{rest}/report/summary.txt", content=b"hello"
    )
    assert r.status_code == 200, r.text
    top = get(client, "/artifacts/list", {"run_id": run_id})
    assert top["files"] == [{"path": "report", "is_dir": True}]
    sub = get(client, "/artifacts/list", {"run_id": run_id, "path": "report"})
    assert sub["files"] == [{"path": "report/summary.txt", "is_dir": False, "file_size": 5}]
    body = get(client, "/artifacts/list", {"run_id": run_id, "path": "../../x"}, status=400)
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"


def test_ui_get_artifact_route(client):
    exp_id = new_experiment(client)
    run = new_run(client, exp_id)
    run_id = run["info"]["run_id"]
    rest = run["info"]["artifact_uri"][len("mlflow-artifacts:/") :]
    client.put(f"/api/2.0/mlflow-artifacts/artifacts/{rest}/notes.txt", content=b"note")
    r = client.get("/get-artifact", params={"run_id": run_id, "path": "notes.txt"})
    assert r.status_code == 200
    assert r.content == b"note"
    assert r.headers["content-type"].startswith("text/plain")
    r = client.get("/get-artifact", params={"run_id": run_id, "path": "../../../etc/passwd"})
    assert r.status_code == 400
    r = client.get("/get-artifact", params={"run_id": run_id, "path": "missing.txt"})
    assert r.status_code == 404
    assert r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
