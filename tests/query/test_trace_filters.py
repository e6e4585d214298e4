"""The trace search language: entities, MLflow's key mappings, comparators, order_by."""

from __future__ import annotations

import pytest

from modelyard.errors import InvalidParameterValue
from modelyard.query.traces import (
    TraceComparison,
    TraceOrderKey,
    parse_trace_filter,
    parse_trace_order_by,
)


def test_attributes_tags_and_metadata() -> None:
    got = parse_trace_filter(
        "timestamp_ms > 10 AND attributes.status = 'ok' AND trace.execution_time_ms <= 5 "
        "AND tags.`my tag` LIKE 'a%' AND metadata.`mlflow.user` = 'ada' "
        "AND request_metadata.k IS NULL AND request_id IN ('a', 'b')"
    )
    assert got == [
        TraceComparison("attribute", "request_time", ">", 10),
        TraceComparison("attribute", "state", "=", "OK"),
        TraceComparison("attribute", "execution_duration", "<=", 5),
        TraceComparison("tag", "my tag", "LIKE", "a%"),
        TraceComparison("metadata", "mlflow.user", "=", "ada"),
        TraceComparison("metadata", "k", "IS NULL", None),
        TraceComparison("attribute", "trace_id", "IN", ("a", "b")),
    ]


def test_name_and_run_id_map_to_tag_and_metadata() -> None:
    assert parse_trace_filter("name = 'predict' AND run_id = 'r1'") == [
        TraceComparison("tag", "mlflow.traceName", "=", "predict"),
        TraceComparison("metadata", "mlflow.sourceRun", "=", "r1"),
    ]


@pytest.mark.parametrize(
    ("filter_string", "needle"),
    [
        ("colour = 'red'", "Invalid attribute key 'colour'"),
        ("span.name = 'x'", "Invalid entity type 'span'"),
        ("timestamp_ms LIKE '1%'", "Invalid comparator 'LIKE'"),
        ("tags.a > 'b'", "Invalid comparator '>'"),
        ("timestamp_ms > 'abc'", "Expected numeric value"),
        ("status = OK", "Expected a quoted string"),
        ("status = 'OK' OR status = 'ERROR'", "'OR'"),
    ],
)
def test_refused(filter_string: str, needle: str) -> None:
    with pytest.raises(InvalidParameterValue, match=needle):
        parse_trace_filter(filter_string)


def test_order_by() -> None:
    assert parse_trace_order_by(["timestamp_ms DESC", "tags.rank", "name ASC"]) == [
        TraceOrderKey("attribute", "request_time", False),
        TraceOrderKey("tag", "rank", True),
        TraceOrderKey("tag", "mlflow.traceName", True),
    ]
    with pytest.raises(InvalidParameterValue):
        parse_trace_order_by(["colour"])
