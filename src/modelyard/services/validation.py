"""Input validation with MLflow's rules and limits. Every failure is InvalidParameterValue
with a message naming the field."""

from __future__ import annotations

import math
import posixpath
import re
from typing import Any

from modelyard.errors import InvalidParameterValue

__all__ = [
    "MAX_ENTITY_KEY_LENGTH",
    "MAX_EXPERIMENT_NAME_LENGTH",
    "MAX_EXPERIMENT_TAG_VALUE_LENGTH",
    "MAX_METRICS_PER_BATCH",
    "MAX_PARAMS_PER_BATCH",
    "MAX_PARAM_VALUE_LENGTH",
    "MAX_TAGS_PER_BATCH",
    "MAX_TAG_VALUE_LENGTH",
    "MAX_ENTITIES_PER_BATCH",
    "check_batch_limits",
    "check_experiment_id",
    "check_experiment_name",
    "check_key",
    "check_metric",
    "check_run_id",
    "check_timestamp",
    "truncate",
]

MAX_ENTITY_KEY_LENGTH = 250
MAX_PARAM_VALUE_LENGTH = 6000
MAX_TAG_VALUE_LENGTH = 8000
MAX_EXPERIMENT_TAG_VALUE_LENGTH = 20000
MAX_EXPERIMENT_NAME_LENGTH = 500
MAX_METRICS_PER_BATCH = 1000
MAX_PARAMS_PER_BATCH = 100
MAX_TAGS_PER_BATCH = 100
MAX_ENTITIES_PER_BATCH = 1000

_KEY_CHARS = re.compile(r"^[/\w.\- :]*$")
_RUN_ID = re.compile(r"^[a-zA-Z0-9][\w\-]{0,255}$")
_EXPERIMENT_ID = re.compile(r"^[a-zA-Z0-9][\w\-]{0,63}$")


def check_key(key: Any, kind: str) -> str:
    """A metric/param/tag key: allowed characters, a normalized relative path, ≤250 chars."""
    if not isinstance(key, str) or key == "":
        raise InvalidParameterValue(f"Missing value for required parameter 'key' of the {kind}")
    if len(key) > MAX_ENTITY_KEY_LENGTH:
        raise InvalidParameterValue(
            f"{kind.capitalize()} key '{key[:40]}...' has length {len(key)}, "
            f"which exceeds the limit of {MAX_ENTITY_KEY_LENGTH}"
        )
    if not _KEY_CHARS.match(key):
        raise InvalidParameterValue(
            f"Invalid {kind} name: '{key}'. Names may only contain alphanumerics, underscores "
            "(_), dashes (-), periods (.), spaces ( ), colons (:) and slashes (/)."
        )
    normalized = posixpath.normpath(key)
    if key.startswith("/") or normalized != key or normalized.startswith(".."):
        raise InvalidParameterValue(
            f"Invalid {kind} name: '{key}'. Names are used as file paths and must be normalized "
            f"relative paths (this one would resolve to '{normalized}')."
        )
    return key


def truncate(value: Any, limit: int) -> str:
    """Stringify like MLflow (None -> "None") and cut to ``limit`` characters."""
    text = value if isinstance(value, str) else str(value)
    return text[:limit] if len(text) > limit else text


def check_metric(key: str, value: Any, timestamp: Any, step: Any) -> tuple[float, int, int]:
    check_key(key, "metric")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        if isinstance(value, str) and value in (
            "NaN",
            "Infinity",
            "-Infinity",
            "nan",
            "inf",
            "-inf",
        ):
            value = float(value.replace("Infinity", "inf"))
        else:
            try:
                import numpy as np  # numpy scalars are common in user code

                if isinstance(value, np.generic):
                    value = float(value)
                else:
                    raise TypeError
            except (ImportError, TypeError):
                raise InvalidParameterValue(
                    f"Got invalid value {value!r} for metric '{key}' (timestamp={timestamp}). "
                    "Please specify value as a valid double (64-bit floating point)"
                ) from None
    value = float(value)
    try:
        ts = int(timestamp)
        st = int(step) if step is not None else 0
    except (TypeError, ValueError):
        raise InvalidParameterValue(
            f"Got invalid timestamp {timestamp!r} or step {step!r} for metric '{key}': "
            "both must be integers"
        ) from None
    if not 0 <= ts < 2**63:
        raise InvalidParameterValue(
            f"Invalid timestamp {ts} for metric '{key}': must be a non-negative int64"
        )
    if not (-(2**63) <= st < 2**63):
        raise InvalidParameterValue(f"Invalid step {st} for metric '{key}': must be an int64")
    return (value if not math.isnan(value) else math.nan), ts, st


def check_timestamp(value: Any, field: str) -> int | None:
    """An optional epoch-milliseconds field (start_time, end_time): an int64 or None."""
    if value is None:
        return None
    try:
        ts = int(value)
    except (TypeError, ValueError):
        raise InvalidParameterValue(f"Invalid value {value!r} for parameter '{field}'") from None
    if not -(2**63) <= ts < 2**63:
        raise InvalidParameterValue(
            f"Invalid value {value!r} for parameter '{field}': not an int64"
        )
    return ts


def check_batch_limits(n_metrics: int, n_params: int, n_tags: int) -> None:
    if n_metrics > MAX_METRICS_PER_BATCH:
        raise InvalidParameterValue(
            f"A batch logging request can contain at most {MAX_METRICS_PER_BATCH} metrics. "
            f"Got {n_metrics} metrics (field 'metrics')."
        )
    if n_params > MAX_PARAMS_PER_BATCH:
        raise InvalidParameterValue(
            f"A batch logging request can contain at most {MAX_PARAMS_PER_BATCH} params. "
            f"Got {n_params} params (field 'params')."
        )
    if n_tags > MAX_TAGS_PER_BATCH:
        raise InvalidParameterValue(
            f"A batch logging request can contain at most {MAX_TAGS_PER_BATCH} tags. "
            f"Got {n_tags} tags (field 'tags')."
        )
    total = n_metrics + n_params + n_tags
    if total > MAX_ENTITIES_PER_BATCH:
        raise InvalidParameterValue(
            f"A batch logging request can contain at most {MAX_ENTITIES_PER_BATCH} metrics, "
            f"params and tags in total. Got {total}."
        )


def check_run_id(run_id: Any) -> str:
    if not isinstance(run_id, str) or not run_id:
        raise InvalidParameterValue("Missing value for required parameter 'run_id'")
    if not _RUN_ID.match(run_id):
        raise InvalidParameterValue(f"Invalid value {run_id!r} for parameter 'run_id'")
    return run_id


def check_experiment_id(experiment_id: Any) -> str:
    if experiment_id is None or experiment_id == "":
        raise InvalidParameterValue("Missing value for required parameter 'experiment_id'")
    experiment_id = str(experiment_id)
    if not _EXPERIMENT_ID.match(experiment_id):
        raise InvalidParameterValue(
            f"Invalid value {experiment_id!r} for parameter 'experiment_id'"
        )
    return experiment_id


def check_experiment_name(name: Any) -> str:
    if not isinstance(name, str):
        raise InvalidParameterValue(
            f"Invalid experiment name: {name!r}. Expects a string (field 'name')."
        )
    if name.strip() == "":
        raise InvalidParameterValue("Invalid experiment name: '' (field 'name' must not be empty)")
    if len(name) > MAX_EXPERIMENT_NAME_LENGTH:
        raise InvalidParameterValue(
            f"Experiment name exceeds the maximum length of {MAX_EXPERIMENT_NAME_LENGTH} "
            "characters (field 'name')"
        )
    return name
