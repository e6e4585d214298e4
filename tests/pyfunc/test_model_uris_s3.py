"""Loading a model straight from ``s3://`` (a real S3-compatible server: moto standalone)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd

import modelyard.pyfunc
import modelyard.sklearn

# Reuse the S3 server fixtures of the artifact store tests (one definition of the moto server).
_spec = importlib.util.spec_from_file_location(
    "_s3_fixtures", Path(__file__).resolve().parents[1] / "store" / "artifacts" / "conftest.py"
)
assert _spec is not None and _spec.loader is not None
_s3 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_s3)
s3_endpoint = _s3.s3_endpoint
s3_bucket = _s3.s3_bucket


def test_load_model_from_s3(s3_bucket: str, tmp_path: Path) -> None:
    from sklearn.linear_model import LinearRegression

    from modelyard.store.artifacts.registry import get_artifact_repository

    X = pd.DataFrame({"x": [1.0, 2.0, 3.0]})
    model = LinearRegression().fit(X, [2.0, 4.0, 6.0])
    modelyard.sklearn.save_model(model, tmp_path / "m", input_example=X)
    root = f"s3://{s3_bucket}/models"
    get_artifact_repository(root).log_artifacts(str(tmp_path / "m"), "reg")
    loaded = modelyard.pyfunc.load_model(f"{root}/reg", dst_path=str(tmp_path / "dl"))
    assert loaded.predict(X).round(6).tolist() == [2.0, 4.0, 6.0]
    assert (tmp_path / "dl" / "reg" / "MLmodel").is_file()
    assert modelyard.sklearn.load_model(f"{root}/reg").coef_.round(6).tolist() == [2.0]
