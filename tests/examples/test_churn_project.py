"""The section 6 training notebook as a project: ``modelyard run`` and its nightly job spec."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from modelyard.client import MlflowClient

PROJECT = Path(__file__).resolve().parents[2] / "examples" / "churn_training_project"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    uri = f"sqlite:///{tmp_path / 'ex.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("MODELYARD_ARTIFACT_ROOT", (tmp_path / "artifacts").as_uri())
    monkeypatch.delenv("MODELYARD_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_RUN_ID", raising=False)
    return uri


def test_modelyard_run_the_training_project(tmp_path: Path, env: str) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from modelyard.cli.main import main; main()",
            "run",
            str(PROJECT),
            "--env-manager",
            "local",
            "-P",
            "n_estimators=20",
            "-P",
            "min_accuracy_threshold=0.5",
            "--experiment-name",
            "churn",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "déployé en Staging" in proc.stdout
    client = MlflowClient(env)
    exp = client.get_experiment_by_name("churn")
    assert exp is not None
    (run,) = client.search_runs([exp.experiment_id])
    assert run.data.params["n_estimators"] == "20"
    assert run.data.tags["mlflow.source.type"] == "PROJECT"
    assert run.info.run_name.startswith("training_")
    (version,) = client.get_latest_versions("customer_churn_classifier", stages=["Staging"])
    assert version.run_id == run.info.run_id


def test_nightly_job_spec(tmp_path: Path, env: str) -> None:
    from modelyard.cli.main import cli
    from modelyard.jobs.scheduler import Scheduler

    runner = CliRunner()
    created = runner.invoke(cli, ["jobs", "create", str(PROJECT / "nightly_job.yaml")])
    assert created.exit_code == 0, created.output
    job_id = int(created.output.strip())
    listed = runner.invoke(cli, ["jobs", "list"])
    assert "nightly-churn-training" in listed.output and "0 0 2 * * ?" in listed.output
    scheduler = Scheduler(env, poll_interval=0.2, logs_root=tmp_path / "logs").start()
    try:
        result = runner.invoke(
            cli, ["jobs", "run-now", str(job_id), "-P", "min_accuracy_threshold=0.99", "--wait"]
        )
    finally:
        scheduler.stop()
    assert result.exit_code == 0, result.output
    assert "TERMINATED SUCCESS" in result.output
    run_id = int(result.output.split()[0])
    logs = runner.invoke(cli, ["jobs", "logs", str(run_id)])
    assert "seuil 0.99" in logs.output  # the job parameter reached the notebook
    runs = runner.invoke(cli, ["jobs", "runs", "--job-id", str(job_id)])
    assert "ONE_TIME" in runs.output and "SUCCESS" in runs.output
    paused = runner.invoke(cli, ["jobs", "update", str(job_id), "--pause"])
    assert paused.exit_code == 0, paused.output
    shown = runner.invoke(cli, ["jobs", "get", str(job_id)])
    assert '"pause_status": "PAUSED"' in shown.output
    bad = runner.invoke(cli, ["jobs", "get", "999"])
    assert bad.exit_code != 0 and "RESOURCE_DOES_NOT_EXIST" in bad.output
    assert runner.invoke(cli, ["jobs", "delete", str(job_id)]).exit_code == 0
