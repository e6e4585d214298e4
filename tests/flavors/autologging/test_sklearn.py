"""scikit-learn autologging: real training on packaged data sets, read back through the client."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from autolog_runs import experiment_runs
from mlflow_keys import assert_same_keys
from sklearn import metrics
from sklearn.datasets import load_diabetes, load_iris
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import modelyard
from modelyard.errors import InvalidParameterValue

CLASSIFIER_METRICS = {
    "training_accuracy_score",
    "training_f1_score",
    "training_log_loss",
    "training_precision_score",
    "training_recall_score",
    "training_roc_auc",
    "training_score",
}
REGRESSOR_METRICS = {
    "training_mean_absolute_error",
    "training_mean_squared_error",
    "training_r2_score",
    "training_root_mean_squared_error",
    "training_score",
}


def _iris():
    return load_iris(return_X_y=True, as_frame=True)


def _logged_model(client, run):
    models = client.search_logged_models([run.info.experiment_id])
    mine = [m for m in models if m.source_run_id == run.info.run_id]
    return {m.name: m for m in mine}


def test_classifier_run_params_metrics_tags_model(client, experiment_id):
    modelyard.sklearn.autolog()
    X, y = _iris()
    model = LogisticRegression(max_iter=500, C=0.5).fit(X, y)
    (run,) = experiment_runs(client, experiment_id)
    assert run.info.status == "FINISHED"
    tags = run.data.tags
    assert tags["mlflow.autologging"] == "sklearn"
    assert tags["estimator_name"] == "LogisticRegression"
    assert tags["estimator_class"] == "sklearn.linear_model._logistic.LogisticRegression"
    assert run.data.params == {k: str(v) for k, v in model.get_params().items()}
    assert set(run.data.metrics) == CLASSIFIER_METRICS
    pred = model.predict(X)
    assert run.data.metrics["training_accuracy_score"] == pytest.approx(
        metrics.accuracy_score(y, pred)
    )
    assert run.data.metrics["training_f1_score"] == pytest.approx(
        metrics.f1_score(y, pred, average="weighted")
    )
    assert run.data.metrics["training_score"] == pytest.approx(model.score(X, y))
    logged = _logged_model(client, run)["model"]
    loaded = modelyard.pyfunc.load_model(f"models:/{logged.model_id}")
    np.testing.assert_array_equal(loaded.predict(X), pred)
    assert [c["name"] for c in loaded.metadata.signature.inputs.to_dict()] == list(X.columns)
    assert logged.params["C"] == "0.5"
    assert loaded.metadata.saved_input_example_info is None  # log_input_examples=False
    artifacts = {f.path for f in client.list_artifacts(run.info.run_id)}
    assert "estimator.html" in artifacts


def test_regressor_metrics_and_pipeline_logs_once(client, experiment_id):
    modelyard.sklearn.autolog()
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    pipe = Pipeline(
        [("scale", StandardScaler()), ("rf", RandomForestRegressor(n_estimators=8, random_state=0))]
    ).fit(X, y)
    (run,) = experiment_runs(client, experiment_id)  # the steps' own fit calls made no runs
    assert run.data.tags["estimator_name"] == "Pipeline"
    assert set(run.data.metrics) == REGRESSOR_METRICS
    mse = metrics.mean_squared_error(y, pipe.predict(X))
    assert run.data.metrics["training_mean_squared_error"] == pytest.approx(mse)
    assert run.data.metrics["training_root_mean_squared_error"] == pytest.approx(np.sqrt(mse))
    assert run.data.params["rf__n_estimators"] == "8"
    assert run.data.params["scale__with_mean"] == "True"
    loaded = modelyard.sklearn.load_model(f"models:/{_logged_model(client, run)['model'].model_id}")
    np.testing.assert_allclose(loaded.predict(X), pipe.predict(X))


def test_grid_search_parent_and_best_children(client, experiment_id):
    modelyard.sklearn.autolog(max_tuning_runs=2)
    X, y = _iris()
    grid = {"C": [0.01, 0.1, 1.0, 10.0]}
    search = GridSearchCV(LogisticRegression(max_iter=500), grid, cv=3).fit(X, y)
    runs = experiment_runs(client, experiment_id)
    parent = next(r for r in runs if "mlflow.parentRunId" not in r.data.tags)
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id]
    assert len(runs) == 3 and len(children) == 2
    assert parent.data.metrics["best_cv_score"] == pytest.approx(search.best_score_)
    assert parent.data.params["best_C"] == str(search.best_params_["C"])
    assert "estimator__C" not in parent.data.params  # the seed estimator is not logged deeply
    ranks = search.cv_results_["rank_test_score"]
    best_two = {str(grid["C"][i]) for i in np.argsort(ranks, kind="stable")[:2]}
    assert {c.data.params["C"] for c in children} == best_two
    for child in children:
        assert child.info.status == "FINISHED"
        assert child.data.tags["mlflow.autologging"] == "sklearn"
        assert child.data.tags["estimator_name"] == "LogisticRegression"
        i = grid["C"].index(float(child.data.params["C"]))
        assert child.data.metrics["mean_test_score"] == pytest.approx(
            search.cv_results_["mean_test_score"][i]
        )
        assert child.data.metrics["rank_test_score"] == ranks[i]
    names = set(_logged_model(client, parent))
    assert names == {"model", "best_estimator"}
    artifacts = {f.path for f in client.list_artifacts(parent.info.run_id)}
    assert "cv_results.csv" in artifacts


def test_active_user_run_is_used_and_exclusive_skips_it(client, experiment_id):
    modelyard.sklearn.autolog()
    X, y = _iris()
    with modelyard.start_run() as run:
        LogisticRegression(max_iter=500).fit(X, y)
        assert modelyard.active_run().info.run_id == run.info.run_id  # not ended by autolog
    got = client.get_run(run.info.run_id)
    assert "mlflow.autologging" not in got.data.tags
    assert got.data.tags["estimator_name"] == "LogisticRegression"
    modelyard.sklearn.autolog(exclusive=True)
    with modelyard.start_run() as user:
        LogisticRegression(max_iter=500).fit(X, y)
    assert client.get_run(user.info.run_id).data.params == {}
    LogisticRegression(max_iter=500).fit(X, y)  # no user run: a managed run is still created
    assert len(experiment_runs(client, experiment_id)) == 3


def test_options_log_models_inputs_registry_and_tags(client, experiment_id):
    X, y = _iris()
    modelyard.sklearn.autolog(log_models=False, extra_tags={"team": "ds"})
    LogisticRegression(max_iter=500).fit(X, y)
    (run,) = experiment_runs(client, experiment_id)
    assert _logged_model(client, run) == {}
    assert run.data.tags["team"] == "ds"
    modelyard.sklearn.autolog(log_input_examples=True, registered_model_name="iris_clf")
    LogisticRegression(max_iter=500).fit(X, y)
    second = experiment_runs(client, experiment_id)[-1]
    logged = _logged_model(client, second)["model"]
    loaded = modelyard.pyfunc.load_model(f"models:/{logged.model_id}")
    assert loaded.metadata.saved_input_example_info is not None  # off by default, on here
    assert client.get_latest_versions("iris_clf")[0].version == "1"


def test_disable_restores_the_original_methods():
    original_fit = LogisticRegression.fit
    had_own = "fit" in vars(Pipeline)
    modelyard.sklearn.autolog()
    assert LogisticRegression.fit is not original_fit
    modelyard.sklearn.autolog(disable=True)
    assert LogisticRegression.fit is original_fit
    assert ("fit" in vars(Pipeline)) is had_own


def test_autologging_failure_never_breaks_fit(client, experiment_id, caplog):
    modelyard.sklearn.autolog()
    X, y = _iris()
    with modelyard.start_run() as run:
        modelyard.log_param("C", "already-set")  # autologging's C=1.0 is refused by the store
        with caplog.at_level(logging.WARNING, logger="modelyard.autologging"):
            model = LogisticRegression(max_iter=500).fit(X, y)
    assert model.predict(X).shape == (150,)
    assert any("failed before training" in r.getMessage() for r in caplog.records)
    assert client.get_run(run.info.run_id).data.params["C"] == "already-set"
    caplog.clear()
    modelyard.sklearn.autolog(silent=True)
    with modelyard.start_run():
        modelyard.log_param("C", "already-set")
        with caplog.at_level(logging.DEBUG, logger="modelyard.autologging"):
            LogisticRegression(max_iter=500).fit(X, y)
    assert caplog.records == []


def test_training_error_propagates_and_fails_the_managed_run(client, experiment_id):
    modelyard.sklearn.autolog()
    X, _ = _iris()
    with pytest.raises(ValueError):
        LogisticRegression().fit(X, np.zeros(len(X)))  # one class: sklearn refuses
    (run,) = experiment_runs(client, experiment_id)
    assert run.info.status == "FAILED"
    assert modelyard.active_run() is None


def test_warnings_inside_autologging_become_log_records(client, experiment_id, caplog):
    """A classifier that predicts one class makes precision undefined; scikit-learn's warning is
    reported through logging, never raised into the caller (pytest turns warnings into errors)."""
    modelyard.sklearn.autolog()
    X, y = _iris()
    with caplog.at_level(logging.WARNING, logger="modelyard.autologging"):
        DummyClassifier(strategy="most_frequent").fit(X, y)
    (run,) = experiment_runs(client, experiment_id)
    assert run.data.metrics["training_accuracy_score"] == pytest.approx(1 / 3)
    assert any("UndefinedMetricWarning" in r.getMessage() for r in caplog.records)


def test_bad_options_are_refused():
    with pytest.raises(InvalidParameterValue, match="max_tuning_runs"):
        modelyard.sklearn.autolog(max_tuning_runs=-1)
    with pytest.raises(InvalidParameterValue, match="serialization_format"):
        modelyard.sklearn.autolog(serialization_format="joblib")
    with pytest.raises(InvalidParameterValue, match="extra_tags"):
        modelyard.sklearn.autolog(extra_tags=["x"])  # type: ignore[arg-type]


SNIPPET = """
from sklearn.datasets import load_diabetes, load_iris
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
X, y = load_iris(return_X_y=True, as_frame=True)
Pipeline([("s", StandardScaler()), ("m", LogisticRegression(max_iter=500))]).fit(X, y)
GridSearchCV(LogisticRegression(max_iter=500), {"C": [0.1, 1, 10]}, cv=3).fit(X, y)
Xr, yr = load_diabetes(return_X_y=True, as_frame=True)
RandomForestRegressor(n_estimators=5, random_state=0).fit(Xr, yr)
RandomizedSearchCV(
    RandomForestRegressor(n_estimators=5, random_state=0), {"max_depth": [2, 3, 4, 5]},
    n_iter=3, cv=2, random_state=0,
).fit(Xr, yr)
"""


def test_same_keys_as_mlflow_autolog(mlflow_python, tmp_path):
    ours = assert_same_keys(
        mlflow_python, "mlflow.sklearn.autolog(max_tuning_runs=2)", SNIPPET, tmp_path
    )
    assert len(ours) == 8  # 4 fits, 2 searches with 2 child runs each
    assert any("training_roc_auc" in r["metrics"] for r in ours)
    assert sum(r["parent"] for r in ours) == 4


def test_same_keys_as_mlflow_with_models_off(mlflow_python, tmp_path):
    setup = "mlflow.sklearn.autolog(log_models=False, extra_tags={'team': 'ds'})"
    snippet = "from sklearn.datasets import load_iris\nfrom sklearn.svm import SVC\n" + (
        "X, y = load_iris(return_X_y=True)\nSVC().fit(X, y)\n"
    )
    (run,) = assert_same_keys(mlflow_python, setup, snippet, tmp_path)
    assert "training_log_loss" not in run["metrics"]  # SVC has no predict_proba by default
    assert "team" in run["tags"]


def test_numpy_input_and_no_labels(client, experiment_id):
    modelyard.sklearn.autolog()
    from sklearn.cluster import KMeans

    X = pd.DataFrame(np.random.default_rng(0).normal(size=(60, 3)), columns=["a", "b", "c"])
    km = KMeans(n_clusters=2, n_init=2, random_state=0).fit(X.to_numpy())
    (run,) = experiment_runs(client, experiment_id)
    assert run.data.params["n_clusters"] == "2"
    assert set(run.data.metrics) == set()  # no labels, no training metrics
    logged = _logged_model(client, run)["model"]
    loaded = modelyard.pyfunc.load_model(f"models:/{logged.model_id}")
    np.testing.assert_array_equal(loaded.predict(X.to_numpy()), km.predict(X.to_numpy()))
