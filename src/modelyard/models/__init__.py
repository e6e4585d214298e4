"""The MLmodel format: model directories, signatures, input examples, environments.

Importing this package loads neither pandas, numpy nor any ML library.

``evaluate``, ``EvaluationResult``, ``MetricThreshold``, ``validate_evaluation_results`` and
``ModelValidationFailedException`` (MLflow's ``mlflow.models`` names) live in the L5 feature
:mod:`modelyard.mlops`; they are resolved by name on first use, so this L2 package never imports
the feature layer.
"""

import importlib
from typing import Any

from modelyard.models.mlmodel import MLMODEL_FILE_NAME, Model, ModelInfo
from modelyard.models.signature import (
    ColSpec,
    DataType,
    ModelSignature,
    ParamSchema,
    ParamSpec,
    Schema,
    TensorSpec,
    infer_signature,
)

__all__ = [
    "MLMODEL_FILE_NAME",
    "EvaluationResult",
    "MetricThreshold",
    "ModelValidationFailedException",
    "ColSpec",
    "DataType",
    "Model",
    "ModelInfo",
    "ModelSignature",
    "ParamSchema",
    "ParamSpec",
    "Schema",
    "TensorSpec",
    "evaluate",
    "infer_signature",
    "validate_evaluation_results",
]

_FROM_MLOPS = frozenset(
    {
        "EvaluationResult",
        "MetricThreshold",
        "ModelValidationFailedException",
        "evaluate",
        "validate_evaluation_results",
    }
)


def __getattr__(name: str) -> Any:
    if name in _FROM_MLOPS:
        return getattr(importlib.import_module("modelyard.mlops"), name)
    raise AttributeError(f"module 'modelyard.models' has no attribute {name!r}")
