"""Promotion gates seen from the REAL mlflow 3.17.2 client: ``transition_model_version_stage``
against ``modelyard server`` is refused with a readable error while a gate fails, and applied
when the gates pass."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from compat_support import ServerProcess, run_mlflow_script

pytestmark = pytest.mark.compat


def test_mlflow_client_transition_runs_the_gates(
    sqlite_server: ServerProcess, tmp_path: Path
) -> None:
    out = run_mlflow_script(
        "gated_transition.py", sqlite_server.url, tmp_path, {"prefix": uuid.uuid4().hex[:10]}
    )
    assert out["policy_version"] == "1"
    assert out["blocked"]["code"] == "INVALID_STATE"
    message = out["blocked"]["message"]
    assert "accuracy_score" in message and "0.8" in message and "0.85" in message
    assert out["low_run"] in message  # the evidence names the evaluation run
    assert out["stage_after_block"] == "None"
    assert out["stage_after_pass"] == "Production"
