"""modelyard: an open, self-hosted ML lifecycle platform, wire-compatible with MLflow.

``import modelyard as mlflow`` runs MLflow scripts: the fluent API (``start_run``,
``log_metric``, ``search_runs`` ...), ``MlflowClient`` and the flavor modules
(``modelyard.sklearn``, ``modelyard.pyfunc`` ...) keep MLflow's names. Everything here is
resolved lazily, so ``import modelyard`` stays fast and pulls in no ML or data library.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_FLUENT = (
    "ActiveRun",
    "active_run",
    "create_experiment",
    "delete_experiment",
    "delete_run",
    "delete_tag",
    "end_run",
    "flush_async_logging",
    "get_artifact_uri",
    "get_experiment",
    "get_experiment_by_name",
    "get_registry_uri",
    "get_run",
    "get_tracking_uri",
    "last_active_run",
    "list_artifacts",
    "log_artifact",
    "log_artifacts",
    "log_dict",
    "log_figure",
    "log_image",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "log_text",
    "register_model",
    "search_experiments",
    "search_runs",
    "set_experiment",
    "set_experiment_tag",
    "set_experiment_tags",
    "set_registry_uri",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "start_run",
)
_ATTRS: dict[str, str] = {name: "modelyard.client.fluent" for name in _FLUENT}
_ATTRS.update(
    {
        "MlflowClient": "modelyard.client",
        "Client": "modelyard.client",
        "MlflowException": "modelyard.errors",
        "ModelyardError": "modelyard.errors",
        "autolog": "modelyard.flavors.autologging",
    }
)
_SUBMODULES = frozenset(
    {
        "automl",
        "batch",
        "client",
        "entities",
        "errors",
        "lightgbm",
        "models",
        "monitoring",
        "pyfunc",
        "serving",
        "settings",
        "sklearn",
        "tracking",
        "xgboost",
    }
)

__all__ = sorted([*_ATTRS, *_SUBMODULES, "__version__"])


def __getattr__(name: str) -> Any:
    module_name = _ATTRS.get(name)
    if module_name is not None:
        value = getattr(importlib.import_module(module_name), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        module = importlib.import_module(f"modelyard.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'modelyard' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from modelyard.client import Client, MlflowClient  # noqa: F401
    from modelyard.client.fluent import *  # noqa: F403
    from modelyard.flavors.autologging import autolog  # noqa: F401
