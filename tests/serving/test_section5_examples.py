"""The course's section 5 snippets (examples/section5_*.py) run end to end on modelyard."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from serving_helpers import free_port

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _run(script: str, tmp_path: Path) -> str:
    env = dict(os.environ)
    env["MLFLOW_TRACKING_URI"] = f"sqlite:///{tmp_path / 'ex.db'}"
    env["MODELYARD_ARTIFACT_ROOT"] = (tmp_path / "artifacts").as_uri()
    env["MODELYARD_SERVING_HOME"] = str(tmp_path / "serving")
    env["PYTHONPATH"] = str(EXAMPLES)
    env["SECTION5_PORT"] = str(free_port())
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, f"{script} failed:\n{proc.stdout}\n{proc.stderr[-5000:]}"
    return proc.stdout


def test_section5_batch(tmp_path):
    out = _run("section5_batch.py", tmp_path)
    assert "Appended 500 rows; table now has 1000 rows" in out
    assert (tmp_path / "churn_predictions" / "_delta_log").is_dir()


def test_section5_serving(tmp_path):
    out = _run("section5_serving.py", tmp_path)
    assert "{'predictions': [" in out
    assert "served by version 1" in out


@pytest.mark.spark
@pytest.mark.timeout(600)
def test_section5_spark_udf(tmp_path):
    out = _run("section5_spark_udf.py", tmp_path)
    assert "churn_prediction" in out and "churn rate predicted:" in out
    from deltalake import DeltaTable

    table = DeltaTable(str(tmp_path / "customer_predictions")).to_pandas()
    assert len(table) == 2000
    assert set(table["churn_prediction"].unique()) <= {0.0, 1.0}
