"""``modelyard.xgboost``: ``import modelyard as mlflow; mlflow.xgboost.log_model(...)``."""

from modelyard.flavors.xgboost import load_model, log_model, save_model

__all__ = ["load_model", "log_model", "save_model"]
