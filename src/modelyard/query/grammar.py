"""Per-search-kind rules: which entities, keys, comparators and value types a filter may use.

Each search kind (runs, experiments, registered models, model versions, logged models) is one
:class:`SearchSpec`. :func:`parse_filter` turns raw clauses into typed
:class:`~modelyard.query.ast.Comparison` objects under a spec, and rejects anything the spec
does not allow with :class:`~modelyard.errors.InvalidParameterValue` naming the token.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from modelyard.errors import InvalidParameterValue
from modelyard.query._syntax import RawClause, RawIdentifier, RawValue, parse_clauses
from modelyard.query.ast import (
    ATTRIBUTE,
    DATASET,
    LIST_COMPARATORS,
    METRIC,
    PARAM,
    TAG,
    Comparison,
    EntityType,
    Value,
)

__all__ = [
    "EXPERIMENTS",
    "LOGGED_MODELS",
    "MODEL_VERSIONS",
    "REGISTERED_MODELS",
    "RUNS",
    "SearchSpec",
    "parse_filter",
    "resolve_entity",
]

NUMERIC = frozenset({"=", "!=", "<", "<=", ">", ">="})
STRING = frozenset({"=", "!=", "LIKE", "ILIKE"})
STRING_OR_LIST = STRING | LIST_COMPARATORS
STRING_OR_NULL = STRING | {"IS NULL", "IS NOT NULL"}

_ENTITY_WORDS: dict[str, EntityType] = {
    "attribute": ATTRIBUTE,
    "attributes": ATTRIBUTE,
    "attr": ATTRIBUTE,
    "run": ATTRIBUTE,
    "metric": METRIC,
    "metrics": METRIC,
    "param": PARAM,
    "params": PARAM,
    "parameter": PARAM,
    "parameters": PARAM,
    "tag": TAG,
    "tags": TAG,
    "dataset": DATASET,
    "datasets": DATASET,
}


@dataclass(frozen=True)
class SearchSpec:
    """What one search kind accepts."""

    name: str
    #: entity type -> comparators allowed for it (attribute comparators come from the keys)
    entities: Mapping[EntityType, frozenset[str]]
    #: accepted attribute key (or alias) -> canonical key
    string_attributes: Mapping[str, str]
    numeric_attributes: Mapping[str, str]
    #: canonical attribute keys that accept IN / NOT IN
    list_keys: frozenset[str] = frozenset()
    #: attribute keys answered with a dedicated message (key -> message)
    rejected_attributes: Mapping[str, str] = field(default_factory=dict)
    #: entity words accepted for attributes (``run`` only makes sense for runs)
    attribute_words: frozenset[str] = frozenset({"attribute", "attributes", "attr"})
    dataset_keys: frozenset[str] = frozenset()
    #: numeric attribute keys that also accept a quoted integer ('3'), as MLflow's store does
    quoted_integer_keys: frozenset[str] = frozenset()

    def attribute_keys(self) -> list[str]:
        return sorted({*self.string_attributes, *self.numeric_attributes})


def resolve_entity(spec: SearchSpec, ident: RawIdentifier) -> EntityType:
    """The canonical entity type of an identifier, checked against the spec."""
    if ident.entity is None:
        return ATTRIBUTE
    word = ident.entity
    entity = _ENTITY_WORDS.get(word.lower())
    if entity is ATTRIBUTE and word.lower() not in spec.attribute_words:
        entity = None
    if entity is None or entity not in spec.entities:
        valid = sorted(
            w
            for w, e in _ENTITY_WORDS.items()
            if e in spec.entities and (e is not ATTRIBUTE or w in spec.attribute_words)
        )
        raise InvalidParameterValue(
            f"Invalid entity type {word!r} in {ident.text!r} for {spec.name}. "
            f"Valid entity types are {valid}"
        )
    return entity


def resolve_attribute(spec: SearchSpec, ident: RawIdentifier) -> tuple[str, bool]:
    """(canonical key, is_numeric) of an attribute identifier."""
    key = ident.key
    if key in spec.rejected_attributes:
        raise InvalidParameterValue(spec.rejected_attributes[key])
    if key in spec.string_attributes:
        return spec.string_attributes[key], False
    if key in spec.numeric_attributes:
        return spec.numeric_attributes[key], True
    raise InvalidParameterValue(
        f"Invalid attribute key {key!r} specified in {ident.text!r}. "
        f"Valid keys are {spec.attribute_keys()}"
    )


def _number(raw: RawValue) -> int | float:
    text = str(raw.value)
    try:
        return int(text)
    except ValueError:
        return float(text)


def _check_comparator(allowed: frozenset[str], clause: RawClause, what: str) -> None:
    if clause.comparator not in allowed:
        raise InvalidParameterValue(
            f"Invalid comparator {clause.comparator!r} for {what} in "
            f"{clause.identifier.text!r}; valid comparators are {sorted(allowed)}"
        )


def _string_value(raw: RawValue, clause: RawClause, what: str) -> Value:
    if clause.comparator in LIST_COMPARATORS:
        if raw.kind != "list":
            raise InvalidParameterValue(
                f"Expected a parenthesised list of quoted strings after {clause.comparator} "
                f"for {clause.identifier.text!r}, got {raw.text!r}"
            )
        if not raw.value:
            raise InvalidParameterValue(
                f"The value list of {clause.identifier.text!r} {clause.comparator} is empty"
            )
        return raw.value
    if raw.kind != "string":
        raise InvalidParameterValue(
            f"Expected a quoted string value for {what} {clause.identifier.text!r} "
            f"(e.g. 'my-value'). Got value {raw.text}"
        )
    return raw.value


def _attribute_comparison(spec: SearchSpec, clause: RawClause) -> Comparison:
    key, numeric = resolve_attribute(spec, clause.identifier)
    raw = clause.value
    if numeric:
        _check_comparator(NUMERIC, clause, f"numeric attribute {key!r}")
        if raw.kind == "string" and key in spec.quoted_integer_keys:
            text = str(raw.value).strip()
            if not text.lstrip("-").isdigit():
                raise InvalidParameterValue(
                    f"Invalid value for numeric attribute {key!r}: {raw.text}; expected an integer"
                )
            return Comparison(ATTRIBUTE, key, clause.comparator, int(text))
        if raw.kind != "number":
            raise InvalidParameterValue(
                f"Expected numeric value type for numeric attribute: {key}. Found {raw.text}"
            )
        return Comparison(ATTRIBUTE, key, clause.comparator, _number(raw))
    allowed = STRING_OR_LIST if spec.list_keys else STRING
    _check_comparator(allowed, clause, f"attribute {key!r}")
    if clause.comparator in LIST_COMPARATORS and key not in spec.list_keys:
        raise InvalidParameterValue(
            f"Only {sorted(spec.list_keys)} attributes support comparison with a list, not {key!r}"
        )
    if raw.kind == "list" and clause.comparator not in LIST_COMPARATORS:
        raise InvalidParameterValue(
            f"A value list {raw.text} needs IN or NOT IN, not {clause.comparator!r}, "
            f"for {clause.identifier.text!r}"
        )
    return Comparison(ATTRIBUTE, key, clause.comparator, _string_value(raw, clause, "attribute"))


def _to_comparison(spec: SearchSpec, clause: RawClause) -> Comparison:
    entity = resolve_entity(spec, clause.identifier)
    if entity is ATTRIBUTE:
        return _attribute_comparison(spec, clause)
    key = clause.identifier.key
    raw = clause.value
    allowed = spec.entities[entity]
    _check_comparator(allowed, clause, entity)
    if entity is METRIC:
        if raw.kind != "number":
            raise InvalidParameterValue(
                f"Expected numeric value type for metric. Found {raw.text} "
                f"in {clause.identifier.text!r}"
            )
        return Comparison(METRIC, key, clause.comparator, float(_number(raw)))
    if entity is DATASET and key not in spec.dataset_keys:
        raise InvalidParameterValue(
            f"Invalid dataset key {key!r} specified. Valid keys are {sorted(spec.dataset_keys)}"
        )
    if clause.comparator in ("IS NULL", "IS NOT NULL"):
        return Comparison(entity, key, clause.comparator, None)
    return Comparison(entity, key, clause.comparator, _string_value(raw, clause, entity))


def parse_filter(spec: SearchSpec, filter_string: str | None) -> list[Comparison]:
    """Parse and validate a filter under ``spec``; ``None`` or blank gives ``[]``."""
    if filter_string is not None and not isinstance(filter_string, str):
        raise InvalidParameterValue(
            f"Invalid filter {filter_string!r}: expected a string, got {type(filter_string).__name__}"
        )
    return [_to_comparison(spec, c) for c in parse_clauses(filter_string)]


# ------------------------------------------------------------------ the five search kinds

RUNS = SearchSpec(
    name="search_runs",
    entities={
        ATTRIBUTE: STRING_OR_LIST,
        METRIC: NUMERIC,
        PARAM: STRING_OR_NULL,
        TAG: STRING_OR_NULL,
        DATASET: STRING_OR_LIST,
    },
    string_attributes={
        "run_id": "run_id",
        "run_name": "run_name",
        "run name": "run_name",
        "Run name": "run_name",
        "Run Name": "run_name",
        "status": "status",
        "user_id": "user_id",
        "artifact_uri": "artifact_uri",
    },
    numeric_attributes={
        "start_time": "start_time",
        "end_time": "end_time",
        "created": "start_time",
        "Created": "start_time",
    },
    list_keys=frozenset({"run_id"}),
    rejected_attributes={
        "lifecycle_stage": (
            "Invalid attribute key 'lifecycle_stage': it is not searchable; "
            "use run_view_type to select active or deleted runs"
        ),
    },
    attribute_words=frozenset({"attribute", "attributes", "attr", "run"}),
    dataset_keys=frozenset({"name", "digest", "context"}),
)

EXPERIMENTS = SearchSpec(
    name="search_experiments",
    entities={ATTRIBUTE: STRING_OR_LIST, TAG: STRING_OR_NULL},
    string_attributes={"name": "name", "experiment_id": "experiment_id"},
    numeric_attributes={"creation_time": "creation_time", "last_update_time": "last_update_time"},
    list_keys=frozenset({"experiment_id"}),
)

REGISTERED_MODELS = SearchSpec(
    name="search_registered_models",
    entities={ATTRIBUTE: STRING_OR_LIST, TAG: STRING},
    string_attributes={"name": "name"},
    numeric_attributes={},
    list_keys=frozenset({"name"}),
)

MODEL_VERSIONS = SearchSpec(
    name="search_model_versions",
    entities={ATTRIBUTE: STRING_OR_LIST, TAG: STRING},
    string_attributes={"name": "name", "run_id": "run_id", "source_path": "source_path"},
    numeric_attributes={"version_number": "version_number"},
    list_keys=frozenset({"name", "run_id"}),
    quoted_integer_keys=frozenset({"version_number"}),
)

LOGGED_MODELS = SearchSpec(
    name="search_logged_models",
    entities={
        ATTRIBUTE: STRING_OR_LIST,
        TAG: STRING_OR_LIST,
        PARAM: STRING_OR_LIST,
        METRIC: NUMERIC,
    },
    string_attributes={
        "name": "name",
        "model_id": "model_id",
        "model_type": "model_type",
        "status": "status",
        "source_run_id": "source_run_id",
    },
    numeric_attributes={
        "creation_timestamp": "creation_timestamp",
        "creation_time": "creation_timestamp",
        "last_updated_timestamp": "last_updated_timestamp",
        "last_updated_time": "last_updated_timestamp",
    },
    list_keys=frozenset({"name", "model_id", "model_type", "source_run_id", "status"}),
)
