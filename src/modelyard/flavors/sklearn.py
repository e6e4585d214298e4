"""scikit-learn flavor: the same files and ``MLmodel`` blocks MLflow 3.17 writes.

Serialization formats (``serialization_format``):

* ``skops`` (default): ``model.skops``. Loading builds only the types skops trusts, the
  classes of scikit-learn/XGBoost/LightGBM, and the types the *caller* passes as
  ``skops_trusted_types=[...]``; other types recorded in the model's ``MLmodel`` are not trusted
  on the file's word (details and residual risk: ``modelyard.flavors._serialization``).
* ``cloudpickle`` / ``pickle``: ``model.pkl``. **Loading a pickle runs code chosen by whoever
  wrote the file.** Only load pickled models from sources you trust.

``python_function.loader_module`` is ``mlflow.sklearn``, so MLflow loads these models; modelyard
maps that name back to this module.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from modelyard.errors import InvalidParameterValue
from modelyard.flavors._serialization import (
    CLOUDPICKLE,
    PICKLE,
    SKOPS,
    check_format,
    dump_estimator,
    load_estimator,
    trusted_for_load,
)
from modelyard.flavors.base import add_code_to_path, local_model_dir, pyfunc_block, save_model_dir
from modelyard.models.environment import default_requirements
from modelyard.models.mlmodel import Model, ModelInfo
from modelyard.models.signature import ModelSignature

__all__ = [
    "FLAVOR_NAME",
    "LOADER_MODULE",
    "PREDICT_METHOD_PARAM",
    "PREDICT_METHODS",
    "SERIALIZATION_FORMAT_CLOUDPICKLE",
    "SERIALIZATION_FORMAT_PICKLE",
    "SERIALIZATION_FORMAT_SKOPS",
    "SUPPORTED_SERIALIZATION_FORMATS",
    "load_model",
    "load_pyfunc",
    "log_model",
    "save_model",
]

FLAVOR_NAME = "sklearn"
LOADER_MODULE = "mlflow.sklearn"
SERIALIZATION_FORMAT_SKOPS = SKOPS
SERIALIZATION_FORMAT_PICKLE = PICKLE
SERIALIZATION_FORMAT_CLOUDPICKLE = CLOUDPICKLE
SUPPORTED_SERIALIZATION_FORMATS = (
    SERIALIZATION_FORMAT_SKOPS,
    SERIALIZATION_FORMAT_PICKLE,
    SERIALIZATION_FORMAT_CLOUDPICKLE,
)
_PREDICT_FNS = ("predict", "predict_proba", "predict_log_proba", "predict_joint_log_proba", "score")
PREDICT_METHODS = _PREDICT_FNS
"""The estimator methods a pyfunc may call: ``pyfunc_predict_fn`` at save time, or the
``predict_method`` inference param at predict time."""
PREDICT_METHOD_PARAM = "predict_method"


_check_format = check_format


def save_model(
    sk_model: Any,
    path: str | os.PathLike[str],
    *,
    serialization_format: str = SERIALIZATION_FORMAT_SKOPS,
    skops_trusted_types: list[str] | None = None,
    signature: ModelSignature | bool | None = None,
    input_example: Any = None,
    pip_requirements: list[str] | str | None = None,
    extra_pip_requirements: list[str] | str | None = None,
    pyfunc_predict_fn: str = "predict",
    metadata: dict[str, Any] | None = None,
    mlmodel: Model | None = None,
    **kwargs: Any,
) -> Model:
    """Save a scikit-learn estimator (or any object with the estimator API) as a model directory."""
    _check_format(serialization_format)
    if pyfunc_predict_fn not in _PREDICT_FNS:
        raise InvalidParameterValue(
            f"Invalid 'pyfunc_predict_fn' {pyfunc_predict_fn!r}; use one of {list(_PREDICT_FNS)}"
        )
    import sklearn

    data_file = "model.skops" if serialization_format == SERIALIZATION_FORMAT_SKOPS else "model.pkl"

    def write(target: Path, model: Model) -> None:
        recorded = dump_estimator(
            sk_model, target / data_file, serialization_format, skops_trusted_types
        )
        if hasattr(sk_model, pyfunc_predict_fn):
            model.add_flavor(
                "python_function",
                **pyfunc_block(LOADER_MODULE, model_path=data_file, predict_fn=pyfunc_predict_fn),
            )
        model.add_flavor(
            FLAVOR_NAME,
            pickled_model=data_file,
            sklearn_version=sklearn.__version__,
            serialization_format=serialization_format,
            code=None,
            skops_trusted_types=recorded,
        )

    extra = {
        SERIALIZATION_FORMAT_SKOPS: ("skops",),
        SERIALIZATION_FORMAT_CLOUDPICKLE: ("cloudpickle",),
        SERIALIZATION_FORMAT_PICKLE: (),
    }[serialization_format]
    predict = getattr(sk_model, pyfunc_predict_fn, None)
    return save_model_dir(
        path,
        write,
        default_reqs=default_requirements("numpy", "pandas", "scikit-learn", "scipy", *extra),
        predict=predict,
        signature=signature,
        input_example=input_example,
        pip_requirements=pip_requirements,
        extra_pip_requirements=extra_pip_requirements,
        metadata=metadata,
        mlmodel=mlmodel,
        **kwargs,
    )


def _load_from_dir(
    model_dir: Path,
    mlmodel: Model,
    skops_trusted_types: list[str] | None = None,
    trust_model_skops_types: bool = False,
) -> Any:
    conf = mlmodel.flavors.get(FLAVOR_NAME)
    if conf is not None:
        data_file = conf.get("pickled_model") or conf.get("data")
        fmt = conf.get("serialization_format", SERIALIZATION_FORMAT_PICKLE)
        recorded = conf.get("skops_trusted_types") or []
    else:  # an MLmodel with only a python_function block
        pyconf = mlmodel.flavor_config("python_function")
        data_file = pyconf.get("model_path") or pyconf.get("data")
        fmt = (
            SERIALIZATION_FORMAT_SKOPS
            if str(data_file).endswith(".skops")
            else SERIALIZATION_FORMAT_PICKLE
        )
        recorded = []
    if not data_file:
        raise InvalidParameterValue("The sklearn flavor has no 'pickled_model' entry")
    trusted = trusted_for_load(recorded, skops_trusted_types, trust_model_skops_types)
    return load_estimator(model_dir / data_file, fmt, trusted)


def load_model(
    model_uri: str | os.PathLike[str],
    dst_path: str | None = None,
    *,
    skops_trusted_types: list[str] | None = None,
    trust_model_skops_types: bool = False,
) -> Any:
    """Load the estimator stored at ``model_uri`` (a local path or any model URI)."""
    model_dir = local_model_dir(model_uri, dst_path)
    mlmodel = Model.load(model_dir)
    add_code_to_path(model_dir, mlmodel)
    return _load_from_dir(model_dir, mlmodel, skops_trusted_types, trust_model_skops_types)


class _SklearnPyfunc:
    """The pyfunc of an sklearn model. ``params={"predict_method": "predict_proba"}`` calls that
    estimator method instead of the saved ``predict_fn`` (one of :data:`PREDICT_METHODS`); the
    param is honoured whether or not the signature declares it."""

    # inference params this flavor handles itself (passed through the param-schema check)
    inference_params = (PREDICT_METHOD_PARAM,)

    def __init__(self, estimator: Any, predict_fn: str) -> None:
        self.estimator = estimator
        self._predict = getattr(estimator, predict_fn)

    def get_raw_model(self) -> Any:
        return self.estimator

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        method = (params or {}).get(PREDICT_METHOD_PARAM)
        if method is None:
            return self._predict(data)
        if not isinstance(method, str) or method not in _PREDICT_FNS:
            raise InvalidParameterValue(
                f"Invalid param 'predict_method' {method!r}; use one of {list(_PREDICT_FNS)}"
            )
        fn = getattr(self.estimator, method, None)
        if fn is None:
            raise InvalidParameterValue(
                f"Invalid param 'predict_method' {method!r}: the model "
                f"({type(self.estimator).__name__}) has no {method} method"
            )
        return fn(data)


def load_pyfunc(model_dir: Path, mlmodel: Model, **kwargs: Any) -> _SklearnPyfunc:
    estimator = _load_from_dir(
        model_dir,
        mlmodel,
        kwargs.get("skops_trusted_types"),
        bool(kwargs.get("trust_model_skops_types", False)),
    )
    predict_fn = mlmodel.flavors.get("python_function", {}).get("predict_fn") or "predict"
    return _SklearnPyfunc(estimator, predict_fn)


def log_model(sk_model: Any, artifact_path: str | None = None, **kwargs: Any) -> ModelInfo:
    """Log a scikit-learn model as an MLflow 3 logged model (see ``modelyard.flavors.model_logging``)."""
    from modelyard.flavors.model_logging import log_model as _log

    return _log(save_model, sk_model, artifact_path, **kwargs)
