"""The pyfunc wrapper of AutoML models (imported lazily; it subclasses ``PythonModel``)."""

from __future__ import annotations

from typing import Any

from modelyard.pyfunc import PythonModel

__all__ = ["PREDICT_METHODS", "AutoMLSupervisedModel"]


PREDICT_METHODS = ("predict", "predict_proba")


class AutoMLSupervisedModel(PythonModel):
    """Predicts on raw input frames: the whole featurization pipeline is inside. AutoML logs
    an ensemble of trials this way (a single trial is an sklearn ``Pipeline``).

    ``params={"predict_method": "predict_proba"}`` (declared in the signature's params) returns
    class probabilities, an array with one column per class in the order of :attr:`classes_`,
    as the sklearn flavor does. ``unwrap_python_model().predict_proba(X)`` gives the same.
    """

    def __init__(self, predictor: Any) -> None:
        self.predictor = predictor

    @property
    def classes_(self) -> Any:
        import numpy as np

        return np.asarray(self.predictor.classes)

    def predict_proba(self, model_input: Any) -> Any:
        """Class probabilities (rows sum to 1), columns in the order of :attr:`classes_`."""
        return self.predictor.predict_proba(model_input)

    def predict(self, context: Any, model_input: Any, params: dict[str, Any] | None = None) -> Any:
        from modelyard.errors import InvalidParameterValue

        method = (params or {}).get("predict_method") or "predict"
        if method not in PREDICT_METHODS:
            raise InvalidParameterValue(
                f"Invalid param 'predict_method' {method!r}; use one of {list(PREDICT_METHODS)}"
            )
        if method == "predict_proba":
            if self.predictor.problem_type != "classification":
                raise InvalidParameterValue(
                    "Invalid param 'predict_method' 'predict_proba': this is a regression model"
                )
            return self.predict_proba(model_input)
        return self.predictor.predict(model_input)
