"""Custom Python models: subclass :class:`PythonModel` and implement ``predict``.

This module path is part of the pickle of every custom model saved since it moved here (the base
class is pickled by reference), so it stays stable; ``modelyard.pyfunc.model`` re-exports both
classes for models pickled before.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

__all__ = ["PythonModel", "PythonModelContext"]


class PythonModelContext:
    """What a custom model gets at load time: its artifacts (name → local path) and its
    ``model_config``."""

    def __init__(
        self, artifacts: dict[str, str], model_config: dict[str, Any] | None = None
    ) -> None:
        self._artifacts = dict(artifacts)
        self._model_config = dict(model_config or {})

    @property
    def artifacts(self) -> dict[str, str]:
        return self._artifacts

    @property
    def model_config(self) -> dict[str, Any]:
        return self._model_config


class PythonModel:
    """Base class of custom models saved with ``modelyard.pyfunc.save_model(python_model=...)``."""

    def load_context(self, context: PythonModelContext) -> None:
        """Called once after loading; read artifacts from ``context.artifacts`` here."""

    def predict(
        self, context: PythonModelContext, model_input: Any, params: dict[str, Any] | None = None
    ) -> Any:
        raise NotImplementedError("PythonModel subclasses must implement predict()")

    @property
    def predict_type_hints(self) -> SimpleNamespace:
        """Read by MLflow's pyfunc wrapper when MLflow loads this model (it converts inputs by
        type hints); modelyard models declare none, so inputs reach ``predict`` unchanged."""
        return SimpleNamespace(input=None, output=None)
