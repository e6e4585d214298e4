"""``modelyard.lightgbm``: ``import modelyard as mlflow; mlflow.lightgbm.log_model(...)``."""

from modelyard.flavors.autologging.lightgbm import autolog
from modelyard.flavors.lightgbm import load_model, log_model, save_model

__all__ = ["autolog", "load_model", "log_model", "save_model"]
