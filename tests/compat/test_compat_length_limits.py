"""The REAL mlflow 3.17.2 client against a live ``modelyard server``: MLflow's field length limits
(at the limit accepted, one more character refused with INVALID_PARAMETER_VALUE naming the field).
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from compat_support import ServerProcess, run_mlflow_script

pytestmark = pytest.mark.compat


def test_length_limits_sqlite(sqlite_server: ServerProcess, tmp_path: Path) -> None:
    prefix = uuid.uuid4().hex[:10]
    out = run_mlflow_script("length_limits.py", sqlite_server.url, tmp_path, {"prefix": prefix})
    for accepted in ("run_name_250", "exp_tag_20000", "digest_36", "rm_description_5000"):
        assert out[accepted] is None, (accepted, out[accepted])
    assert out["mv_source_500"] is None, out["mv_source_500"]
    refused = {
        "run_name_251": ("run_name", 250),
        "update_run_name_251": ("run_name", 250),
        "exp_tag_20001": ("experiment tag 'note'", 20000),
        "digest_37": ("digest", 36),
        "artifact_location_2049": ("artifact_location", 2048),
        "rm_description_5001": ("description", 5000),
        "mv_source_501": ("source", 500),
    }
    for case, (field, limit) in refused.items():
        code, message = out[case]
        assert code == "INVALID_PARAMETER_VALUE", (case, code, message)
        # the server's message (MLflow's client sends these fields without checking them)
        assert field in message and f"{limit} characters" in message, (case, message)
        assert "(got " in message, (case, message)
    assert out["stored_run_name"] <= 250
