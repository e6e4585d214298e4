"""The budget, failing trials, bad input and the Databricks-shaped summary.

Searches are bounded by ``max_trials`` or a short budget and asserted on counts and run states,
never on elapsed time.
"""

from __future__ import annotations

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
    exp = modelyard.MlflowClient().get_experiment_by_name(experiment_name)
    return modelyard.MlflowClient().search_runs([exp.experiment_id], max_results=1000)


def _houses(n: int = 750, seed: int = 0) -> pd.DataFrame:
    """The shape that made every trial fail: a small regression with integer prices and two
    high-cardinality categoricals (many categories, most of them rare)."""
    rng = np.random.default_rng(seed)
    city = rng.choice([f"city{i}" for i in range(120)], n)
    zipcode = rng.choice([f"9{i:04d}" for i in range(300)], n)
    sqft = rng.integers(500, 4000, n)
    price = (50_000 + 120 * sqft + rng.normal(0, 20_000, n)).round().astype(int)
    return pd.DataFrame({"city": city, "zip": zipcode, "sqft": sqft, "price": price})


def test_regression_with_rare_categories_is_never_stratified():
    summary = automl.regress(
        _houses(),
        target_col="price",
        max_trials=3,
        timeout_minutes=GENEROUS,
        ensemble=False,
        experiment_name="houses",
        progress=False,
    )
    assert len(summary.trials) == 3
    states = [r.info.status for r in _runs("houses")]
    assert states.count("FAILED") == 0
    assert summary.best_trial.metrics["test_r2_score"] > 0.5


def test_all_trials_failing_stops_at_the_first_error():
    df = _houses(200)
    df["sqft"] = df["sqft"].astype(float)
    df.loc[::3, "sqft"] = np.inf  # every featurization rejects infinite values
    with pytest.raises(InvalidParameterValue, match="first trial .* failed .*infinity"):
        automl.regress(
            df,
            target_col="price",
            timeout_minutes=GENEROUS,
            experiment_name="broken",
            progress=False,
        )
    runs = _runs("broken")
    trial_runs = [r for r in runs if r.data.tags.get("mlflow.parentRunId")]
    assert [r.info.status for r in trial_runs] == ["FAILED"]
    assert "infinity" in trial_runs[0].data.tags["automl.error"]
    parent = [r for r in runs if not r.data.tags.get("mlflow.parentRunId")]
    assert [r.info.status for r in parent] == ["FAILED"]


def test_short_budget_stops_on_time_and_logs_only_whole_trials():
    from sklearn.datasets import load_breast_cancer

    df = load_breast_cancer(as_frame=True).frame
    summary = automl.classify(
        df,
        target_col="target",
        timeout_minutes=0.5,  # 30 s: fewer trials than the search would like, and room for
        # the first trial on a busy machine (it must finish inside the budget)
        experiment_name="short",
        progress=False,
    )
    client = modelyard.MlflowClient()
    assert client.get_run(summary.parent_run_id).data.tags["automl.stop_reason"] == "timeout"
    trial_runs = [r for r in _runs("short") if r.data.tags.get("mlflow.parentRunId")]
    # a trial cut by the deadline is not logged: every logged trial is whole and finished
    assert len(trial_runs) == len(summary.trials) >= 1
    assert {r.info.status for r in trial_runs} == {"FINISHED"}
    for t in summary.trials:
        assert client.get_run(t.mlflow_run_id).data.metrics  # metrics were logged


def test_summary_has_databricks_fields_and_printed_form():
    from sklearn.datasets import load_wine

    df = load_wine(as_frame=True).frame
    summary = automl.classify(
        df,
        target_col="target",
        max_trials=2,
        timeout_minutes=GENEROUS,
        ensemble=False,
        experiment_name="wine",
        progress=False,
    )
    assert summary.experiment.name == "wine"
    assert summary.output_table_name is None
    assert isinstance(summary.metric_distribution, str)
    assert summary.metric_distribution.startswith("min: ")
    assert "median: " in summary.metric_distribution
    t = summary.best_trial
    assert t.model_path == f"runs:/{t.mlflow_run_id}/model"
    assert t.artifact_uri and t.mlflow_run_id in t.artifact_uri
    assert isinstance(t.duration, str) and float(t.duration) == pytest.approx(
        t.duration_seconds / 60, abs=1e-3
    )
    assert all(isinstance(v, str) for v in t.params.values())
    assert t.evaluation_metric_score == pytest.approx(t.metrics["val_f1_score"])
    assert "numeric (13)" in t.preprocessors
    assert t.notebook_path and t.notebook_url == f"file://{t.notebook_path}"
    assert t.model_uri and t.model_uri.startswith("models:/m-")
    text = str(summary)
    assert text.startswith("Overall summary:")
    assert "Number of trials: 2" in text
    assert f"Model path: runs:/{t.mlflow_run_id}/model" in text
    assert f"Evaluation metric score: {t.evaluation_metric_score:.3f}" in text
    assert set(t.load_model().predict(df.drop(columns="target").head(5))) <= {0, 1, 2}


def test_sample_weight_and_data_dir(tmp_path):
    df = _houses(300)
    df["w"] = np.where(df["sqft"] > 2000, 2.0, 1.0)
    summary = automl.regress(
        df,
        target_col="price",
        sample_weight_col="w",
        max_trials=1,
        timeout_minutes=GENEROUS,
        data_dir=str(tmp_path / "data"),
        experiment_dir=str(tmp_path / "exp"),
        progress=False,
    )
    assert (tmp_path / "data" / "data.parquet").exists()
    model = modelyard.sklearn.load_model(summary.best_trial.model_path)
    assert "w" not in model.named_steps["featurizer"].plan.used
    with pytest.raises(InvalidParameterValue, match="sample_weight_col"):
        automl.regress(df.assign(w=-1.0), target_col="price", sample_weight_col="w")


@pytest.mark.parametrize(
    ("frame", "kwargs", "match"),
    [
        (pd.DataFrame({"x": np.arange(40.0), "y": ["a"] * 40}), {}, "single class"),
        (
            pd.DataFrame({"x": np.arange(40.0), "y": ["a"] * 20 + ["b"] * 19 + ["c"]}),
            {},
            "'c'.* single row",
        ),
        (
            pd.DataFrame({"x": [np.nan] * 40, "y": ["a", "b"] * 20}),
            {},
            "no usable feature column",
        ),
        (
            pd.DataFrame({"x": np.arange(40.0), "y": ["a", "b"] * 20}),
            {"pos_label": "z"},
            "pos_label",
        ),
    ],
    ids=["one-class", "one-row-class", "all-nan-feature", "absent-pos-label"],
)
def test_bad_input_is_rejected_before_anything_is_logged(frame, kwargs, match):
    with pytest.raises(InvalidParameterValue, match=match):
        automl.classify(frame, target_col="y", experiment_name="bad", progress=False, **kwargs)
    assert modelyard.MlflowClient().get_experiment_by_name("bad") is None


def test_an_all_nan_feature_next_to_good_ones_is_dropped_with_a_message():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=60), "empty": np.nan, "y": ["a", "b", "b"] * 20})
    summary = automl.classify(
        df, target_col="y", max_trials=1, timeout_minutes=GENEROUS, progress=False
    )
    assert summary.dropped_columns == {"empty": "all values are missing"}
    assert any("'empty'" in m for m in summary.messages)
