"""The retraining trigger: a drift alert starts a job run with parameters (real jobs scheduler
and executor), and the loop guard keeps a re-trigger from starting a second run while the first
is still queued or running."""

from __future__ import annotations

import json
from pathlib import Path

from tests.jobs.conftest import run_to_end

from modelyard.jobs.scheduler import Scheduler
from modelyard.mlops.alerts import (
    create_alert,
    deliver_notifications,
    get_alert,
    get_alert_history,
    list_notifications,
)
from modelyard.monitoring import refresh_monitor

RETRAIN = """
import json, sys
with open(sys.argv[1], "a") as fh:
    fh.write(json.dumps({"reason": sys.argv[2], "window": sys.argv[3]}) + "\\n")
"""


def test_drift_starts_the_retraining_job_once_per_episode(
    tmp_path: Path, db_uri: str, monitor: str, table
) -> None:  # type: ignore[no-untyped-def]
    script = tmp_path / "retrain.py"
    script.write_text(RETRAIN)
    out = tmp_path / "retrained.jsonl"
    scheduler = Scheduler(db_uri, poll_interval=0.1, logs_root=tmp_path / "logs")
    try:
        job_id = scheduler.service.create(
            {
                "name": "retrain",
                "parameters": [
                    {"name": "reason", "default": "manual"},
                    {"name": "window", "default": ""},
                ],
                "tasks": [
                    {
                        "task_key": "train",
                        "spark_python_task": {
                            "python_file": str(script),
                            "parameters": [
                                str(out),
                                "{{job.parameters.reason}}",
                                "{{job.parameters.window}}",
                            ],
                        },
                    }
                ],
            }
        )
        create_alert(
            "retrain-on-drift",
            {"type": "drift", "monitor": "churn", "min_columns": 2},
            [
                {
                    "type": "job",
                    "job_id": job_id,
                    "job_parameters": {
                        "reason": "drift:{{alert.name}}",
                        "window": "{{alert.window}}",
                    },
                }
            ],
            cooldown_seconds=0,  # only the loop guard stands between re-triggers and new runs
            monitors_root=monitor,
        )
        table.add_day(1, shift=1.0)
        refresh_monitor("churn", root=monitor)
        assert deliver_notifications(timeout=120) == 0
        [first] = list_notifications("retrain-on-drift")
        assert (first["kind"], first["status"], first["target"]) == (
            "job",
            "DELIVERED",
            f"job {job_id}",
        )
        run_id = int(first["result"])
        run = scheduler.service.get_run(run_id)
        assert run["job_parameters"] == [
            {"name": "reason", "value": "drift:retrain-on-drift"},
            {"name": "window", "value": "1 day|2026-11-03T00:00:00+00:00"},
        ]

        # resolved, then drifting again while the run is still queued: no second run
        table.add_day(2)
        refresh_monitor("churn", root=monitor)
        table.add_day(3, shift=1.0)
        refresh_monitor("churn", root=monitor)
        assert get_alert("retrain-on-drift")["state"] == "TRIGGERED"
        notes = list_notifications("retrain-on-drift")
        assert [n["status"] for n in notes] == ["SKIPPED", "DELIVERED"]
        assert notes[0]["error"] == (
            f"loop guard: job run {run_id} started by this alert is still PENDING"
        )
        assert len(scheduler.service.list_runs(job_id, False, False, 25, 0)["runs"]) == 1

        # the executor runs it with the alert's parameters
        doc = run_to_end(scheduler, run_id)
        assert doc["state"]["result_state"] == "SUCCESS", doc
        lines = [json.loads(x) for x in out.read_text().splitlines()]
        assert lines == [
            {"reason": "drift:retrain-on-drift", "window": "1 day|2026-11-03T00:00:00+00:00"}
        ]

        # once the run is over, the next episode may start a new one
        table.add_day(4)
        refresh_monitor("churn", root=monitor)
        table.add_day(5, shift=1.0)
        refresh_monitor("churn", root=monitor)
        assert deliver_notifications(timeout=120) == 0
        notes = list_notifications("retrain-on-drift")
        assert [n["status"] for n in notes] == ["DELIVERED", "SKIPPED", "DELIVERED"]
        assert int(notes[0]["result"]) != run_id
    finally:
        scheduler.stop()


def test_a_cool_down_also_guards_the_job(tmp_path: Path, db_uri: str, monitor: str, table) -> None:  # type: ignore[no-untyped-def]
    scheduler = Scheduler(db_uri, poll_interval=0.1, logs_root=tmp_path / "logs")
    try:
        script = tmp_path / "noop.py"
        script.write_text("print('retrained')\n")
        job_id = scheduler.service.create(
            {
                "name": "noop",
                "tasks": [{"task_key": "t", "spark_python_task": {"python_file": str(script)}}],
            }
        )
        create_alert(
            "cool",
            {"type": "drift", "monitor": "churn", "min_columns": 2},
            [{"type": "job", "job_id": job_id}],
            cooldown_seconds=3600,
            monitors_root=monitor,
        )
        for day, shift in [(1, 1.0), (2, 0.0), (3, 1.0)]:
            table.add_day(day, shift)
            refresh_monitor("churn", root=monitor)
        deliver_notifications(timeout=120)
        run_id = int(list_notifications("cool")[0]["result"])
        run_to_end(scheduler, run_id)  # finished, but the re-trigger came within the cool-down
        assert len(list_notifications("cool", status="DELIVERED")) == 1
        assert len(scheduler.service.list_runs(job_id, False, False, 25, 0)["runs"]) == 1
    finally:
        scheduler.stop()


LOOPING_JOB = """
import sys
import numpy as np, pandas as pd
from modelyard.monitoring import refresh_monitor

folder, root = sys.argv[1], sys.argv[2]

def day(n_day, shift):
    rng = np.random.default_rng(5000 + n_day)
    n = 600
    ts = pd.Timestamp("2026-11-02", tz="UTC") + pd.Timedelta(days=n_day)
    ts = ts + pd.to_timedelta(rng.uniform(0, 86_000, n), "s")
    pd.DataFrame({"ts": ts, "a": rng.normal(0, 1, n) + shift,
                  "b": rng.normal(5, 2, n) + 2 * shift, "c": rng.normal(-3, 1, n),
                  "prediction": rng.integers(0, 2, n)}).to_parquet(f"{folder}/day-{n_day:03d}.parquet")

# the "retraining" brings clean data, then drifted data again, refreshing the monitor each time:
# the alert resolves and triggers again while this very run is RUNNING
day(2, 0.0)
refresh_monitor("churn", root=root)
day(3, 1.0)
refresh_monitor("churn", root=root)
print("retrained")
"""


def test_a_job_that_brings_the_alert_back_cannot_loop(
    tmp_path: Path, db_uri: str, monitor: str, table
) -> None:  # type: ignore[no-untyped-def]
    script = tmp_path / "looping.py"
    script.write_text(LOOPING_JOB)
    scheduler = Scheduler(db_uri, poll_interval=0.1, logs_root=tmp_path / "logs")
    try:
        job_id = scheduler.service.create(
            {
                "name": "looping-retrain",
                "tasks": [
                    {
                        "task_key": "t",
                        "spark_python_task": {
                            "python_file": str(script),
                            "parameters": [str(table.folder), monitor],
                        },
                    }
                ],
            }
        )
        create_alert(
            "loop",
            {"type": "drift", "monitor": "churn", "min_columns": 2},
            [{"type": "job", "job_id": job_id}],
            cooldown_seconds=0,
            monitors_root=monitor,
        )
        table.add_day(1, shift=1.0)
        refresh_monitor("churn", root=monitor)
        assert deliver_notifications(timeout=120) == 0
        run_id = int(list_notifications("loop")[0]["result"])
        doc = run_to_end(scheduler, run_id, ticks=600)
        assert doc["state"]["result_state"] == "SUCCESS", doc
        assert deliver_notifications(timeout=120) == 0
        # the run re-triggered the alert (RESOLVED, then TRIGGERED) from inside: no second run
        history = get_alert_history("loop")
        assert [e["to_state"] for e in reversed(history)] == ["TRIGGERED", "RESOLVED", "TRIGGERED"]
        notes = list_notifications("loop")
        assert [n["status"] for n in notes] == ["SKIPPED", "DELIVERED"]
        assert notes[0]["error"] == (
            f"loop guard: job run {run_id} started by this alert is still RUNNING"
        )
        assert len(scheduler.service.list_runs(job_id, False, False, 25, 0)["runs"]) == 1
    finally:
        scheduler.stop()
