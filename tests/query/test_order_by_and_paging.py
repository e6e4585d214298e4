"""order_by parsing for every search kind, page tokens and max_results checks."""

from __future__ import annotations

import base64
import json

import pytest

from modelyard.errors import InvalidParameterValue
from modelyard.query import (
    OrderKey,
    check_max_results,
    decode_page_token,
    encode_page_token,
    next_page_token,
    parse_experiment_order_by,
    parse_logged_model_order_by,
    parse_model_version_order_by,
    parse_registered_model_order_by,
    parse_run_order_by,
)

K = OrderKey


def test_run_order_by() -> None:
    assert parse_run_order_by(None) == []
    assert parse_run_order_by([]) == []
    assert parse_run_order_by(
        [
            "metrics.acc DESC",
            "params.lr",
            "tags.`my tag` asc",
            "attributes.start_time desc",
            "`Run name`",
            "created ASC",
            "run_id",
            "status DESC",
            "tags.mlflow.runName",
        ]
    ) == [
        K("metric", "acc", False),
        K("param", "lr", True),
        K("tag", "my tag", True),
        K("attribute", "start_time", False),
        K("attribute", "run_name", True),
        K("attribute", "start_time", True),
        K("attribute", "run_id", True),
        K("attribute", "status", False),
        K("tag", "mlflow.runName", True),
    ]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("foo", "Invalid order_by key 'foo'"),
        ("lifecycle_stage", "lifecycle_stage"),
        ("metrics.acc sideways", "Invalid ordering key 'sideways'"),
        ("metrics.acc DESC extra", "unexpected 'extra'"),
        ("", "Invalid order_by clause"),
        ("datasets.name", "Invalid order_by entity 'datasets'"),
        ("bogus.x", "Invalid entity type 'bogus'"),
        ("'quoted'", "Could not be parsed"),
    ],
)
def test_invalid_run_order_by(entry: str, message: str) -> None:
    with pytest.raises(InvalidParameterValue) as err:
        parse_run_order_by([entry])
    assert message in str(err.value)


def test_experiment_order_by() -> None:
    assert parse_experiment_order_by(["name", "creation_time DESC", "attribute.experiment_id"]) == [
        K("attribute", "name", True),
        K("attribute", "creation_time", False),
        K("attribute", "experiment_id", True),
    ]
    with pytest.raises(InvalidParameterValue, match="Invalid order_by key 'artifact_location'"):
        parse_experiment_order_by(["artifact_location"])
    with pytest.raises(InvalidParameterValue, match="tag.team"):
        parse_experiment_order_by(["tags.team"])


def test_registered_model_order_by() -> None:
    assert parse_registered_model_order_by(["name DESC", "timestamp"]) == [
        K("attribute", "name", False),
        K("attribute", "last_updated_timestamp", True),
    ]
    assert parse_registered_model_order_by(["last_updated_timestamp DESC"]) == [
        K("attribute", "last_updated_timestamp", False)
    ]
    with pytest.raises(InvalidParameterValue, match="Invalid order_by key 'creation_timestamp'"):
        parse_registered_model_order_by(["creation_timestamp"])
    with pytest.raises(InvalidParameterValue, match="duplicate fields: 'last_updated_timestamp'"):
        parse_registered_model_order_by(["timestamp", "last_updated_timestamp"])


def test_model_version_order_by() -> None:
    assert parse_model_version_order_by(
        ["version_number DESC", "name", "creation_timestamp", "last_updated_timestamp ASC"]
    ) == [
        K("attribute", "version_number", False),
        K("attribute", "name", True),
        K("attribute", "creation_timestamp", True),
        K("attribute", "last_updated_timestamp", True),
    ]
    with pytest.raises(InvalidParameterValue, match="duplicate fields: 'name'"):
        parse_model_version_order_by(["name", "name DESC"])
    with pytest.raises(InvalidParameterValue, match="Invalid order_by key 'stage'"):
        parse_model_version_order_by(["stage"])
    with pytest.raises(InvalidParameterValue, match="tags.x"):
        parse_model_version_order_by(["tags.x"])


def test_logged_model_order_by() -> None:
    assert parse_logged_model_order_by(
        [
            {"field_name": "creation_time", "ascending": False},
            {"field_name": "name"},
            {"field_name": "metrics.acc", "ascending": True},
        ]
    ) == [
        K("attribute", "creation_timestamp", False),
        K("attribute", "name", True),
        K("metric", "acc", True),
    ]
    with pytest.raises(InvalidParameterValue, match="list of dictionaries"):
        parse_logged_model_order_by(["name"])  # type: ignore[list-item]
    with pytest.raises(InvalidParameterValue, match="`field_name` must be specified"):
        parse_logged_model_order_by([{"ascending": True}])
    with pytest.raises(InvalidParameterValue, match="must be a boolean"):
        parse_logged_model_order_by([{"field_name": "name", "ascending": "yes"}])
    with pytest.raises(InvalidParameterValue, match="'params.a'"):
        parse_logged_model_order_by([{"field_name": "params.a"}])
    with pytest.raises(InvalidParameterValue, match="Invalid order_by key 'experiment_id'"):
        parse_logged_model_order_by([{"field_name": "experiment_id"}])


# ------------------------------------------------------------------ page tokens


def test_page_token_round_trip_and_format() -> None:
    token = encode_page_token(150)
    assert json.loads(base64.b64decode(token)) == {"offset": 150}
    assert decode_page_token(token) == 150
    assert decode_page_token(None) == 0
    assert decode_page_token("") == 0
    # MLflow's own tokens are the same format
    assert decode_page_token(base64.b64encode(b'{"offset": 7}').decode()) == 7


@pytest.mark.parametrize(
    "token",
    [
        "not base64 !!",
        base64.b64encode(b"not json").decode(),
        base64.b64encode(b"[1, 2]").decode(),
        base64.b64encode(b'{"offset": -1}').decode(),
        base64.b64encode(b'{"offset": "x"}').decode(),
        base64.b64encode(b'{"other": 1}').decode(),
        base64.b64encode(b'{"offset": true}').decode(),
    ],
)
def test_bad_page_tokens(token: str) -> None:
    with pytest.raises(InvalidParameterValue, match="Invalid page token"):
        decode_page_token(token)


def test_next_page_token() -> None:
    assert next_page_token(0, 10, 11) == encode_page_token(10)
    assert next_page_token(20, 10, 10) is None
    assert next_page_token(20, 10, 3) is None


@pytest.mark.parametrize("bad", [0, -1, 50001, "abc", True])
def test_check_max_results_rejects(bad: object) -> None:
    with pytest.raises(InvalidParameterValue, match="max_results"):
        check_max_results(bad, 50000)


def test_check_max_results_accepts() -> None:
    assert check_max_results(1, 50000) == 1
    assert check_max_results(50000, 50000) == 50000
    assert check_max_results("25", 1000) == 25
