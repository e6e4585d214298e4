"""``modelyard models`` through click's runner on a real SQLite registry."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

import modelyard as mlflow
from modelyard.cli.main import cli
from modelyard.client import MlflowClient


@pytest.fixture
def registry(tmp_path, monkeypatch) -> MlflowClient:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MODELYARD_USER", "carol")
    uri = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    mlflow.set_tracking_uri(uri)
    client = MlflowClient(tracking_uri=uri)
    client.create_registered_model("churn", description="churn model")
    for _ in range(3):
        client.create_model_version("churn", "runs:/abc123/model", run_id="abc123")
    yield client
    mlflow.set_tracking_uri(None)


def _run(*args: str) -> str:
    result = CliRunner().invoke(cli, ["models", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_help() -> None:
    out = _run("--help")
    for word in ("list", "versions", "transition", "alias", "history"):
        assert word in out
    assert "Archived" in _run("transition", "--help")


def test_transition_alias_history(registry: MlflowClient) -> None:
    assert "now in stage Production" in _run("transition", "churn", "1", "production")
    _run("transition", "churn", "2", "Production", "--archive-existing")
    assert registry.get_model_version("churn", 1).current_stage == "Archived"
    assert "now points to v2" in _run("alias", "churn", "champion", "2")
    assert "churn@champion -> v2 (Production)" in _run("alias", "churn", "champion")
    assert "deleted" in _run("alias", "churn", "champion", "--delete")

    lines = _run("history", "churn").splitlines()
    assert lines[0].split() == ["time", "(UTC)", "user", "version", "change", "from", "to"]
    body = [line.split()[2:] for line in lines[2:]]  # drop the date and time columns
    assert body == [
        ["carol", "1", "stage", "None", "Production"],
        ["carol", "1", "stage", "Production", "Archived"],
        ["carol", "2", "stage", "None", "Production"],
        ["carol", "2", "alias", "set", "champion"],
        ["carol", "2", "alias", "removed", "champion"],
    ]
    only_1 = _run("history", "churn", "--version", "1").splitlines()[2:]
    assert len(only_1) == 2


def test_list_and_versions(registry: MlflowClient) -> None:
    registry.transition_model_version_stage("churn", 3, "Staging")
    registry.set_registered_model_alias("churn", "challenger", 3)
    listed = _run("list")
    assert "churn" in listed
    assert "None:v2, Staging:v3" in listed
    assert "challenger->v3" in listed
    rows = [line.split()[:2] for line in _run("versions", "churn").splitlines()[2:]]
    assert rows == [["3", "Staging"], ["2", "None"], ["1", "None"]]
    staged = _run("versions", "churn", "--stage", "staging").splitlines()[2:]
    assert [line.split()[0] for line in staged] == ["3"]


def test_errors_are_one_line(registry: MlflowClient) -> None:
    result = CliRunner().invoke(cli, ["models", "transition", "churn", "9", "Production"])
    assert result.exit_code != 0
    assert "RESOURCE_DOES_NOT_EXIST" in result.output
    bad = CliRunner().invoke(cli, ["models", "alias", "churn", "latest", "1"])
    assert bad.exit_code != 0
    assert "reserved" in bad.output
