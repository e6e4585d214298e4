"""The rules for MLflow 3 trace records, shared by every backend (client and server alike).

:class:`TraceRules` is mixed into :class:`~modelyard.services.tracking.TrackingService`: it
validates, bounds and normalises the input, then delegates to the wrapped store.

Bounds: a trace record (tags, metadata and previews together) is at most
:data:`MAX_TRACE_INFO_BYTES` (:class:`TraceTooLarge`, ``REQUEST_LIMIT_EXCEEDED`` with HTTP 413, beyond), a search page at most
:data:`~modelyard.store.tracking.base.SEARCH_TRACES_MAX_RESULTS` records, a delete by ids at
most :data:`MAX_DELETE_TRACE_IDS` ids. Tags the server manages (``mlflow.artifactLocation``,
the spans and archive locations) cannot be set or deleted through the tag calls: the artifact
location decides where the server reads span data, so it is the store's to assign.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from modelyard.entities import TRACE_ARTIFACT_LOCATION_TAG, PagedList, TraceInfo, TraceState
from modelyard.errors import InvalidParameterValue, RequestLimitExceeded
from modelyard.query.paging import check_max_results
from modelyard.services.validation import (
    MAX_TAG_VALUE_LENGTH,
    check_experiment_id,
    check_key,
    check_timestamp,
    truncate,
)
from modelyard.store.tracking.base import (
    SEARCH_TRACES_MAX_RESULTS,
    SEARCH_TRACES_MAX_RESULTS_DEFAULT,
)

if TYPE_CHECKING:
    from modelyard.store.tracking.base import TrackingStore

__all__ = [
    "MAX_DELETE_TRACE_IDS",
    "MAX_TRACE_ID_LENGTH",
    "MAX_TRACE_INFO_BYTES",
    "MAX_TRACE_KEY_LENGTH",
    "SERVER_MANAGED_TRACE_TAGS",
    "TraceRules",
    "TraceTooLarge",
    "check_trace_id",
]

MAX_TRACE_ID_LENGTH = 50
#: a trace id names a folder of the artifact store: no separators, no traversal
_TRACE_ID = re.compile(r"^[A-Za-z0-9_.:-]+$")
MAX_TRACE_KEY_LENGTH = 250
MAX_TRACE_INFO_BYTES = 1024 * 1024
MAX_DELETE_TRACE_IDS = 1000
#: tags only the server writes (MLflow blocks the last three in its tag handlers)
SERVER_MANAGED_TRACE_TAGS = frozenset(
    {
        TRACE_ARTIFACT_LOCATION_TAG,
        "mlflow.trace.spansLocation",
        "mlflow.trace.archiveLocation",
        "mlflow.trace.archivalFailure",
    }
)


class TraceTooLarge(RequestLimitExceeded):
    """A trace record or its span data over a bound: ``REQUEST_LIMIT_EXCEEDED`` answered with
    HTTP 413 rather than the code's usual 429, so that clients do not retry what can never
    succeed."""

    http_status = 413


def check_trace_id(trace_id: object, field: str = "trace_id") -> str:
    if not isinstance(trace_id, str) or not trace_id.strip():
        raise InvalidParameterValue(f"Missing value for required parameter '{field}'.")
    if (
        len(trace_id) > MAX_TRACE_ID_LENGTH
        or not _TRACE_ID.match(trace_id)
        or not trace_id.strip(".")
    ):
        raise InvalidParameterValue(
            f"Invalid value {trace_id[:80]!r} for parameter '{field}': a trace id is 1 to "
            f"{MAX_TRACE_ID_LENGTH} letters, digits, '-', '_', '.' or ':' (not only dots)."
        )
    return trace_id


def _clean_pairs(pairs: dict[str, str], what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in pairs.items():
        if not isinstance(key, str) or not key or len(key) > MAX_TRACE_KEY_LENGTH:
            raise InvalidParameterValue(
                f"Invalid {what} key {str(key)[:80]!r}: a key is 1 to {MAX_TRACE_KEY_LENGTH} "
                "characters."
            )
        out[key] = truncate(value, MAX_TAG_VALUE_LENGTH)
    return out


def _size(info: TraceInfo) -> int:
    size = len((info.request_preview or "").encode()) + len((info.response_preview or "").encode())
    for pairs in (info.tags, info.trace_metadata):
        size += sum(len(k.encode()) + len(v.encode()) for k, v in pairs.items())
    return size


class TraceRules:
    """Validation of the :class:`~modelyard.store.tracking.base.TraceStore` calls."""

    store: TrackingStore

    def start_trace(self, trace_info: TraceInfo) -> TraceInfo:
        check_trace_id(trace_info.trace_id)
        experiment_id = check_experiment_id(trace_info.experiment_id)
        request_time = check_timestamp(trace_info.request_time, "request_time")
        if request_time is None:
            raise InvalidParameterValue("Missing value for required parameter 'request_time'.")
        duration = trace_info.execution_duration
        if duration is not None:
            duration = check_timestamp(duration, "execution_duration")
        state = str(trace_info.state or TraceState.UNSPECIFIED).upper()
        if state not in TraceState.ALL:
            raise InvalidParameterValue(
                f"Invalid value {trace_info.state!r} for parameter 'state': expected one of "
                f"{list(TraceState.ALL)}"
            )
        if _size(trace_info) > MAX_TRACE_INFO_BYTES:
            raise TraceTooLarge(
                f"Trace {trace_info.trace_id!r} is too large: its tags, metadata and previews "
                f"exceed {MAX_TRACE_INFO_BYTES} bytes."
            )
        tags = _clean_pairs(trace_info.tags, "trace tag")
        tags.pop(TRACE_ARTIFACT_LOCATION_TAG, None)  # the store assigns it
        clean = TraceInfo(
            trace_id=trace_info.trace_id,
            experiment_id=experiment_id,
            request_time=request_time,
            state=state,
            execution_duration=duration,
            client_request_id=trace_info.client_request_id or None,
            request_preview=trace_info.request_preview,
            response_preview=trace_info.response_preview,
            trace_metadata=_clean_pairs(trace_info.trace_metadata, "trace metadata"),
            tags=tags,
        )
        return self.store.start_trace(clean)

    def get_trace_info(self, trace_id: str) -> TraceInfo:
        return self.store.get_trace_info(check_trace_id(trace_id))

    def batch_get_trace_infos(self, trace_ids: Sequence[str]) -> list[TraceInfo]:
        if len(trace_ids) > SEARCH_TRACES_MAX_RESULTS:
            raise InvalidParameterValue(
                f"At most {SEARCH_TRACES_MAX_RESULTS} trace ids per request (field 'trace_ids')."
            )
        return self.store.batch_get_trace_infos([check_trace_id(t, "trace_ids") for t in trace_ids])

    def search_traces(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        max_results: int = SEARCH_TRACES_MAX_RESULTS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[TraceInfo]:
        max_results = check_max_results(max_results, SEARCH_TRACES_MAX_RESULTS)
        ids = [check_experiment_id(e) for e in experiment_ids]
        if not ids:
            raise InvalidParameterValue(
                "Missing value for required parameter 'locations': name at least one experiment."
            )
        return self.store.search_traces(
            ids, filter_string or None, max_results, list(order_by or ()) or None, page_token
        )

    def delete_traces(
        self,
        experiment_id: str,
        max_timestamp_millis: int | None = None,
        max_traces: int | None = None,
        trace_ids: Sequence[str] | None = None,
    ) -> int:
        experiment_id = check_experiment_id(experiment_id)
        ids = [check_trace_id(t, "request_ids") for t in trace_ids or ()]
        if max_timestamp_millis is None and not ids:
            raise InvalidParameterValue(
                "Either `max_timestamp_millis` or `trace_ids` must be specified."
            )
        if max_timestamp_millis is not None and ids:
            raise InvalidParameterValue(
                "Only one of `max_timestamp_millis` and `trace_ids` can be specified."
            )
        if ids and max_traces is not None:
            raise InvalidParameterValue(
                "`max_traces` can't be specified if `trace_ids` is specified."
            )
        if len(ids) > MAX_DELETE_TRACE_IDS:
            raise InvalidParameterValue(
                f"At most {MAX_DELETE_TRACE_IDS} trace ids per request (field 'request_ids')."
            )
        if max_traces is not None:
            max_traces = check_max_results(max_traces, 2**31 - 1, field="max_traces")
        if max_timestamp_millis is not None:
            max_timestamp_millis = check_timestamp(max_timestamp_millis, "max_timestamp_millis")
        return self.store.delete_traces(
            experiment_id, max_timestamp_millis, max_traces, ids or None
        )

    def set_trace_tag(self, trace_id: str, key: str, value: str) -> None:
        check_key(key, "trace tag")
        _check_mutable(key, "set")
        self.store.set_trace_tag(
            check_trace_id(trace_id), key, truncate(value, MAX_TAG_VALUE_LENGTH)
        )

    def delete_trace_tag(self, trace_id: str, key: str) -> None:
        check_key(key, "trace tag")
        _check_mutable(key, "deleted")
        self.store.delete_trace_tag(check_trace_id(trace_id), key)


def _check_mutable(key: str, operation: str) -> None:
    if key in SERVER_MANAGED_TRACE_TAGS:
        raise InvalidParameterValue(
            f"Tag '{key}' is immutable and cannot be {operation} on a trace."
        )
