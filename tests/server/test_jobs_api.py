"""The Databricks-shaped Jobs API on a real ``modelyard server`` (driven with ``requests``),
and the scheduler inside the server: one cron job under two workers on PostgreSQL fires each
second exactly once, also across a restart."""

from __future__ import annotations

import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from modelyard.testing.server_process import ServerProcess

TASK_SCRIPT = """
import sys
import modelyard as mlflow
print("retraining with", sys.argv[1])
with mlflow.start_run():
    mlflow.log_metric("threshold", float(sys.argv[1]))
"""


def _post(url: str, path: str, body: dict[str, Any]) -> requests.Response:
    return requests.post(f"{url}/api/2.1/jobs/{path}", json=body, timeout=30)


def _get(url: str, path: str, **params: Any) -> requests.Response:
    return requests.get(f"{url}/api/2.1/jobs/{path}", params=params, timeout=30)


def _wait_run(url: str, run_id: int, trials: int = 600) -> dict[str, Any]:
    for _ in range(trials):
        run = _get(url, "runs/get", run_id=run_id).json()
        if run["state"]["life_cycle_state"] not in ("PENDING", "RUNNING", "TERMINATING"):
            return run
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} did not end: {run}")


@pytest.fixture
def fast_scheduler(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MODELYARD_JOBS_POLL_MS", "100")
    monkeypatch.setenv("MODELYARD_ENV_ROOT", str(tmp_path / "envs"))
    monkeypatch.delenv("MODELYARD_JOBS_SCHEDULER", raising=False)


def test_run_now_through_rest(tmp_path: Path, fast_scheduler: None) -> None:
    script = tmp_path / "retrain.py"
    script.write_text(textwrap.dedent(TASK_SCRIPT))
    db = f"sqlite:///{tmp_path / 'server.db'}"
    with ServerProcess(db, tmp_path / "artifacts", log_path=tmp_path / "server.log") as server:
        url = server.url
        created = _post(
            url,
            "create",
            {
                "name": "retraining",
                "tasks": [
                    {
                        "task_key": "retrain",
                        "max_retries": 0,
                        "timeout_seconds": 120,
                        "spark_python_task": {
                            "python_file": str(script),
                            "parameters": ["{{job.parameters.threshold}}"],
                        },
                    }
                ],
                "parameters": [{"name": "threshold", "default": "0.85"}],
                "max_concurrent_runs": 1,
            },
        )
        assert created.status_code == 200, created.text
        job_id = created.json()["job_id"]
        # the seed's "trigger retraining job via API"
        response = requests.post(
            f"{url}/api/2.1/jobs/run-now",
            json={"job_id": job_id, "job_parameters": {"threshold": "0.9"}},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        run_id = response.json()["run_id"]
        run = _wait_run(url, run_id)
        assert run["job_id"] == job_id
        assert run["state"]["life_cycle_state"] == "TERMINATED"
        assert run["state"]["result_state"] == "SUCCESS", run
        assert run["trigger"] == "ONE_TIME"
        assert run["start_time"] > 0 and run["end_time"] >= run["start_time"]
        assert run["job_parameters"] == [{"name": "threshold", "value": "0.9"}]
        (task,) = run["tasks"]
        assert task["task_key"] == "retrain" and task["attempt_number"] == 0
        output = _get(url, "runs/get-output", run_id=task["run_id"]).json()
        assert "retraining with 0.9" in output["logs"]
        assert output["metadata"]["run_id"] == task["run_id"]
        assert output["metadata"]["parent_run_id"] == run_id
        # the MLflow run of the task logged through this server
        mlflow_run = requests.get(
            f"{url}/api/2.0/mlflow/runs/get", params={"run_id": task["mlflow_run_id"]}, timeout=30
        ).json()
        metrics = {m["key"]: m["value"] for m in mlflow_run["run"]["data"]["metrics"]}
        assert metrics == {"threshold": 0.9}
        listed = _get(url, "runs/list", job_id=job_id).json()
        assert [r["run_id"] for r in listed["runs"]] == [run_id]
        assert _get(url, "runs/list", job_id=job_id, active_only="true").json() == {
            "has_more": False
        }
        job = _get(url, "get", job_id=job_id).json()
        assert job["settings"]["name"] == "retraining"
        assert [j["job_id"] for j in _get(url, "list").json()["jobs"]] == [job_id]
        assert (
            _post(
                url, "update", {"job_id": job_id, "new_settings": {"max_concurrent_runs": 2}}
            ).status_code
            == 200
        )
        assert _get(url, "get", job_id=job_id).json()["settings"]["max_concurrent_runs"] == 2
        new = dict(job["settings"], name="renamed")
        assert _post(url, "reset", {"job_id": job_id, "new_settings": new}).status_code == 200
        assert _get(url, "get", job_id=job_id).json()["settings"]["name"] == "renamed"
        assert _post(url, "runs/cancel", {"run_id": run_id}).status_code == 200  # no-op
        # the Python API against the server (REST under the hood)
        from modelyard.errors import InvalidParameterValue
        from modelyard.jobs import JobsClient

        jobs = JobsClient(url)
        second = jobs.run_now(job_id, {"threshold": "0.5"})
        assert jobs.wait_for_run(second, timeout=120)["state"]["result_state"] == "SUCCESS"
        task_run = jobs.get_run(second)["tasks"][0]["run_id"]
        assert "retraining with 0.5" in jobs.get_run_output(task_run)["logs"]
        with pytest.raises(InvalidParameterValue, match="job_parameters.nope"):
            jobs.run_now(job_id, {"nope": "1"})
        assert _post(url, "delete", {"job_id": job_id}).status_code == 200
        gone = _get(url, "get", job_id=job_id)
        assert gone.status_code == 404
        assert gone.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_bad_input_gets_databricks_error_codes(tmp_path: Path, fast_scheduler: None) -> None:
    db = f"sqlite:///{tmp_path / 'server.db'}"
    task = {"task_key": "t", "spark_python_task": {"python_file": sys.executable}}
    with ServerProcess(db, tmp_path / "artifacts") as server:
        url = server.url
        cases = [
            (
                "create",
                {
                    "name": "x",
                    "tasks": [task],
                    "schedule": {"quartz_cron_expression": "0 0 25 * * ?"},
                },
                "quartz_cron_expression",
            ),
            ("create", {"name": "x", "tasks": []}, "tasks"),
            ("create", {"name": "x", "tasks": [dict(task, max_retries=-3)]}, "max_retries"),
            ("run-now", {"job_id": "abc"}, "job_id"),
            ("run-now", {}, "job_id"),
        ]
        for path, body, field in cases:
            response = _post(url, path, body)
            assert response.status_code == 400, (path, body, response.text)
            payload = response.json()
            assert payload["error_code"] == "INVALID_PARAMETER_VALUE"
            assert field in payload["message"]
            assert "Traceback" not in response.text
        job_id = _post(url, "create", {"name": "ok", "tasks": [task]}).json()["job_id"]
        wrong = _post(url, "run-now", {"job_id": job_id, "job_parameters": {"nope": 1}})
        assert wrong.status_code == 400 and "job_parameters.nope" in wrong.json()["message"]
        missing = _post(url, "run-now", {"job_id": 424242})
        assert missing.status_code == 404
        assert missing.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
        assert _get(url, "runs/get", run_id=999999).status_code == 404


@pytest.mark.postgres
def test_cron_fires_once_per_time_under_two_workers_and_a_restart(
    tmp_path: Path, make_pg_database: Callable[[], str], fast_scheduler: None
) -> None:
    db = make_pg_database()
    script = tmp_path / "tick.py"
    script.write_text("print('tick')\n")
    settings = {
        "name": "every-second",
        "max_concurrent_runs": 1000,
        "schedule": {
            "quartz_cron_expression": "* * * * * ?",
            "timezone_id": "UTC",
            "pause_status": "UNPAUSED",
        },
        "tasks": [{"task_key": "t", "spark_python_task": {"python_file": str(script)}}],
    }

    def runs(url: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        offset = 0
        while True:
            page = _get(url, "runs/list", job_id=job_id, limit=1000, offset=offset).json()
            out += page.get("runs", [])
            if not page["has_more"]:
                return out
            offset += 1000

    def wait_for(url: str, count: int) -> None:
        for _ in range(1200):
            if len(runs(url)) >= count:
                return
            time.sleep(0.1)
        raise AssertionError(f"fewer than {count} runs")

    with ServerProcess(db, tmp_path / "a1", workers=2, log_path=tmp_path / "s1.log") as server:
        job_id = _post(server.url, "create", settings).json()["job_id"]
        wait_for(server.url, 3)
    before = len(runs_via_db(db, job_id))
    with ServerProcess(db, tmp_path / "a2", workers=2, log_path=tmp_path / "s2.log") as server:
        wait_for(server.url, before + 3)
        paused = dict(settings["schedule"], pause_status="PAUSED")
        assert (
            _post(
                server.url, "update", {"job_id": job_id, "new_settings": {"schedule": paused}}
            ).status_code
            == 200
        )
        # let in-flight runs finish so nothing is left running
        for _ in range(1200):
            if (
                not _get(server.url, "runs/list", job_id=job_id, active_only="true")
                .json()
                .get("runs")
            ):
                break
            time.sleep(0.1)
        all_runs = runs(server.url)
    times = sorted(r["scheduled_time"] for r in all_runs)
    assert len(times) == len(set(times))  # never twice
    assert all(b - a == 1000 for a, b in zip(times, times[1:], strict=False))  # never skipped
    assert {r["trigger"] for r in all_runs} == {"PERIODIC"}
    # a run in flight when the first server stopped is failed with the reason, never left
    # running; every other run succeeded
    for r in all_runs:
        state = r["state"]
        assert state["life_cycle_state"] in ("TERMINATED", "INTERNAL_ERROR"), state
        if state["result_state"] != "SUCCESS":
            assert "stopped" in state["state_message"], state
    assert sum(r["state"]["result_state"] == "SUCCESS" for r in all_runs) >= len(all_runs) - 2


def runs_via_db(db_uri: str, job_id: int) -> list[Any]:
    from modelyard.store.jobs.sql import SqlJobStore

    return SqlJobStore(db_uri).list_runs(job_id, 100_000)[0]
