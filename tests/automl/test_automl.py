"""AutoML end to end with real libraries on small data.

Every search here is bounded by a trial count (``max_trials``) and seeded; the time budget
(``GENEROUS``) is only a safety net, so what the tests see does not depend on how fast the machine
is. Each supervised run's parent carries ``automl.stop_reason``, checked to be ``max_trials``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import modelyard
from modelyard import automl
from modelyard.errors import InvalidParameterValue

GENEROUS = 30  # minutes: far more than the trials need on any machine; they end at max_trials


def _single(summary) -> list:
    return [t for t in summary.trials if not t.model_description.startswith("Ensemble(")]


def _stop_reason(summary) -> str:
    return modelyard.MlflowClient().get_run(summary.parent_run_id).data.tags["automl.stop_reason"]


@pytest.fixture(autouse=True)
def _tracking(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    modelyard.set_tracking_uri(f"sqlite:///{tmp_path}/t.db")
    yield
    modelyard.set_tracking_uri(None)


def churn(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    tenure = rng.integers(0, 72, n)
    monthly = rng.normal(70, 20, n).round(2)
    contract = rng.choice(["month-to-month", "one_year", "two_year"], n, p=[0.5, 0.3, 0.2])
    logit = -1.0 + 1.5 * (contract == "month-to-month") - 0.04 * tenure + 0.02 * (monthly - 70)
    df = pd.DataFrame(
        {
            "age": rng.integers(18, 80, n),
            "tenure": tenure,
            "monthly_charges": monthly,
            "total_charges": (monthly * tenure).round(2),
            "contract": contract,
            "payment_method": rng.choice(["card", "bank", "check"], n),
            "signup": pd.date_range("2020-01-01", periods=n, freq="D").astype(str),
            "empty": np.nan,
            "churn": np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no"),
        }
    )
    df.loc[::17, "monthly_charges"] = np.nan
    return df


def test_classify_end_to_end(tmp_path):
    df = churn()
    summary = automl.classify(
        df,
        target_col="churn",
        primary_metric="f1",
        pos_label="yes",
        max_trials=4,
        timeout_minutes=GENEROUS,
        experiment_name="churn",
        experiment_dir=str(tmp_path / "exp"),
        registered_model_name="churn_model",
        progress=False,
    )
    assert _stop_reason(summary) == "max_trials"
    assert len(_single(summary)) == 4
    best = summary.best_trial
    for key in (
        "train_f1_score",
        "val_f1_score",
        "test_f1_score",
        "val_roc_auc",
        "test_accuracy_score",
        "val_precision_score",
        "val_log_loss",
    ):
        assert key in best.metrics
    assert best.metrics["test_roc_auc"] > 0.6
    assert summary.dropped_columns["empty"] == "all values are missing"
    assert summary.semantic_type_conversions["signup"] == "datetime"
    model = modelyard.pyfunc.load_model(best.model_path)
    raw = df.drop(columns="churn").head(20)
    pred = model.predict(raw)
    assert set(pred) <= {"yes", "no"}
    run = modelyard.MlflowClient().get_run(best.mlflow_run_id)
    assert run.data.metrics["val_f1_score"] == pytest.approx(best.metrics["val_f1_score"])
    assert run.data.params["family"]
    client = modelyard.MlflowClient()
    assert client.get_registered_model("churn_model").name == "churn_model"
    arts = {f.path for f in client.list_artifacts(best.mlflow_run_id, "explain")}
    assert {"explain/shap_summary.png", "explain/shap_values.csv"} <= arts
    from modelyard.automl.notebooks import execute_notebook

    execute_notebook(summary.data_exploration_notebook_path, timeout=120)
    single = next(t for t in summary.trials if t.framework in ("lightgbm", "sklearn", "xgboost"))
    nb = execute_notebook(single.notebook_path, timeout=120)
    assert "test" in "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))


def test_regress_split_col_and_determinism(tmp_path):
    from sklearn.datasets import load_diabetes

    df = load_diabetes(as_frame=True).frame
    df["split"] = np.where(
        np.arange(len(df)) % 5 == 0,
        "test",
        np.where(np.arange(len(df)) % 5 == 1, "validate", "train"),
    )
    runs = [
        automl.regress(
            df,
            target_col="target",
            primary_metric="rmse",
            split_col="split",
            max_trials=3,
            timeout_minutes=GENEROUS,
            exclude_frameworks=["xgboost"],
            experiment_dir=str(tmp_path / f"e{i}"),
            ensemble=False,
            progress=False,
        )
        for i in range(2)
    ]
    assert [_stop_reason(r) for r in runs] == ["max_trials", "max_trials"]
    assert [len(r.trials) for r in runs] == [3, 3]
    assert [t.params for t in runs[0].trials] == [t.params for t in runs[1].trials]
    a, b = (r.best_trial.metrics["test_root_mean_squared_error"] for r in runs)
    assert a == pytest.approx(b)
    assert all(t.framework != "xgboost" for t in runs[0].trials)
    assert runs[0].best_trial.metrics["test_r2_score"] > 0.3


def test_forecast_several_series(tmp_path):
    rng = np.random.default_rng(0)
    frames = []
    for sid in ("a", "b"):
        t = np.arange(96)
        y = 10 + 0.05 * t + 3 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 0.3, 96)
        frames.append(
            pd.DataFrame(
                {
                    "store": sid,
                    "month": pd.date_range("2015-01-01", periods=96, freq="MS"),
                    "sales": y,
                }
            )
        )
    df = pd.concat(frames)
    s = automl.forecast(
        df,
        target_col="sales",
        time_col="month",
        frequency="M",
        horizon=6,
        identity_col="store",
        max_trials=4,
        timeout_minutes=GENEROUS,
        output_database=str(tmp_path / "db"),
        experiment_dir=str(tmp_path / "exp"),
    )
    assert [t.model_description for t in s.trials] == [
        "AutoARIMA",
        "AutoETS",
        "AutoTheta",
        "SeasonalNaive",
    ]
    assert s.best_trial.metrics["val_smape"] < 0.1
    assert s.output_table_name
    from modelyard.automl.notebooks import execute_notebook

    execute_notebook(s.data_exploration_notebook_path, timeout=120)
    only = automl.forecast(
        df,
        target_col="sales",
        time_col="month",
        frequency="M",
        horizon=3,
        identity_col="store",
        exclude_frameworks=["arima", "theta"],
        timeout_minutes=GENEROUS,
        experiment_dir=str(tmp_path / "exp2"),
    )
    assert {t.model_description for t in only.trials} == {"AutoETS", "SeasonalNaive"}
    model = modelyard.pyfunc.load_model(s.best_trial.model_path)
    out = model.predict(
        pd.DataFrame({"store": ["a", "b"], "month": pd.to_datetime(["2023-01-01", "2023-02-01"])})
    )
    assert out["yhat"].notna().all()
    assert (out["yhat_lower"] <= out["yhat"]).all() and (out["yhat"] <= out["yhat_upper"]).all()


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"target_col": "missing"}, "target_col"),
        ({"target_col": "churn", "primary_metric": "auc_pr"}, "primary_metric"),
        ({"target_col": "churn", "timeout_minutes": 0.01}, "timeout_minutes"),
        ({"target_col": "churn", "exclude_frameworks": ["torch"]}, "exclude_frameworks"),
        ({"target_col": "one"}, "target_col"),
    ],
)
def test_bad_input_fails_before_work(kwargs, param):
    df = churn(60).assign(one="x")
    with pytest.raises(InvalidParameterValue, match=param):
        automl.classify(df, **kwargs)
    assert modelyard.search_experiments(filter_string="name LIKE 'automl%'") == []


def test_forecast_bad_horizon():
    df = pd.DataFrame({"d": pd.date_range("2020-01-01", periods=30), "y": np.arange(30.0)})
    with pytest.raises(InvalidParameterValue, match="horizon"):
        automl.forecast(df, target_col="y", time_col="d", horizon=0)


def test_import_is_cheap():
    import subprocess
    import sys

    code = (
        "import sys; from modelyard import automl; "
        "print(sorted(m for m in ('pandas', 'numpy', 'sklearn', 'optuna', 'lightgbm') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_cli_classify(tmp_path):
    from click.testing import CliRunner
    from sklearn.datasets import load_wine

    from modelyard.cli.automl import automl_group

    path = tmp_path / "wine.csv"
    load_wine(as_frame=True).frame.to_csv(path, index=False)
    result = CliRunner().invoke(
        automl_group,
        [
            "classify",
            "--data",
            str(path),
            "--target",
            "target",
            "--primary-metric",
            "accuracy",
            "--max-trials",
            "2",
            "--timeout-minutes",
            str(GENEROUS),
            "--exclude-frameworks",
            "xgboost",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "val_accuracy_score" in result.output
    assert "best model: runs:/" in result.output


@pytest.mark.spark
@pytest.mark.timeout(30 * 60)  # a JVM start: minutes on a loaded machine (214 s seen)
def test_classify_spark_dataframe(tmp_path):
    from pyspark.sql import SparkSession
    from sklearn.datasets import load_wine

    spark = SparkSession.builder.master("local[1]").appName("automl").getOrCreate()
    try:
        sdf = spark.createDataFrame(load_wine(as_frame=True).frame)
        s = automl.classify(
            sdf,
            target_col="target",
            primary_metric="accuracy",
            max_trials=1,
            timeout_minutes=GENEROUS,
            experiment_dir=str(tmp_path / "e"),
            progress=False,
        )
    finally:
        spark.stop()
    assert s.best_trial.metrics["test_accuracy_score"] > 0.8
