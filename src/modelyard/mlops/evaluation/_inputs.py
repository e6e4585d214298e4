"""Turn ``evaluate``'s arguments into a feature frame, labels and a prediction function."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from modelyard.errors import InvalidParameterValue

__all__: list[str] = []


@dataclass
class Inputs:
    features: Any  # pandas.DataFrame
    labels: Any  # numpy array
    predictions: Any | None  # numpy array when given as a column (no model)
    feature_names: list[str]


@dataclass
class ResolvedModel:
    predict: Callable[[Any], Any] | None
    predict_proba: Callable[[Any], Any] | None
    raw: Any | None
    loader_module: str | None


def as_1d(values: Any, column: str | None = None) -> Any:
    """A prediction output (ndarray, Series, DataFrame, list, dict) as a 1-D numpy array."""
    import numpy as np
    import pandas as pd

    if isinstance(values, pd.DataFrame):
        if column is not None and column in values.columns:
            return values[column].to_numpy()
        return values.iloc[:, 0].to_numpy()
    if isinstance(values, pd.Series):
        return values.to_numpy()
    if isinstance(values, dict):
        key = column if column in values else next(iter(values))
        return np.asarray(values[key])
    arr = np.asarray(values)
    if arr.ndim > 1:
        arr = arr.reshape(arr.shape[0], -1)[:, 0]
    return arr


def read_inputs(
    data: Any, targets: Any, predictions: str | None, feature_names: list[str] | None
) -> Inputs:
    import numpy as np
    import pandas as pd

    if data is None:
        raise InvalidParameterValue("evaluate(): 'data' is required")
    if targets is None:
        raise InvalidParameterValue("evaluate(): 'targets' is required for the default evaluator")
    if isinstance(data, pd.DataFrame):
        if isinstance(targets, str):
            if targets not in data.columns:
                raise InvalidParameterValue(
                    f"evaluate(): 'targets' column {targets!r} is not in data (columns: "
                    f"{list(map(str, data.columns))[:20]})"
                )
            labels = data[targets].to_numpy()
        else:
            labels = np.asarray(targets)
        preds = None
        if predictions is not None:
            if predictions not in data.columns:
                raise InvalidParameterValue(
                    f"evaluate(): 'predictions' column {predictions!r} is not in data"
                )
            preds = data[predictions].to_numpy()
        drop = {c for c in (targets, predictions) if isinstance(c, str)}
        if feature_names is not None:
            missing = [c for c in feature_names if c not in data.columns]
            if missing:
                raise InvalidParameterValue(f"evaluate(): 'feature_names' not in data: {missing}")
            features = data[list(feature_names)]
        else:
            features = data[[c for c in data.columns if c not in drop]]
    else:
        if isinstance(targets, str):
            raise InvalidParameterValue(
                "evaluate(): 'targets' must be an array when 'data' is not a DataFrame"
            )
        array = np.asarray(data)
        if array.ndim != 2:
            raise InvalidParameterValue("evaluate(): 'data' must be 2-dimensional")
        names = (
            list(feature_names)
            if feature_names is not None
            else [f"feature_{i + 1}" for i in range(array.shape[1])]
        )
        if len(names) != array.shape[1]:
            raise InvalidParameterValue(
                f"evaluate(): 'feature_names' has {len(names)} names for {array.shape[1]} columns"
            )
        features = pd.DataFrame(array, columns=names)
        labels = np.asarray(targets)
        preds = None
        if predictions is not None:
            raise InvalidParameterValue(
                "evaluate(): 'predictions' names a column, so 'data' must be a DataFrame"
            )
    if labels.shape[0] != len(features):
        raise InvalidParameterValue(
            f"evaluate(): 'targets' has {labels.shape[0]} values for {len(features)} rows"
        )
    if len(features) == 0:
        raise InvalidParameterValue("evaluate(): 'data' has no rows")
    return Inputs(features, labels, preds, [str(c) for c in features.columns])


def resolve_model(model: Any) -> ResolvedModel:
    """A model URI, a PyFuncModel, an estimator-like object or a plain callable."""
    if model is None:
        return ResolvedModel(None, None, None, None)
    if isinstance(model, str):
        from modelyard.pyfunc import load_model

        model = load_model(model)
    from modelyard.pyfunc import PyFuncModel

    if isinstance(model, PyFuncModel):
        raw = None
        try:
            raw = model.get_raw_model()
        except Exception:  # flavors without a native object
            raw = None
        proba = getattr(raw, "predict_proba", None) if raw is not None else None
        return ResolvedModel(model.predict, proba, raw, model.loader_module)
    if hasattr(model, "predict") and callable(model.predict):
        proba = getattr(model, "predict_proba", None)
        return ResolvedModel(model.predict, proba, model, None)
    if callable(model):
        return ResolvedModel(model, None, None, None)
    raise InvalidParameterValue(
        f"evaluate(): 'model' must be a model URI, a PyFuncModel or a callable, got "
        f"{type(model).__name__}"
    )
