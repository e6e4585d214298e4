"""REST endpoints of the monitors on ``modelyard server`` (``/api/2.0/modelyard/monitors/...``).

``POST create`` (the keyword arguments of :func:`create_monitor`, plus ``baseline_version`` for a
stored baseline of ``model_name``, else the one ``find_baseline`` picks, or ``no_baseline:
true``), ``GET get?name=``, ``GET list``, ``POST delete``,
``POST refresh``, ``GET drift?name=[&window_start=][&drifted_only=true]``,
``GET quality?name=`` (model-quality metrics per window and version), ``POST labels``
(``name``, ``request_ids``, ``labels``). Monitors live under ``MODELYARD_MONITORS_ROOT`` (or
``./modelyard-monitors`` in the server's working directory). A monitored table must lie inside
the server's local artifact destination or one of the folders in
``MODELYARD_MONITORS_TABLE_ROOTS`` (``os.pathsep``-separated): callers cannot make the server read
files elsewhere.
"""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Any

from modelyard.errors import InvalidParameterValue, PermissionDenied
from modelyard.monitoring.monitors import (
    create_monitor,
    delete_monitor,
    get_monitor,
    list_monitors,
    log_labels,
    refresh_monitor,
)
from modelyard.server.local_files import allowed_folders, is_inside, local_path
from modelyard.server.routing import Call, Endpoint

__all__ = ["ENDPOINTS", "TABLE_ROOTS_ENV"]

TABLE_ROOTS_ENV = "MODELYARD_MONITORS_TABLE_ROOTS"
_CREATE_FIELDS = (
    "profile",
    "timestamp_col",
    "granularities",
    "model_name",
    "prediction_col",
    "label_col",
    "problem_type",
    "slicing_exprs",
    "feature_columns",
    "request_id_col",
    "model_version_col",
    "drift_options",
)


def _checked_table(call: Call, table: Any) -> str:
    if not isinstance(table, str) or not table:
        raise InvalidParameterValue("Missing value for required parameter 'table'.")
    path = local_path(table)
    if not is_inside(path, allowed_folders(call.ctx.config, TABLE_ROOTS_ENV)):
        raise PermissionDenied(
            f"Table {table!r} (field 'table') is outside the folders this server may read "
            f"(its artifact destination and {TABLE_ROOTS_ENV})."
        )
    return str(path)


def _json_safe(value: Any) -> Any:
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return _json_safe(value.item())
    return value


def _monitor_json(name: str) -> dict[str, Any]:
    return {"monitor": asdict(get_monitor(name))}


def create(call: Call) -> dict[str, Any]:
    body = call.args.raw()
    name = call.args.req_str("name")
    kwargs = {k: body[k] for k in _CREATE_FIELDS if body.get(k) is not None}
    version = call.args.str("baseline_version")
    if version is not None:
        kwargs["baseline"] = version
    if call.args.bool("no_baseline"):
        if version is not None:
            raise InvalidParameterValue("Give 'baseline_version' or 'no_baseline', not both.")
        kwargs["baseline"] = False
    create_monitor(name, table=_checked_table(call, body.get("table")), **kwargs)
    return _monitor_json(name)


def get(call: Call) -> dict[str, Any]:
    return _monitor_json(call.args.req_str("name"))


def list_all(call: Call) -> dict[str, Any]:
    return {"monitors": [asdict(m) for m in list_monitors()]}


def delete(call: Call) -> dict[str, Any]:
    delete_monitor(call.args.req_str("name"))
    return {}


def refresh(call: Call) -> dict[str, Any]:
    result = refresh_monitor(call.args.req_str("name"))
    return {"processed": list(result.get("processed", [])), "unchanged": result.get("unchanged", 0)}


def drift(call: Call) -> dict[str, Any]:
    frame = get_monitor(call.args.req_str("name")).drift_metrics()
    if frame.empty:
        return {"drift_metrics": []}
    start = call.args.str("window_start")
    if start:
        frame = frame[frame["window_start"].astype(str).str.startswith(start.replace("T", " "))]
    if call.args.bool("drifted_only"):
        frame = frame[frame["drift"].astype(bool)]
    rows = [{k: _json_safe(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]
    return {"drift_metrics": rows}


def quality(call: Call) -> dict[str, Any]:
    frame = get_monitor(call.args.req_str("name")).quality_metrics()
    rows = [{k: _json_safe(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]
    return {"quality_metrics": rows}


def labels(call: Call) -> dict[str, Any]:
    body = call.args.raw()
    ids, values = body.get("request_ids"), body.get("labels")
    if not isinstance(ids, list) or not isinstance(values, list):
        raise InvalidParameterValue("'request_ids' and 'labels' must be lists of equal length.")
    stored = log_labels(call.args.req_str("name"), ids, values)
    return {"stored": stored}


_P = "/modelyard/monitors"
ENDPOINTS: list[Endpoint] = [
    Endpoint("POST", f"{_P}/create", create),
    Endpoint("GET", f"{_P}/get", get),
    Endpoint("GET", f"{_P}/list", list_all),
    Endpoint("POST", f"{_P}/delete", delete),
    Endpoint("POST", f"{_P}/refresh", refresh),
    Endpoint("GET", f"{_P}/drift", drift),
    Endpoint("GET", f"{_P}/quality", quality),
    Endpoint("POST", f"{_P}/labels", labels),
]
