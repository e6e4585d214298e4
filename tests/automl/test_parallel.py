"""Trials in parallel (``parallelism=N``): worker processes compute, this process keeps the
Optuna study and logs every trial as the sequential search does.

Every search is bounded by ``max_trials`` (or by the number of candidate models) and seeded;
the time budget is a safety net only. Nothing is asserted on elapsed time.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

import modelyard
from modelyard import automl
from modelyard.errors import InvalidParameterValue

pytestmark = pytest.mark.timeout(900)
GENEROUS = 30  # minutes: a safety net only; the searches end at max_trials


@pytest.fixture(autouse=True)
def _tracking(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    modelyard.set_tracking_uri(f"sqlite:///{tmp_path}/t.db")
    yield
    modelyard.set_tracking_uri(None)


def _runs(experiment_name: str) -> list:
    client = modelyard.MlflowClient()
    exp = client.get_experiment_by_name(experiment_name)
    return client.search_runs([exp.experiment_id], max_results=1000)


def _trial_runs(experiment_name: str) -> list:
    return [r for r in _runs(experiment_name) if r.data.tags.get("mlflow.parentRunId")]


def _parent(summary):
    return modelyard.MlflowClient().get_run(summary.parent_run_id)


def _classification(n: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 6))
    logit = 1.5 * X[:, 0] - X[:, 1] + 0.5 * X[:, 2] * X[:, 3]
    df = pd.DataFrame(X, columns=[f"x{i}" for i in range(6)])
    df["label"] = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    return df


def test_two_workers_log_every_trial_once_with_distinct_configurations():
    summary = automl.classify(
        _classification(),
        target_col="label",
        exclude_frameworks=["lightgbm", "xgboost"],  # 4 defaults, then 6 asked from TPE
        max_trials=10,
        timeout_minutes=GENEROUS,
        ensemble=False,
        parallelism=2,
        experiment_name="par",
        progress=False,
    )
    parent = _parent(summary)
    assert parent.data.tags["automl.stop_reason"] == "max_trials"
    assert parent.data.tags["automl.failed_trials"] == "0"
    runs = _trial_runs("par")
    assert len(runs) == len(summary.trials) == 10
    assert {r.info.run_id for r in runs} == {t.mlflow_run_id for t in summary.trials}
    assert {r.info.status for r in runs} == {"FINISHED"}
    # numbered 0..9 in order of completion, tagged and named as in the sequential search
    assert sorted(int(r.data.tags["automl.trial"]) for r in runs) == list(range(10))
    for r in runs:
        n, family = r.data.tags["automl.trial"], r.data.params["family"]
        assert r.data.tags["mlflow.runName"] == f"trial_{n}_{family}"
        assert r.data.tags["automl.framework"] == "sklearn"
        assert {"classifier", "framework", "decision_threshold", "class_weight"} <= set(
            r.data.params
        )
        assert {"cv_f1_score", "val_f1_score", "test_f1_score"} <= set(r.data.metrics)
    configs = [tuple(sorted(r.data.params.items())) for r in runs]
    assert len(set(configs)) == len(configs)  # the constant liar kept parallel asks apart
    # the best trial is the one with the best cross-validated score among the logged runs
    best = max(runs, key=lambda r: r.data.metrics["cv_f1_score"])
    assert summary.best_trial.cv_score == pytest.approx(best.data.metrics["cv_f1_score"])
    assert parent.data.tags["automl.best_run_id"] == summary.best_trial.mlflow_run_id
    assert parent.data.metrics["best_val_f1_score"] == pytest.approx(
        summary.best_trial.metrics["val_f1_score"]
    )
    model = modelyard.sklearn.load_model(summary.best_trial.model_path)
    assert set(model.predict(_classification(20, seed=1).drop(columns="label"))) <= {"yes", "no"}


def _rare_middle_class() -> pd.DataFrame:
    """Three classes, the middle one ("b") with one training row: in the cross-validation fold
    that holds it out, XGBoost sees labels {0, 2} and refuses them; the other families train."""
    rng = np.random.default_rng(0)
    n = 240
    x = rng.normal(size=(n, 3))
    label = np.where(x[:, 0] > 0, "c", "a").astype(object)
    label[[0, 1]] = "b"
    split = rng.choice(["train", "validate", "test"], n, p=[0.6, 0.2, 0.2]).astype(object)
    split[0], split[1] = "train", "test"
    return pd.DataFrame({"x0": x[:, 0], "x1": x[:, 1], "x2": x[:, 2], "y": label, "s": split})


def test_a_failing_trial_in_a_worker_is_a_failed_run_and_the_search_goes_on():
    summary = automl.classify(
        _rare_middle_class(),
        target_col="y",
        split_col="s",
        primary_metric="accuracy",
        max_trials=6,
        timeout_minutes=GENEROUS,
        ensemble=False,
        parallelism=2,
        experiment_name="fails",
        progress=False,
    )
    parent = _parent(summary)
    runs = _trial_runs("fails")
    failed = [r for r in runs if r.info.status == "FAILED"]
    finished = [r for r in runs if r.info.status == "FINISHED"]
    assert len(finished) == len(summary.trials) == 6
    assert len(failed) == int(parent.data.tags["automl.failed_trials"]) >= 1
    for r in failed:
        assert r.data.params["family"] == "xgboost"
        assert r.data.tags["automl.trial"] == "failed"
        assert r.data.tags["mlflow.runName"].startswith("trial_failed_")
        assert "Invalid classes" in r.data.tags["automl.error"]
    assert parent.data.tags["automl.stop_reason"] == "max_trials"


def test_every_trial_failing_stops_with_the_first_error():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=200), "z": rng.normal(size=200)})
    df["y"] = 3 * df["x"] + rng.normal(size=200)
    df.loc[::3, "x"] = np.inf  # every featurization rejects infinite values
    with pytest.raises(InvalidParameterValue, match="first trial .* failed .*infinity"):
        automl.regress(
            df,
            target_col="y",
            timeout_minutes=GENEROUS,
            parallelism=2,
            experiment_name="broken",
            progress=False,
        )
    runs = _runs("broken")
    trial_runs = [r for r in runs if r.data.tags.get("mlflow.parentRunId")]
    # the trials already running when the first one failed may fail too; none after them
    assert 1 <= len(trial_runs) <= 2
    assert {r.info.status for r in trial_runs} == {"FAILED"}
    assert all("infinity" in r.data.tags["automl.error"] for r in trial_runs)
    parent = [r for r in runs if not r.data.tags.get("mlflow.parentRunId")]
    assert [r.info.status for r in parent] == ["FAILED"]


def test_more_workers_than_cores_are_capped_with_a_warning():
    cores = os.cpu_count() or 1
    with pytest.warns(UserWarning, match=rf"'parallelism'={cores + 1} .* using {cores}"):
        summary = automl.regress(
            _classification().assign(label=lambda d: d["x0"] * 2 + d["x1"]),
            target_col="label",
            exclude_frameworks=["xgboost", "lightgbm"],
            max_trials=2,
            timeout_minutes=GENEROUS,
            ensemble=False,
            parallelism=cores + 1,
            experiment_name="capped",
            progress=False,
        )
    assert len(summary.trials) == len(_trial_runs("capped")) == 2


@pytest.mark.parametrize("value", [0, -1, 1.5, "2", True, None])
@pytest.mark.parametrize("task", ["classify", "regress", "forecast"])
def test_bad_parallelism_is_rejected_before_anything_is_logged(task, value):
    df = _classification(40).assign(
        t=pd.date_range("2024-01-01", periods=40, freq="D"), v=np.arange(40.0)
    )
    kwargs: dict = {"time_col": "t", "target_col": "v"} if task == "forecast" else {}
    if task == "classify":
        kwargs["target_col"] = "label"
    elif task == "regress":
        kwargs["target_col"] = "v"
    with pytest.raises(InvalidParameterValue, match="'parallelism' must be a positive integer"):
        getattr(automl, task)(
            df, experiment_name="bad", progress=False, parallelism=value, **kwargs
        )
    assert modelyard.MlflowClient().get_experiment_by_name("bad") is None


def _series() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    days = pd.date_range("2023-01-01", periods=90, freq="D")
    rows = []
    for store, level in (("a", 10.0), ("b", 30.0)):
        y = level + 3 * np.sin(np.arange(90) * 2 * np.pi / 7) + rng.normal(0, 0.5, 90)
        rows.append(pd.DataFrame({"store": store, "day": days, "sales": y}))
    return pd.concat(rows, ignore_index=True)


def test_forecast_candidates_in_parallel_match_the_sequential_ones():
    common = dict(
        target_col="sales",
        time_col="day",
        frequency="D",
        horizon=7,
        identity_col="store",
        timeout_minutes=GENEROUS,
        progress=False,
    )
    seq = automl.forecast(_series(), experiment_name="seq", **common)
    par = automl.forecast(_series(), experiment_name="par", parallelism=2, **common)
    assert [t.model_description for t in par.trials] == [t.model_description for t in seq.trials]
    assert len(_trial_runs("par")) == len(par.trials) == 4
    for a, b in zip(seq.trials, par.trials, strict=True):
        assert a.metrics == pytest.approx(b.metrics)
    assert par.best_trial.model_description == seq.best_trial.model_description
    assert _parent(par).data.tags["automl.best_run_id"] == par.best_trial.mlflow_run_id


def test_cli_parallelism(tmp_path):
    from click.testing import CliRunner

    from modelyard.cli.automl import automl_group

    path = tmp_path / "data.csv"
    _classification().to_csv(path, index=False)
    args = ["classify", "--data", str(path), "--target", "label", "--max-trials", "3"]
    args += ["--timeout-minutes", str(GENEROUS), "--experiment-name", "cli"]
    result = CliRunner().invoke(automl_group, [*args, "--parallelism", "2"])
    assert result.exit_code == 0, result.output
    assert "trials: " in result.output
    trial_runs = _trial_runs("cli")
    assert {r.info.status for r in trial_runs} == {"FINISHED"}
    assert len([r for r in trial_runs if "members" not in r.data.params]) == 3
    bad = CliRunner().invoke(automl_group, [*args, "--parallelism", "0"])
    assert bad.exit_code == 2
    assert "--parallelism" in bad.output


@pytest.mark.spark
@pytest.mark.timeout(30 * 60)  # a JVM start: minutes on a loaded machine
def test_trials_as_spark_tasks(spark):
    summary = automl.classify(
        _classification(),
        target_col="label",
        exclude_frameworks=["lightgbm", "xgboost"],
        max_trials=6,
        timeout_minutes=GENEROUS,
        ensemble=False,
        parallelism=2,
        spark=spark,
        experiment_name="spark",
        progress=False,
    )
    parent = _parent(summary)
    assert parent.data.tags["automl.stop_reason"] == "max_trials"
    runs = _trial_runs("spark")
    assert len(runs) == len(summary.trials) == 6
    assert {r.info.status for r in runs} == {"FINISHED"}
    configs = [tuple(sorted(r.data.params.items())) for r in runs]
    assert len(set(configs)) == len(configs)
    best = max(runs, key=lambda r: r.data.metrics["cv_f1_score"])
    assert parent.data.tags["automl.best_run_id"] == best.info.run_id


def test_spark_must_be_a_session():
    with pytest.raises(InvalidParameterValue, match="'spark' must be a SparkSession"):
        automl.classify(_classification(40), target_col="label", spark="local[2]")


# The worker pool on its own: jobs are functions of this module, which the workers import.


def _setup(base: int, *, threads: int) -> dict:
    return {"base": base, "threads": threads, "pid": os.getpid()}


def _add(state: dict, x: int) -> int:
    return state["base"] + x


def _exit(state: dict, code: int) -> None:
    os._exit(code)


def _sleep(state: dict, seconds: float) -> None:
    import time

    time.sleep(seconds)


def _state(state: dict, _: int) -> dict:
    return state


def test_pool_answers_replaces_a_dead_worker_and_terminates_a_running_one():
    import time

    from modelyard.automl._pool import WorkerDied, WorkerPool

    pool = WorkerPool(2, _setup, (40,))
    try:
        a, b = pool.workers
        a.submit("sum", _add, 2)
        b.submit("state", _state, 0)
        answers = []
        while len(answers) < 2:
            answers += pool.wait(time.monotonic() + 600)
        got = {job: (kind, value) for _w, job, kind, value in answers}
        assert got["sum"] == ("ok", 42)
        assert got["state"][1]["threads"] == max(1, (os.cpu_count() or 1) // 2)
        assert got["state"][1]["pid"] != os.getpid()
        pool.workers[0].submit("dies", _exit, 3)
        [(_w, job, kind, value)] = pool.wait(time.monotonic() + 600)
        assert (job, kind) == ("dies", "error")
        assert isinstance(value, WorkerDied) and "code 3" in str(value)
        assert len(pool.idle()) == 2  # a fresh worker took the dead one's place
        pool.workers[0].submit("again", _add, 1)
        assert [v for *_, v in pool.wait(time.monotonic() + 600)] == [41]
        running = pool.workers[1]
        running.submit("forever", _sleep, 3600)
        assert pool.wait(time.monotonic() + 0.5) == []  # still running: nothing to read
        pid = running.proc.pid
    finally:
        pool.close()  # terminates the running worker instead of awaiting it
    assert pool.workers == []
    with pytest.raises(ProcessLookupError):  # terminated and reaped
        os.kill(pid, 0)
