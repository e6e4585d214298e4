"""Models across a live modelyard server: modelyard logs → MLflow loads, MLflow logs → modelyard
loads, through ``models:/`` and ``runs:/`` URIs (artifacts travel through the
``mlflow-artifacts:`` proxy)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.compat


@pytest.fixture(scope="module")
def live_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from modelyard.server import ServerConfig
    from modelyard.server.testing import LiveServer

    base = tmp_path_factory.mktemp("model-interop")
    (base / "artifacts").mkdir()
    config = ServerConfig(
        backend_store_uri=f"sqlite:///{base / 'server.db'}",
        artifacts_destination=(base / "artifacts").as_uri(),
    )
    with LiveServer(config) as url:
        yield url


@pytest.fixture
def fluent_at(live_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    from modelyard.client import fluent

    for key in ("MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME"):
        monkeypatch.delenv(key, raising=False)
    fluent.set_tracking_uri(live_url)
    yield live_url
    while fluent.active_run() is not None:
        fluent.end_run()
    fluent.set_tracking_uri(None)


def _mlflow(python: Path, url: str, code: str, tmp_path: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "MODELYARD_"))}
    env.update(
        MLFLOW_TRACKING_URI=url,
        MLFLOW_HTTP_REQUEST_MAX_RETRIES="0",
        MLFLOW_ALLOW_PICKLE_DESERIALIZATION="true",
    )
    proc = subprocess.run(
        [str(python), "-c", code],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")]
    assert proc.returncode == 0 and lines, proc.stderr[-4000:]
    return json.loads(lines[-1][len("RESULT") :])


X = pd.DataFrame({"a": [0.1, 1.2, -0.3, 2.2, -1.0, 0.7], "b": [1.0, 0.0, 2.0, -1.0, 0.5, 0.3]})
Y = np.array([0, 1, 0, 1, 0, 1])


def test_modelyard_logs_mlflow_loads(mlflow_python: Path, fluent_at: str, tmp_path: Path) -> None:
    from sklearn.linear_model import LogisticRegression

    import modelyard.sklearn
    from modelyard.client import fluent

    model = LogisticRegression().fit(X, Y)
    fluent.set_experiment("model-interop-a")
    with fluent.start_run() as run:
        info = modelyard.sklearn.log_model(
            model, name="clf", input_example=X.head(2), registered_model_name="interop-a"
        )
    code = f"""
import json, pandas as pd, mlflow
X = pd.DataFrame({X.to_dict(orient="list")!r})
out = {{}}
for uri in ["{info.model_uri}", "runs:/{run.info.run_id}/clf", "models:/interop-a/1"]:
    out[uri] = [int(v) for v in mlflow.pyfunc.load_model(uri).predict(X)]
print("RESULT" + json.dumps(out))
"""
    out = _mlflow(mlflow_python, fluent_at, code, tmp_path)
    assert set(out) == {info.model_uri, f"runs:/{run.info.run_id}/clf", "models:/interop-a/1"}
    for uri, pred in out.items():
        assert pred == model.predict(X).tolist(), uri


def test_mlflow_logs_modelyard_loads(mlflow_python: Path, fluent_at: str, tmp_path: Path) -> None:
    import modelyard.pyfunc
    import modelyard.sklearn

    code = f"""
import json, pandas as pd, mlflow
from sklearn.linear_model import LogisticRegression
X = pd.DataFrame({X.to_dict(orient="list")!r})
model = LogisticRegression().fit(X, {Y.tolist()!r})
mlflow.set_experiment("model-interop-b")
with mlflow.start_run() as run:
    info = mlflow.sklearn.log_model(model, name="clf", input_example=X.head(2),
                                    registered_model_name="interop-b",
                                    pip_requirements=["scikit-learn"])
mlflow.MlflowClient().set_registered_model_alias("interop-b", "champion", 1)
print("RESULT" + json.dumps({{"uri": info.model_uri, "run_id": run.info.run_id,
                              "pred": [int(v) for v in model.predict(X)]}}))
"""
    out = _mlflow(mlflow_python, fluent_at, code, tmp_path)
    for uri in (
        out["uri"],
        f"runs:/{out['run_id']}/clf",
        "models:/interop-b/1",
        "models:/interop-b@champion",
    ):
        loaded = modelyard.pyfunc.load_model(uri)
        assert loaded.predict(X).tolist() == out["pred"], uri
        assert loaded.metadata.signature is not None
    assert (
        modelyard.sklearn.load_model("models:/interop-b/latest").predict(X).tolist() == out["pred"]
    )
