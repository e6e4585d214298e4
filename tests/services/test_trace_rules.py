"""The trace rules of TrackingService over a real SQLite store."""

from __future__ import annotations

import pytest

from modelyard.entities import TRACE_ARTIFACT_LOCATION_TAG, TraceInfo
from modelyard.errors import InvalidParameterValue, RequestLimitExceeded
from modelyard.services.traces import MAX_TRACE_INFO_BYTES, check_trace_id
from modelyard.services.tracking import TrackingService
from modelyard.store.tracking.sql import SqlTrackingStore


@pytest.fixture
def service(sqlite_uri: str, artifact_root: str) -> TrackingService:
    return TrackingService(SqlTrackingStore(sqlite_uri, artifact_root))


def test_state_is_normalised_and_location_assigned(service: TrackingService) -> None:
    exp = service.create_experiment("rules")
    info = TraceInfo("tr-1", exp, 1000, state="error", tags={TRACE_ARTIFACT_LOCATION_TAG: "/etc"})
    got = service.start_trace(info)
    assert got.state == "ERROR"
    assert got.tags[TRACE_ARTIFACT_LOCATION_TAG].endswith(f"/{exp}/traces/tr-1/artifacts")


def test_long_tag_values_are_truncated(service: TrackingService) -> None:
    exp = service.create_experiment("truncate")
    got = service.start_trace(TraceInfo("tr-2", exp, 1000, tags={"t": "v" * 9000}))
    assert len(got.tags["t"]) == 8000


def test_size_limit(service: TrackingService) -> None:
    exp = service.create_experiment("size")
    big = {"m": "x" * (MAX_TRACE_INFO_BYTES + 1)}
    with pytest.raises(RequestLimitExceeded):
        service.start_trace(TraceInfo("tr-3", exp, 1000, trace_metadata=big))


@pytest.mark.parametrize("bad", ["", "a/b", "..", ".", "a\\b", "tr 1", "x" * 51, None, 3])
def test_trace_ids(bad: object) -> None:
    with pytest.raises(InvalidParameterValue):
        check_trace_id(bad)


def test_search_and_delete_rules(service: TrackingService) -> None:
    exp = service.create_experiment("bounds")
    with pytest.raises(InvalidParameterValue, match="max_results"):
        service.search_traces([exp], max_results=501)
    with pytest.raises(InvalidParameterValue, match="locations"):
        service.search_traces([])
    with pytest.raises(InvalidParameterValue, match="Either"):
        service.delete_traces(exp)
    with pytest.raises(InvalidParameterValue, match="Only one"):
        service.delete_traces(exp, max_timestamp_millis=5, trace_ids=["tr-1"])
    with pytest.raises(InvalidParameterValue, match="immutable"):
        service.set_trace_tag("tr-1", "mlflow.trace.spansLocation", "TRACKING_STORE")
