"""The tracking CLI commands, run through click's runner on a real SQLite store."""

from __future__ import annotations

import uuid

import pytest
from click.testing import CliRunner

import modelyard as mlflow
from modelyard.cli.main import cli


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    uri = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    mlflow.set_tracking_uri(uri)
    yield uri
    mlflow.set_tracking_uri(None)


def test_help_lists_commands():
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name in ("demo", "experiments", "runs", "models", "server", "db", "automl", "endpoints"):
        assert name in result.output


def test_experiments_create_list_rename_delete_restore(store):
    runner = CliRunner()
    name = f"cli-{uuid.uuid4().hex[:6]}"
    out = runner.invoke(cli, ["experiments", "create", "-n", name])
    assert out.exit_code == 0, out.output
    exp_id = out.output.strip().rsplit(" ", 1)[-1]
    listed = runner.invoke(cli, ["experiments", "list"])
    assert name in listed.output and "Default" in listed.output
    assert (
        runner.invoke(
            cli, ["experiments", "rename", "-x", exp_id, "--new-name", name + "-2"]
        ).exit_code
        == 0
    )
    assert runner.invoke(cli, ["experiments", "delete", "-x", exp_id]).exit_code == 0
    assert name + "-2" not in runner.invoke(cli, ["experiments", "list"]).output
    assert name + "-2" in runner.invoke(cli, ["experiments", "list", "--view", "all"]).output
    assert runner.invoke(cli, ["experiments", "restore", "-x", exp_id]).exit_code == 0


def test_runs_list_search_show(store):
    exp = mlflow.set_experiment(f"cli-runs-{uuid.uuid4().hex[:6]}")
    for acc in (0.7, 0.9):
        with mlflow.start_run(run_name=f"acc{acc}") as run:
            mlflow.log_param("model_type", "rf")
            mlflow.log_metric("accuracy", acc)
    runner = CliRunner()
    out = runner.invoke(
        cli,
        ["runs", "search", "-x", exp.experiment_id, "--filter", "metrics.accuracy > 0.8"],
    )
    assert out.exit_code == 0, out.output
    assert "acc0.9" in out.output and "acc0.7" not in out.output
    shown = runner.invoke(cli, ["runs", "show", run.info.run_id])
    assert shown.exit_code == 0
    assert "model_type = rf" in shown.output and "accuracy = 0.9" in shown.output
    bad = runner.invoke(
        cli, ["runs", "list", "-x", exp.experiment_id, "--filter", "metrics.a = 'x'"]
    )
    assert bad.exit_code != 0


def test_db_upgrade_and_current(tmp_path):
    uri = f"sqlite:///{tmp_path / 'fresh.db'}"
    runner = CliRunner()
    up = runner.invoke(cli, ["db", "upgrade", uri])
    assert up.exit_code == 0, up.output
    cur = runner.invoke(cli, ["db", "current", uri])
    assert cur.exit_code == 0
    head = cur.output.split("latest: ")[1].rstrip(")\n")
    assert cur.output.startswith(head)
