"""MLOps automation: model evaluation and validation gates (more of issue 12 to come).

Names are MLflow's: :func:`evaluate`, :class:`EvaluationResult`, :class:`MetricThreshold`,
:func:`validate_evaluation_results`, :class:`ModelValidationFailedException`. They are resolved
lazily, so ``import modelyard.mlops`` loads neither numpy, pandas, sklearn nor matplotlib.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from modelyard.mlops.evaluation.api import evaluate
    from modelyard.mlops.evaluation.result import EvaluationArtifact, EvaluationResult
    from modelyard.mlops.validation import (
        MetricThreshold,
        ModelValidationFailed,
        ModelValidationFailedException,
        validate_evaluation_results,
    )

__all__ = [
    "EvaluationArtifact",
    "EvaluationResult",
    "MetricThreshold",
    "ModelValidationFailed",
    "ModelValidationFailedException",
    "evaluate",
    "validate_evaluation_results",
]

_WHERE = {
    "evaluate": "modelyard.mlops.evaluation.api",
    "EvaluationArtifact": "modelyard.mlops.evaluation.result",
    "EvaluationResult": "modelyard.mlops.evaluation.result",
    "MetricThreshold": "modelyard.mlops.validation",
    "ModelValidationFailed": "modelyard.mlops.validation",
    "ModelValidationFailedException": "modelyard.mlops.validation",
    "validate_evaluation_results": "modelyard.mlops.validation",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'modelyard.mlops' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
