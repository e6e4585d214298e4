"""``modelyard.autolog()``: every installed library at once, nested fits logged once, cheap import."""

from __future__ import annotations

import subprocess
import sys

import lightgbm as lgb
import pytest
import xgboost as xgb
from autolog_runs import experiment_runs
from mlflow_keys import assert_same_keys
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import modelyard
from modelyard.errors import InvalidParameterValue
from modelyard.flavors.autologging import _core


def test_enables_every_library_and_disable_restores_all(client, experiment_id):
    originals = (Ridge.fit, xgb.train, lgb.train, xgb.XGBRegressor.fit, lgb.LGBMRegressor.fit)
    modelyard.autolog(extra_tags={"origin": "test"})
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    Ridge().fit(X, y)
    xgb.XGBRegressor(n_estimators=4).fit(X, y)
    lgb.LGBMRegressor(n_estimators=4, verbose=-1).fit(X, y)
    runs = experiment_runs(client, experiment_id)
    assert [r.data.tags["mlflow.autologging"] for r in runs] == ["sklearn", "xgboost", "lightgbm"]
    assert all(r.data.tags["origin"] == "test" for r in runs)
    modelyard.autolog(disable=True)
    now = (Ridge.fit, xgb.train, lgb.train, xgb.XGBRegressor.fit, lgb.LGBMRegressor.fit)
    assert all(a is b for a, b in zip(now, originals, strict=True))
    Ridge().fit(X, y)
    assert len(experiment_runs(client, experiment_id)) == 3


def test_booster_inside_a_pipeline_is_logged_once_as_the_pipeline(client, experiment_id):
    modelyard.autolog()
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    Pipeline([("s", StandardScaler()), ("m", lgb.LGBMRegressor(n_estimators=4, verbose=-1))]).fit(
        X, y
    )
    (run,) = experiment_runs(client, experiment_id)
    assert run.data.tags["mlflow.autologging"] == "sklearn"
    assert run.data.tags["estimator_name"] == "Pipeline"
    assert "num_boost_round" not in run.data.params  # LightGBM's own train was not logged
    assert run.data.params["m__n_estimators"] == "4"


def test_exclude_flavors(client, experiment_id):
    original = xgb.train
    modelyard.autolog(exclude_flavors=["xgboost", "pytorch"])
    assert xgb.train is original
    assert _core.get_options("sklearn") is not None
    with pytest.raises(InvalidParameterValue, match="exclude_flavors"):
        modelyard.autolog(exclude_flavors="xgboost")  # type: ignore[arg-type]


def test_import_modelyard_stays_light():
    code = (
        "import sys, modelyard\n"
        "f = modelyard.autolog\n"
        "heavy = [m for m in ('sklearn', 'xgboost', 'lightgbm', 'pandas') if m in sys.modules]\n"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


SNIPPET = """
import lightgbm as lgb, xgboost as xgb
from sklearn.datasets import load_diabetes
from sklearn.ensemble import RandomForestRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
X, y = load_diabetes(return_X_y=True, as_frame=True)
make_pipeline(StandardScaler(), lgb.LGBMRegressor(n_estimators=5, verbose=-1)).fit(X, y)
make_pipeline(StandardScaler(), xgb.XGBRegressor(n_estimators=5)).fit(X, y)
RandomForestRegressor(n_estimators=5, random_state=0).fit(X, y)
xgb.XGBRegressor(n_estimators=5).fit(X, y)
lgb.LGBMRegressor(n_estimators=5, verbose=-1).fit(X, y)
"""


def test_same_keys_as_mlflow_autolog(mlflow_python, tmp_path):
    ours = assert_same_keys(mlflow_python, "mlflow.autolog()", SNIPPET, tmp_path)
    assert len(ours) == 5
