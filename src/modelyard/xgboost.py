"""``modelyard.xgboost``: ``import modelyard as mlflow; mlflow.xgboost.log_model(...)``."""

from modelyard.flavors.autologging.xgboost import autolog
from modelyard.flavors.xgboost import load_model, log_model, save_model

__all__ = ["autolog", "load_model", "log_model", "save_model"]
