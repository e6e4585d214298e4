"""``modelyard jobs scheduler`` as its own process: runs a triggered job, stops cleanly on
SIGTERM, and a second scheduler recovers the run of one killed with SIGKILL mid-run (the
orphaned task process is killed, the run failed with the reason, its retry executed)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from modelyard.jobs import JobsClient

SCRIPT = """
import os, sys, time
from pathlib import Path
counter = Path(sys.argv[1])
n = int(counter.read_text()) if counter.exists() else 0
counter.write_text(str(n + 1))
Path(sys.argv[2]).write_text(str(os.getpid()))
if n == 0:
    time.sleep(300)  # the first attempt hangs until something kills it
print("attempt", n, "done")
"""


def _scheduler(db_uri: str, tmp_path: Path, name: str, *extra: str) -> subprocess.Popen[bytes]:
    with open(tmp_path / f"{name}.log", "wb") as log:  # the child keeps its own descriptor
        return subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from modelyard.cli.main import main; main()",
                "jobs",
                "scheduler",
                "--tracking-uri",
                db_uri,
                "--poll-interval",
                "0.1",
                "--logs-dir",
                str(tmp_path / name),
                *extra,
            ],
            stdout=log,
            stderr=log,
            start_new_session=True,
        )


def _alive(pid: int) -> bool:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return False
    return fields[0] != "Z"


def _until(predicate, trials: int = 600, pause: float = 0.1) -> None:  # type: ignore[no-untyped-def]
    for _ in range(trials):
        if predicate():
            return
        time.sleep(pause)
    raise AssertionError("condition not reached")


def test_killed_scheduler_is_recovered_by_another(tmp_path: Path, db_uri: str) -> None:
    script = tmp_path / "hang_once.py"
    script.write_text(textwrap.dedent(SCRIPT))
    counter, pid_file = tmp_path / "counter", tmp_path / "pid"
    jobs = JobsClient(db_uri)
    job_id = jobs.create_job(
        {
            "name": "survives",
            "tasks": [
                {
                    "task_key": "t",
                    "max_retries": 1,
                    "spark_python_task": {
                        "python_file": str(script),
                        "parameters": [str(counter), str(pid_file)],
                    },
                }
            ],
        }
    )
    first = _scheduler(db_uri, tmp_path, "first")
    second = None
    try:
        run_id = jobs.run_now(job_id)
        _until(lambda: pid_file.exists() and pid_file.read_text().strip() != "")
        orphan = int(pid_file.read_text())
        assert jobs.get_run(run_id)["state"]["life_cycle_state"] == "RUNNING"
        os.killpg(first.pid, signal.SIGKILL)  # the server/scheduler dies mid-run
        first.wait(timeout=30)
        assert _alive(orphan)  # its task process is in its own session: still there
        second = _scheduler(db_uri, tmp_path, "second", "--lease-seconds", "1")
        _until(lambda: jobs.get_run(run_id)["state"]["life_cycle_state"] == "INTERNAL_ERROR")
        _until(lambda: not _alive(orphan), trials=200, pause=0.05)
        failed = jobs.get_run(run_id)
        assert failed["state"]["result_state"] == "FAILED"
        assert "no heartbeat" in failed["state"]["state_message"]
        runs = jobs.list_runs(job_id)["runs"]
        retry = next(r for r in runs if r["trigger"] == "RETRY")
        done = jobs.wait_for_run(retry["run_id"], timeout=120)
        assert done["state"]["result_state"] == "SUCCESS"
        assert "attempt 1 done" in jobs.get_run_output(done["tasks"][0]["run_id"])["logs"]
        assert len(jobs.list_runs(job_id)["runs"]) == 2  # nothing fired twice
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=60) == 0
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)
