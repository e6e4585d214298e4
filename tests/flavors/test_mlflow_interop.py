"""Model interop with the real MLflow 3.17.2, run in its own interpreter by subprocess.

The interpreter comes from the ``mlflow_python`` fixture (``$MODELYARD_MLFLOW_PYTHON``, default
``<repo>/.venv-mlflow/bin/python``): without it the tests skip, except in CI where they fail.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.compat


def _run_mlflow(python: Path, code: str, tmp_path: Path) -> dict:
    out = tmp_path / "out.json"
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(code).replace("@OUT@", str(out)))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "PYTHON"))}
    env["MLFLOW_ALLOW_PICKLE_DESERIALIZATION"] = "true"
    proc = subprocess.run(
        [str(python), str(script)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(out.read_text())


def _data() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame(rng.normal(size=(40, 3)), columns=["a", "b", "c"])


def _labels(X: pd.DataFrame) -> np.ndarray:
    return (X["a"] - X["c"] > 0).astype(int).to_numpy()


_LOAD_IN_MLFLOW = """
import json, pandas as pd, mlflow.pyfunc
X = pd.read_json({data!r}, orient="split")
out = {{}}
for label, path in {paths!r}:
    model = mlflow.pyfunc.load_model(path)
    out[label] = {{"pred": [float(v) for v in model.predict(X)],
                  "sig": model.metadata.signature is not None}}
json.dump(out, open("@OUT@", "w"))
"""


def _models(tmp_path: Path) -> list[tuple[str, Path, np.ndarray]]:
    import lightgbm as lgb
    import xgboost as xgb
    from sklearn.linear_model import LogisticRegression

    import modelyard.lightgbm
    import modelyard.sklearn
    import modelyard.xgboost

    X = _data()
    y = _labels(X)
    out = []
    sk = LogisticRegression().fit(X, y)
    for fmt in ("skops", "cloudpickle"):
        path = tmp_path / f"sk_{fmt}"
        modelyard.sklearn.save_model(sk, path, serialization_format=fmt, input_example=X.head(2))
        out.append((f"sklearn-{fmt}", path, sk.predict(X)))
    from sklearn.ensemble import RandomForestClassifier

    rf = RandomForestClassifier(n_estimators=4, random_state=0).fit(X, y)
    modelyard.sklearn.save_model(rf, tmp_path / "sk_rf", input_example=X.head(2))
    out.append(("sklearn-forest", tmp_path / "sk_rf", rf.predict(X)))
    xc = xgb.XGBClassifier(n_estimators=5).fit(X, y)
    modelyard.xgboost.save_model(xc, tmp_path / "xgb", input_example=X.head(2))
    out.append(("xgboost", tmp_path / "xgb", xc.predict(X)))
    lr = lgb.LGBMRegressor(n_estimators=5, verbose=-1).fit(X, y)
    modelyard.lightgbm.save_model(lr, tmp_path / "lgb")
    out.append(("lightgbm", tmp_path / "lgb", lr.predict(X)))
    lb = lgb.train({"verbose": -1}, lgb.Dataset(X, y), num_boost_round=4)
    modelyard.lightgbm.save_model(lb, tmp_path / "lgb_booster")
    out.append(("lightgbm-booster", tmp_path / "lgb_booster", lb.predict(X)))
    return out


def test_modelyard_models_load_in_mlflow(mlflow_python: Path, tmp_path: Path) -> None:
    X = _data()
    data = tmp_path / "X.json"
    X.to_json(data, orient="split")
    models = _models(tmp_path)
    paths = [(label, str(path)) for label, path, _ in models]
    results = _run_mlflow(
        mlflow_python, _LOAD_IN_MLFLOW.format(data=str(data), paths=paths), tmp_path
    )
    for label, _path, expected in models:
        result = results[label]
        np.testing.assert_allclose(result["pred"], expected.astype(float), rtol=1e-6, err_msg=label)
        if label.startswith(("sklearn", "xgboost")):
            assert result["sig"], label


_SAVE_IN_MLFLOW = """
import json, numpy as np, pandas as pd
import mlflow.sklearn, mlflow.xgboost, mlflow.lightgbm
import xgboost as xgb, lightgbm as lgb
from sklearn.ensemble import RandomForestClassifier
X = pd.read_json({data!r}, orient="split")
y = (X["a"] - X["c"] > 0).astype(int)
out = {{}}
rf = RandomForestClassifier(n_estimators=4, random_state=0).fit(X, y)
reqs = dict(pip_requirements=["scikit-learn"])  # skips MLflow's slow requirement inference
mlflow.sklearn.save_model(rf, "sk_skops", input_example=X.head(2),
                          skops_trusted_types=["sklearn.tree._tree.Tree"], **reqs)
mlflow.sklearn.save_model(rf, "sk_pickle", serialization_format="cloudpickle", **reqs)
out["sklearn"] = [float(v) for v in rf.predict(X)]
xc = xgb.XGBClassifier(n_estimators=5).fit(X, y)
mlflow.xgboost.save_model(xc, "xgb", input_example=X.head(2), **reqs)
out["xgboost"] = [float(v) for v in xc.predict(X)]
lr = lgb.LGBMRegressor(n_estimators=5, verbose=-1).fit(X, y)
mlflow.lightgbm.save_model(lr, "lgb", **reqs)
out["lightgbm"] = [float(v) for v in lr.predict(X)]
json.dump(out, open("@OUT@", "w"))
"""


def test_mlflow_models_load_in_modelyard(mlflow_python: Path, tmp_path: Path) -> None:
    import modelyard.pyfunc
    import modelyard.sklearn
    import modelyard.xgboost

    X = _data()
    data = tmp_path / "X.json"
    X.to_json(data, orient="split")
    expected = _run_mlflow(mlflow_python, _SAVE_IN_MLFLOW.format(data=str(data)), tmp_path)
    cases = [
        ("sk_skops", "sklearn"),
        ("sk_pickle", "sklearn"),
        ("xgb", "xgboost"),
        ("lgb", "lightgbm"),
    ]
    for directory, key in cases:
        model = modelyard.pyfunc.load_model(str(tmp_path / directory))
        np.testing.assert_allclose(
            np.asarray(model.predict(X), dtype=float), expected[key], rtol=1e-6, err_msg=directory
        )
    # MLflow recorded sklearn.tree._tree.Tree: a scikit-learn class, trusted without arguments.
    skops_model = modelyard.pyfunc.load_model(str(tmp_path / "sk_skops"))
    assert skops_model.metadata.signature is not None
    assert skops_model.loader_module == "mlflow.sklearn"
    native = modelyard.sklearn.load_model(str(tmp_path / "sk_skops"))
    assert type(native).__name__ == "RandomForestClassifier"
    booster = modelyard.xgboost.load_model(str(tmp_path / "xgb"))
    assert type(booster).__name__ == "XGBClassifier"
    assert sys.modules.get("mlflow") is None


def test_modelyard_custom_model_loads_in_mlflow(mlflow_python: Path, tmp_path: Path) -> None:
    """MLflow can load a custom modelyard model when modelyard itself is importable (the pickle
    names modelyard's PythonModel base class)."""
    import cloudpickle

    import modelyard.pyfunc

    class Offset(modelyard.pyfunc.PythonModel):
        def load_context(self, context):
            self.offset = float(Path(context.artifacts["offset"]).read_text())

        def predict(self, context, model_input, params=None):
            return (model_input["a"] + self.offset) * (params or {}).get("scale", 1.0)

    (tmp_path / "offset.txt").write_text("10")
    X = _data()
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    try:
        modelyard.pyfunc.save_model(
            tmp_path / "custom",
            python_model=Offset(),
            artifacts={"offset": str(tmp_path / "offset.txt")},
            input_example=(X.head(2), {"scale": 1.0}),
        )
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    data = tmp_path / "X.json"
    X.to_json(data, orient="split")
    code = f"""
import sys; sys.path.insert(0, {str(REPO / "src")!r})
import json, pandas as pd, mlflow.pyfunc
X = pd.read_json({str(data)!r}, orient="split")
model = mlflow.pyfunc.load_model({str(tmp_path / "custom")!r})
json.dump([float(v) for v in model.predict(X, params={{"scale": 2.0}})], open("@OUT@", "w"))
"""
    result = _run_mlflow(mlflow_python, code, tmp_path)
    np.testing.assert_allclose(result, ((X["a"] + 10) * 2).to_numpy())
