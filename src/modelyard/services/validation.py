"""Input validation with MLflow's rules and limits. Every failure is InvalidParameterValue
with a message naming the field."""

from __future__ import annotations

import math
import os
import posixpath
import re
from collections.abc import Sequence
from typing import Any

from modelyard.entities import DatasetInput
from modelyard.errors import InvalidParameterValue

__all__ = [
    "DEFAULT_MAX_ARTIFACT_LOCATION_LENGTH",
    "MAX_DATASET_DIGEST_LENGTH",
    "MAX_DATASET_NAME_LENGTH",
    "MAX_DATASET_PROFILE_LENGTH",
    "MAX_DATASET_SCHEMA_LENGTH",
    "MAX_DATASET_SOURCE_LENGTH",
    "MAX_DESCRIPTION_LENGTH",
    "MAX_ENTITY_KEY_LENGTH",
    "MAX_EXPERIMENT_NAME_LENGTH",
    "MAX_EXPERIMENT_TAG_VALUE_LENGTH",
    "MAX_METRICS_PER_BATCH",
    "MAX_PARAMS_PER_BATCH",
    "MAX_PARAM_VALUE_LENGTH",
    "MAX_TAGS_PER_BATCH",
    "MAX_TAG_VALUE_LENGTH",
    "MAX_ENTITIES_PER_BATCH",
    "MAX_INPUT_TAG_KEY_LENGTH",
    "MAX_INPUT_TAG_VALUE_LENGTH",
    "MAX_RUN_LINK_LENGTH",
    "MAX_RUN_NAME_LENGTH",
    "MAX_VERSION_SOURCE_LENGTH",
    "artifact_location_limit",
    "check_artifact_location",
    "check_batch_limits",
    "check_dataset_inputs",
    "check_experiment_id",
    "check_experiment_name",
    "check_key",
    "check_length",
    "check_metric",
    "check_run_id",
    "check_run_name",
    "check_run_name_tag",
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
#: MLflow's column sizes (``runs.name``, registry ``description``, ``model_versions.source`` and
#: ``run_link``): a database other than SQLite refuses longer values there, we refuse them on all
MAX_RUN_NAME_LENGTH = 250
MAX_DESCRIPTION_LENGTH = 5000
MAX_VERSION_SOURCE_LENGTH = 500
MAX_RUN_LINK_LENGTH = 500
#: MLflow's dataset and input-tag limits (``mlflow.utils.validation``)
MAX_DATASET_NAME_LENGTH = 500
MAX_DATASET_DIGEST_LENGTH = 36
MAX_DATASET_SOURCE_LENGTH = 65535
MAX_DATASET_SCHEMA_LENGTH = 1048575
MAX_DATASET_PROFILE_LENGTH = 16777215
MAX_INPUT_TAG_KEY_LENGTH = 255
MAX_INPUT_TAG_VALUE_LENGTH = 500
#: experiment artifact locations; MLflow's ``MLFLOW_ARTIFACT_LOCATION_MAX_LENGTH`` changes it
DEFAULT_MAX_ARTIFACT_LOCATION_LENGTH = 2048
_ARTIFACT_LOCATION_LIMIT_ENV = "MLFLOW_ARTIFACT_LOCATION_MAX_LENGTH"
#: the run-name tag (kept in sync with ``run_name`` by the stores)
_RUN_NAME_TAG = "mlflow.runName"

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


def check_length(value: str | None, field: str, limit: int) -> str | None:
    """``value`` unchanged if at most ``limit`` characters (None passes); else
    InvalidParameterValue naming ``field`` and the limit, in MLflow's words."""
    if value is not None and len(value) > limit:
        name = field if "'" in field else f"'{field}'"  # "Value of tag 'k'" is quoted already
        raise InvalidParameterValue(
            f"{name} exceeds the maximum length of {limit} characters (got {len(value)} characters)"
        )
    return value


def check_run_name(run_name: Any, field: str = "run_name") -> str | None:
    if run_name is None:
        return None
    if not isinstance(run_name, str):
        raise InvalidParameterValue(f"Invalid value {run_name!r} for parameter '{field}'")
    return check_length(run_name, field, MAX_RUN_NAME_LENGTH)


def check_run_name_tag(key: str, value: str) -> None:
    """The ``mlflow.runName`` tag is the run's name: the run-name limit applies to it."""
    if key == _RUN_NAME_TAG:
        check_run_name(value, f"Tag '{_RUN_NAME_TAG}'")


def artifact_location_limit() -> int:
    """MLflow's ``MLFLOW_ARTIFACT_LOCATION_MAX_LENGTH`` (default 2048), read at each call."""
    raw = os.environ.get(_ARTIFACT_LOCATION_LIMIT_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_ARTIFACT_LOCATION_LENGTH
    try:
        return int(raw)
    except ValueError:
        raise InvalidParameterValue(
            f"{_ARTIFACT_LOCATION_LIMIT_ENV} must be an integer, got {raw!r}"
        ) from None


def check_artifact_location(location: str | None) -> str | None:
    return check_length(location, "artifact_location", artifact_location_limit())


def check_dataset_inputs(datasets: Sequence[DatasetInput]) -> None:
    """MLflow's dataset limits: name, digest, source, schema and profile of each dataset, key
    and value of each input tag; the field named as ``datasets[i].dataset.<field>``."""
    for i, item in enumerate(datasets):
        ds = item.dataset
        where = f"datasets[{i}].dataset"
        for field, value in (
            ("name", ds.name),
            ("digest", ds.digest),
            ("source_type", ds.source_type),
            ("source", ds.source),
        ):
            if not isinstance(value, str):
                raise InvalidParameterValue(
                    f"Missing value for required parameter '{where}.{field}'"
                )
        check_length(ds.name, f"{where}.name", MAX_DATASET_NAME_LENGTH)
        check_length(ds.digest, f"{where}.digest", MAX_DATASET_DIGEST_LENGTH)
        check_length(ds.source, f"{where}.source", MAX_DATASET_SOURCE_LENGTH)
        check_length(ds.schema, f"{where}.schema", MAX_DATASET_SCHEMA_LENGTH)
        check_length(ds.profile, f"{where}.profile", MAX_DATASET_PROFILE_LENGTH)
        for j, tag in enumerate(item.tags):
            if not isinstance(tag.key, str) or not isinstance(tag.value, str):
                raise InvalidParameterValue(
                    f"Missing value for required parameter 'datasets[{i}].tags[{j}]' key or value"
                )
            check_length(tag.key, f"datasets[{i}].tags[{j}].key", MAX_INPUT_TAG_KEY_LENGTH)
            check_length(tag.value, f"datasets[{i}].tags[{j}].value", MAX_INPUT_TAG_VALUE_LENGTH)


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
