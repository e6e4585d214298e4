"""GET /metrics/get-history-bulk-interval: sampling, step windows, limits, MLflow's messages."""

from __future__ import annotations

import uuid

from server_helpers import get, new_experiment, new_run, post


def _run_with_history(client, n: int, key: str = "loss") -> str:
    run_id = new_run(client, new_experiment(client, uuid.uuid4().hex))["info"]["run_id"]
    for start in range(0, n, 1000):
        metrics = [
            {"key": key, "value": i * 0.5, "timestamp": 1000 + i, "step": i}
            for i in range(start, min(n, start + 1000))
        ]
        post(client, "/runs/log-batch", {"run_id": run_id, "metrics": metrics})
    return run_id


def test_samples_each_run_keeping_first_and_last(client):
    a, b = _run_with_history(client, 3001), _run_with_history(client, 7)
    out = get(
        client,
        "/metrics/get-history-bulk-interval",
        [("run_ids", a), ("run_ids", b), ("metric_key", "loss"), ("max_results", "4")],
    )
    by_run: dict[str, list[int]] = {}
    for m in out["metrics"]:
        assert m["key"] == "loss" and m["value"] == m["step"] * 0.5
        by_run.setdefault(m["run_id"], []).append(m["step"])
    assert by_run == {a: [0, 1000, 2000, 3000], b: [0, 2, 4, 6]}


def test_default_is_2500_points_per_run_and_the_ajax_twin_answers(client):
    run_id = _run_with_history(client, 6000)
    r = client.get(
        "/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval",
        params=[("run_ids", run_id), ("metric_key", "loss")],
    )
    assert r.status_code == 200, r.text
    steps = [m["step"] for m in r.json()["metrics"]]
    assert len(steps) == 2500 and steps[0] == 0 and steps[-1] == 5999
    assert steps == sorted(steps)


def test_step_window(client):
    run_id = _run_with_history(client, 100)
    out = get(
        client,
        "/metrics/get-history-bulk-interval",
        [("run_ids", run_id), ("metric_key", "loss"), ("start_step", "10"), ("end_step", "30")],
    )
    assert [m["step"] for m in out["metrics"]] == list(range(10, 31))
    empty = get(
        client,
        "/metrics/get-history-bulk-interval",
        [("run_ids", run_id), ("metric_key", "nope")],
    )
    assert empty == {}


def test_bad_requests_get_mlflows_messages(client):
    run_id = _run_with_history(client, 3)
    url = "/metrics/get-history-bulk-interval"
    cases = [
        ([("metric_key", "loss")], "run_ids"),
        ([("run_ids", run_id)], "metric_key"),
        ([("run_ids", f"{i:032x}") for i in range(101)] + [("metric_key", "l")], "at most 100"),
        ([("run_ids", run_id), ("metric_key", "loss"), ("max_results", "0")], "between 1 and"),
        ([("run_ids", run_id), ("metric_key", "loss"), ("max_results", "2501")], "2500"),
        ([("run_ids", run_id), ("metric_key", "loss"), ("max_results", "x")], "max_results"),
        ([("run_ids", run_id), ("metric_key", "loss"), ("start_step", "1")], "both must be"),
        (
            [("run_ids", run_id), ("metric_key", "loss"), ("start_step", "5"), ("end_step", "1")],
            "end_step must be greater",
        ),
    ]
    for params, fragment in cases:
        body = get(client, url, params, status=400)
        assert body["error_code"] == "INVALID_PARAMETER_VALUE"
        assert fragment in body["message"], (params, body)
    body = get(client, url, [("run_ids", "f" * 32), ("metric_key", "loss")], status=404)
    assert body["error_code"] == "RESOURCE_DOES_NOT_EXIST"
