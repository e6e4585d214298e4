"""``from modelyard.tracking import MlflowClient`` (the path MLflow users know)."""

from modelyard.client import MlflowClient

__all__ = ["MlflowClient"]
