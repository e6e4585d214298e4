"""The course's snippets in examples/ run unchanged (imports aside) on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SECTION2 = ["section2_simple_run.py", "section2_experiments_and_search.py"]
SECTION3_6 = ["section3_registry.py", "section6_mlops.py"]


def _run(script: str, tmp_path: Path, tracking_uri: str, timeout: float = 600) -> str:
    env = dict(os.environ)
    env["MLFLOW_TRACKING_URI"] = tracking_uri
    env["MODELYARD_ARTIFACT_ROOT"] = (tmp_path / "artifacts").as_uri()
    env["PYTHONPATH"] = str(EXAMPLES)
    env["MPLBACKEND"] = "Agg"
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == 0, f"{script} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


@pytest.mark.parametrize("script", SECTION2)
def test_section2_on_sqlite(script, tmp_path):
    out = _run(script, tmp_path, f"sqlite:///{tmp_path / 'ex.db'}")
    assert "F1" in out or "Métriques" in out


@pytest.mark.postgres
@pytest.mark.parametrize("script", SECTION2)
def test_section2_on_postgresql(script, tmp_path, make_pg_database):
    out = _run(script, tmp_path, make_pg_database())
    assert "F1" in out or "Métriques" in out


@pytest.mark.parametrize("script", SECTION3_6)
def test_registry_and_mlops_on_sqlite(script, tmp_path):
    out = _run(script, tmp_path, f"sqlite:///{tmp_path / 'ex.db'}")
    assert "Version 3: Production" in out or "Staging" in out


@pytest.mark.postgres
@pytest.mark.parametrize("script", SECTION3_6)
def test_registry_and_mlops_on_postgresql(script, tmp_path, make_pg_database):
    out = _run(script, tmp_path, make_pg_database())
    assert "Version 3: Production" in out or "Staging" in out


# The script's own budget is 30 minutes (it normally ends at max_trials=20 long before): the
# harness must outwait that budget, or a busy machine would fail the test instead of the script.
@pytest.mark.timeout(45 * 60)
def test_section4_automl(tmp_path):
    """The course's AutoML call as written (timeout_minutes=30, max_trials=20) on SQLite."""
    out = _run("section4_automl.py", tmp_path, f"sqlite:///{tmp_path / 'ex.db'}", timeout=40 * 60)
    assert "Best model URI: runs:/" in out
    assert "Best F1 score: " in out
