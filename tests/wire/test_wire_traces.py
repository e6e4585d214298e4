"""Trace JSON shapes: protobuf timestamps and durations, TraceInfoV3, span conversion."""

from __future__ import annotations

import pytest

from modelyard.entities import TraceInfo
from modelyard.errors import InvalidParameterValue
from modelyard.wire.traces import (
    duration_from_json,
    duration_to_json,
    spans_to_otel_json,
    timestamp_from_json,
    timestamp_to_json,
    trace_info_from_json,
    trace_info_to_json,
)


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("2026-12-02T06:47:30.065Z", 1796194050065),
        ("2026-12-02T06:47:30Z", 1796194050000),
        ("2026-12-02T06:47:30.065123456Z", 1796194050065),
        ("1970-01-01T01:00:00.250+01:00", 250),
        ("1969-12-31T23:59:59.500Z", -500),
    ],
)
def test_timestamps(text: str, ms: int) -> None:
    assert timestamp_from_json(text) == ms
    assert timestamp_from_json(timestamp_to_json(ms)) == ms


def test_timestamp_output_form() -> None:
    assert timestamp_to_json(1796194050065) == "2026-12-02T06:47:30.065Z"
    assert timestamp_to_json(1796194050000) == "2026-12-02T06:47:30Z"


@pytest.mark.parametrize("bad", ["", "yesterday", "2026-12-02 06:47:30", None, 1.5])
def test_bad_timestamps(bad: object) -> None:
    with pytest.raises(InvalidParameterValue, match="request_time"):
        timestamp_from_json(bad)


def test_durations() -> None:
    assert duration_from_json("0.294s") == 294
    assert duration_from_json("12s") == 12000
    assert duration_from_json("1.000000001s") == 1000
    assert duration_to_json(294) == "0.294s"
    assert duration_to_json(12000) == "12s"
    with pytest.raises(InvalidParameterValue, match="execution_duration"):
        duration_from_json("12")


def test_trace_info_round_trip() -> None:
    info = TraceInfo(
        trace_id="tr-1",
        experiment_id="3",
        request_time=1796194050065,
        state="ERROR",
        execution_duration=5,
        client_request_id="c",
        request_preview="in",
        response_preview=None,
        trace_metadata={"m": "1"},
        tags={"t": "2"},
    )
    data = trace_info_to_json(info)
    assert "response_preview" not in data
    assert trace_info_from_json(data) == info


def test_trace_info_non_string_map_values_are_json() -> None:
    data = trace_info_to_json(TraceInfo("tr-1", "3", 0))
    data["tags"] = {"n": 3}
    assert trace_info_from_json(data).tags == {"n": "3"}


def test_spans_to_otel_json() -> None:
    (span,) = spans_to_otel_json(
        {
            "spans": [
                {
                    "trace_id": "AA==",
                    "span_id": "AQ==",
                    "parent_span_id": "Ag==",
                    "name": "s",
                    "start_time_unix_nano": 1,
                    "end_time_unix_nano": 2,
                    "status": {"code": "STATUS_CODE_ERROR", "message": "boom"},
                    "attributes": {"a": '"x"', "n": "null", "raw": "not json"},
                    "events": [{"name": "exception", "time_unix_nano": 3, "attributes": {}}],
                }
            ]
        }
    )
    assert span["parent_span_id"] == "Ag=="
    assert span["start_time_unix_nano"] == "1"
    assert span["status"] == {"code": "STATUS_CODE_ERROR", "message": "boom"}
    attrs = {a["key"]: a["value"] for a in span["attributes"]}
    assert attrs == {"a": {"string_value": "x"}, "n": {}, "raw": {"string_value": "not json"}}
    assert span["events"] == [{"name": "exception", "time_unix_nano": "3", "attributes": []}]
    with pytest.raises(InvalidParameterValue, match="spans"):
        spans_to_otel_json({"nope": []})
