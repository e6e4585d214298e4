"""The fluent API end to end on SQLite and PostgreSQL, with MLflow's semantics."""

from __future__ import annotations

import math
import uuid
from pathlib import Path

import pytest

import modelyard as mlflow
from modelyard.client._async_logging import AsyncLoggingError
from modelyard.entities import RunStatus, ViewType
from modelyard.errors import InvalidParameterValue, ResourceDoesNotExist
from modelyard.tracking import MlflowClient


def _name() -> str:
    return f"/Users/me@company.com/exp-{uuid.uuid4().hex[:8]}"


def test_set_experiment_creates_then_reuses(tracking_uri):
    name = _name()
    first = mlflow.set_experiment(name)
    second = mlflow.set_experiment(name)
    assert first.experiment_id == second.experiment_id
    assert first.name == name
    assert mlflow.get_experiment_by_name(name).experiment_id == first.experiment_id


def test_run_context_manager_logs_everything(tracking_uri):
    mlflow.set_experiment(_name())
    with mlflow.start_run(run_name="rf_baseline", tags={"team": "data"}) as run:
        mlflow.log_param("n_estimators", 100)
        mlflow.log_params({"max_depth": 10, "model_type": "RandomForest"})
        mlflow.log_metric("accuracy", 0.91)
        mlflow.log_metrics({"f1_score": 0.88, "loss": float("nan")}, step=2)
        mlflow.set_tag("developer", "data_team")
        mlflow.set_tags({"stage": "dev"})
        assert mlflow.active_run().info.run_id == run.info.run_id
    assert mlflow.active_run() is None
    got = MlflowClient().get_run(run.info.run_id)
    assert got.info.status == RunStatus.FINISHED
    assert got.info.end_time is not None and got.info.end_time >= got.info.start_time
    assert got.info.run_name == "rf_baseline"
    assert got.data.params == {
        "n_estimators": "100",
        "max_depth": "10",
        "model_type": "RandomForest",
    }
    assert got.data.metrics["accuracy"] == 0.91
    assert got.data.metrics["f1_score"] == 0.88
    assert math.isnan(got.data.metrics["loss"])
    assert got.data.tags["team"] == "data"
    assert got.data.tags["developer"] == "data_team"
    assert got.data.tags["mlflow.runName"] == "rf_baseline"
    assert got.data.tags["mlflow.source.type"] == "LOCAL"
    assert mlflow.last_active_run().info.run_id == run.info.run_id


def test_failed_block_marks_run_failed(tracking_uri):
    mlflow.set_experiment(_name())
    with pytest.raises(ZeroDivisionError), mlflow.start_run() as run:
        1 / 0  # noqa: B018
    assert MlflowClient().get_run(run.info.run_id).info.status == RunStatus.FAILED


def test_nested_runs_and_resume(tracking_uri):
    mlflow.set_experiment(_name())
    with mlflow.start_run(run_name="parent") as parent:
        with pytest.raises(InvalidParameterValue, match="nested=True"):
            mlflow.start_run()
        with mlflow.start_run(run_name="child", nested=True) as child:
            mlflow.log_metric("m", 1.0)
    client = MlflowClient()
    assert client.get_run(child.info.run_id).data.tags["mlflow.parentRunId"] == parent.info.run_id
    with mlflow.start_run(run_id=parent.info.run_id) as resumed:
        assert resumed.info.status == RunStatus.RUNNING
        mlflow.log_metric("after_resume", 2.0)
    got = client.get_run(parent.info.run_id)
    assert got.info.status == RunStatus.FINISHED and got.data.metrics["after_resume"] == 2.0


def test_end_run_status_and_autostart(tracking_uri):
    mlflow.set_experiment(_name())
    mlflow.log_metric("auto", 3.0)  # starts a run, as MLflow does
    run = mlflow.active_run()
    assert run is not None
    mlflow.end_run(status="KILLED")
    assert MlflowClient().get_run(run.info.run_id).info.status == RunStatus.KILLED


def test_metric_steps_history_and_latest_rule(tracking_uri):
    mlflow.set_experiment(_name())
    with mlflow.start_run() as run:
        for step in (5, 1, 3):
            mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
        mlflow.log_metric("inf", float("inf"))
    client = MlflowClient()
    history = client.get_metric_history(run.info.run_id, "loss")
    assert sorted(m.step for m in history) == [1, 3, 5]
    assert client.get_run(run.info.run_id).data.metrics["loss"] == pytest.approx(1 / 6)
    assert client.get_run(run.info.run_id).data.metrics["inf"] == float("inf")


def test_params_are_immutable(tracking_uri):
    mlflow.set_experiment(_name())
    with mlflow.start_run():
        mlflow.log_param("lr", 0.1)
        mlflow.log_param("lr", 0.1)  # same value is fine
        with pytest.raises(InvalidParameterValue, match="lr"):
            mlflow.log_param("lr", 0.2)


def test_bad_keys_are_rejected_with_the_field(tracking_uri):
    mlflow.set_experiment(_name())
    with mlflow.start_run():
        with pytest.raises(InvalidParameterValue, match="metric"):
            mlflow.log_metric("../escape", 1.0)
        with pytest.raises(InvalidParameterValue, match="metric"):
            mlflow.log_metric("ok", "not-a-number")


def test_artifacts_text_dict_figure_image(tracking_uri, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    mlflow.set_experiment(_name())
    src = tmp_path / "report.txt"
    src.write_text("hello")
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "a.csv").write_text("x\n1\n")
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(src))
        mlflow.log_artifacts(str(folder), artifact_path="data")
        mlflow.log_text("some text", "notes/readme.md")
        mlflow.log_dict({"a": 1}, "config.json")
        mlflow.log_dict({"a": 1}, "config.yaml")
        fig, ax = plt.subplots()
        ax.plot([1, 2, 3])
        mlflow.log_figure(fig, "plots/line.png")
        plt.close(fig)
        mlflow.log_image(np.zeros((4, 4, 3), dtype=np.uint8), "images/black.png")
        uri = mlflow.get_artifact_uri()
    client = MlflowClient()
    top = {f.path for f in client.list_artifacts(run.info.run_id)}
    assert top == {"report.txt", "data", "notes", "config.json", "config.yaml", "plots", "images"}
    assert [f.path for f in client.list_artifacts(run.info.run_id, "data")] == ["data/a.csv"]
    local = client.download_artifacts(run.info.run_id, "notes/readme.md", str(tmp_path / "dl"))
    assert Path(local).read_text() == "some text"
    png = client.download_artifacts(run.info.run_id, "plots/line.png", str(tmp_path / "dl"))
    assert Path(png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert uri.endswith(f"{run.info.run_id}/artifacts")


def test_search_runs_dataframe_and_list(tracking_uri):
    exp = mlflow.set_experiment(_name())
    for i, (model_type, acc) in enumerate([("rf", 0.9), ("lr", 0.8), ("gb", 0.95)]):
        with mlflow.start_run(run_name=f"r{i}"):
            mlflow.log_param("model_type", model_type)
            mlflow.log_metric("accuracy", acc)
            mlflow.log_metric("f1_score", acc - 0.05)
    df = mlflow.search_runs(
        experiment_ids=[exp.experiment_id],
        filter_string="metrics.accuracy > 0.85",
        order_by=["metrics.f1_score DESC"],
        max_results=10,
    )
    assert list(df.columns[:6]) == [
        "run_id",
        "experiment_id",
        "status",
        "artifact_uri",
        "start_time",
        "end_time",
    ]
    assert list(df["params.model_type"]) == ["gb", "rf"]
    assert list(df["metrics.accuracy"]) == [0.95, 0.9]
    assert str(df["start_time"].dtype).startswith("datetime64")
    runs = mlflow.search_runs([exp.experiment_id], output_format="list")
    assert len(runs) == 3
    assert {r.data.params["model_type"] for r in runs} == {"rf", "lr", "gb"}
    with pytest.raises(InvalidParameterValue):
        mlflow.search_runs([exp.experiment_id], filter_string="metrics.accuracy > 'x'")


def test_delete_restore_and_view_types(tracking_uri):
    exp = mlflow.set_experiment(_name())
    with mlflow.start_run() as run:
        pass
    client = MlflowClient()
    client.delete_run(run.info.run_id)
    assert mlflow.search_runs([exp.experiment_id], output_format="list") == []
    deleted = mlflow.search_runs(
        [exp.experiment_id], run_view_type=ViewType.DELETED_ONLY, output_format="list"
    )
    assert [r.info.run_id for r in deleted] == [run.info.run_id]
    client.restore_run(run.info.run_id)
    assert len(mlflow.search_runs([exp.experiment_id], output_format="list")) == 1
    client.delete_experiment(exp.experiment_id)
    with pytest.raises(InvalidParameterValue, match="deleted"):
        mlflow.set_experiment(exp.name)
    client.restore_experiment(exp.experiment_id)
    assert mlflow.set_experiment(exp.name).experiment_id == exp.experiment_id


def test_default_experiment_and_unknown_run(tracking_uri):
    assert MlflowClient().get_experiment("0").name == "Default"
    with pytest.raises(ResourceDoesNotExist):
        MlflowClient().get_run(uuid.uuid4().hex)


def test_async_logging_flushes_on_end_run(tracking_uri):
    mlflow.set_experiment(_name())
    with mlflow.start_run() as run:
        for step in range(2500):
            mlflow.log_metric("loss", 1.0 / (step + 1), step=step, synchronous=False)
        mlflow.log_param("async", "yes", synchronous=False)
    client = MlflowClient()
    assert len(client.get_metric_history(run.info.run_id, "loss")) == 2500
    assert client.get_run(run.info.run_id).data.params["async"] == "yes"


def test_async_logging_surfaces_failures(tracking_uri):
    mlflow.set_experiment(_name())
    with mlflow.start_run():
        mlflow.log_param("p", "1")
        mlflow.log_param("p", "2", synchronous=False)  # conflicts: immutable param
        with pytest.raises(AsyncLoggingError, match="asynchronous") as info:
            mlflow.flush_async_logging()
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"
