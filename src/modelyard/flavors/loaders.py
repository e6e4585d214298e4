"""Which modelyard flavor module loads a ``python_function.loader_module`` name.

Models saved by MLflow name MLflow modules (``mlflow.sklearn``); models saved by modelyard name
the same modules so that MLflow loads them too. Both map to modelyard's flavors here. Other
packages can add a mapping with :func:`register_pyfunc_loader`; a ``loader_module`` under
``modelyard.`` is imported directly. Anything else is refused: the name comes from a file.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from modelyard.errors import InvalidParameterValue

__all__ = ["flavor_module_for", "register_pyfunc_loader"]

_LOADERS: dict[str, str] = {
    "mlflow.sklearn": "modelyard.flavors.sklearn",
    "mlflow.xgboost": "modelyard.flavors.xgboost",
    "mlflow.lightgbm": "modelyard.flavors.lightgbm",
    "mlflow.pyfunc.model": "modelyard.flavors.python_model",
}


def register_pyfunc_loader(loader_module: str, flavor_module: str) -> None:
    """Load models whose ``loader_module`` is ``loader_module`` with ``flavor_module`` (a module
    with ``load_pyfunc(model_dir, mlmodel, **kwargs)``)."""
    _LOADERS[loader_module] = flavor_module


def flavor_module_for(loader_module: str) -> ModuleType:
    target = _LOADERS.get(loader_module)
    if target is None and loader_module.startswith("modelyard."):
        target = loader_module
    if target is None:
        raise InvalidParameterValue(
            f"Cannot load a model with loader_module {loader_module!r}; supported: {sorted(_LOADERS)}"
        )
    module = importlib.import_module(target)
    if not hasattr(module, "load_pyfunc"):
        raise InvalidParameterValue(f"Module {target!r} has no 'load_pyfunc' function")
    return module
