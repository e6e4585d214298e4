"""``pyfunc.load_model``: any model URI → :class:`PyFuncModel`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from modelyard.client.model_uris import download_model
from modelyard.errors import InvalidParameterValue
from modelyard.flavors.base import add_code_to_path
from modelyard.flavors.loaders import flavor_module_for
from modelyard.models.mlmodel import PYFUNC_FLAVOR, Model
from modelyard.pyfunc._model import PyFuncModel

__all__ = ["load_model"]


def load_model(
    model_uri: str | os.PathLike[str],
    suppress_warnings: bool = False,
    dst_path: str | None = None,
    model_config: dict[str, Any] | None = None,
    **loader_kwargs: Any,
) -> PyFuncModel:
    """Load the model at ``model_uri`` (local path, ``runs:/``, ``models:/``, artifact URI).

    ``loader_kwargs`` go to the flavor's loader, e.g. ``skops_trusted_types=[...]`` for sklearn.
    Loading a pickled model (sklearn ``cloudpickle``/``pickle`` formats, custom Python models)
    runs code chosen by the model's author: load only models you trust.
    """
    model_dir = Path(download_model(os.fspath(model_uri), dst_path=dst_path))
    mlmodel = Model.load(model_dir)
    conf = mlmodel.flavors.get(PYFUNC_FLAVOR)
    if conf is None:
        raise InvalidParameterValue(
            f"Model at {model_uri!r} has no {PYFUNC_FLAVOR!r} flavor (flavors: {sorted(mlmodel.flavors)})"
        )
    loader = conf.get("loader_module")
    if not isinstance(loader, str):
        raise InvalidParameterValue("The python_function flavor has no 'loader_module'")
    module = flavor_module_for(loader)
    add_code_to_path(model_dir, mlmodel)
    if model_config is not None:
        loader_kwargs["model_config"] = model_config
    impl = module.load_pyfunc(model_dir, mlmodel, **loader_kwargs)
    return PyFuncModel(mlmodel, impl, model_dir)
