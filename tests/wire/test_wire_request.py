"""WireArgs: typed fields from JSON bodies and query strings."""

from __future__ import annotations

import math

import pytest

from modelyard.entities import RunStatus, ViewType
from modelyard.errors import InvalidParameterValue
from modelyard.wire import WireArgs, parse_json_body


def test_query_repeated_keys_bools_and_ints():
    a = WireArgs.from_query(
        [("order_by", "a"), ("order_by", "b"), ("flag", "TRUE"), ("n", "25000"), ("stages", "None")]
    )
    assert a.str_list("order_by") == ["a", "b"]
    assert a.str_list("stages") == ["None"]
    assert a.bool("flag") is True
    assert a.int("n") == 25000
    with pytest.raises(InvalidParameterValue, match="Invalid value \"maybe\" for parameter 'flag'"):
        WireArgs.from_query([("flag", "maybe")]).bool("flag")


def test_required_and_wrong_types():
    a = WireArgs.from_json({"name": 123, "max_results": "x", "ids": "notalist"})
    with pytest.raises(
        InvalidParameterValue, match="Missing value for required parameter 'run_id'"
    ):
        a.run_id()
    with pytest.raises(InvalidParameterValue, match="Invalid value 123 for parameter 'name'"):
        a.str("name")
    with pytest.raises(InvalidParameterValue, match="parameter 'max_results'"):
        a.int("max_results")
    with pytest.raises(InvalidParameterValue, match="parameter 'ids'"):
        a.str_list("ids")
    with pytest.raises(InvalidParameterValue):
        WireArgs.from_json({"flag": 1}).bool("flag")
    with pytest.raises(InvalidParameterValue):
        WireArgs.from_json({"n": True}).int("n")


def test_int64_strings_and_bounds():
    assert WireArgs.from_json({"t": "1795707888552"}).int("t") == 1795707888552
    assert WireArgs.from_json({"t": 5.0}).int("t") == 5
    with pytest.raises(InvalidParameterValue):
        WireArgs.from_json({"t": 2**64}).int("t")
    with pytest.raises(InvalidParameterValue):
        WireArgs.from_json({"m": 0}).int("m", minimum=1)


def test_doubles_accept_special_strings():
    a = WireArgs.from_json({"a": "NaN", "b": "Infinity", "c": "-Infinity", "d": 1, "e": "2.5"})
    assert math.isnan(a.req_double("a"))
    assert a.req_double("b") == math.inf
    assert a.req_double("c") == -math.inf
    assert a.req_double("d") == 1.0
    assert a.req_double("e") == 2.5
    with pytest.raises(InvalidParameterValue, match="Invalid value \"abc\" for parameter 'v'"):
        WireArgs.from_json({"v": "abc"}).double("v")


def test_camel_case_and_duplicates():
    assert WireArgs.from_json({"experimentId": "3"}).str("experiment_id") == "3"
    with pytest.raises(InvalidParameterValue, match="given twice"):
        WireArgs.from_json({"experimentId": "3", "experiment_id": "3"}).str("experiment_id")


def test_run_id_prefers_run_id_then_run_uuid():
    assert WireArgs.from_json({"run_uuid": "u"}).run_id() == "u"
    assert WireArgs.from_json({"run_id": "a", "run_uuid": "b"}).run_id() == "a"
    assert WireArgs.from_json({}).run_id(required=False) is None


def test_enums_by_name_or_number():
    assert WireArgs.from_json({"v": "ALL"}).enum("v", ViewType.coerce) == ViewType.ALL
    assert WireArgs.from_json({"v": 2}).enum("v", ViewType.coerce) == ViewType.DELETED_ONLY
    assert WireArgs.from_query([("s", "3")]).enum("s", RunStatus.coerce) == "FINISHED"
    with pytest.raises(InvalidParameterValue, match="parameter 's'"):
        WireArgs.from_json({"s": "NOPE"}).enum("s", RunStatus.coerce)


def test_key_values_and_objects():
    a = WireArgs.from_json({"tags": [{"key": "a", "value": "1"}, {"key": "b"}], "bad": [1]})
    assert a.key_values("tags") == [("a", "1"), ("b", "")]
    with pytest.raises(InvalidParameterValue):
        a.obj_list("bad")
    with pytest.raises(InvalidParameterValue, match="Missing value for required parameter 'key'"):
        WireArgs.from_json({"tags": [{"value": "x"}]}).key_values("tags")


def test_parse_json_body():
    assert parse_json_body(b"") == {}
    assert parse_json_body(b"  ") == {}
    assert parse_json_body(b'{"a": 1}') == {"a": 1}
    assert parse_json_body(b'"{\\"a\\": 1}"') == {"a": 1}
    with pytest.raises(InvalidParameterValue, match="Malformed JSON"):
        parse_json_body(b"{oops")
    with pytest.raises(InvalidParameterValue):
        parse_json_body(b"[1]")
