"""Job runs on the local executor: dependent tasks, retries, parameters, logs, timeouts,
cancellation, failure notifications, and the recovery of runs left by a dead executor."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from tests.jobs.conftest import run_to_end

from modelyard.client import MlflowClient
from modelyard.errors import InvalidParameterValue
from modelyard.jobs.executors import task_marker
from modelyard.jobs.scheduler import Scheduler

FLAKY = """
import sys
from pathlib import Path
counter = Path(sys.argv[1])
n = int(counter.read_text()) if counter.exists() else 0
counter.write_text(str(n + 1))
print("attempt", n, "alpha", sys.argv[2])
if n == 0:
    print("first attempt fails", file=sys.stderr)
    raise SystemExit(1)
"""

PROJECT = {
    "MLproject": """
        name: train
        entry_points:
          main:
            parameters:
              alpha: {type: float, default: 0.1}
            command: "python train.py {alpha}"
    """,
    "train.py": """
        import sys
        import modelyard as mlflow
        with mlflow.start_run():
            mlflow.log_metric("alpha", float(sys.argv[1]))
        print("trained")
    """,
}


def _write(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name).write_text(textwrap.dedent(text).lstrip())
    return root


def _alive(pid: int) -> bool:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return False
    return fields[0] != "Z"


def test_two_dependent_tasks_with_a_retry(
    tmp_path: Path, db_uri: str, scheduler: Scheduler, webhooks
) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "flaky.py").write_text(FLAKY)
    project = _write(tmp_path / "proj", PROJECT)
    counter = tmp_path / "counter"
    job_id = scheduler.service.create(
        {
            "name": "pipeline",
            "parameters": [{"name": "alpha", "default": "0.25"}],
            "tasks": [
                {
                    "task_key": "train",
                    "depends_on": [{"task_key": "prepare"}],
                    "project_task": {
                        "project_uri": str(project),
                        "parameters": {"alpha": "{{job.parameters.alpha}}"},
                        "env_manager": "local",
                    },
                },
                {
                    "task_key": "prepare",
                    "spark_python_task": {
                        "python_file": str(tmp_path / "flaky.py"),
                        "parameters": [str(counter), "{{job.parameters.alpha}}"],
                    },
                    "max_retries": 1,
                },
            ],
            "webhook_notifications": {
                "on_start": [{"url": webhooks.url}],
                "on_success": [{"url": webhooks.url}],
            },
        }
    )
    run_id = scheduler.service.run_now(job_id, {"alpha": "0.75"})
    doc = run_to_end(scheduler, run_id)
    assert doc["state"]["life_cycle_state"] == "TERMINATED"
    assert doc["state"]["result_state"] == "SUCCESS", doc
    tasks = [(t["task_key"], t["attempt_number"], t["state"]["result_state"]) for t in doc["tasks"]]
    assert tasks == [("prepare", 0, "FAILED"), ("prepare", 1, "SUCCESS"), ("train", 0, "SUCCESS")]
    assert doc["tasks"][2]["start_time"] >= doc["tasks"][1]["end_time"]
    client = MlflowClient(db_uri)
    train_run = client.get_run(doc["tasks"][2]["mlflow_run_id"])
    assert train_run.data.metrics["alpha"] == 0.75  # the job parameter overrode the default
    assert train_run.data.tags["mlflow.source.type"] == "PROJECT"
    assert train_run.data.tags["modelyard.job.id"] == str(job_id)
    # stdout/stderr are artifacts of each attempt's MLflow run
    first = doc["tasks"][0]
    names = {f.path for f in client.list_artifacts(first["mlflow_run_id"], "job-logs")}
    assert names == {"job-logs/stdout.txt", "job-logs/stderr.txt"}
    out = scheduler.service.get_output(first["run_id"])
    assert "attempt 0 alpha 0.75" in out["logs"]
    assert "first attempt fails" in out["logs"]
    assert [e["event_type"] for e in webhooks.events] == ["jobs.on_start", "jobs.on_success"]
    assert webhooks.events[1]["state"]["result_state"] == "SUCCESS"


def test_failure_skips_downstream_and_notifies(
    tmp_path: Path, scheduler: Scheduler, webhooks
) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "boom.py").write_text("raise SystemExit(4)\n")
    job_id = scheduler.service.create(
        {
            "name": "fails",
            "tasks": [
                {"task_key": "a", "spark_python_task": {"python_file": str(tmp_path / "boom.py")}},
                {
                    "task_key": "b",
                    "depends_on": [{"task_key": "a"}],
                    "spark_python_task": {"python_file": str(tmp_path / "boom.py")},
                },
            ],
            "webhook_notifications": {"on_failure": [{"url": webhooks.url}]},
        }
    )
    doc = run_to_end(scheduler, scheduler.service.run_now(job_id))
    assert doc["state"]["result_state"] == "FAILED"
    assert "exited with code 4" in doc["state"]["state_message"]
    assert [(t["task_key"], t["state"]["life_cycle_state"]) for t in doc["tasks"]] == [
        ("a", "TERMINATED"),
        ("b", "SKIPPED"),
    ]
    assert [e["event_type"] for e in webhooks.events] == ["jobs.on_failure"]
    assert webhooks.headers[0]["x-mlflow-delivery-id"]
    assert webhooks.headers[0]["user-agent"] == "modelyard-webhooks"


def test_notification_urls_follow_the_webhook_destination_rules(
    tmp_path: Path, scheduler: Scheduler, webhooks, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "ok.py").write_text("print(1)\n")
    task = {"task_key": "a", "spark_python_task": {"python_file": str(tmp_path / "ok.py")}}
    # the defaults (https only, no loopback/private/metadata address) refuse a local receiver
    monkeypatch.delenv("MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS")
    monkeypatch.delenv("MLFLOW_WEBHOOK_ALLOWED_SCHEMES")
    for url, why in (
        (webhooks.url, "scheme"),
        ("https://169.254.169.254/latest/meta-data", "non-public address"),
        ("https://127.0.0.1:9/hook", "non-public address"),
    ):
        with pytest.raises(InvalidParameterValue, match=why) as err:
            scheduler.service.create(
                {
                    "name": "n",
                    "tasks": [task],
                    "webhook_notifications": {"on_start": [{"url": url}]},
                }
            )
        assert "webhook_notifications.on_start[0].url" in str(err.value)
    # allowed when the job was made, refused when the rules change before the delivery:
    # checked again at delivery time, nothing sent, the run unaffected
    monkeypatch.setenv("MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS", "true")
    monkeypatch.setenv("MLFLOW_WEBHOOK_ALLOWED_SCHEMES", "http,https")
    job_id = scheduler.service.create(
        {
            "name": "n",
            "tasks": [task],
            "webhook_notifications": {"on_start": [{"url": webhooks.url}]},
        }
    )
    monkeypatch.delenv("MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS")
    doc = run_to_end(scheduler, scheduler.service.run_now(job_id))
    assert doc["state"]["result_state"] == "SUCCESS"
    assert webhooks.events == []


def test_bad_parameter_reference_fails_the_task(tmp_path: Path, scheduler: Scheduler) -> None:
    (tmp_path / "ok.py").write_text("print(1)\n")
    job_id = scheduler.service.create(
        {
            "name": "ref",
            "tasks": [
                {
                    "task_key": "a",
                    "spark_python_task": {
                        "python_file": str(tmp_path / "ok.py"),
                        "parameters": ["{{job.parameters.nope}}"],
                    },
                }
            ],
        }
    )
    doc = run_to_end(scheduler, scheduler.service.run_now(job_id))
    assert doc["state"]["result_state"] == "FAILED"
    assert "job.parameters.nope" in doc["tasks"][0]["state"]["state_message"]


def test_timeout_kills_the_process_group(tmp_path: Path, scheduler: Scheduler) -> None:
    pid_file = tmp_path / "pid"
    (tmp_path / "nap.py").write_text(
        textwrap.dedent(f"""
        import subprocess, pathlib
        child = subprocess.Popen(["sleep", "300"])
        pathlib.Path({str(pid_file)!r}).write_text(str(child.pid))
        child.wait()
    """)
    )
    job_id = scheduler.service.create(
        {
            "name": "slow",
            "tasks": [
                {
                    "task_key": "nap",
                    "timeout_seconds": 1,
                    "spark_python_task": {"python_file": str(tmp_path / "nap.py")},
                }
            ],
        }
    )
    doc = run_to_end(scheduler, scheduler.service.run_now(job_id), ticks=200)
    assert doc["state"]["result_state"] == "TIMEDOUT"
    assert doc["tasks"][0]["state"]["result_state"] == "TIMEDOUT"
    grandchild = int(pid_file.read_text())
    for _ in range(200):
        if not _alive(grandchild):
            break
        time.sleep(0.02)
    assert not _alive(grandchild)


def test_cancel_mid_run(tmp_path: Path, scheduler: Scheduler) -> None:
    started = tmp_path / "started"
    (tmp_path / "long.py").write_text(
        f"import pathlib, time\npathlib.Path({str(started)!r}).write_text('1')\ntime.sleep(300)\n"
    )
    job_id = scheduler.service.create(
        {
            "name": "long",
            "tasks": [
                {"task_key": "t", "spark_python_task": {"python_file": str(tmp_path / "long.py")}}
            ],
        }
    )
    run_id = scheduler.service.run_now(job_id)
    scheduler.tick()
    for _ in range(500):
        if started.exists():
            break
        time.sleep(0.02)
    assert scheduler.service.get_run(run_id)["state"]["life_cycle_state"] == "RUNNING"
    scheduler.service.cancel_run(run_id)
    scheduler.wait_idle()
    doc = scheduler.service.get_run(run_id)
    assert (doc["state"]["life_cycle_state"], doc["state"]["result_state"]) == (
        "TERMINATED",
        "CANCELED",
    )
    assert doc["tasks"][0]["state"]["result_state"] == "CANCELED"


def test_runs_of_a_dead_executor_are_failed_and_retried(tmp_path: Path, db_uri: str) -> None:
    clock_now = [1_767_225_600_000]
    clock = lambda: clock_now[0]  # noqa: E731
    dead = Scheduler(db_uri, worker_id="dead", clock=clock, logs_root=tmp_path / "l1")
    service = dead.service
    job_id = service.create(
        {
            "name": "crashy",
            "tasks": [
                {
                    "task_key": "t",
                    "max_retries": 1,
                    "spark_python_task": {"python_file": str(tmp_path / "x.py")},
                }
            ],
        }
    )
    run_id = service.run_now(job_id)
    # what a server killed mid-run leaves behind: a claimed run, a RUNNING task, its process
    assert service.store.claim_run(run_id, "dead", clock())
    task_id = service.store.create_run(
        job_id,
        "ONE_TIME",
        {"task_key": "t"},
        {},
        clock(),
        life_cycle_state="RUNNING",
        parent_run_id=run_id,
        task_key="t",
    )
    env = dict(os.environ, MODELYARD_JOB_TASK_RUN_ID=task_marker(dead.db_key, task_id))
    orphan = subprocess.Popen(["sleep", "300"], env=env, start_new_session=True)
    try:
        alive = Scheduler(db_uri, worker_id="new", clock=clock, logs_root=tmp_path / "l2")
        assert alive.reap() == []  # the lease has not expired yet
        clock_now[0] += 60_000
        assert alive.reap() == [run_id]
        assert alive.reap() == []  # reaped once
        orphan.wait(timeout=30)  # killed by the reaper
        doc = service.get_run(run_id)
        assert doc["state"]["life_cycle_state"] == "INTERNAL_ERROR"
        assert doc["state"]["result_state"] == "FAILED"
        assert (
            "dead" in doc["state"]["state_message"] and "heartbeat" in doc["state"]["state_message"]
        )
        assert doc["tasks"][0]["state"]["life_cycle_state"] == "INTERNAL_ERROR"
        runs = service.list_runs(job_id)["runs"]
        assert [(r["trigger"], r["state"]["life_cycle_state"]) for r in runs] == [
            ("RETRY", "PENDING"),
            ("ONE_TIME", "INTERNAL_ERROR"),
        ]
    finally:
        if orphan.poll() is None:
            orphan.kill()


def test_schedule_with_a_test_clock_fires_once_across_schedulers(
    tmp_path: Path, db_uri: str
) -> None:
    clock_now = [1_767_225_600_000]
    clock = lambda: clock_now[0]  # noqa: E731
    a = Scheduler(db_uri, worker_id="a", clock=clock, max_parallel_runs=0, logs_root=tmp_path)
    b = Scheduler(db_uri, worker_id="b", clock=clock, max_parallel_runs=0, logs_root=tmp_path)
    job_id = a.service.create(
        {
            "name": "cron",
            "max_concurrent_runs": 10,
            "schedule": {"quartz_cron_expression": "0 * * * * ?", "timezone_id": "Europe/Paris"},
            "tasks": [{"task_key": "t", "spark_python_task": {"python_file": sys.executable}}],
        }
    )
    for _ in range(5):
        clock_now[0] += 30_000
        a.tick()
        b.tick()
    runs = a.service.list_runs(job_id, limit=100)["runs"]
    times = sorted(r["scheduled_time"] for r in runs)
    assert times == [1_767_225_600_000 + 60_000 * k for k in (1, 2)]
