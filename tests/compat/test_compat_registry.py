"""The REAL mlflow 3.17.2 client against a live ``modelyard server``: registry and models."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from compat_support import ServerProcess, run_mlflow_script

pytestmark = pytest.mark.compat


def check_registry_flow(out: dict, prefix: str) -> None:
    name = f"churn-model-{prefix}"
    assert out["v1_registered_version"] == "1"
    assert out["v1_model_uri_prefix"] == "models:"
    assert out["v2_version"] == "2"
    assert out["v2_status"] == "READY"
    assert out["v2_run_id_ok"] is True
    assert out["stages_before"] == {"1": "Production", "2": "Staging"}
    assert out["stages_after"] == {"1": "Archived", "2": "Production"}
    assert out["descriptions"] == {"1": "", "2": "promoted: better accuracy"}
    assert out["latest_production"] == ["2"]
    assert out["bad_stage"] == "INVALID_PARAMETER_VALUE"
    assert out["search_rm"] == [name]
    assert out["search_rm_latest"] == [["1", "Archived"], ["2", "Production"]]
    assert out["search_rm_like"] == [name]
    assert out["missing_model"] == "RESOURCE_DOES_NOT_EXIST"
    assert out["duplicate_model"] == "RESOURCE_ALREADY_EXISTS"
    assert out["alias_version"] == "2"
    assert out["rm_aliases"] == {"champion": "2", "challenger": "1"}
    assert out["mv_aliases"] == ["champion"]
    assert out["models_differ"] is True
    for key in (
        "pred_production_ok",
        "pred_alias_ok",
        "pred_challenger_ok",
        "pred_latest_ok",
        "pred_version_ok",
        "pred_runs_ok",
        "pred_sklearn_ok",
    ):
        assert out[key] is True, key
    assert out["deleted_alias"] == "INVALID_PARAMETER_VALUE"
    assert out["rm_aliases_after"] == {"challenger": "1"}
    assert out["missing_version"] == "RESOURCE_DOES_NOT_EXIST"


def test_registry_flow_sqlite(sqlite_server: ServerProcess, tmp_path: Path) -> None:
    prefix = uuid.uuid4().hex[:10]
    out = run_mlflow_script("registry_flow.py", sqlite_server.url, tmp_path, {"prefix": prefix})
    check_registry_flow(out, prefix)
