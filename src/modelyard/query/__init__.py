"""MLflow's search-filter language: parsing, validation, ``order_by`` and page tokens.

Pure Python (no SQL here): the SQL stores translate the typed result. Example::

    >>> from modelyard.query import parse_run_filter
    >>> parse_run_filter("metrics.acc > 0.9 and tags.`team` = 'a'")
    [Comparison(entity_type='metric', key='acc', comparator='>', value=0.9),
     Comparison(entity_type='tag', key='team', comparator='=', value='a')]
"""

from __future__ import annotations

from modelyard.query.ast import (
    ATTRIBUTE,
    DATASET,
    METRIC,
    PARAM,
    TAG,
    Comparison,
    EntityType,
    OrderKey,
)
from modelyard.query.grammar import (
    EXPERIMENTS,
    LOGGED_MODELS,
    MODEL_VERSIONS,
    REGISTERED_MODELS,
    RUNS,
    SearchSpec,
    parse_filter,
)
from modelyard.query.order_by import (
    parse_experiment_order_by,
    parse_logged_model_order_by,
    parse_model_version_order_by,
    parse_registered_model_order_by,
    parse_run_order_by,
)
from modelyard.query.paging import (
    check_max_results,
    decode_page_token,
    encode_page_token,
    next_page_token,
)

__all__ = [
    "ATTRIBUTE",
    "DATASET",
    "EXPERIMENTS",
    "LOGGED_MODELS",
    "METRIC",
    "MODEL_VERSIONS",
    "PARAM",
    "REGISTERED_MODELS",
    "RUNS",
    "TAG",
    "Comparison",
    "EntityType",
    "OrderKey",
    "SearchSpec",
    "check_max_results",
    "decode_page_token",
    "encode_page_token",
    "next_page_token",
    "parse_experiment_filter",
    "parse_experiment_order_by",
    "parse_filter",
    "parse_logged_model_filter",
    "parse_logged_model_order_by",
    "parse_model_version_filter",
    "parse_model_version_order_by",
    "parse_registered_model_filter",
    "parse_registered_model_order_by",
    "parse_run_filter",
    "parse_run_order_by",
]


def parse_run_filter(filter_string: str | None) -> list[Comparison]:
    return parse_filter(RUNS, filter_string)


def parse_experiment_filter(filter_string: str | None) -> list[Comparison]:
    return parse_filter(EXPERIMENTS, filter_string)


def parse_registered_model_filter(filter_string: str | None) -> list[Comparison]:
    return parse_filter(REGISTERED_MODELS, filter_string)


def parse_model_version_filter(filter_string: str | None) -> list[Comparison]:
    return parse_filter(MODEL_VERSIONS, filter_string)


def parse_logged_model_filter(filter_string: str | None) -> list[Comparison]:
    return parse_filter(LOGGED_MODELS, filter_string)
