"""examples/section6_drift.py: the seed's drift block as one modelyard call."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_section6_drift_example(tmp_path):
    env = dict(os.environ)
    env["MLFLOW_TRACKING_URI"] = f"sqlite:///{tmp_path / 'ex.db'}"
    env["MODELYARD_ARTIFACT_ROOT"] = (tmp_path / "artifacts").as_uri()
    env["PYTHONPATH"] = str(EXAMPLES)
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / "section6_drift.py")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "drifted: ['monthly_charges']" in proc.stdout
    assert "Déclenchement du pipeline de retraining..." in proc.stdout
    html = (tmp_path / "drift_report.html").read_text()
    assert "monthly_charges" in html and "<svg" in html
