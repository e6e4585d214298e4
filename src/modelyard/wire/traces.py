"""JSON shapes of MLflow 3 traces (``TraceInfoV3``, ``Trace``) on the wire.

Protobuf JSON conventions apply: ``request_time`` is an RFC 3339 timestamp
(``2026-12-02T06:47:30.065Z``), ``execution_duration`` a duration (``"0.294s"``), ``state`` the
enum name, ``trace_location`` ``{"type": "MLFLOW_EXPERIMENT", "mlflow_experiment":
{"experiment_id": ...}}``.

The spans a client uploads (``traces.json``) are MLflow's span dictionaries, whose attribute
values are JSON-encoded strings; a ``Trace`` message carries OpenTelemetry spans, whose attribute
values are ``AnyValue`` objects. :func:`spans_to_otel_json` converts the former to the latter.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from modelyard.entities import TraceInfo, TraceState
from modelyard.errors import InvalidParameterValue

__all__ = [
    "TRACE_DATA_FILE",
    "duration_from_json",
    "duration_to_json",
    "spans_to_otel_json",
    "timestamp_from_json",
    "timestamp_to_json",
    "trace_info_from_json",
    "trace_info_to_json",
]

#: the file holding a trace's spans, under its artifact location
TRACE_DATA_FILE = "traces.json"

_DURATION = re.compile(r"^(-?)(\d+)(?:\.(\d{1,9}))?s$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def timestamp_to_json(ms: int) -> str:
    seconds, millis = divmod(int(ms), 1000)
    text = datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.{millis:03d}Z" if millis else f"{text}Z"


def timestamp_from_json(value: Any, field: str = "request_time") -> int:
    """Epoch milliseconds of an RFC 3339 timestamp (an integer is taken as milliseconds)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if not isinstance(value, str) or not value:
        raise InvalidParameterValue(f"Invalid value {value!r} for parameter '{field}'.")
    text = value.strip()
    try:
        frac_ns = 0
        m = re.match(r"^(.*T\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$", text)
        if m is None:
            raise ValueError(text)
        if m.group(2):
            frac_ns = int(m.group(2).ljust(9, "0"))
        zone = "+00:00" if m.group(3) == "Z" else m.group(3)
        base = datetime.fromisoformat(m.group(1) + zone)
    except ValueError:
        raise InvalidParameterValue(
            f"Invalid value {value!r} for parameter '{field}': expected an RFC 3339 timestamp."
        ) from None
    whole = (base - _EPOCH) // timedelta(seconds=1)
    return int(whole) * 1000 + frac_ns // 1_000_000


def duration_to_json(ms: int) -> str:
    sign = "-" if ms < 0 else ""
    seconds, millis = divmod(abs(int(ms)), 1000)
    return f"{sign}{seconds}.{millis:03d}s" if millis else f"{sign}{seconds}s"


def duration_from_json(value: Any, field: str = "execution_duration") -> int:
    m = _DURATION.match(value.strip()) if isinstance(value, str) else None
    if m is None:
        raise InvalidParameterValue(
            f"Invalid value {value!r} for parameter '{field}': expected a duration like '1.5s'."
        )
    ms = int(m.group(2)) * 1000 + int((m.group(3) or "0").ljust(9, "0")) // 1_000_000
    return -ms if m.group(1) else ms


def trace_info_to_json(info: TraceInfo) -> dict[str, Any]:
    out: dict[str, Any] = {
        "trace_id": info.trace_id,
        "trace_location": {
            "type": "MLFLOW_EXPERIMENT",
            "mlflow_experiment": {"experiment_id": info.experiment_id},
        },
        "request_time": timestamp_to_json(info.request_time),
        "state": info.state,
        "trace_metadata": dict(info.trace_metadata),
        "tags": dict(info.tags),
    }
    if info.execution_duration is not None:
        out["execution_duration"] = duration_to_json(info.execution_duration)
    for name in ("client_request_id", "request_preview", "response_preview"):
        value = getattr(info, name)
        if value is not None:
            out[name] = value
    return out


def _string_map(value: Any, field: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidParameterValue(f"Invalid value for parameter '{field}': expected an object.")
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in value.items()}


def trace_info_from_json(data: Any) -> TraceInfo:
    """A ``TraceInfoV3`` object; refuses locations other than an MLflow experiment."""
    if not isinstance(data, dict):
        raise InvalidParameterValue("Missing value for required parameter 'trace.trace_info'.")
    location = data.get("trace_location") or {}
    experiment = location.get("mlflow_experiment") if isinstance(location, dict) else None
    if not isinstance(experiment, dict) or not experiment.get("experiment_id"):
        raise InvalidParameterValue(
            "Invalid value for parameter 'trace_location': this server stores traces in MLflow "
            "experiments only (trace_location.mlflow_experiment.experiment_id)."
        )
    state = data.get("state") or TraceState.UNSPECIFIED
    duration = data.get("execution_duration")
    return TraceInfo(
        trace_id=str(data.get("trace_id") or ""),
        experiment_id=str(experiment["experiment_id"]),
        request_time=timestamp_from_json(data.get("request_time")),
        state=str(state),
        execution_duration=duration_from_json(duration) if duration is not None else None,
        client_request_id=data.get("client_request_id"),
        request_preview=data.get("request_preview"),
        response_preview=data.get("response_preview"),
        trace_metadata=_string_map(data.get("trace_metadata"), "trace_metadata"),
        tags=_string_map(data.get("tags"), "tags"),
    )


# ------------------------------------------------------------------ spans
def _any_value(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, bool):
        return {"bool_value": value}
    if isinstance(value, int):
        return {"int_value": str(value)}
    if isinstance(value, float):
        return {"double_value": value}
    if isinstance(value, str):
        return {"string_value": value}
    if isinstance(value, list):
        return {"array_value": {"values": [_any_value(v) for v in value]}}
    if isinstance(value, dict):
        return {
            "kvlist_value": {
                "values": [{"key": str(k), "value": _any_value(v)} for k, v in value.items()]
            }
        }
    return {"string_value": str(value)}


def _decoded(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _attributes(attrs: Any) -> list[dict[str, Any]]:
    if not isinstance(attrs, dict):
        return []
    return [{"key": str(k), "value": _any_value(_decoded(v))} for k, v in attrs.items()]


def _status(status: Any) -> dict[str, Any]:
    if not isinstance(status, dict):
        return {}
    out: dict[str, Any] = {}
    if status.get("code"):
        out["code"] = status["code"]
    if status.get("message"):
        out["message"] = status["message"]
    return out


def spans_to_otel_json(trace_data: Any) -> list[dict[str, Any]]:
    """The spans of a ``traces.json`` document as OpenTelemetry ``Span`` JSON objects."""
    spans = trace_data.get("spans") if isinstance(trace_data, dict) else None
    if not isinstance(spans, list):
        raise InvalidParameterValue("The trace data has no 'spans' list.")
    out: list[dict[str, Any]] = []
    for span in spans:
        if not isinstance(span, dict):
            raise InvalidParameterValue("Every span in the trace data must be an object.")
        item: dict[str, Any] = {
            "trace_id": span.get("trace_id") or "",
            "span_id": span.get("span_id") or "",
            "name": span.get("name") or "",
            "start_time_unix_nano": str(span.get("start_time_unix_nano") or 0),
            "end_time_unix_nano": str(span.get("end_time_unix_nano") or 0),
            "attributes": _attributes(span.get("attributes")),
            "status": _status(span.get("status")),
        }
        if span.get("parent_span_id"):
            item["parent_span_id"] = span["parent_span_id"]
        if span.get("trace_state"):
            item["trace_state"] = span["trace_state"]
        events = []
        for event in span.get("events") or ():
            if isinstance(event, dict):
                events.append(
                    {
                        "name": event.get("name") or "",
                        "time_unix_nano": str(event.get("time_unix_nano") or 0),
                        "attributes": _attributes(event.get("attributes")),
                    }
                )
        if events:
            item["events"] = events
        out.append(item)
    return out
