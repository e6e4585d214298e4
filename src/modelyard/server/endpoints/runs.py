"""Run RPCs: create/update/get/search, logging, metric history, run-relative artifact listing
(compat spec §3.2). Single-value logging calls go through ``log_batch`` of the service."""

from __future__ import annotations

import math
from typing import Any

from modelyard.entities import (
    LoggedModelInput,
    LoggedModelOutput,
    Param,
    RunStatus,
    RunTag,
    ViewType,
)
from modelyard.errors import InvalidParameterValue
from modelyard.server.routing import Call, Endpoint
from modelyard.store.artifacts.paths import safe_relative_path
from modelyard.store.tracking.base import SEARCH_MAX_RESULTS_DEFAULT
from modelyard.wire import (
    dataset_input_from_json,
    file_info_to_json,
    metric_from_json,
    metric_to_json,
    metrics_from_json,
    run_info_to_json,
    run_to_json,
)

__all__ = ["ENDPOINTS"]

MAX_RUNS_BULK = 100
BULK_HISTORY_LIMIT = 25000


def create_run(call: Call) -> dict[str, Any]:
    a = call.args
    tags = [RunTag(k, v) for k, v in a.key_values("tags")]
    run = call.tracking.create_run(
        experiment_id=a.str("experiment_id") or "0",
        user_id=a.str("user_id"),
        start_time=a.int("start_time"),
        tags=tags,
        run_name=a.str("run_name") or None,
    )
    return {"run": run_to_json(run)}


def update_run(call: Call) -> dict[str, Any]:
    a = call.args
    info = call.tracking.update_run_info(
        a.run_id(),
        run_status=a.enum("status", RunStatus.coerce),
        end_time=a.int("end_time"),
        run_name=a.str("run_name") or None,
    )
    return {"run_info": run_info_to_json(info)}


def delete_run(call: Call) -> dict[str, Any]:
    call.tracking.delete_run(call.args.run_id())
    return {}


def restore_run(call: Call) -> dict[str, Any]:
    call.tracking.restore_run(call.args.run_id())
    return {}


def get_run(call: Call) -> dict[str, Any]:
    return {"run": run_to_json(call.tracking.get_run(call.args.run_id()))}


def search_runs(call: Call) -> dict[str, Any]:
    a = call.args
    page = call.tracking.search_runs(
        experiment_ids=a.str_list("experiment_ids"),
        filter_string=a.str("filter") or None,
        run_view_type=a.enum("run_view_type", ViewType.coerce, ViewType.ACTIVE_ONLY),
        max_results=a.int("max_results", default=SEARCH_MAX_RESULTS_DEFAULT),
        order_by=a.str_list("order_by") or None,
        page_token=a.str("page_token") or None,
    )
    out: dict[str, Any] = {}
    if page:
        out["runs"] = [run_to_json(r) for r in page]
    if page.token:
        out["next_page_token"] = page.token
    return out


def count_runs(call: Call) -> dict[str, Any]:
    """modelyard's ``runs/count``: how many runs the search of these fields finds (no paging;
    the web UI shows the total before the pages arrive)."""
    a = call.args
    count = call.tracking.count_runs(
        experiment_ids=a.str_list("experiment_ids"),
        filter_string=a.str("filter") or None,
        run_view_type=a.enum("run_view_type", ViewType.coerce, ViewType.ACTIVE_ONLY),
    )
    return {"count": count}


def log_metric(call: Call) -> dict[str, Any]:
    a = call.args
    run_id = a.run_id()
    call.tracking.log_batch(run_id, metrics=[metric_from_json(a, run_id)])
    return {}


def log_param(call: Call) -> dict[str, Any]:
    a = call.args
    call.tracking.log_batch(a.run_id(), params=[Param(a.req_str("key"), a.str("value") or "")])
    return {}


def set_tag(call: Call) -> dict[str, Any]:
    a = call.args
    call.tracking.log_batch(a.run_id(), tags=[RunTag(a.req_str("key"), a.str("value") or "")])
    return {}


def delete_tag(call: Call) -> dict[str, Any]:
    a = call.args
    call.tracking.delete_tag(a.run_id(), a.req_str("key"))
    return {}


def log_batch(call: Call) -> dict[str, Any]:
    a = call.args
    run_id = a.run_id()
    metrics = metrics_from_json(a.obj_list("metrics"), run_id)
    params = [Param(k, v) for k, v in a.key_values("params")]
    tags = [RunTag(k, v) for k, v in a.key_values("tags")]
    call.tracking.log_batch(run_id, metrics=metrics, params=params, tags=tags)
    return {}


def log_inputs(call: Call) -> dict[str, Any]:
    a = call.args
    datasets = [dataset_input_from_json(d) for d in a.obj_list("datasets")]
    models = [LoggedModelInput(m.req_str("model_id")) for m in a.obj_list("models")]
    call.tracking.log_inputs(a.run_id(), datasets=datasets, models=models)
    return {}


def log_outputs(call: Call) -> dict[str, Any]:
    a = call.args
    models = [
        LoggedModelOutput(m.req_str("model_id"), m.int("step", default=0) or 0)
        for m in a.obj_list("models", required=True)
    ]
    call.tracking.log_outputs(a.run_id(), models)
    return {}


def get_metric_history(call: Call) -> dict[str, Any]:
    a = call.args
    page = call.tracking.get_metric_history(
        a.run_id(),
        a.req_str("metric_key"),
        max_results=a.int("max_results"),
        page_token=a.str("page_token") or None,
    )
    out: dict[str, Any] = {}
    if page:
        out["metrics"] = [metric_to_json(m) for m in page]
    if page.token:
        out["next_page_token"] = page.token
    return out


def get_metric_history_bulk(call: Call) -> dict[str, Any]:
    """UI helper: full histories of one metric for the runs in ``run_id`` (repeated), runs in
    id order and each history by (timestamp, step, value), at most ``max_results`` points."""
    a = call.args
    run_ids = a.str_list("run_id")
    if not run_ids:
        raise InvalidParameterValue(
            "GetMetricHistoryBulk request must specify at least one run_id."
        )
    if len(run_ids) > MAX_RUNS_BULK:
        raise InvalidParameterValue(
            f"GetMetricHistoryBulk request cannot specify more than {MAX_RUNS_BULK} run_ids. "
            f"Received {len(run_ids)} run_ids."
        )
    key = a.str("metric_key")
    if key is None:
        raise InvalidParameterValue("GetMetricHistoryBulk request must specify a metric_key.")
    limit = min(a.int("max_results", default=BULK_HISTORY_LIMIT, minimum=1), BULK_HISTORY_LIMIT)
    points: list[dict[str, Any]] = []
    for run_id in sorted(set(run_ids)):
        history = call.tracking.get_metric_history(run_id, key, max_results=limit)
        for m in sorted(history, key=lambda m: (m.timestamp, m.step, _order_value(m.value))):
            out = metric_to_json(m)
            out["run_id"] = run_id
            points.append(out)
            if len(points) >= limit:
                return {"metrics": points}
    return {"metrics": points} if points else {}


def _order_value(value: float) -> float:
    return -math.inf if math.isnan(value) else value


def list_artifacts(call: Call) -> dict[str, Any]:
    """Run-relative listing (paths like ``report/summary.txt``)."""
    a = call.args
    run = call.tracking.get_run(a.run_id())
    root_uri = run.info.artifact_uri
    path = a.str("path") or ""
    rel = safe_relative_path(path) if path.strip("/") else ""
    out: dict[str, Any] = {"root_uri": root_uri}
    files = call.ctx.repository_for(root_uri).list_artifacts(rel or None)
    if files:
        out["files"] = [file_info_to_json(f) for f in sorted(files, key=lambda f: f.path)]
    return out


_R = "/mlflow/runs"
ENDPOINTS: list[Endpoint] = [
    Endpoint("POST", f"{_R}/create", create_run),
    Endpoint("POST", f"{_R}/update", update_run),
    Endpoint("POST", f"{_R}/delete", delete_run),
    Endpoint("POST", f"{_R}/restore", restore_run),
    Endpoint("GET", f"{_R}/get", get_run),
    Endpoint("POST", f"{_R}/search", search_runs),
    Endpoint("GET", f"{_R}/search", search_runs),
    Endpoint("POST", "/modelyard/runs/count", count_runs),
    Endpoint("POST", f"{_R}/log-metric", log_metric),
    Endpoint("POST", f"{_R}/log-parameter", log_param),
    Endpoint("POST", f"{_R}/set-tag", set_tag),
    Endpoint("POST", f"{_R}/delete-tag", delete_tag),
    Endpoint("POST", f"{_R}/log-batch", log_batch),
    Endpoint("POST", f"{_R}/log-inputs", log_inputs),
    Endpoint("POST", f"{_R}/outputs", log_outputs),
    Endpoint("GET", "/mlflow/metrics/get-history", get_metric_history),
    Endpoint("GET", "/mlflow/metrics/get-history-bulk", get_metric_history_bulk),
    Endpoint("GET", "/mlflow/artifacts/list", list_artifacts),
]
