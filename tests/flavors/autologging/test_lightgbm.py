"""LightGBM autologging: ``lightgbm.train`` and the scikit-learn API on a packaged data set."""

from __future__ import annotations

import json

import lightgbm as lgb
import numpy as np
import pytest
from autolog_runs import experiment_runs, only_logged_model
from mlflow_keys import assert_same_keys
from sklearn.datasets import load_breast_cancer, load_diabetes

import modelyard

PARAMS = {"objective": "binary", "metric": "binary_logloss", "num_leaves": 7, "verbose": -1}


def test_train_logs_params_iteration_metrics_early_stopping_and_model(client, experiment_id):
    modelyard.lightgbm.autolog()
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    train = lgb.Dataset(X[:400], label=y[:400])
    valid = lgb.Dataset(X[400:], label=y[400:], reference=train)
    record: dict = {}
    booster = lgb.train(
        PARAMS,
        train,
        num_boost_round=300,
        valid_sets=[valid],
        valid_names=["valid"],
        callbacks=[lgb.early_stopping(5, verbose=False), lgb.record_evaluation(record)],
    )
    (run,) = experiment_runs(client, experiment_id)
    assert run.data.tags["mlflow.autologging"] == "lightgbm"
    p = run.data.params
    assert p["num_leaves"] == "7" and p["num_boost_round"] == "300"
    assert p["keep_training_booster"] == "False" and "valid_sets" not in p
    losses = record["valid"]["binary_logloss"]
    history = {
        m.step: m.value for m in client.get_metric_history(run.info.run_id, "valid-binary_logloss")
    }
    assert [history[i] for i in range(len(losses))] == pytest.approx(losses)
    assert len(losses) < 300
    assert run.data.metrics["best_iteration"] == booster.best_iteration
    assert run.data.metrics["stopped_iteration"] == len(losses)
    assert history[len(losses)] == pytest.approx(losses[booster.best_iteration - 1])
    loaded = modelyard.pyfunc.load_model(f"models:/{only_logged_model(client, run).model_id}")
    np.testing.assert_allclose(loaded.predict(X), booster.predict(X), rtol=1e-6)
    path = client.download_artifacts(run.info.run_id, "feature_importance_gain.json")
    with open(path) as fh:
        gains = json.load(fh)
    assert set(gains) == set(booster.feature_name())  # LightGBM spells spaces as _
    assert sum(gains.values()) == pytest.approx(booster.feature_importance("gain").sum())


def test_sklearn_api_inside_a_user_run(client, experiment_id):
    modelyard.lightgbm.autolog()
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    with modelyard.start_run() as user:
        reg = lgb.LGBMRegressor(n_estimators=12, num_leaves=5, verbose=-1).fit(
            X[:350], y[:350], eval_X=(X[350:],), eval_y=(y[350:],)
        )
    (run,) = experiment_runs(client, experiment_id)
    assert run.info.run_id == user.info.run_id
    assert "mlflow.autologging" not in run.data.tags  # the user's run, not a managed one
    assert run.data.params["num_leaves"] == "5"
    assert len(client.get_metric_history(run.info.run_id, "valid_0-l2")) == 12
    native = modelyard.lightgbm.load_model(f"models:/{only_logged_model(client, run).model_id}")
    assert isinstance(native, lgb.LGBMRegressor)
    np.testing.assert_allclose(native.predict(X), reg.predict(X))


def test_log_models_off_and_disable(client, experiment_id):
    original = lgb.train
    modelyard.lightgbm.autolog(log_models=False)
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    lgb.train(PARAMS, lgb.Dataset(X, label=y), num_boost_round=3)
    (run,) = experiment_runs(client, experiment_id)
    assert client.search_logged_models([experiment_id]) == []
    assert run.data.params["objective"] == "binary"
    modelyard.lightgbm.autolog(disable=True)
    assert lgb.train is original


SNIPPET = """
import lightgbm as lgb
from sklearn.datasets import load_breast_cancer
X, y = load_breast_cancer(return_X_y=True, as_frame=True)
d = lgb.Dataset(X[:400], label=y[:400]); v = lgb.Dataset(X[400:], label=y[400:], reference=d)
lgb.train({"objective": "binary", "metric": ["binary_logloss", "auc"], "verbose": -1,
           "num_leaves": 7}, d, 30, valid_sets=[d, v], valid_names=["train", "valid"],
          callbacks=[lgb.early_stopping(3, verbose=False)])
lgb.LGBMClassifier(n_estimators=20, num_leaves=7, verbose=-1).fit(
    X[:400], y[:400], eval_set=[(X[400:], y[400:])],
    callbacks=[lgb.early_stopping(3, verbose=False)])
lgb.LGBMRegressor(n_estimators=5, verbose=-1).fit(X, y)
"""


def test_same_keys_as_mlflow_autolog(mlflow_python, tmp_path):
    ours = assert_same_keys(mlflow_python, "mlflow.lightgbm.autolog()", SNIPPET, tmp_path)
    assert len(ours) == 3
    assert any({"valid-auc", "stopped_iteration"} <= set(r["metrics"]) for r in ours)
