"""Model flavors: sklearn, xgboost, lightgbm and custom Python models (``python_model``)."""

__all__: list[str] = []
