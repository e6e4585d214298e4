"""XGBoost autologging: ``xgboost.train`` and the scikit-learn API on a packaged data set."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xgboost as xgb
from autolog_runs import experiment_runs, only_logged_model
from mlflow_keys import assert_same_keys
from sklearn.datasets import load_breast_cancer

import modelyard


def _data():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    return X, y


def test_train_logs_params_iteration_metrics_early_stopping_and_model(client, experiment_id):
    modelyard.xgboost.autolog()
    X, y = _data()
    dtrain, dvalid = xgb.DMatrix(X[:400], label=y[:400]), xgb.DMatrix(X[400:], label=y[400:])
    params = {"objective": "binary:logistic", "max_depth": 3, "eta": 0.3, "eval_metric": "logloss"}
    evals_result: dict = {}
    booster = xgb.train(
        params,
        dtrain,
        num_boost_round=200,
        evals=[(dtrain, "train"), (dvalid, "valid")],
        early_stopping_rounds=5,
        evals_result=evals_result,
        verbose_eval=False,
    )
    (run,) = experiment_runs(client, experiment_id)
    assert run.info.status == "FINISHED"
    assert run.data.tags["mlflow.autologging"] == "xgboost"
    p = run.data.params
    assert p["max_depth"] == "3" and p["objective"] == "binary:logistic"
    assert p["num_boost_round"] == "200" and p["early_stopping_rounds"] == "5"
    assert p["verbose_eval"] == "False" and "evals" not in p and "dtrain" not in p
    valid = evals_result["valid"]["logloss"]
    iterations = len(valid)
    history = client.get_metric_history(run.info.run_id, "valid-logloss")
    by_step = {m.step: m.value for m in history}
    assert [by_step[i] for i in range(iterations)] == pytest.approx(valid)
    assert run.data.metrics["best_iteration"] == booster.best_iteration
    assert run.data.metrics["stopped_iteration"] == iterations - 1
    assert iterations < 200  # it stopped early
    assert by_step[iterations] == pytest.approx(valid[booster.best_iteration])
    logged = only_logged_model(client, run)
    loaded = modelyard.pyfunc.load_model(f"models:/{logged.model_id}")
    np.testing.assert_allclose(loaded.predict(X), booster.predict(xgb.DMatrix(X)), rtol=1e-6)
    assert loaded.metadata.signature is not None
    importance = client.download_artifacts(run.info.run_id, "feature_importance_weight.json")
    with open(importance) as fh:
        assert json.load(fh) == booster.get_score(importance_type="weight")


def test_sklearn_api_logs_one_run_with_the_estimator(client, experiment_id):
    modelyard.xgboost.autolog()
    X, y = _data()
    clf = xgb.XGBClassifier(n_estimators=15, max_depth=2).fit(
        X[:400], y[:400], eval_set=[(X[400:], y[400:])], verbose=False
    )
    (run,) = experiment_runs(client, experiment_id)
    assert run.data.params["max_depth"] == "2"
    assert len(client.get_metric_history(run.info.run_id, "validation_0-logloss")) == 15
    logged = only_logged_model(client, run)
    assert logged.name == "model"
    native = modelyard.xgboost.load_model(f"models:/{logged.model_id}")
    assert isinstance(native, xgb.XGBClassifier)
    np.testing.assert_array_equal(native.predict(X), clf.predict(X))
    np.testing.assert_array_equal(
        modelyard.pyfunc.load_model(f"models:/{logged.model_id}").predict(X), clf.predict(X)
    )


def test_disable_and_failing_training(client, experiment_id):
    original = xgb.train
    modelyard.xgboost.autolog()
    assert xgb.train is not original
    X, y = _data()
    with pytest.raises(xgb.core.XGBoostError):
        xgb.train({"objective": "no:such"}, xgb.DMatrix(X, label=y), 2)
    (run,) = experiment_runs(client, experiment_id)
    assert run.info.status == "FAILED"
    modelyard.xgboost.autolog(disable=True)
    assert xgb.train is original
    xgb.train({"objective": "binary:logistic"}, xgb.DMatrix(X, label=y), 2)
    assert len(experiment_runs(client, experiment_id)) == 1


SNIPPET = """
import xgboost as xgb
from sklearn.datasets import load_breast_cancer
X, y = load_breast_cancer(return_X_y=True, as_frame=True)
d = xgb.DMatrix(X[:400], label=y[:400]); v = xgb.DMatrix(X[400:], label=y[400:])
xgb.train({"objective": "binary:logistic", "max_depth": 3, "eval_metric": ["logloss", "auc"]},
          d, 30, evals=[(d, "train"), (v, "valid")], early_stopping_rounds=3, verbose_eval=False)
xgb.XGBClassifier(n_estimators=20, max_depth=2, early_stopping_rounds=3).fit(
    X[:400], y[:400], eval_set=[(X[400:], y[400:])], verbose=False)
xgb.XGBRegressor(n_estimators=5).fit(X, y)
"""


def test_same_keys_as_mlflow_autolog(mlflow_python, tmp_path):
    ours = assert_same_keys(mlflow_python, "mlflow.xgboost.autolog()", SNIPPET, tmp_path)
    assert len(ours) == 3
    assert any({"valid-auc", "best_iteration"} <= set(r["metrics"]) for r in ours)
