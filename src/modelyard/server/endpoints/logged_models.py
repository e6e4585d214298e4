"""MLflow 3 logged-model RPCs (``/api/2.0/mlflow/logged-models...``, compat spec §3.3)."""

from __future__ import annotations

from typing import Any

from modelyard.errors import InvalidParameterValue
from modelyard.server.routing import Call, Endpoint
from modelyard.store.artifacts.paths import safe_relative_path
from modelyard.wire import file_info_to_json, logged_model_to_json

__all__ = ["ENDPOINTS"]

SEARCH_MAX_RESULTS_DEFAULT = 100


def _model_id(call: Call) -> str:
    model_id = call.path_params.get("model_id") or call.args.str("model_id")
    if not model_id:
        raise InvalidParameterValue("Missing value for required parameter 'model_id'.")
    return model_id


def create_logged_model(call: Call) -> dict[str, Any]:
    a = call.args
    model = call.tracking.create_logged_model(
        experiment_id=a.req_str("experiment_id"),
        name=a.str("name") or None,
        source_run_id=a.str("source_run_id") or None,
        tags=a.key_values("tags"),
        params=a.key_values("params"),
        model_type=a.str("model_type") or None,
    )
    return {"model": logged_model_to_json(model)}


def get_logged_model(call: Call) -> dict[str, Any]:
    model = call.tracking.get_logged_model(
        _model_id(call), allow_deleted=call.args.bool("allow_deleted")
    )
    return {"model": logged_model_to_json(model)}


def finalize_logged_model(call: Call) -> dict[str, Any]:
    status = call.args.get_raw("status")
    if status is None:
        raise InvalidParameterValue("Missing value for required parameter 'status'.")
    if isinstance(status, bool) or not isinstance(status, (str, int)):
        raise InvalidParameterValue(f"Invalid value {status!r} for parameter 'status'.")
    model = call.tracking.finalize_logged_model(_model_id(call), str(status))
    return {"model": logged_model_to_json(model)}


def delete_logged_model(call: Call) -> dict[str, Any]:
    call.tracking.delete_logged_model(_model_id(call))
    return {}


def search_logged_models(call: Call) -> dict[str, Any]:
    a = call.args
    order_by: list[dict[str, object]] = []
    for entry in a.obj_list("order_by"):
        item: dict[str, object] = {
            "field_name": entry.req_str("field_name"),
            "ascending": entry.bool("ascending", default=True),
        }
        for opt in ("dataset_name", "dataset_digest"):
            value = entry.str(opt)
            if value:
                item[opt] = value
        order_by.append(item)
    page = call.tracking.search_logged_models(
        experiment_ids=a.str_list("experiment_ids"),
        filter_string=a.str("filter") or None,
        max_results=a.int("max_results", default=SEARCH_MAX_RESULTS_DEFAULT),
        order_by=order_by or None,
        page_token=a.str("page_token") or None,
    )
    out: dict[str, Any] = {}
    if page:
        out["models"] = [logged_model_to_json(m) for m in page]
    if page.token:
        out["next_page_token"] = page.token
    return out


def set_logged_model_tags(call: Call) -> dict[str, Any]:
    call.tracking.set_logged_model_tags(_model_id(call), call.args.key_values("tags"))
    return {}


def delete_logged_model_tag(call: Call) -> dict[str, Any]:
    call.tracking.delete_logged_model_tag(_model_id(call), call.path_params["tag_key"])
    return {}


def log_logged_model_params(call: Call) -> dict[str, Any]:
    call.tracking.log_logged_model_params(_model_id(call), call.args.key_values("params"))
    return {}


def list_logged_model_artifacts(call: Call) -> dict[str, Any]:
    model = call.tracking.get_logged_model(_model_id(call))
    path = call.args.str("artifact_directory_path") or ""
    rel = safe_relative_path(path) if path.strip("/") else ""
    out: dict[str, Any] = {"root_uri": model.artifact_location}
    files = call.ctx.repository_for(model.artifact_location).list_artifacts(rel or None)
    if files:
        out["files"] = [file_info_to_json(f) for f in sorted(files, key=lambda f: f.path)]
    return out


_M = "/mlflow/logged-models"
ENDPOINTS: list[Endpoint] = [
    Endpoint("POST", _M, create_logged_model),
    Endpoint("POST", f"{_M}/search", search_logged_models),
    Endpoint("GET", f"{_M}/{{model_id}}", get_logged_model),
    Endpoint("PATCH", f"{_M}/{{model_id}}", finalize_logged_model),
    Endpoint("DELETE", f"{_M}/{{model_id}}", delete_logged_model),
    Endpoint("PATCH", f"{_M}/{{model_id}}/tags", set_logged_model_tags),
    Endpoint("DELETE", f"{_M}/{{model_id}}/tags/{{tag_key:path}}", delete_logged_model_tag),
    Endpoint("POST", f"{_M}/{{model_id}}/params", log_logged_model_params),
    Endpoint("GET", f"{_M}/{{model_id}}/artifacts/directories", list_logged_model_artifacts),
]
