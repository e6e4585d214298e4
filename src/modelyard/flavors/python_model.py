"""Custom Python models (``PythonModel`` subclasses) in MLflow's ``python_function`` layout.

Files: ``python_model.pkl`` (the cloudpickled instance) and ``artifacts/<name>/...`` (each entry
of ``artifacts`` copied in). The ``python_function`` block records ``loader_module:
mlflow.pyfunc.model``, ``python_model``, ``cloudpickle_version``, ``artifacts: {name: {path,
uri}}`` and ``model_config``.

**Loading runs code from the pickle**: load custom models only from sources you trust.
"""

from __future__ import annotations

import inspect
import logging
import os
import pickle
import shutil
from pathlib import Path
from typing import Any

from modelyard.errors import InvalidParameterValue
from modelyard.flavors.base import pyfunc_block, save_model_dir
from modelyard.models.environment import default_requirements
from modelyard.models.mlmodel import PYFUNC_FLAVOR, Model
from modelyard.models.python_model import PythonModel, PythonModelContext
from modelyard.models.signature import ModelSignature

__all__ = ["FLAVOR_NAME", "LOADER_MODULE", "load_pyfunc", "save_model"]

FLAVOR_NAME = PYFUNC_FLAVOR
LOADER_MODULE = "mlflow.pyfunc.model"
_PICKLE = "python_model.pkl"
_log = logging.getLogger(__name__)


class _FunctionModel(PythonModel):
    """Wraps a plain ``predict(model_input)`` function as a PythonModel."""

    def __init__(self, func: Any) -> None:
        self.func = func

    def predict(
        self, context: PythonModelContext, model_input: Any, params: dict[str, Any] | None = None
    ) -> Any:
        return self.func(model_input)


def _copy_artifacts(artifacts: dict[str, str], target: Path) -> dict[str, dict[str, str]]:
    from modelyard.client.model_uris import download_model

    saved: dict[str, dict[str, str]] = {}
    for name, uri in artifacts.items():
        if not isinstance(name, str) or not name or "/" in name or name in (".", ".."):
            raise InvalidParameterValue(f"Invalid artifact name {name!r} in field 'artifacts'")
        source = Path(download_model(str(uri)))
        dest_dir = target / "artifacts"
        dest_dir.mkdir(exist_ok=True)
        dest = dest_dir / source.name
        if dest.exists():
            dest = dest_dir / name / source.name
            dest.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, dest)
        else:
            shutil.copy2(source, dest)
        saved[name] = {"path": dest.relative_to(target).as_posix(), "uri": str(uri)}
    return saved


def save_model(
    path: str | os.PathLike[str],
    python_model: Any = None,
    *,
    artifacts: dict[str, str] | None = None,
    signature: ModelSignature | bool | None = None,
    input_example: Any = None,
    pip_requirements: list[str] | str | None = None,
    extra_pip_requirements: list[str] | str | None = None,
    model_config: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    mlmodel: Model | None = None,
    **kwargs: Any,
) -> Model:
    """Save a custom model. ``python_model`` is a :class:`PythonModel` or a function of the input."""
    if python_model is None:
        raise InvalidParameterValue("Field 'python_model' is required")
    if not isinstance(python_model, PythonModel):
        if not callable(python_model):
            raise InvalidParameterValue("Field 'python_model' must be a PythonModel or a function")
        python_model = _FunctionModel(python_model)
    import cloudpickle

    saved: dict[str, Any] = {}

    def write(target: Path, model: Model) -> None:
        saved["dir"] = target
        with open(target / _PICKLE, "wb") as out:
            try:
                cloudpickle.dump(python_model, out, protocol=pickle.DEFAULT_PROTOCOL)
            except Exception as exc:
                raise InvalidParameterValue(f"Failed to serialize the Python model: {exc}") from exc
        config: dict[str, Any] = {
            "cloudpickle_version": cloudpickle.__version__,
            "python_model": _PICKLE,
        }
        if artifacts:
            config["artifacts"] = _copy_artifacts(artifacts, target)
        if model_config:
            config["model_config"] = dict(model_config)
        model.add_flavor(
            PYFUNC_FLAVOR, **pyfunc_block(LOADER_MODULE, code=None, streamable=False, **config)
        )
        saved["flavors"] = model.flavors

    def predict(data: Any) -> Any:
        # Score the example with the model as it will be loaded (a fresh copy whose
        # load_context has seen the copied artifacts), never with the caller's object.
        impl = load_pyfunc(saved["dir"], Model(flavors=saved["flavors"]))
        return impl.predict(data)

    return save_model_dir(
        path,
        write,
        default_reqs=default_requirements("cloudpickle", "numpy", "pandas"),
        predict=predict,
        signature=signature,
        input_example=input_example,
        pip_requirements=pip_requirements,
        extra_pip_requirements=extra_pip_requirements,
        metadata=metadata,
        mlmodel=mlmodel,
        **kwargs,
    )


def _call_predict(
    python_model: Any, context: PythonModelContext, data: Any, params: dict[str, Any] | None
) -> Any:
    parameters = inspect.signature(python_model.predict).parameters
    kwargs: dict[str, Any] = {}
    if "params" in parameters:
        kwargs["params"] = params
    elif params:
        _log.warning("The model's predict() takes no 'params'; ignoring %s", sorted(params))
    if "context" in parameters or len(parameters) >= 2 + ("params" in parameters):
        return python_model.predict(context, data, **kwargs)
    return python_model.predict(data, **kwargs)


class _PythonModelPyfunc:
    def __init__(self, python_model: Any, context: PythonModelContext) -> None:
        self.python_model = python_model
        self.context = context

    @property
    def model_config(self) -> dict[str, Any]:
        return self.context.model_config

    def get_raw_model(self) -> Any:
        return self.python_model

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        return _call_predict(self.python_model, self.context, data, params)


def load_pyfunc(model_dir: Path, mlmodel: Model, **kwargs: Any) -> _PythonModelPyfunc:
    import cloudpickle

    conf = mlmodel.flavor_config(PYFUNC_FLAVOR)
    pickled = conf.get("python_model")
    if not pickled:
        raise InvalidParameterValue(
            "This custom model has no 'python_model' file (models-from-code are not supported)"
        )
    saved_version = conf.get("cloudpickle_version")
    if saved_version and saved_version != cloudpickle.__version__:
        _log.warning(
            "Model pickled with cloudpickle %s, running %s", saved_version, cloudpickle.__version__
        )
    try:
        with open(model_dir / pickled, "rb") as src:
            python_model = cloudpickle.load(src)
    except ModuleNotFoundError as exc:
        raise InvalidParameterValue(
            f"This custom model needs the Python module {exc.name!r}, which is not installed "
            "(models written by mlflow.pyfunc subclass MLflow's PythonModel and need mlflow)"
        ) from exc
    artifacts = {
        name: str(model_dir / info["path"]) for name, info in (conf.get("artifacts") or {}).items()
    }
    config = kwargs.get("model_config")
    if config is None:
        config = conf.get("model_config")
    context = PythonModelContext(artifacts, config)
    python_model.load_context(context)
    return _PythonModelPyfunc(python_model, context)
