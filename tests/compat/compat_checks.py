"""Assertions on the JSON printed by ``scripts/tracking_flow.py`` and ``scripts/registry_flow.py``,
shared by the SQLite and PostgreSQL runs."""

from __future__ import annotations

import pytest


def check_tracking_flow(out: dict, prefix: str) -> None:
    """Assertions shared by the SQLite and PostgreSQL runs of ``tracking_flow.py``."""
    eid = out["experiment_id"]
    assert out["experiment_name"] == f"/Users/me@company.com/churn-{prefix}"
    assert out["set_again_same_id"] is True
    assert out["by_name_id"] == eid

    parent = out["parent"]
    assert parent["status"] == "FINISHED"
    assert parent["run_name"] == "parent"
    assert parent["lifecycle_stage"] == "active"
    assert parent["params"] == {
        "model": "rf",
        "n_estimators": "100",
        "max_depth": "5",
        "batch_p": "x",
    }
    assert parent["metrics"] == {"loss": 0.2, "auc": 0.9, "f1": 0.8, "batch_m": 49.0}
    tags = parent["tags"]
    assert {k: tags[k] for k in ("team", "stage", "owner", "batch_t", "mlflow.runName")} == {
        "team": "churn",
        "stage": "dev",
        "owner": "me",
        "batch_t": "y",
        "mlflow.runName": "parent",
    }
    assert parent["artifact_uri"].startswith(f"mlflow-artifacts:/{eid}/")
    assert out["loss_history"] == [[s, 1.0 / (s + 1)] for s in range(5)]
    assert out["batch_history_len"] == 50
    parent_id = out["all_run_ids_in_start_order"][0]
    assert out["children_parent_tag"] == [parent_id] * 3

    assert out["root_artifacts"] == [["plot.png", False], ["reports", True]]
    assert out["reports_artifacts"] == [["reports/sub", True], ["reports/summary.txt", False]]
    assert out["fluent_list"] == ["reports/sub/table.csv"]
    assert out["png_sha_ok"] is True
    assert out["png_size"] > 50
    assert out["downloaded_dir"] == ["sub/table.csv", "summary.txt"]
    assert out["downloaded_csv"] == "a,b\n1,2\n"
    assert out["missing_artifact_error"] is not None

    children = out["child_ids"]
    # scores 0.1, 0.4, 0.7: filter > 0.2 keeps children 1 and 2, DESC order.
    assert out["df_ids"] == [children[2], children[1]]
    assert out["df_scores"] == pytest.approx([0.7, 0.4])
    assert out["df_columns_have_params"] is True
    assert out["df_limited_ids"] == [children[0], children[1]]
    assert out["list_names"] == ["child-2", "child-1", "child-0"]
    assert out["paged"] == out["all_run_ids_in_start_order"]
    assert out["page2_token"] is None
    assert out["param_filter"] == [parent_id]

    assert out["deleted_stage"] == "deleted"
    assert out["active_after_delete"] == 3
    assert out["deleted_only"] == [children[0]]
    assert out["restored_stage"] == "active"
    assert out["active_after_restore"] == 4
    assert out["exp_deleted_stage"] == "deleted"
    assert out["deleted_exp_listed"] is True
    assert out["deleted_exp_by_name"] == "deleted"
    assert out["exp_restored_stage"] == "active"

    assert out["missing_run"] == "RESOURCE_DOES_NOT_EXIST"
    assert out["missing_experiment"] == "RESOURCE_DOES_NOT_EXIST"
    assert out["missing_history_run"] == "RESOURCE_DOES_NOT_EXIST"
    assert out["missing_log_run"] == "RESOURCE_DOES_NOT_EXIST"
    assert out["bad_filter"] == "INVALID_PARAMETER_VALUE"
    assert out["bad_filter_syntax"] == "INVALID_PARAMETER_VALUE"
    assert out["bad_order_by"] == "INVALID_PARAMETER_VALUE"
    assert out["param_overwrite"] == "INVALID_PARAMETER_VALUE"
    assert out["duplicate_experiment"] == "RESOURCE_ALREADY_EXISTS"
    # Bad input is rejected as a whole: nothing of a refused batch is stored.
    assert out["batch_too_big"] == [400, "INVALID_PARAMETER_VALUE"]
    assert out["batch_too_big_stored"] == 0
    assert out["wrong_content_type"] == [400, "INVALID_PARAMETER_VALUE"]
    assert out["malformed_json"][0] == 400
    assert out["malformed_json"][1] in ("BAD_REQUEST", "INVALID_PARAMETER_VALUE")
    assert out["unknown_endpoint"] == [404, "ENDPOINT_NOT_FOUND"]
    assert out["bad_metric_key"] == "INVALID_PARAMETER_VALUE"
    assert out["bad_batch_partial"] == 0


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
