"""The fitted predictor inside every supervised AutoML model.

A :class:`SupervisedPredictor` holds one or more fitted pipelines (featurizer + estimator; a
classifier's last step predicts the original labels) with weights, the original class labels
and, for binary problems, the tuned decision threshold. It predicts on raw input frames; an
ensemble of several pipelines is what the pyfunc wrapper serves. It does not depend on the model format; the pyfunc wrapper in
:mod:`modelyard.automl.pyfunc_model` delegates to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["SupervisedPredictor"]


@dataclass
class SupervisedPredictor:
    problem_type: str
    members: list[Any]
    weights: list[float]
    classes: list[Any] = field(default_factory=list)
    threshold: float | None = None
    pos_index: int | None = None
    input_columns: list[str] = field(default_factory=list)
    input_dtypes: dict[str, str] = field(default_factory=dict)

    def _frame(self, data: Any) -> Any:
        import pandas as pd

        if isinstance(data, pd.DataFrame):
            frame = data
        elif isinstance(data, dict):
            frame = pd.DataFrame(data)
        else:
            frame = pd.DataFrame(data, columns=self.input_columns)
        missing = [c for c in self.input_columns if c not in frame.columns]
        for col in missing:
            frame = frame.assign(**{col: None})
        return frame

    def _full_proba(self, model: Any, X: Any) -> Any:
        import numpy as np

        proba = np.asarray(model.predict_proba(X), dtype=float)
        seen = list(getattr(model, "classes_", range(proba.shape[1])))
        if seen == list(self.classes) or seen == list(range(len(self.classes))):
            return proba  # members label their columns with the classes, in this order
        out = np.zeros((proba.shape[0], len(self.classes)))
        out[:, [self.classes.index(c) for c in seen]] = proba
        return out

    def predict_proba(self, data: Any) -> Any:
        """Class probabilities, columns in the order of :attr:`classes`."""
        import numpy as np

        if self.problem_type != "classification":
            raise TypeError("predict_proba is only available for classification models")
        frame = self._frame(data)
        total = sum(self.weights)
        acc = np.zeros((len(frame), len(self.classes)))
        for model, w in zip(self.members, self.weights, strict=True):
            acc += w * self._full_proba(model, frame)
        return acc / total

    def predict(self, data: Any) -> Any:
        """Labels (original values) for classification, numbers for regression."""
        import numpy as np

        frame = self._frame(data)
        if self.problem_type == "classification":
            proba = self.predict_proba(frame)
            labels = np.asarray(self.classes, dtype=object)
            if len(self.classes) == 2 and self.threshold is not None and self.pos_index is not None:
                pos = self.pos_index
                idx = np.where(proba[:, pos] >= self.threshold, pos, 1 - pos)
            else:
                idx = np.argmax(proba, axis=1)
            out = labels[idx]
            try:
                return out.astype(np.asarray(self.classes).dtype)
            except (TypeError, ValueError):
                return out
        total = sum(self.weights)
        acc = np.zeros(len(frame))
        for model, w in zip(self.members, self.weights, strict=True):
            acc += w * np.asarray(model.predict(frame), dtype=float)
        return acc / total
