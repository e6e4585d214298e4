"""The trace search language: MLflow's ``search_traces`` filter and ``order_by``.

A filter is ``<clause> AND <clause> ...`` where a clause names

* an attribute (``timestamp_ms``, ``execution_time_ms``, ``end_time_ms`` and their short forms,
  ``status``, ``trace_id``/``request_id``, ``client_request_id``, plus ``name`` and ``run_id``,
  which MLflow maps to the ``mlflow.traceName`` tag and the ``mlflow.sourceRun`` metadata), with
  or without the ``attributes.``/``attribute.``/``trace.`` prefix;
* a tag (``tags.<key>``/``tag.<key>``);
* a request-metadata entry (``metadata.<key>``/``request_metadata.<key>``).

Span, assessment and full-text filters (``span.*``, ``feedback.*``, ``text``) are refused with a
message naming the key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from modelyard.errors import InvalidParameterValue
from modelyard.query._syntax import RawClause, RawIdentifier, parse_clauses, parse_order_entry

__all__ = [
    "TRACE_METADATA_RUN",
    "TraceComparison",
    "TraceOrderKey",
    "parse_trace_filter",
    "parse_trace_order_by",
]

TraceEntity = Literal["attribute", "tag", "metadata"]

#: request-metadata key holding the run a trace was created under
TRACE_METADATA_RUN = "mlflow.sourceRun"
_TRACE_NAME_TAG = "mlflow.traceName"

_ENTITIES: dict[str, TraceEntity] = {
    "attribute": "attribute",
    "attributes": "attribute",
    "trace": "attribute",
    "tag": "tag",
    "tags": "tag",
    "metadata": "metadata",
    "request_metadata": "metadata",
}
_NUMERIC = {
    "timestamp": "request_time",
    "timestamp_ms": "request_time",
    "execution_time": "execution_duration",
    "execution_time_ms": "execution_duration",
    "end_time": "end_time",
    "end_time_ms": "end_time",
}
_STRING = {
    "status": "state",
    "state": "state",
    "trace_id": "trace_id",
    "request_id": "trace_id",
    "client_request_id": "client_request_id",
}
_NUMERIC_OPS = frozenset({"=", "!=", "<", "<=", ">", ">="})
_STRING_OPS = frozenset({"=", "!=", "LIKE", "ILIKE"})
_ATTRIBUTE_STRING_OPS = _STRING_OPS | {"IN", "NOT IN"}
_KV_OPS = _STRING_OPS | {"IS NULL", "IS NOT NULL"}


@dataclass(frozen=True)
class TraceComparison:
    """``entity`` is ``attribute`` (``key`` a canonical column: ``request_time``,
    ``execution_duration``, ``end_time``, ``state``, ``trace_id``, ``client_request_id``),
    ``tag`` or ``metadata`` (``key`` the tag or metadata key)."""

    entity: TraceEntity
    key: str
    comparator: str
    value: str | int | float | tuple[str, ...] | None


@dataclass(frozen=True)
class TraceOrderKey:
    entity: TraceEntity
    key: str
    ascending: bool


def _entity(ident: RawIdentifier) -> TraceEntity:
    if ident.entity is None:
        return "attribute"
    entity = _ENTITIES.get(ident.entity.lower())
    if entity is None:
        raise InvalidParameterValue(
            f"Invalid entity type {ident.entity!r} in {ident.text!r} for search_traces. "
            f"Valid entity types are {sorted(_ENTITIES)}"
        )
    return entity


def _mapped(ident: RawIdentifier) -> tuple[TraceEntity, str, bool]:
    """(entity, canonical key, numeric) with ``name``/``run_id`` mapped to tag/metadata."""
    entity = _entity(ident)
    if entity != "attribute":
        return entity, ident.key, False
    key = ident.key
    if key == "name":
        return "tag", _TRACE_NAME_TAG, False
    if key == "run_id":
        return "metadata", TRACE_METADATA_RUN, False
    if key in _NUMERIC:
        return "attribute", _NUMERIC[key], True
    if key in _STRING:
        return "attribute", _STRING[key], False
    valid = sorted({*_NUMERIC, *_STRING, "name", "run_id"})
    raise InvalidParameterValue(
        f"Invalid attribute key {key!r} specified in {ident.text!r}. Valid keys are {valid}"
    )


def _number(clause: RawClause) -> int | float:
    raw = clause.value
    text = str(raw.value).strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        if raw.kind == "number":
            return float(text)
    except ValueError:
        pass
    raise InvalidParameterValue(
        f"Expected numeric value type for numeric attribute: {clause.identifier.key}. "
        f"Found {raw.text}"
    )


def _comparison(clause: RawClause) -> TraceComparison:
    entity, key, numeric = _mapped(clause.identifier)
    op = clause.comparator
    if numeric:
        allowed = _NUMERIC_OPS
    elif entity == "attribute":
        allowed = _ATTRIBUTE_STRING_OPS
    else:
        allowed = _KV_OPS
    if op not in allowed:
        raise InvalidParameterValue(
            f"Invalid comparator {op!r} for {clause.identifier.text!r}; "
            f"valid comparators are {sorted(allowed)}"
        )
    if numeric:
        return TraceComparison(entity, key, op, _number(clause))
    raw = clause.value
    if op in ("IS NULL", "IS NOT NULL"):
        return TraceComparison(entity, key, op, None)
    if op in ("IN", "NOT IN"):
        if raw.kind != "list":
            raise InvalidParameterValue(
                f"{op} needs a parenthesised list of strings for {clause.identifier.text!r}"
            )
        return TraceComparison(entity, key, op, tuple(raw.value or ()))
    if raw.kind != "string":
        raise InvalidParameterValue(
            f"Expected a quoted string value for {clause.identifier.text!r} "
            f"(e.g. 'my-value'). Got value {raw.text}"
        )
    value = str(raw.value)
    if key == "state":
        value = value.upper()
    return TraceComparison(entity, key, op, value)


def parse_trace_filter(filter_string: str | None) -> list[TraceComparison]:
    """Parse and validate a trace filter; ``None`` or blank gives ``[]``."""
    if filter_string is not None and not isinstance(filter_string, str):
        raise InvalidParameterValue(
            f"Invalid filter {filter_string!r}: expected a string, got {type(filter_string).__name__}"
        )
    return [_comparison(c) for c in parse_clauses(filter_string)]


def parse_trace_order_by(order_by: Sequence[str] | None) -> list[TraceOrderKey]:
    """``timestamp_ms DESC``, ``execution_time_ms``, ``status``, ``trace_id``, ``name``,
    ``run_id``, ``tags.<key>``, ``metadata.<key>``; ASC unless DESC is given."""
    keys: list[TraceOrderKey] = []
    for entry in order_by or ():
        ident, ascending = parse_order_entry(entry)
        if ident.entity is None and ident.key == "experiment_id":
            keys.append(TraceOrderKey("attribute", "experiment_id", ascending))
            continue
        entity, key, _ = _mapped(ident)
        keys.append(TraceOrderKey(entity, key, ascending))
    return keys
