"""scikit-learn flavor: the same files and ``MLmodel`` blocks MLflow 3.17 writes.

Serialization formats (``serialization_format``):

* ``skops`` (default): ``model.skops``. Loading only builds types that skops trusts by default
  (scikit-learn, numpy, scipy types) plus the types the *caller* passes as
  ``skops_trusted_types=[...]``. Unlike MLflow, the ``skops_trusted_types`` list recorded in the
  model's own ``MLmodel`` is **not** trusted automatically: a model file cannot vouch for itself.
  Pass ``trust_model_skops_types=True`` to accept the recorded list.
* ``cloudpickle`` / ``pickle``: ``model.pkl``. **Loading a pickle runs code chosen by whoever
  wrote the file.** Only load pickled models from sources you trust.

``python_function.loader_module`` is ``mlflow.sklearn``, so MLflow loads these models; modelyard
maps that name back to this module.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

from modelyard.errors import InvalidParameterValue
from modelyard.flavors._base import add_code_to_path, local_model_dir, pyfunc_block, save_model_dir
from modelyard.models.environment import default_requirements
from modelyard.models.mlmodel import Model, ModelInfo
from modelyard.models.signature import ModelSignature

__all__ = [
    "FLAVOR_NAME",
    "LOADER_MODULE",
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
SERIALIZATION_FORMAT_SKOPS = "skops"
SERIALIZATION_FORMAT_PICKLE = "pickle"
SERIALIZATION_FORMAT_CLOUDPICKLE = "cloudpickle"
SUPPORTED_SERIALIZATION_FORMATS = (
    SERIALIZATION_FORMAT_SKOPS,
    SERIALIZATION_FORMAT_PICKLE,
    SERIALIZATION_FORMAT_CLOUDPICKLE,
)
_PREDICT_FNS = ("predict", "predict_proba", "predict_log_proba", "predict_joint_log_proba", "score")


def _check_format(serialization_format: str) -> None:
    if serialization_format not in SUPPORTED_SERIALIZATION_FORMATS:
        raise InvalidParameterValue(
            f"Unrecognized serialization format {serialization_format!r} for field "
            f"'serialization_format'; use one of {list(SUPPORTED_SERIALIZATION_FORMATS)}"
        )


def dump_estimator(
    model: Any, file: Path, serialization_format: str, skops_trusted_types: list[str] | None
) -> None:
    """Serialize an estimator; a skops dump is re-read at once so that an untrusted type fails
    at save time rather than at load time."""
    _check_format(serialization_format)
    if serialization_format == SERIALIZATION_FORMAT_SKOPS:
        import skops.io

        skops.io.dump(model, file)
        untrusted = [
            t
            for t in skops.io.get_untrusted_types(file=file)
            if t not in (skops_trusted_types or [])
        ]
        if untrusted:
            raise InvalidParameterValue(
                f"The model references types skops does not trust: {untrusted}. If loading them is "
                "safe, list them in 'skops_trusted_types', or use serialization_format='cloudpickle'."
            )
        return
    with open(file, "wb") as out:
        if serialization_format == SERIALIZATION_FORMAT_CLOUDPICKLE:
            import cloudpickle

            cloudpickle.dump(model, out, protocol=pickle.DEFAULT_PROTOCOL)
        else:
            pickle.dump(model, out, protocol=pickle.DEFAULT_PROTOCOL)


def load_estimator(file: Path, serialization_format: str, trusted: list[str] | None) -> Any:
    """Read an estimator; see the module doc for what each format trusts."""
    _check_format(serialization_format)
    if serialization_format == SERIALIZATION_FORMAT_SKOPS:
        import skops.io

        untrusted = [t for t in skops.io.get_untrusted_types(file=file) if t not in (trusted or [])]
        if untrusted:
            raise InvalidParameterValue(
                f"Refusing to load {file.name}: it contains types that are not trusted: {untrusted}. "
                "Pass them in 'skops_trusted_types' if you trust this model."
            )
        return skops.io.load(file, trusted=list(trusted or []) or None)
    with open(file, "rb") as src:
        if serialization_format == SERIALIZATION_FORMAT_CLOUDPICKLE:
            import cloudpickle

            return cloudpickle.load(src)
        return pickle.load(src)


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
        dump_estimator(sk_model, target / data_file, serialization_format, skops_trusted_types)
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
            skops_trusted_types=skops_trusted_types,
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
    trusted = list(skops_trusted_types or [])
    if trust_model_skops_types:
        trusted += list(recorded)
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
    def __init__(self, estimator: Any, predict_fn: str) -> None:
        self.estimator = estimator
        self._predict = getattr(estimator, predict_fn)

    def get_raw_model(self) -> Any:
        return self.estimator

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        return self._predict(data)


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
    """Log a scikit-learn model as an MLflow 3 logged model (see ``modelyard.flavors.logging``)."""
    from modelyard.flavors.logging import log_model as _log

    return _log(save_model, sk_model, artifact_path, **kwargs)
