"""LightGBM flavor, in MLflow 3.17's layout (``loader_module: mlflow.lightgbm``).

* ``lightgbm.Booster`` → ``model.lgb``, LightGBM's own text model file (no pickle).
* scikit-learn API models (``LGBMClassifier`` ...) → ``model.skops`` (default; the LightGBM types
  below are trusted in addition to skops' defaults) or ``model.pkl`` with ``cloudpickle``/
  ``pickle`` (loading a pickle runs its author's code).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from modelyard.errors import InvalidParameterValue
from modelyard.flavors._classes import qualified_name
from modelyard.flavors._serialization import SKOPS as SERIALIZATION_FORMAT_SKOPS
from modelyard.flavors._serialization import dump_estimator, load_estimator, trusted_for_load
from modelyard.flavors.base import add_code_to_path, local_model_dir, pyfunc_block, save_model_dir
from modelyard.models.environment import default_requirements
from modelyard.models.mlmodel import Model, ModelInfo
from modelyard.models.signature import ModelSignature

__all__ = ["FLAVOR_NAME", "LOADER_MODULE", "load_model", "load_pyfunc", "log_model", "save_model"]

FLAVOR_NAME = "lightgbm"
LOADER_MODULE = "mlflow.lightgbm"
_BOOSTER = "lightgbm.basic.Booster"
#: LightGBM types every LightGBM scikit-learn model contains; trusted when loading skops files.
LIGHTGBM_SKOPS_TYPES = [
    "collections.OrderedDict",
    "lightgbm.basic.Booster",
    "lightgbm.sklearn.LGBMClassifier",
    "lightgbm.sklearn.LGBMRegressor",
]


def save_model(
    lgb_model: Any,
    path: str | os.PathLike[str],
    *,
    serialization_format: str = SERIALIZATION_FORMAT_SKOPS,
    skops_trusted_types: list[str] | None = None,
    signature: ModelSignature | bool | None = None,
    input_example: Any = None,
    pip_requirements: list[str] | str | None = None,
    extra_pip_requirements: list[str] | str | None = None,
    metadata: dict[str, Any] | None = None,
    mlmodel: Model | None = None,
    **kwargs: Any,
) -> Model:
    """Save a LightGBM Booster or scikit-learn-API model as a model directory."""
    import lightgbm as lgb

    is_booster = isinstance(lgb_model, lgb.Booster)
    if not is_booster and not isinstance(lgb_model, lgb.LGBMModel):
        raise InvalidParameterValue("Field 'lgb_model' must be a lightgbm Booster or LGBMModel")
    trusted: list[str] | None = None
    if is_booster:
        data_file = "model.lgb"
    elif serialization_format == SERIALIZATION_FORMAT_SKOPS:
        data_file = "model.skops"
        trusted = sorted(set(LIGHTGBM_SKOPS_TYPES) | set(skops_trusted_types or []))
    else:
        data_file = "model.pkl"

    def write(target: Path, model: Model) -> None:
        recorded = trusted
        if is_booster:
            lgb_model.save_model(str(target / data_file))
        else:
            recorded = dump_estimator(lgb_model, target / data_file, serialization_format, trusted)
        model.add_flavor(
            "python_function", **pyfunc_block(LOADER_MODULE, data=data_file, code=None)
        )
        model.add_flavor(
            FLAVOR_NAME,
            lgb_version=lgb.__version__,
            data=data_file,
            model_class=qualified_name(lgb_model),
            code=None,
            serialization_format=serialization_format,
            skops_trusted_types=recorded,
        )

    extra: tuple[str, ...] = ()
    if not is_booster:
        extra = {
            "skops": ("scikit-learn", "skops"),
            "cloudpickle": ("scikit-learn", "cloudpickle"),
        }.get(serialization_format, ("scikit-learn",))
    return save_model_dir(
        path,
        write,
        default_reqs=default_requirements("lightgbm", "numpy", "pandas", *extra),
        predict=lgb_model.predict,
        signature=signature,
        input_example=input_example,
        pip_requirements=pip_requirements,
        extra_pip_requirements=extra_pip_requirements,
        metadata=metadata,
        mlmodel=mlmodel,
        **kwargs,
    )


def _load_from_dir(
    model_dir: Path, mlmodel: Model, skops_trusted_types: list[str] | None = None
) -> Any:
    conf = mlmodel.flavor_config(FLAVOR_NAME)
    data = conf.get("data")
    if not data:
        raise InvalidParameterValue("The lightgbm flavor has no 'data' entry")
    if conf.get("model_class", _BOOSTER) == _BOOSTER:
        import lightgbm as lgb

        return lgb.Booster(model_file=str(model_dir / data))
    fmt = conf.get("serialization_format", "cloudpickle")
    caller = list(LIGHTGBM_SKOPS_TYPES) + list(skops_trusted_types or [])
    trusted = trusted_for_load(conf.get("skops_trusted_types"), caller)
    return load_estimator(model_dir / data, fmt, trusted)


def load_model(
    model_uri: str | os.PathLike[str],
    dst_path: str | None = None,
    *,
    skops_trusted_types: list[str] | None = None,
) -> Any:
    """The Booster or LGBMModel stored at ``model_uri``."""
    model_dir = local_model_dir(model_uri, dst_path)
    mlmodel = Model.load(model_dir)
    add_code_to_path(model_dir, mlmodel)
    return _load_from_dir(model_dir, mlmodel, skops_trusted_types)


class _LGBPyfunc:
    def __init__(self, model: Any) -> None:
        self.model = model

    def get_raw_model(self) -> Any:
        return self.model

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        return self.model.predict(data)


def load_pyfunc(model_dir: Path, mlmodel: Model, **kwargs: Any) -> _LGBPyfunc:
    return _LGBPyfunc(_load_from_dir(model_dir, mlmodel, kwargs.get("skops_trusted_types")))


def log_model(lgb_model: Any, artifact_path: str | None = None, **kwargs: Any) -> ModelInfo:
    """Log a LightGBM model as an MLflow 3 logged model."""
    from modelyard.flavors.model_logging import log_model as _log

    return _log(save_model, lgb_model, artifact_path, **kwargs)
