"""The MLmodel format: model directories, signatures, input examples, environments.

Importing this package loads neither pandas, numpy nor any ML library.
"""

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
    "ColSpec",
    "DataType",
    "Model",
    "ModelInfo",
    "ModelSignature",
    "ParamSchema",
    "ParamSpec",
    "Schema",
    "TensorSpec",
    "infer_signature",
]
