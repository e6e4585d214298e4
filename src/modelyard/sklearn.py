"""``modelyard.sklearn``: ``import modelyard as mlflow; mlflow.sklearn.log_model(...)``."""

from modelyard.flavors.autologging.sklearn import autolog
from modelyard.flavors.sklearn import (
    SERIALIZATION_FORMAT_CLOUDPICKLE,
    SERIALIZATION_FORMAT_PICKLE,
    SERIALIZATION_FORMAT_SKOPS,
    load_model,
    log_model,
    save_model,
)

__all__ = [
    "autolog",
    "SERIALIZATION_FORMAT_CLOUDPICKLE",
    "SERIALIZATION_FORMAT_PICKLE",
    "SERIALIZATION_FORMAT_SKOPS",
    "load_model",
    "log_model",
    "save_model",
]
