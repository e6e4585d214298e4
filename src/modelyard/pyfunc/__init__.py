"""The generic model interface: load any saved model and call ``predict``.

``load_model`` accepts every model URI (see ``modelyard.client.model_uris``) and models saved
by MLflow (their ``mlflow.*`` loader modules map to modelyard's flavors). ``save_model`` and
``log_model`` write custom Python models. Loading pickled models runs their author's code.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from modelyard.client.model_uris import download_model
from modelyard.errors import InvalidParameterValue, ResourceDoesNotExist
from modelyard.flavors.model_logging import log_model as log_with_flavor
from modelyard.flavors.python_model import save_model as save_python_model
from modelyard.models.mlmodel import Model, ModelInfo
from modelyard.models.python_model import PythonModel, PythonModelContext
from modelyard.pyfunc._load import load_model
from modelyard.pyfunc._model import PyFuncModel

__all__ = [
    "FLAVOR_NAME",
    "PyFuncModel",
    "PythonModel",
    "PythonModelContext",
    "get_model_dependencies",
    "load_model",
    "log_model",
    "save_model",
    "spark_udf",
]

FLAVOR_NAME = "python_function"


def __getattr__(name: str) -> Any:
    # ``spark_udf`` lives in ``_spark`` (serving); resolved lazily so pyspark is never imported
    # by ``import modelyard.pyfunc``.
    if name == "spark_udf":
        from modelyard.pyfunc._spark import spark_udf

        return spark_udf
    raise AttributeError(f"module 'modelyard.pyfunc' has no attribute {name!r}")


def save_model(path: str | os.PathLike[str], python_model: Any = None, **kwargs: Any) -> Model:
    """Save a custom model (a :class:`PythonModel` or a function) into the directory ``path``.

    Keywords: ``artifacts`` (name → local path or URI, copied into the model), ``signature``,
    ``input_example``, ``pip_requirements``, ``extra_pip_requirements``, ``model_config``,
    ``metadata``.
    """
    return save_python_model(path, python_model, **kwargs)


def _save_for_log(python_model: Any, path: str, **kwargs: Any) -> Model:
    return save_model(path, python_model, **kwargs)


def log_model(
    artifact_path: str | None = None, python_model: Any = None, **kwargs: Any
) -> ModelInfo:
    """Log a custom model as an MLflow 3 logged model; returns its :class:`ModelInfo`
    (``model_uri`` is ``models:/<model_id>``)."""
    return log_with_flavor(_save_for_log, python_model, artifact_path, **kwargs)


def get_model_dependencies(model_uri: str, format: str = "pip") -> str:
    """Local path of the model's ``requirements.txt`` (``format="pip"``) or ``conda.yaml``."""
    if format not in ("pip", "conda"):
        raise InvalidParameterValue("Field 'format' must be 'pip' or 'conda'")
    name = "requirements.txt" if format == "pip" else "conda.yaml"
    file = Path(download_model(model_uri)) / name
    if not file.is_file():
        raise ResourceDoesNotExist(f"The model at {model_uri!r} has no {name}")
    return str(file)
