"""The pyfunc wrapper of AutoML models (imported lazily; it subclasses ``PythonModel``)."""

from __future__ import annotations

from typing import Any

from modelyard.pyfunc import PythonModel

__all__ = ["AutoMLSupervisedModel"]


class AutoMLSupervisedModel(PythonModel):
    """Predicts on raw input frames: the whole featurization pipeline is inside.

    ``params={"predict_method": "predict_proba"}`` returns class probabilities (a DataFrame
    whose columns are the class labels) instead of labels.
    """

    def __init__(self, predictor: Any) -> None:
        self.predictor = predictor

    def predict(self, context: Any, model_input: Any, params: dict[str, Any] | None = None) -> Any:
        import pandas as pd

        method = (params or {}).get("predict_method", "predict")
        if method == "predict_proba":
            proba = self.predictor.predict_proba(model_input)
            return pd.DataFrame(proba, columns=[str(c) for c in self.predictor.classes])
        return self.predictor.predict(model_input)
