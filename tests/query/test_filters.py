"""The search-filter grammar: valid filters parse to the expected AST, invalid ones are
rejected with InvalidParameterValue naming the offending token."""

from __future__ import annotations

import pytest

from modelyard.errors import InvalidParameterValue
from modelyard.query import (
    Comparison,
    parse_experiment_filter,
    parse_logged_model_filter,
    parse_model_version_filter,
    parse_registered_model_filter,
    parse_run_filter,
)

C = Comparison


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, []),
        ("", []),
        ("   ", []),
        ("metrics.acc > 0.9", [C("metric", "acc", ">", 0.9)]),
        ("metric.acc >= 1", [C("metric", "acc", ">=", 1.0)]),
        ("metrics.loss < -1.5e3", [C("metric", "loss", "<", -1500.0)]),
        ("metrics.loss<=.5", [C("metric", "loss", "<=", 0.5)]),
        (
            "metrics.a != 2 and metrics.b = 3",
            [C("metric", "a", "!=", 2.0), C("metric", "b", "=", 3.0)],
        ),
        ("metrics.`my metric` = 1", [C("metric", "my metric", "=", 1.0)]),
        ("`metrics`.`accuracy` > 0", [C("metric", "accuracy", ">", 0.0)]),
        ('metrics."acc" > 0', [C("metric", "acc", ">", 0.0)]),
        ("metrics.val-loss < 1", [C("metric", "val-loss", "<", 1.0)]),
        ("params.lr = '0.01'", [C("param", "lr", "=", "0.01")]),
        ('param.lr = "0.01"', [C("param", "lr", "=", "0.01")]),
        ("parameter.lr != 'x'", [C("param", "lr", "!=", "x")]),
        ("parameters.lr LIKE '0.%'", [C("param", "lr", "LIKE", "0.%")]),
        ("params.lr ilike '%A%'", [C("param", "lr", "ILIKE", "%A%")]),
        ("params.lr IS NULL", [C("param", "lr", "IS NULL", None)]),
        ("params.lr is not null", [C("param", "lr", "IS NOT NULL", None)]),
        ("tags.mlflow.runName = 'x'", [C("tag", "mlflow.runName", "=", "x")]),
        ("tag.`my key` = 'v'", [C("tag", "my key", "=", "v")]),
        ("tags.\"team\" = 'a'", [C("tag", "team", "=", "a")]),
        ("tags.note = 'it''s'", [C("tag", "note", "=", "it's")]),
        ("tags.t IS NOT NULL", [C("tag", "t", "IS NOT NULL", None)]),
        ("run_id = 'abc'", [C("attribute", "run_id", "=", "abc")]),
        ("attributes.run_id IN ('a', \"b\")", [C("attribute", "run_id", "IN", ("a", "b"))]),
        ("attr.run_id not in ('a')", [C("attribute", "run_id", "NOT IN", ("a",))]),
        ("run.status = 'FINISHED'", [C("attribute", "status", "=", "FINISHED")]),
        ("attribute.user_id != 'bob'", [C("attribute", "user_id", "!=", "bob")]),
        ("artifact_uri LIKE 's3://%'", [C("attribute", "artifact_uri", "LIKE", "s3://%")]),
        ("run_name = 'r'", [C("attribute", "run_name", "=", "r")]),
        ("`Run name` = 'r'", [C("attribute", "run_name", "=", "r")]),
        ("`Run Name` ILIKE 'r%'", [C("attribute", "run_name", "ILIKE", "r%")]),
        ("attributes.`run name` = 'r'", [C("attribute", "run_name", "=", "r")]),
        ("created > 1000", [C("attribute", "start_time", ">", 1000)]),
        ("Created <= 5", [C("attribute", "start_time", "<=", 5)]),
        ("attributes.end_time = 7", [C("attribute", "end_time", "=", 7)]),
        ("datasets.name = 'iris'", [C("dataset", "name", "=", "iris")]),
        ("dataset.digest IN ('a','b')", [C("dataset", "digest", "IN", ("a", "b"))]),
        ("datasets.context = 'train'", [C("dataset", "context", "=", "train")]),
        (
            "metrics.a > 1 AND params.b = 'x' And tags.c != 'y' aNd run_id IN ('r')",
            [
                C("metric", "a", ">", 1.0),
                C("param", "b", "=", "x"),
                C("tag", "c", "!=", "y"),
                C("attribute", "run_id", "IN", ("r",)),
            ],
        ),
    ],
)
def test_valid_run_filters(text: str | None, expected: list[Comparison]) -> None:
    assert parse_run_filter(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("metrics.acc = '1'", "Expected numeric value type for metric. Found '1'"),
        ('metrics.acc = "1"', "Expected numeric value type for metric"),
        ("metrics.acc LIKE 1", "Invalid comparator 'LIKE'"),
        ("metrics.acc IS NULL", "Invalid comparator 'IS NULL'"),
        ("params.lr = 0.1", "Expected a quoted string value for param 'params.lr'"),
        ("params.lr > '1'", "Invalid comparator '>'"),
        ("params.lr = abc", "Got value abc"),
        ("tags.t IN ('a')", "Invalid comparator 'IN'"),
        ("status IN ('a')", "Only ['run_id'] attributes support comparison with a list"),
        ("run_id = ('a', 'b')", "needs IN or NOT IN"),
        ("run_id IN 'a'", "Expected a parenthesised list"),
        ("run_id IN ()", "found ')'"),
        ("run_id IN ('a' 'b')", "expected ',' or ')'"),
        ("run_id IN ('a', 1)", "found '1'"),
        ("lifecycle_stage = 'active'", "lifecycle_stage"),
        ("attributes.foo = 'x'", "Invalid attribute key 'foo'"),
        ("start_time = 'x'", "Expected numeric value type for numeric attribute: start_time"),
        ("start_time LIKE 1", "Invalid comparator 'LIKE'"),
        ("run_id IS NULL", "Invalid comparator 'IS NULL'"),
        ("run_id > 'a'", "Invalid comparator '>'"),
        ("foo.bar = 'x'", "Invalid entity type 'foo'"),
        ("datasets.size = 'x'", "Invalid dataset key 'size'"),
        ("metrics.a > 1 OR metrics.b > 1", "'OR' at position 14"),
        ("(metrics.a > 1)", "found '('"),
        ("metrics.a > 1 metrics.b > 1", "unexpected 'metrics.b'"),
        ("metrics.a > 1 AND", "after the final 'AND'"),
        ("AND metrics.a > 1", "found 'AND'"),
        ("metrics.a", "expected a comparator after 'metrics.a'"),
        ("metrics.a >", "expected a value after 'metrics.a' >"),
        ("metrics.a ~ 1", "unexpected character '~'"),
        ("metrics.a <> 1", "Invalid comparator '<>'"),
        ("metrics.a == 1", "Invalid comparator '=='"),
        ("params.a NOT LIKE 'x'", "Invalid comparator 'NOT'"),
        ("params.a IS 'x'", "expected NULL or NOT NULL after 'IS'"),
        ("params.a = 'unterminated", "unterminated quoted text"),
        ("metrics. = 1", "Invalid identifier 'metrics.'"),
        ("`tags`.`` = 'x'", "Invalid identifier"),
    ],
)
def test_invalid_run_filters(text: str, message: str) -> None:
    with pytest.raises(InvalidParameterValue) as err:
        parse_run_filter(text)
    assert message in str(err.value)
    assert err.value.error_code == "INVALID_PARAMETER_VALUE"


def test_filter_must_be_a_string() -> None:
    with pytest.raises(InvalidParameterValue, match="expected a string"):
        parse_run_filter(42)  # type: ignore[arg-type]


# ------------------------------------------------------------------ experiments


def test_experiment_filters() -> None:
    assert parse_experiment_filter(
        "name LIKE 'exp%' AND creation_time > 10 AND tags.team = 'a' AND experiment_id IN ('1')"
    ) == [
        C("attribute", "name", "LIKE", "exp%"),
        C("attribute", "creation_time", ">", 10),
        C("tag", "team", "=", "a"),
        C("attribute", "experiment_id", "IN", ("1",)),
    ]
    assert parse_experiment_filter("tags.x IS NULL") == [C("tag", "x", "IS NULL", None)]
    assert parse_experiment_filter("attribute.last_update_time <= 3") == [
        C("attribute", "last_update_time", "<=", 3)
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("metrics.a > 1", "Invalid entity type 'metrics'"),
        ("params.a = 'x'", "Invalid entity type 'params'"),
        ("run.name = 'x'", "Invalid entity type 'run'"),
        ("artifact_location = 'x'", "Invalid attribute key 'artifact_location'"),
        ("name IN ('a')", "Only ['experiment_id'] attributes support comparison with a list"),
        ("creation_time = '1'", "Expected numeric value type for numeric attribute"),
    ],
)
def test_invalid_experiment_filters(text: str, message: str) -> None:
    with pytest.raises(InvalidParameterValue) as err:
        parse_experiment_filter(text)
    assert message in str(err.value)


# ------------------------------------------------------------------ registry


def test_registered_model_filters() -> None:
    assert parse_registered_model_filter(
        "name = 'm' AND tag.`mlflow.prompt.is_prompt` != 'true'"
    ) == [
        C("attribute", "name", "=", "m"),
        C("tag", "mlflow.prompt.is_prompt", "!=", "true"),
    ]
    assert parse_registered_model_filter("tag.`mlflow.prompt.is_prompt` != 'true'") == [
        C("tag", "mlflow.prompt.is_prompt", "!=", "true")
    ]
    assert parse_registered_model_filter("name IN ('a', 'b')") == [
        C("attribute", "name", "IN", ("a", "b"))
    ]
    assert parse_registered_model_filter("attribute.name ILIKE '%X%'") == [
        C("attribute", "name", "ILIKE", "%X%")
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("stage = 'Production'", "Invalid attribute key 'stage'"),
        ("run_id = 'x'", "Invalid attribute key 'run_id'"),
        ("tags.a IS NULL", "Invalid comparator 'IS NULL'"),
        ("metrics.a > 1", "Invalid entity type 'metrics'"),
        ("name = 1", "Expected a quoted string value"),
    ],
)
def test_invalid_registered_model_filters(text: str, message: str) -> None:
    with pytest.raises(InvalidParameterValue) as err:
        parse_registered_model_filter(text)
    assert message in str(err.value)


def test_model_version_filters() -> None:
    assert parse_model_version_filter(
        "name = 'm' and version_number >= 2 and source_path LIKE 's3://%' "
        "and run_id NOT IN ('a', 'b') and tags.k != 'v'"
    ) == [
        C("attribute", "name", "=", "m"),
        C("attribute", "version_number", ">=", 2),
        C("attribute", "source_path", "LIKE", "s3://%"),
        C("attribute", "run_id", "NOT IN", ("a", "b")),
        C("tag", "k", "!=", "v"),
    ]
    # like MLflow's store, a quoted integer is accepted for version_number
    assert parse_model_version_filter("version_number = '3'") == [
        C("attribute", "version_number", "=", 3)
    ]
    assert parse_model_version_filter("attribute.name IN ('a')") == [
        C("attribute", "name", "IN", ("a",))
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("stage = 'None'", "Invalid attribute key 'stage'"),
        ("current_stage = 'None'", "Invalid attribute key 'current_stage'"),
        ("version_number = 'one'", "Invalid value for numeric attribute 'version_number': 'one'"),
        ("version_number = name", "Expected numeric value type for numeric attribute"),
        ("source_path IN ('a')", "Only ['name', 'run_id'] attributes support comparison"),
        ("params.a = 'x'", "Invalid entity type 'params'"),
    ],
)
def test_invalid_model_version_filters(text: str, message: str) -> None:
    with pytest.raises(InvalidParameterValue) as err:
        parse_model_version_filter(text)
    assert message in str(err.value)


# ------------------------------------------------------------------ logged models


def test_logged_model_filters() -> None:
    assert parse_logged_model_filter("name = 'model'") == [C("attribute", "name", "=", "model")]
    assert parse_logged_model_filter(
        "source_run_id = 'r' AND status = 'READY' AND creation_time > 5 AND "
        "params.alpha = '0.5' AND tags.t LIKE 'x%' AND metrics.acc > 0.5"
    ) == [
        C("attribute", "source_run_id", "=", "r"),
        C("attribute", "status", "=", "READY"),
        C("attribute", "creation_timestamp", ">", 5),
        C("param", "alpha", "=", "0.5"),
        C("tag", "t", "LIKE", "x%"),
        C("metric", "acc", ">", 0.5),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("experiment_id = '1'", "Invalid attribute key 'experiment_id'"),
        ("tags.t IS NULL", "Invalid comparator 'IS NULL'"),
        ("metrics.m LIKE '1'", "Invalid comparator 'LIKE'"),
        ("datasets.name = 'x'", "Invalid entity type 'datasets'"),
    ],
)
def test_invalid_logged_model_filters(text: str, message: str) -> None:
    with pytest.raises(InvalidParameterValue) as err:
        parse_logged_model_filter(text)
    assert message in str(err.value)
