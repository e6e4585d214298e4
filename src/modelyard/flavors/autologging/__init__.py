"""Autologging: ``modelyard.autolog()`` and the per-library ``autolog`` functions.

``autolog(...)`` enables every supported library that is installed (scikit-learn, XGBoost,
LightGBM) with the options they share, as ``mlflow.autolog()`` does; ``disable=True`` puts
every original function back. The libraries are imported by this call, never by
``import modelyard``.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Callable
from typing import Any

from modelyard.errors import InvalidParameterValue
from modelyard.flavors.autologging import lightgbm, sklearn, xgboost

__all__ = ["LIBRARIES", "autolog", "lightgbm", "sklearn", "xgboost"]

LIBRARIES = {"sklearn": "sklearn", "xgboost": "xgboost", "lightgbm": "lightgbm"}
"""Flavor name -> the module that must be importable for that integration."""
_logger = logging.getLogger("modelyard.autologging")


def autolog(
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_models: bool = True,
    log_datasets: bool = True,
    log_traces: bool = True,
    disable: bool = False,
    exclusive: bool = False,
    disable_for_unsupported_versions: bool = False,
    silent: bool = False,
    extra_tags: dict[str, Any] | None = None,
    exclude_flavors: list[str] | None = None,
) -> None:
    """Enable (or disable) autologging for every supported library that is installed."""
    if exclude_flavors is not None and not isinstance(exclude_flavors, list | tuple | set):
        raise InvalidParameterValue("'exclude_flavors' must be a list of flavor names")
    excluded = set(exclude_flavors or [])  # names of libraries modelyard does not patch are fine
    common: dict[str, Any] = {
        "log_input_examples": log_input_examples,
        "log_model_signatures": log_model_signatures,
        "log_models": log_models,
        "log_datasets": log_datasets,
        "disable": disable,
        "exclusive": exclusive,
        "disable_for_unsupported_versions": disable_for_unsupported_versions,
        "silent": silent,
        "extra_tags": extra_tags,
    }
    integrations: dict[str, Callable[..., Any]] = {
        "sklearn": sklearn.autolog,
        "xgboost": xgboost.autolog,
        "lightgbm": lightgbm.autolog,
    }
    for flavor, module in LIBRARIES.items():
        if flavor in excluded:
            continue
        if importlib.util.find_spec(module) is None:
            continue
        try:
            integrations[flavor](**common)
        except ImportError as exc:  # installed but broken: the other libraries still autolog
            if not silent:
                _logger.warning("Autologging for %s not enabled: %s", flavor, exc)
