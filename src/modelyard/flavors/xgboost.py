"""XGBoost flavor: the model in XGBoost's own file format (``model.ubj`` by default, or
``json``), the same files and ``MLmodel`` blocks MLflow 3.17 writes (``loader_module:
mlflow.xgboost``). Works for ``xgboost.Booster`` and the scikit-learn wrappers
(``XGBClassifier`` ...); ``model_class`` records which one to rebuild. No pickle is involved.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from modelyard.errors import InvalidParameterValue
from modelyard.flavors._classes import class_from_name, qualified_name
from modelyard.flavors.base import local_model_dir, pyfunc_block, save_model_dir
from modelyard.models.environment import default_requirements
from modelyard.models.mlmodel import Model, ModelInfo
from modelyard.models.signature import ModelSignature

__all__ = ["FLAVOR_NAME", "LOADER_MODULE", "load_model", "load_pyfunc", "log_model", "save_model"]

FLAVOR_NAME = "xgboost"
LOADER_MODULE = "mlflow.xgboost"
_FORMATS = ("ubj", "json", "deprecated")


def save_model(
    xgb_model: Any,
    path: str | os.PathLike[str],
    *,
    model_format: str = "ubj",
    signature: ModelSignature | bool | None = None,
    input_example: Any = None,
    pip_requirements: list[str] | str | None = None,
    extra_pip_requirements: list[str] | str | None = None,
    metadata: dict[str, Any] | None = None,
    mlmodel: Model | None = None,
    **kwargs: Any,
) -> Model:
    """Save an XGBoost Booster or scikit-learn-API model as a model directory."""
    import xgboost as xgb

    if model_format not in _FORMATS:
        raise InvalidParameterValue(f"Field 'model_format' must be one of {list(_FORMATS)}")
    if not isinstance(xgb_model, xgb.Booster | xgb.XGBModel):
        raise InvalidParameterValue("Field 'xgb_model' must be an xgboost Booster or XGBModel")
    data_file = f"model.{model_format}"

    def write(target: Path, model: Model) -> None:
        xgb_model.save_model(str(target / data_file))
        model.add_flavor(
            "python_function", **pyfunc_block(LOADER_MODULE, data=data_file, code=None)
        )
        model.add_flavor(
            FLAVOR_NAME,
            xgb_version=xgb.__version__,
            data=data_file,
            model_class=qualified_name(xgb_model),
            model_format=model_format,
            code=None,
        )

    impl = _XGBPyfunc(xgb_model)
    return save_model_dir(
        path,
        write,
        default_reqs=default_requirements("xgboost"),
        predict=impl.predict,
        signature=signature,
        input_example=input_example,
        pip_requirements=pip_requirements,
        extra_pip_requirements=extra_pip_requirements,
        metadata=metadata,
        mlmodel=mlmodel,
        **kwargs,
    )


def _load_from_dir(model_dir: Path, mlmodel: Model) -> Any:
    conf = mlmodel.flavor_config(FLAVOR_NAME)
    model = class_from_name(conf.get("model_class", "xgboost.core.Booster"), "xgboost")()
    data = conf.get("data")
    if not data:
        raise InvalidParameterValue("The xgboost flavor has no 'data' entry")
    model.load_model(str(model_dir / data))
    return model


def load_model(model_uri: str | os.PathLike[str], dst_path: str | None = None) -> Any:
    """The Booster or XGBModel stored at ``model_uri``."""
    model_dir = local_model_dir(model_uri, dst_path)
    return _load_from_dir(model_dir, Model.load(model_dir))


class _XGBPyfunc:
    def __init__(self, model: Any) -> None:
        self.model = model

    def get_raw_model(self) -> Any:
        return self.model

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        import xgboost as xgb

        if isinstance(self.model, xgb.Booster):
            return self.model.predict(xgb.DMatrix(data), validate_features=True)
        return self.model.predict(data, validate_features=True)


def load_pyfunc(model_dir: Path, mlmodel: Model, **_kwargs: Any) -> _XGBPyfunc:
    return _XGBPyfunc(_load_from_dir(model_dir, mlmodel))


def log_model(xgb_model: Any, artifact_path: str | None = None, **kwargs: Any) -> ModelInfo:
    """Log an XGBoost model as an MLflow 3 logged model."""
    from modelyard.flavors.model_logging import log_model as _log

    return _log(save_model, xgb_model, artifact_path, **kwargs)
