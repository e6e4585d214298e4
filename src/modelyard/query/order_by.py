"""``order_by`` parsing for each search kind.

Runs, experiments and registry searches take strings ``"<identifier> [ASC|DESC]"``; logged
models take dicts ``{"field_name": ..., "ascending": ...}``. Every function returns
:class:`~modelyard.query.ast.OrderKey` objects with canonical keys; tiebreak keys are added by
the SQL layer, not here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from modelyard.errors import InvalidParameterValue
from modelyard.query._syntax import parse_order_entry
from modelyard.query.ast import ATTRIBUTE, METRIC, PARAM, TAG, OrderKey
from modelyard.query.grammar import EXPERIMENTS, RUNS, SearchSpec, resolve_entity

__all__ = [
    "parse_experiment_order_by",
    "parse_logged_model_order_by",
    "parse_model_version_order_by",
    "parse_registered_model_order_by",
    "parse_run_order_by",
]

_RUN_ORDER_ATTRIBUTES = {
    "start_time": "start_time",
    "end_time": "end_time",
    "run_name": "run_name",
    "run name": "run_name",
    "Run name": "run_name",
    "Run Name": "run_name",
    "run_id": "run_id",
    "user_id": "user_id",
    "artifact_uri": "artifact_uri",
    "status": "status",
    "created": "start_time",
    "Created": "start_time",
}
_EXPERIMENT_ORDER_ATTRIBUTES = {
    k: k for k in ("name", "experiment_id", "creation_time", "last_update_time")
}
_REGISTERED_MODEL_ORDER_ATTRIBUTES = {
    "name": "name",
    "timestamp": "last_updated_timestamp",
    "last_updated_timestamp": "last_updated_timestamp",
}
_MODEL_VERSION_ORDER_ATTRIBUTES = {
    k: k for k in ("name", "version_number", "creation_timestamp", "last_updated_timestamp")
}
_LOGGED_MODEL_ORDER_ATTRIBUTES = {
    "name": "name",
    "model_id": "model_id",
    "model_type": "model_type",
    "status": "status",
    "source_run_id": "source_run_id",
    "creation_timestamp": "creation_timestamp",
    "creation_time": "creation_timestamp",
    "last_updated_timestamp": "last_updated_timestamp",
    "last_updated_time": "last_updated_timestamp",
}


def _entries(order_by: Sequence[str] | None) -> list[str]:
    if order_by is None:
        return []
    if isinstance(order_by, str):
        return [order_by]
    return list(order_by)


def _attribute_key(entry: str, key: str, valid: Mapping[str, str]) -> str:
    if key not in valid:
        raise InvalidParameterValue(
            f"Invalid order_by key {key!r} in {entry!r}. Valid keys are {sorted(set(valid))}"
        )
    return valid[key]


def _parse_with_spec(
    order_by: Sequence[str] | None, spec: SearchSpec, valid: Mapping[str, str]
) -> list[OrderKey]:
    keys: list[OrderKey] = []
    for entry in _entries(order_by):
        ident, ascending = parse_order_entry(entry)
        entity = resolve_entity(spec, ident)
        if entity not in (ATTRIBUTE, METRIC, PARAM, TAG):
            raise InvalidParameterValue(
                f"Invalid order_by entity {ident.entity!r} in {entry!r}; "
                "use metrics., params., tags. or an attribute"
            )
        key = _attribute_key(entry, ident.key, valid) if entity is ATTRIBUTE else ident.key
        keys.append(OrderKey(entity, key, ascending))
    return keys


def parse_run_order_by(order_by: Sequence[str] | None) -> list[OrderKey]:
    """Keys for search_runs: attributes, ``metrics.<k>``, ``params.<k>``, ``tags.<k>``."""
    return _parse_with_spec(order_by, RUNS, _RUN_ORDER_ATTRIBUTES)


def parse_experiment_order_by(order_by: Sequence[str] | None) -> list[OrderKey]:
    """Keys for search_experiments: name, experiment_id, creation_time, last_update_time."""
    keys = _parse_with_spec(order_by, EXPERIMENTS, _EXPERIMENT_ORDER_ATTRIBUTES)
    for k in keys:
        if k.entity_type != ATTRIBUTE:
            raise InvalidParameterValue(
                f"Invalid order_by key '{k.entity_type}.{k.key}' for search_experiments; "
                f"valid keys are {sorted(_EXPERIMENT_ORDER_ATTRIBUTES)}"
            )
    return keys


def _parse_registry(
    order_by: Sequence[str] | None, valid: Mapping[str, str], what: str
) -> list[OrderKey]:
    keys: list[OrderKey] = []
    seen: set[str] = set()
    for entry in _entries(order_by):
        ident, ascending = parse_order_entry(entry)
        if ident.entity is not None and ident.entity.lower() not in ("attribute", "attributes"):
            raise InvalidParameterValue(
                f"Invalid order_by key {ident.text!r} in {entry!r} for {what}. "
                f"Valid keys are {sorted(valid)}"
            )
        key = _attribute_key(entry, ident.key, valid)
        if key in seen:
            raise InvalidParameterValue(
                f"`order_by` contains duplicate fields: {ident.key!r} in {entry!r}"
            )
        seen.add(key)
        keys.append(OrderKey(ATTRIBUTE, key, ascending))
    return keys


def parse_registered_model_order_by(order_by: Sequence[str] | None) -> list[OrderKey]:
    """Keys: name, timestamp / last_updated_timestamp (both the last-update time)."""
    return _parse_registry(order_by, _REGISTERED_MODEL_ORDER_ATTRIBUTES, "search_registered_models")


def parse_model_version_order_by(order_by: Sequence[str] | None) -> list[OrderKey]:
    """Keys: name, version_number, creation_timestamp, last_updated_timestamp (once each)."""
    return _parse_registry(order_by, _MODEL_VERSION_ORDER_ATTRIBUTES, "search_model_versions")


def parse_logged_model_order_by(order_by: Sequence[Mapping[str, Any]] | None) -> list[OrderKey]:
    """Dicts ``{"field_name": str, "ascending": bool = True}``; ``metrics.<k>`` is allowed."""
    keys: list[OrderKey] = []
    for item in order_by or []:
        if not isinstance(item, Mapping):
            raise InvalidParameterValue(
                f"Invalid order_by item {item!r}: `order_by` must be a list of dictionaries"
            )
        field_name = item.get("field_name")
        if not isinstance(field_name, str) or not field_name.strip():
            raise InvalidParameterValue(
                f"Invalid order_by item {dict(item)!r}: `field_name` must be specified"
            )
        ascending = item.get("ascending", True)
        if ascending is None:
            ascending = True
        if not isinstance(ascending, bool):
            raise InvalidParameterValue(
                f"Value of `ascending` in the order_by clause must be a boolean, got "
                f"{ascending!r} for field {field_name!r}"
            )
        field_name = field_name.strip()
        if "." in field_name:
            entity, key = field_name.split(".", 1)
            if entity != "metrics" or not key:
                raise InvalidParameterValue(
                    f"Invalid order by field name {field_name!r}: only `metrics.<name>` "
                    "is allowed besides attributes"
                )
            keys.append(OrderKey(METRIC, key.strip("`"), ascending))
            continue
        key = _attribute_key(field_name, field_name, _LOGGED_MODEL_ORDER_ATTRIBUTES)
        keys.append(OrderKey(ATTRIBUTE, key, ascending))
    return keys
