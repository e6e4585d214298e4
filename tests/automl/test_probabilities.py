"""Probabilities from AutoML models: the sklearn flavor (modelyard's and the real MLflow's), the
pyfunc's ``predict_method`` param, the scoring server and ``spark_udf``.

One seeded classification search bounded by ``max_trials`` is shared by the module; its best
trial is an sklearn ``Pipeline`` logged with the sklearn flavor, as Databricks logs trials.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest

import modelyard
from modelyard import automl
from modelyard.errors import InvalidParameterValue
from modelyard.testing.server_process import free_port

pytestmark = pytest.mark.timeout(900)

GENEROUS = 30  # minutes: a safety net only; the searches end at max_trials
REPO = Path(__file__).resolve().parents[2]
MLFLOW_PYTHON = REPO / ".venv-mlflow" / "bin" / "python"


def churn(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    tenure = rng.integers(0, 72, n)
    monthly = rng.normal(70, 20, n).round(2)
    contract = rng.choice(["month-to-month", "one_year", "two_year"], n, p=[0.5, 0.3, 0.2])
    logit = -1.0 + 1.5 * (contract == "month-to-month") - 0.04 * tenure + 0.02 * (monthly - 70)
    return pd.DataFrame(
        {
            "tenure": tenure,
            "monthly_charges": monthly,
            "contract": contract,
            "city": rng.choice([f"c{i}" for i in range(60)], n),
            "churn": np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no"),
        }
    )


@pytest.fixture(scope="module")
def searched(tmp_path_factory):
    root = tmp_path_factory.mktemp("proba")
    cwd = os.getcwd()
    os.chdir(root)
    saved_root = os.environ.get("MODELYARD_ARTIFACT_ROOT")
    os.environ["MODELYARD_ARTIFACT_ROOT"] = (root / "artifacts").as_uri()
    uri = f"sqlite:///{root / 't.db'}"
    modelyard.set_tracking_uri(uri)
    df = churn()
    summary = automl.classify(
        df,
        target_col="churn",
        pos_label="yes",
        max_trials=2,
        timeout_minutes=GENEROUS,
        ensemble=False,
        experiment_dir=str(root / "exp"),
        progress=False,
    )
    yield {"summary": summary, "df": df, "root": root, "uri": uri}
    modelyard.set_tracking_uri(None)
    os.chdir(cwd)
    if saved_root is None:
        os.environ.pop("MODELYARD_ARTIFACT_ROOT", None)
    else:
        os.environ["MODELYARD_ARTIFACT_ROOT"] = saved_root


def test_best_trial_is_an_sklearn_pipeline(searched):
    from sklearn.pipeline import Pipeline

    best = searched["summary"].best_trial
    X = searched["df"].drop(columns="churn")
    assert best.model_path == f"runs:/{best.mlflow_run_id}/model"
    model = modelyard.sklearn.load_model(best.model_path)
    assert isinstance(model, Pipeline)
    assert list(model.classes_) == ["no", "yes"]
    proba = model.predict_proba(X.head(50))
    assert proba.shape == (50, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    labels = model.predict(X.head(50))
    assert set(labels) <= {"no", "yes"}
    # the tuned decision threshold is part of the pipeline: predict agrees with it
    threshold = float(
        modelyard.MlflowClient().get_run(best.mlflow_run_id).data.params["decision_threshold"]
    )
    np.testing.assert_array_equal(labels == "yes", proba[:, 1] >= threshold)
    # and the pipeline reproduces the logged test metric on the raw rows
    assert best.metrics["test_roc_auc"] > 0.6


def test_pyfunc_predict_method(searched):
    best = searched["summary"].best_trial
    X = searched["df"].drop(columns="churn").head(20)
    pyfunc = modelyard.pyfunc.load_model(best.model_path)
    sk = modelyard.sklearn.load_model(best.model_path)
    np.testing.assert_allclose(
        pyfunc.predict(X, params={"predict_method": "predict_proba"}), sk.predict_proba(X)
    )
    assert list(pyfunc.predict(X)) == list(sk.predict(X))
    assert pyfunc.get_raw_model().predict_proba(X).shape == (20, 2)
    with pytest.raises(InvalidParameterValue, match="predict_method"):
        pyfunc.predict(X, params={"predict_method": "transform"})


def test_real_mlflow_sklearn_loads_the_pipeline(searched):
    """MLflow 3.17's own ``mlflow.sklearn`` loads the logged directory; the preprocessing
    classes come from modelyard, so modelyard must be importable there (PYTHONPATH here)."""
    if not MLFLOW_PYTHON.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{MLFLOW_PYTHON} is missing")
        pytest.skip("the MLflow reference environment is not installed")
    best = searched["summary"].best_trial
    from modelyard.client.model_uris import download_model

    local = str(download_model(best.model_path, str(searched["root"] / "dl")))
    X = searched["df"].drop(columns="churn").head(10)
    X.to_csv(searched["root"] / "x.csv", index=False)
    code = (
        "import json, sys, pandas as pd, mlflow.sklearn, mlflow.pyfunc\n"
        "m = mlflow.sklearn.load_model(sys.argv[1])\n"
        "X = pd.read_csv(sys.argv[2])\n"
        "p = mlflow.pyfunc.load_model(sys.argv[1])\n"
        "print(json.dumps({'proba': m.predict_proba(X).tolist(), 'classes': list(m.classes_),"
        " 'labels': list(p.predict(X)),"
        " 'raw': p.get_raw_model().predict_proba(X).tolist()}))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    out = subprocess.run(
        [str(MLFLOW_PYTHON), "-c", code, local, str(searched["root"] / "x.csv")],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    expected = modelyard.sklearn.load_model(best.model_path).predict_proba(
        pd.read_csv(searched["root"] / "x.csv")
    )
    assert got["classes"] == ["no", "yes"]
    np.testing.assert_allclose(got["proba"], expected, rtol=1e-9)
    # MLflow's own sklearn pyfunc has no predict_method param: labels, and the raw model
    np.testing.assert_allclose(got["raw"], expected, rtol=1e-9)
    assert got["labels"] == list(modelyard.pyfunc.load_model(best.model_path).predict(X))


def test_scoring_server_returns_probabilities(searched):
    best = searched["summary"].best_trial
    X = searched["df"].drop(columns="churn").head(8)
    port = free_port()
    log = searched["root"] / "serve.log"
    env = {**os.environ, "MODELYARD_TRACKING_URI": searched["uri"]}
    with open(log, "wb") as fh:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "modelyard.cli.main",
                "models",
                "serve",
                "-m",
                best.model_path,
                "--port",
                str(port),
                "--workers",
                "1",
            ],
            env=env,
            stdout=fh,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_ready(proc, url, log)
        body = {
            "dataframe_split": json.loads(X.to_json(orient="split", index=False)),
            "params": {"predict_method": "predict_proba"},
        }
        r = httpx.post(url + "/invocations", json=body, timeout=60)
        assert r.status_code == 200, r.text
        got = np.asarray(r.json()["predictions"], dtype=float)
        expected = modelyard.sklearn.load_model(best.model_path).predict_proba(X)
        np.testing.assert_allclose(got, expected, rtol=1e-9)
        labels = httpx.post(url + "/invocations", json={"dataframe_split": body["dataframe_split"]})
        assert set(labels.json()["predictions"]) <= {"no", "yes"}
    finally:
        proc.terminate()
        proc.wait(30)


@pytest.mark.spark
def test_spark_udf_returns_probabilities(searched, spark):
    from pyspark.sql.functions import col

    best = searched["summary"].best_trial
    X = searched["df"].drop(columns="churn").head(60)
    sdf = spark.createDataFrame(X.assign(row_id=np.arange(len(X)))).repartition(2)
    udf = modelyard.pyfunc.spark_udf(
        spark,
        best.model_path,
        result_type="array<double>",
        params={"predict_method": "predict_proba"},
    )
    rows = (
        sdf.select("row_id", udf(*[col(c) for c in X.columns]).alias("p"))
        .toPandas()
        .sort_values("row_id")
    )
    got = np.array([list(p) for p in rows["p"]])
    expected = modelyard.sklearn.load_model(best.model_path).predict_proba(X)
    np.testing.assert_allclose(got, expected, rtol=1e-9)


def test_ensemble_pyfunc_offers_predict_proba(tmp_path, monkeypatch):
    """An ensemble cannot be one Pipeline: its pyfunc declares ``predict_method`` in the
    signature and ``unwrap_python_model()`` has ``predict_proba``."""
    monkeypatch.chdir(tmp_path)
    modelyard.set_tracking_uri(f"sqlite:///{tmp_path}/t.db")
    try:
        from sklearn.datasets import load_breast_cancer

        df = load_breast_cancer(as_frame=True).frame
        summary = automl.classify(
            df,
            target_col="target",
            primary_metric="log_loss",
            max_trials=6,
            timeout_minutes=GENEROUS,
            experiment_dir=str(tmp_path / "exp"),
            progress=False,
        )
        ensembles = [t for t in summary.trials if t.model_description.startswith("Ensemble(")]
        assert ensembles, [t.model_description for t in summary.trials]
        ens = ensembles[0]
        X = df.drop(columns="target").head(15)
        model = modelyard.pyfunc.load_model(ens.model_path)
        proba = model.predict(X, params={"predict_method": "predict_proba"})
        assert proba.shape == (15, 2)
        np.testing.assert_allclose(proba.sum(axis=1), 1.0)
        np.testing.assert_allclose(model.unwrap_python_model().predict_proba(X), proba)
        assert list(model.unwrap_python_model().classes_) == [0, 1]
        assert set(model.predict(X)) <= {0, 1}
        assert [p.name for p in model.metadata.signature.params] == ["predict_method"]
    finally:
        modelyard.set_tracking_uri(None)


def _wait_ready(proc: subprocess.Popen, url: str, log: Path, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-3000:]}")
        try:
            if httpx.get(url + "/ping", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"server not ready: {log.read_text()[-3000:]}")
