"""Smoke run of the REAL mlflow 3.17.2 client against a live modelyard server (subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelyard.server import ServerConfig
from modelyard.server.testing import LiveServer

pytestmark = pytest.mark.compat

SCRIPT = r"""
import json, math, os, sys, tempfile
import mlflow
from mlflow import MlflowClient

out = {}
exp = mlflow.set_experiment("smoke-exp")
out["experiment_id"] = exp.experiment_id
again = mlflow.set_experiment("smoke-exp")
assert again.experiment_id == exp.experiment_id
work = tempfile.mkdtemp()
with open(os.path.join(work, "notes.txt"), "w") as f:
    f.write("hello artifacts")
os.makedirs(os.path.join(work, "data"))
with open(os.path.join(work, "data", "a.csv"), "w") as f:
    f.write("x,y\n1,2\n")
with mlflow.start_run(run_name="smoke") as run:
    run_id = run.info.run_id
    mlflow.log_param("lr", 0.01)
    mlflow.log_params({"depth": 3, "name": "m"})
    mlflow.log_metric("acc", 0.5, step=1)
    mlflow.log_metric("acc", 0.75, step=2)
    mlflow.log_metrics({"loss": float("nan"), "big": float("inf")})
    mlflow.set_tag("team", "ml")
    mlflow.set_tags({"a": "1", "b": "2"})
    mlflow.log_artifact(os.path.join(work, "notes.txt"))
    mlflow.log_artifacts(os.path.join(work, "data"), artifact_path="data")
out["run_id"] = run_id
client = MlflowClient()
got = client.get_run(run_id)
out["status"] = got.info.status
out["params"] = got.data.params
out["metrics"] = {k: (str(v) if not math.isfinite(v) else v) for k, v in got.data.metrics.items()}
out["tags"] = {k: v for k, v in got.data.tags.items() if not k.startswith("mlflow.source")}
out["artifact_uri"] = got.info.artifact_uri
out["history"] = [(m.step, m.value) for m in client.get_metric_history(run_id, "acc")]
out["top_artifacts"] = sorted(f.path for f in client.list_artifacts(run_id))
out["data_artifacts"] = sorted(f.path for f in client.list_artifacts(run_id, "data"))
local = client.download_artifacts(run_id, "notes.txt", tempfile.mkdtemp())
out["downloaded"] = open(local).read()
df = mlflow.search_runs(experiment_ids=[exp.experiment_id], filter_string="metrics.acc > 0.7",
                        order_by=["metrics.acc DESC"])
out["search_ids"] = list(df["run_id"])
runs = client.search_runs([exp.experiment_id], "params.lr = '0.01'")
out["client_search"] = [r.info.run_id for r in runs]
try:
    client.get_run("0" * 32)
except mlflow.exceptions.MlflowException as e:
    out["missing_code"] = e.error_code
try:
    client.search_runs([exp.experiment_id], "metrics.acc = 'x'")
except mlflow.exceptions.MlflowException as e:
    out["bad_filter_code"] = e.error_code

if os.environ.get("SMOKE_LOG_MODEL"):
    import numpy as np
    from sklearn.linear_model import LinearRegression
    X = np.array([[1.0], [2.0], [3.0]]); y = np.array([2.0, 4.0, 6.0])
    with mlflow.start_run() as r2:
        info = mlflow.sklearn.log_model(LinearRegression().fit(X, y), name="model")
    loaded = mlflow.pyfunc.load_model(info.model_uri)
    out["prediction"] = [round(float(v), 6) for v in loaded.predict(np.array([[4.0]]))]
    loaded2 = mlflow.pyfunc.load_model(f"runs:/{r2.info.run_id}/model")
    out["prediction_runs_uri"] = [round(float(v), 6) for v in loaded2.predict(np.array([[5.0]]))]
print("RESULT" + json.dumps(out))
"""


@pytest.fixture(scope="module")
def live_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = tmp_path_factory.mktemp("mlflow-smoke")
    (base / "artifacts").mkdir()
    config = ServerConfig(
        backend_store_uri=f"sqlite:///{base / 'server.db'}",
        artifacts_destination=(base / "artifacts").as_uri(),
    )
    with LiveServer(config) as url:
        yield url


def _run_client(mlflow_python: Path, url: str, tmp_path: Path, **env: str) -> dict:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "MODELYARD_"))}
    environ.update(
        MLFLOW_TRACKING_URI=url,
        MLFLOW_HTTP_REQUEST_MAX_RETRIES="0",
        MLFLOW_HTTP_REQUEST_TIMEOUT="30",
        **env,
    )
    proc = subprocess.run(
        [str(mlflow_python), "-c", SCRIPT],
        env=environ,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT")]
    assert proc.returncode == 0 and lines, proc.stderr[-4000:] + proc.stdout[-2000:]
    return json.loads(lines[-1][len("RESULT") :])


def test_real_mlflow_client_tracking_workflow(
    mlflow_python: Path, live_url: str, tmp_path: Path
) -> None:
    out = _run_client(mlflow_python, live_url, tmp_path)
    run_id = out["run_id"]
    assert out["status"] == "FINISHED"
    assert out["params"] == {"lr": "0.01", "depth": "3", "name": "m"}
    assert out["metrics"] == {"acc": 0.75, "loss": "nan", "big": "inf"}
    assert out["tags"]["team"] == "ml"
    assert out["tags"]["a"] == "1"
    assert out["tags"]["mlflow.runName"] == "smoke"
    assert out["artifact_uri"] == f"mlflow-artifacts:/{out['experiment_id']}/{run_id}/artifacts"
    assert out["history"] == [[1, 0.5], [2, 0.75]]
    assert out["top_artifacts"] == ["data", "notes.txt"]
    assert out["data_artifacts"] == ["data/a.csv"]
    assert out["downloaded"] == "hello artifacts"
    assert out["search_ids"] == [run_id]
    assert out["client_search"] == [run_id]
    assert out["missing_code"] == "RESOURCE_DOES_NOT_EXIST"
    assert out["bad_filter_code"] == "INVALID_PARAMETER_VALUE"


@pytest.mark.slow
def test_real_mlflow_client_log_and_load_model(
    mlflow_python: Path, live_url: str, tmp_path: Path
) -> None:
    out = _run_client(mlflow_python, live_url, tmp_path, SMOKE_LOG_MODEL="1")
    assert out["prediction"] == [8.0]
    assert out["prediction_runs_uri"] == [10.0]
