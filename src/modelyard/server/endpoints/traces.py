"""MLflow 3 tracing RPCs (``/api/3.0/mlflow/traces...`` and the V2 routes the client still uses).

The client records a finished trace with ``StartTraceV3`` and then uploads its spans as
``traces.json`` under the trace's ``mlflow.artifactLocation`` tag (through the artifact proxy
for ``mlflow-artifacts:`` locations). ``GetTrace``/``BatchGetTraces`` read that file back, and
the UI's ``get-trace-artifact`` route serves it as a download.

OTLP ingestion (``POST /v1/traces``) is not offered: it answers 501 with the message MLflow's
client looks for ("REST OTLP span logging is not supported"), after which the client stops
trying it and uses the artifact path above.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

from modelyard.entities import TraceInfo
from modelyard.errors import (
    BadRequest,
    InvalidParameterValue,
    NotImplementedByBackend,
    ResourceDoesNotExist,
)
from modelyard.server.errors import json_response
from modelyard.server.routing import Call, Endpoint
from modelyard.services.traces import TraceTooLarge, check_trace_id
from modelyard.store.artifacts.paths import safe_relative_path
from modelyard.store.tracking.base import (
    SEARCH_TRACES_MAX_RESULTS,
    SEARCH_TRACES_MAX_RESULTS_DEFAULT,
)
from modelyard.wire.errors import error_body
from modelyard.wire.traces import (
    TRACE_DATA_FILE,
    spans_to_otel_json,
    trace_info_from_json,
    trace_info_to_json,
)

__all__ = [
    "ENDPOINTS",
    "MAX_BATCH_TRACE_DATA_BYTES",
    "MAX_TRACES_PER_BATCH_GET",
    "MAX_TRACE_DATA_BYTES",
]

#: the largest ``traces.json`` the server reads back for GetTrace/BatchGetTraces
MAX_TRACE_DATA_BYTES = 32 * 1024 * 1024
#: MLflow's client asks for at most 10 traces per BatchGetTraces call (its default batch size)
MAX_TRACES_PER_BATCH_GET = 10
#: the most span data one BatchGetTraces answer reads, all traces together
MAX_BATCH_TRACE_DATA_BYTES = 64 * 1024 * 1024
OTLP_NOT_SUPPORTED = (
    "REST OTLP span logging is not supported by this server: traces are recorded with "
    "StartTraceV3 and their spans uploaded as trace artifacts."
)


def _trace_id(call: Call) -> str:
    return check_trace_id(call.path_params.get("trace_id") or call.args.str("trace_id"))


def _info(info: TraceInfo) -> dict[str, Any]:
    return {"trace": {"trace_info": trace_info_to_json(info)}}


def start_trace_v3(call: Call) -> dict[str, Any]:
    trace = call.args.obj("trace", required=True)
    assert trace is not None
    info = trace_info_from_json(trace.get_raw("trace_info"))
    return _info(call.tracking.start_trace(info))


def get_trace_info_v3(call: Call) -> dict[str, Any]:
    return _info(call.tracking.get_trace_info(_trace_id(call)))


def _v2_info(info: TraceInfo) -> dict[str, Any]:
    """A record in the V2 ``TraceInfo`` shape (``request_id``, ``timestamp_ms``, lists of
    key/value pairs)."""
    out: dict[str, Any] = {
        "request_id": info.trace_id,
        "experiment_id": info.experiment_id,
        "timestamp_ms": info.request_time,
        "status": info.state,
        "request_metadata": [{"key": k, "value": v} for k, v in info.trace_metadata.items()],
        "tags": [{"key": k, "value": v} for k, v in info.tags.items()],
    }
    if info.execution_duration is not None:
        out["execution_time_ms"] = info.execution_duration
    return out


def get_trace_info_v2(call: Call) -> dict[str, Any]:
    """``GET /api/2.0/mlflow/traces/{request_id}/info``."""
    return {"trace_info": _v2_info(call.tracking.get_trace_info(_trace_id(call)))}


def _read_trace_file(call: Call, info: TraceInfo, path: str = TRACE_DATA_FILE) -> bytes:
    """A file under the trace's artifact location, at most :data:`MAX_TRACE_DATA_BYTES`."""
    location = info.artifact_location
    if not location:
        raise ResourceDoesNotExist(f"Trace with ID '{info.trace_id}' has no span data.")
    repo = call.ctx.repository_for(call.ctx.check_artifact_location(location))
    try:
        stream = repo.open_artifact(path)
    except (FileNotFoundError, ResourceDoesNotExist):
        raise ResourceDoesNotExist(
            f"Trace with ID '{info.trace_id}' has no span data yet ({path} is missing)."
        ) from None
    with stream:
        raw = stream.read(MAX_TRACE_DATA_BYTES + 1)
    if len(raw) > MAX_TRACE_DATA_BYTES:
        raise TraceTooLarge(
            f"The file {path!r} of trace '{info.trace_id}' is larger than "
            f"{MAX_TRACE_DATA_BYTES} bytes."
        )
    return raw


def _spans(info: TraceInfo, raw: bytes) -> list[dict[str, Any]]:
    try:
        data = json.loads(raw)
    except ValueError:
        raise InvalidParameterValue(
            f"The span data of trace '{info.trace_id}' is corrupted (not JSON)."
        ) from None
    return spans_to_otel_json(data)


def get_trace(call: Call) -> dict[str, Any]:
    info = call.tracking.get_trace_info(_trace_id(call))
    spans = _spans(info, _read_trace_file(call, info))
    return {"trace": {"trace_info": trace_info_to_json(info), "spans": spans}}


def _trace_ids(call: Call, limit: int) -> list[str]:
    ids = call.args.str_list("trace_ids", required=True)
    if len(ids) > limit:
        raise InvalidParameterValue(f"At most {limit} trace ids per request (field 'trace_ids').")
    return ids


def _scoped(call: Call, infos: list[TraceInfo]) -> list[TraceInfo]:
    if "experiment_ids" not in call.args:
        return infos
    allowed = set(call.args.str_list("experiment_ids"))
    return [i for i in infos if i.experiment_id in allowed]


def batch_get_traces(call: Call) -> dict[str, Any]:
    ids = _trace_ids(call, MAX_TRACES_PER_BATCH_GET)
    infos = _scoped(call, call.tracking.batch_get_trace_infos(ids))
    traces, total = [], 0
    for info in infos:
        raw = _read_trace_file(call, info)
        total += len(raw)
        if total > MAX_BATCH_TRACE_DATA_BYTES:
            raise TraceTooLarge(
                f"The span data of these traces is larger than {MAX_BATCH_TRACE_DATA_BYTES} "
                "bytes together; ask for fewer traces per request."
            )
        traces.append({"trace_info": trace_info_to_json(info), "spans": _spans(info, raw)})
    return {"traces": traces}


def batch_get_trace_infos(call: Call) -> dict[str, Any]:
    ids = _trace_ids(call, SEARCH_TRACES_MAX_RESULTS)
    infos = _scoped(call, call.tracking.batch_get_trace_infos(ids))
    return {"trace_infos": [trace_info_to_json(i) for i in infos]}


def search_traces_v3(call: Call) -> dict[str, Any]:
    a = call.args
    experiment_ids: list[str] = []
    for location in a.obj_list("locations", required=True):
        experiment = location.obj("mlflow_experiment")
        if experiment is not None:
            experiment_ids.append(experiment.req_str("experiment_id"))
    return _search(call, experiment_ids)


def search_traces_v2(call: Call) -> dict[str, Any]:
    return _search(call, call.args.str_list("experiment_ids", required=True), v2=True)


def _search(call: Call, experiment_ids: list[str], v2: bool = False) -> dict[str, Any]:
    a = call.args
    page = call.tracking.search_traces(
        experiment_ids,
        filter_string=a.str("filter") or None,
        max_results=a.int("max_results", default=SEARCH_TRACES_MAX_RESULTS_DEFAULT),
        order_by=a.str_list("order_by") or None,
        page_token=a.str("page_token") or None,
    )
    shape = _v2_info if v2 else trace_info_to_json
    out: dict[str, Any] = {"traces": [shape(i) for i in page]}
    if page.token:
        out["next_page_token"] = page.token
    return out


def delete_traces(call: Call) -> dict[str, Any]:
    a = call.args
    deleted = call.tracking.delete_traces(
        experiment_id=a.req_str("experiment_id"),
        max_timestamp_millis=a.int("max_timestamp_millis"),
        max_traces=a.int("max_traces"),
        trace_ids=a.str_list("request_ids") or None,
    )
    return {"traces_deleted": deleted}


def set_trace_tag(call: Call) -> dict[str, Any]:
    a = call.args
    call.tracking.set_trace_tag(_trace_id(call), a.req_str("key"), a.str("value") or "")
    return {}


def delete_trace_tag(call: Call) -> dict[str, Any]:
    call.tracking.delete_trace_tag(_trace_id(call), call.args.req_str("key"))
    return {}


def get_trace_artifact(call: Call) -> Response:
    """The UI's ``GET /ajax-api/<v>/mlflow/get-trace-artifact?request_id=...[&path=...]``:
    the trace's ``traces.json`` (or ``attachments/<path>``) as a download."""
    request_id = call.args.str("request_id")
    if not request_id:
        raise BadRequest('Request must include the "request_id" query parameter.')
    info = call.tracking.get_trace_info(check_trace_id(request_id, "request_id"))
    path = call.args.str("path")
    if path:
        rel = f"attachments/{safe_relative_path(path)}"
        name = rel.rsplit("/", 1)[-1]
        media = "application/octet-stream"
    else:
        rel, name, media = TRACE_DATA_FILE, TRACE_DATA_FILE, "application/json"
    return Response(
        _read_trace_file(call, info, rel),
        media_type=media,
        headers={"Content-Disposition": f"attachment; filename={name}"},
    )


def otlp_traces(call: Call) -> Response:
    return json_response(error_body(NotImplementedByBackend(OTLP_NOT_SUPPORTED)), status=501)


_T = "/mlflow/traces"
_V3 = "3.0"
ENDPOINTS: list[Endpoint] = [
    Endpoint("POST", _T, start_trace_v3, version=_V3),
    Endpoint("POST", f"{_T}/search", search_traces_v3, version=_V3),
    Endpoint("GET", f"{_T}/get", get_trace, version=_V3),
    Endpoint("GET", f"{_T}/batchGet", batch_get_traces, version=_V3),
    Endpoint("POST", f"{_T}/batchGetInfos", batch_get_trace_infos, version=_V3),
    Endpoint("POST", f"{_T}/delete-traces", delete_traces, version=_V3),
    Endpoint("GET", f"{_T}/{{trace_id}}", get_trace_info_v3, version=_V3),
    Endpoint("PATCH", f"{_T}/{{trace_id}}/tags", set_trace_tag, version=_V3),
    Endpoint("DELETE", f"{_T}/{{trace_id}}/tags", delete_trace_tag, version=_V3),
    # the V2 routes MLflow 3's client still calls (tags, delete) and their V2 neighbours
    Endpoint("GET", _T, search_traces_v2),
    Endpoint("POST", f"{_T}/delete-traces", delete_traces),
    Endpoint("GET", f"{_T}/{{trace_id}}/info", get_trace_info_v2),
    Endpoint("PATCH", f"{_T}/{{trace_id}}/tags", set_trace_tag),
    Endpoint("DELETE", f"{_T}/{{trace_id}}/tags", delete_trace_tag),
    Endpoint("POST", "/v1/traces", otlp_traces, absolute=True, body="stream"),
    *(
        Endpoint(
            "GET", f"/ajax-api/{v}/mlflow/get-trace-artifact", get_trace_artifact, absolute=True
        )
        for v in ("2.0", "3.0")
    ),
]
