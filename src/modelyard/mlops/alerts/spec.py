"""Validation of an alert rule's condition and actions (dicts, as in the API and on the wire).

Conditions (``type``):

- ``drift``: ``monitor``, ``min_columns`` (k, default 1): at least k columns drifted in a
  window; ``drift_type`` (``baseline`` or ``consecutive``), ``columns`` (only these count);
- ``quality``: ``monitor``, ``metric`` (a model-quality metric of the monitor), ``operator``
  (``below`` or ``above``), ``threshold``; ``model_version`` (default ``:all``);
- ``endpoint``: ``endpoint`` (a serving endpoint; its inference table) or, from Python only,
  ``table``; ``metric`` (``p99_latency_ms`` or ``error_rate``: share of answers with status
  >= 500), ``operator`` (default ``above``), ``threshold``, ``window_minutes`` (60),
  ``min_requests`` (1: windows with fewer requests are not judged).

Every condition takes ``windows`` (N: the condition must hold in N consecutive windows, default
1) and ``resolve_after`` (clean windows before RESOLVED, default 1); monitor conditions take
``granularity`` (default the monitor's first) and ``slice_key``/``slice_value`` (default the
whole window, ``:all``).

Actions (``type``): ``webhook`` (``url``, optional ``secret``: JSON POST signed like the
webhooks), ``slack`` (``url`` of an incoming webhook: ``{"text": ...}``), ``email`` (``to``: a
list of addresses; the server's SMTP settings), ``job`` (``job_id``, ``job_parameters``: the
retraining trigger; ``{{alert.name}}``, ``{{alert.window}}`` and ``{{alert.value}}`` in
parameter values are replaced).
"""

from __future__ import annotations

import math
import re
from typing import Any

from modelyard.errors import InvalidParameterValue

__all__ = [
    "ACTION_TYPES",
    "CONDITION_TYPES",
    "ENDPOINT_METRICS",
    "QUALITY_METRICS",
    "check_actions",
    "check_condition",
    "check_name",
    "public_actions",
]

CONDITION_TYPES = ("drift", "quality", "endpoint")
ACTION_TYPES = ("webhook", "slack", "email", "job")
QUALITY_METRICS = (
    "accuracy",
    "precision",
    "recall",
    "f1",
    "roc_auc",
    "rmse",
    "mae",
    "r2",
    "mape",
    "count",
)
ENDPOINT_METRICS = ("p99_latency_ms", "error_rate")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")
_COMMON = {"type", "windows", "resolve_after"}
_MONITOR = {"monitor", "granularity", "slice_key", "slice_value"}
_FIELDS = {
    "drift": _COMMON | _MONITOR | {"min_columns", "drift_type", "columns"},
    "quality": _COMMON | _MONITOR | {"metric", "operator", "threshold", "model_version"},
    "endpoint": _COMMON
    | {"endpoint", "table", "metric", "operator", "threshold", "window_minutes", "min_requests"},
}
_ACTION_FIELDS = {
    "webhook": {"type", "url", "secret"},
    "slack": {"type", "url"},
    "email": {"type", "to"},
    "job": {"type", "job_id", "job_parameters"},
}


def check_name(name: Any, field: str = "name") -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidParameterValue(
            f"Invalid alert name {name!r} ('{field}'): letters, digits, '_', '.', '-' "
            "(at most 128, starting with a letter or digit)."
        )
    return name


def _int(cond: dict[str, Any], key: str, default: int, low: int, where: str) -> int:
    value = cond.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise InvalidParameterValue(f"'{where}.{key}' must be an integer >= {low}, got {value!r}.")
    return value


def _str(cond: dict[str, Any], key: str, where: str, default: str | None = None) -> str | None:
    value = cond.get(key, default)
    if value is not None and (not isinstance(value, str) or not value):
        raise InvalidParameterValue(f"'{where}.{key}' must be a non-empty string, got {value!r}.")
    return value


def _choice(
    cond: dict[str, Any], key: str, options: tuple[str, ...], where: str, default: Any
) -> str:
    value = cond.get(key, default)
    if value not in options:
        raise InvalidParameterValue(
            f"'{where}.{key}' must be one of {', '.join(options)}, got {value!r}."
        )
    return str(value)


def _threshold(cond: dict[str, Any], where: str) -> float:
    value = cond.get("threshold")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidParameterValue(f"'{where}.threshold' must be a finite number, got {value!r}.")
    return float(value)


def check_condition(condition: Any, field: str = "condition") -> dict[str, Any]:
    """The condition with defaults filled in, or ``InvalidParameterValue`` naming the field."""
    if not isinstance(condition, dict):
        raise InvalidParameterValue(f"'{field}' must be an object, got {condition!r}.")
    kind = _choice(condition, "type", CONDITION_TYPES, field, None)
    unknown = sorted(set(condition) - _FIELDS[kind])
    if unknown:
        raise InvalidParameterValue(
            f"Unknown field(s) {', '.join(unknown)} in '{field}' (a {kind} condition takes "
            f"{', '.join(sorted(_FIELDS[kind]))})."
        )
    out: dict[str, Any] = {
        "type": kind,
        "windows": _int(condition, "windows", 1, 1, field),
        "resolve_after": _int(condition, "resolve_after", 1, 1, field),
    }
    if kind in ("drift", "quality"):
        monitor = _str(condition, "monitor", field)
        if monitor is None:
            raise InvalidParameterValue(f"'{field}.monitor' is required for a {kind} condition.")
        out["monitor"] = monitor
        out["granularity"] = _str(condition, "granularity", field)
        out["slice_key"] = _str(condition, "slice_key", field, ":all")
        out["slice_value"] = _str(condition, "slice_value", field, ":all")
    if kind == "drift":
        out["min_columns"] = _int(condition, "min_columns", 1, 1, field)
        out["drift_type"] = _choice(
            condition, "drift_type", ("baseline", "consecutive"), field, "baseline"
        )
        columns = condition.get("columns")
        if columns is not None and (
            not isinstance(columns, list) or not all(isinstance(c, str) for c in columns)
        ):
            raise InvalidParameterValue(f"'{field}.columns' must be a list of column names.")
        out["columns"] = columns
    elif kind == "quality":
        out["metric"] = _choice(condition, "metric", QUALITY_METRICS, field, None)
        out["operator"] = _choice(condition, "operator", ("below", "above"), field, None)
        out["threshold"] = _threshold(condition, field)
        out["model_version"] = str(condition.get("model_version", ":all"))
    elif kind == "endpoint":
        endpoint, table = _str(condition, "endpoint", field), _str(condition, "table", field)
        if (endpoint is None) == (table is None):
            raise InvalidParameterValue(
                f"An endpoint condition needs exactly one of '{field}.endpoint' and "
                f"'{field}.table'."
            )
        if endpoint is not None and not _NAME.match(endpoint):
            raise InvalidParameterValue(f"'{field}.endpoint' {endpoint!r} is not an endpoint name.")
        out.update(endpoint=endpoint, table=table)
        out["metric"] = _choice(condition, "metric", ENDPOINT_METRICS, field, None)
        out["operator"] = _choice(condition, "operator", ("below", "above"), field, "above")
        out["threshold"] = _threshold(condition, field)
        out["window_minutes"] = _int(condition, "window_minutes", 60, 1, field)
        out["min_requests"] = _int(condition, "min_requests", 1, 1, field)
    return out


def _check_action(action: Any, where: str) -> dict[str, Any]:
    from modelyard.services.webhooks import check_destination

    if not isinstance(action, dict):
        raise InvalidParameterValue(f"'{where}' must be an object, got {action!r}.")
    kind = _choice(action, "type", ACTION_TYPES, where, None)
    unknown = sorted(set(action) - _ACTION_FIELDS[kind])
    if unknown:
        raise InvalidParameterValue(f"Unknown field(s) {', '.join(unknown)} in '{where}'.")
    out: dict[str, Any] = {"type": kind}
    if kind in ("webhook", "slack"):
        out["url"] = check_destination(action.get("url"), f"{where}.url")
        secret = action.get("secret")
        if secret is not None:
            if not isinstance(secret, str):
                raise InvalidParameterValue(f"'{where}.secret' must be a string.")
            out["secret"] = secret
    elif kind == "email":
        to = action.get("to")
        if isinstance(to, str):
            to = [to]
        if not isinstance(to, list) or not to:
            raise InvalidParameterValue(f"'{where}.to' must be a non-empty list of addresses.")
        for address in to:
            if not isinstance(address, str) or not _EMAIL.match(address):
                raise InvalidParameterValue(f"'{where}.to' has an invalid address {address!r}.")
        out["to"] = list(to)
    else:
        job_id = action.get("job_id")
        if isinstance(job_id, str) and job_id.isdigit():
            job_id = int(job_id)
        if isinstance(job_id, bool) or not isinstance(job_id, int) or job_id < 1:
            raise InvalidParameterValue(f"'{where}.job_id' must be a job id, got {job_id!r}.")
        params = action.get("job_parameters") or {}
        if not isinstance(params, dict):
            raise InvalidParameterValue(f"'{where}.job_parameters' must be an object.")
        out["job_id"] = job_id
        out["job_parameters"] = {str(k): str(v) for k, v in params.items()}
    return out


def check_actions(actions: Any, field: str = "actions") -> list[dict[str, Any]]:
    """Validated actions (URLs checked like webhook URLs: scheme and resolved addresses)."""
    if actions is None:
        return []
    if not isinstance(actions, list):
        raise InvalidParameterValue(f"'{field}' must be a list of actions, got {actions!r}.")
    return [_check_action(a, f"{field}[{i}]") for i, a in enumerate(actions)]


def public_actions(actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Actions as shown to callers: secrets are write-only."""
    return [{k: v for k, v in a.items() if k != "secret"} for a in actions]
