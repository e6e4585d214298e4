"""Checks of ``scripts/traces_flow.py``'s output (the real client's tracing), shared by the
SQLite and PostgreSQL compatibility tests."""

from __future__ import annotations


def check_traces_flow(out: dict) -> None:
    exp_id = out["predict_info"]["experiment_id"]
    assert out["predict_result"] == 7
    info = out["predict_info"]
    assert info["state"] == "OK"
    assert info["name_tag"] == "predict"
    assert info["artifact_location"] == (
        f"mlflow-artifacts:/{exp_id}/traces/{out['predict_id']}/artifacts"
    )
    assert info["request_preview"] == '{"x": 3, "scale": 2}'
    assert info["response_preview"] == "7"
    assert info["has_duration"] is True
    assert out["predict_spans"] == {
        "predict": {
            "parent": None,
            "inputs": {"x": 3, "scale": 2},
            "outputs": 7,
            "status": "OK",
            "span_type": "UNKNOWN",
        },
        "scale": {
            "parent": "predict",
            "inputs": {"x": 3, "scale": 2},
            "outputs": {"y": 6},
            "status": "OK",
            "span_type": "UNKNOWN",
        },
        "add_one": {
            "parent": "predict",
            "inputs": {"x": 6},
            "outputs": 7,
            "status": "OK",
            "span_type": "TOOL",
        },
    }
    assert out["scale_note"] == "scaled"
    assert out["failing"]["state"] == "ERROR"
    assert out["failing"]["span_status"] == "ERROR"
    assert out["failing"]["events"] == ["exception"]
    assert out["manual"] == {
        "names": ["manual_child", "manual_root"],
        "tag_origin": "client",
        "root_inputs": {"q": "hello"},
        "child_outputs": {"o": 2},
    }
    assert out["served_spans"] == [
        ["add_one", {"x": 6}, 7, "TOOL", "OK"],
        ["predict", {"x": 3, "scale": 2}, 7, "UNKNOWN", "OK"],
        ["scale", {"x": 3, "scale": 2}, {"y": 6}, "UNKNOWN", "OK"],
    ]
    assert out["served_name_tag"] == "predict"
    assert out["batch"] == [[out["predict_id"], 3], [out["manual_id"], 2]]
    assert out["batch_infos"] is True
    assert out["run_trace_source_run"] == out["run_id"]
    # search: predict, failing, the run's predict, the manual trace
    assert out["search_count"] == 4
    assert out["search_ids_newest_first"] is True
    assert out["search_span_counts"] == [1, 2, 3, 3]
    assert out["ok_count"] == 3
    assert out["error_ids"] == [out["failing_id"]]
    assert out["by_name_count"] == 2
    assert out["by_run_ids"] == [out["run_trace_id"]]
    assert out["df_rows"] == 2 and out["df_has_trace_id_column"] is True
    assert out["paged_ids_distinct"] is True
    assert out["bad_filter_code"] == "INVALID_PARAMETER_VALUE"
    # tags
    assert out["tags_after_set"] == {"reviewed": "yes", "quality": "good"}
    assert out["tagged_ids"] == [out["predict_id"]]
    assert out["tags_after_delete"] == ["quality"]
    assert out["missing_trace_code"] == "RESOURCE_DOES_NOT_EXIST"
    assert out["immutable_tag"] == [400, "INVALID_PARAMETER_VALUE"]
    assert out["search_501"] == [400, "INVALID_PARAMETER_VALUE"]
    assert out["otlp"][:2] == [501, "NOT_IMPLEMENTED"]
    assert "REST OTLP span logging is not supported" in out["otlp"][2]
    # deletes
    assert out["deleted_by_id"] == 1
    assert out["after_delete_count"] == 3
    assert out["deleted_rest"] == 3
    assert out["final_count"] == 0
