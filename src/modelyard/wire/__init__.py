"""The MLflow REST contract: JSON shapes of entities, request parsing, path constants.

Used by the server (``modelyard.server``) and by the REST stores alike. No logic beyond shape
and (de)serialization lives here.
"""

from modelyard.wire._json import double_from_json, double_to_json, dumps, loads
from modelyard.wire.paths import API_PREFIXES, ARTIFACTS_PROXY_PATH, ARTIFACTS_PROXY_ROOT
from modelyard.wire.registry import (
    model_version_from_json,
    model_version_to_json,
    registered_model_from_json,
    registered_model_to_json,
)
from modelyard.wire.request import (
    WireArgs,
    camel_case,
    invalid_value,
    missing_value,
    parse_json_body,
)
from modelyard.wire.tracking import (
    dataset_input_from_json,
    dataset_input_to_json,
    experiment_from_json,
    experiment_to_json,
    file_info_from_json,
    file_info_to_json,
    key_values_to_json,
    logged_model_from_json,
    logged_model_to_json,
    metric_from_json,
    metric_to_json,
    metrics_from_json,
    param_from_json,
    run_from_json,
    run_info_from_json,
    run_info_to_json,
    run_to_json,
    tag_from_json,
)

__all__ = [
    "API_PREFIXES",
    "ARTIFACTS_PROXY_PATH",
    "ARTIFACTS_PROXY_ROOT",
    "WireArgs",
    "camel_case",
    "dataset_input_from_json",
    "dataset_input_to_json",
    "double_from_json",
    "double_to_json",
    "dumps",
    "experiment_from_json",
    "experiment_to_json",
    "file_info_from_json",
    "file_info_to_json",
    "invalid_value",
    "key_values_to_json",
    "loads",
    "logged_model_from_json",
    "logged_model_to_json",
    "metric_from_json",
    "metrics_from_json",
    "metric_to_json",
    "missing_value",
    "model_version_from_json",
    "model_version_to_json",
    "param_from_json",
    "parse_json_body",
    "registered_model_from_json",
    "registered_model_to_json",
    "run_from_json",
    "run_info_from_json",
    "run_info_to_json",
    "run_to_json",
    "tag_from_json",
]
