"""PyFuncModel: the uniform ``predict`` in front of every flavor."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from modelyard.errors import InvalidParameterValue
from modelyard.models.mlmodel import PYFUNC_FLAVOR, Model
from modelyard.models.schema_enforcement import enforce_params, enforce_schema

__all__ = ["PyFuncModel"]


class PyFuncModel:
    """A loaded model: ``predict(data, params=None)`` checks ``data`` and ``params`` against the
    signature (see ``modelyard.models.schema_enforcement``) and calls the flavor."""

    def __init__(self, model_meta: Model, model_impl: Any, model_dir: Path | None = None) -> None:
        if not hasattr(model_impl, "predict"):
            raise InvalidParameterValue("A pyfunc implementation must have a 'predict' method")
        self._model_meta = model_meta
        self._model_impl = model_impl
        self._model_dir = model_dir

    @property
    def metadata(self) -> Model:
        return self._model_meta

    @property
    def model_dir(self) -> Path | None:
        return self._model_dir

    @property
    def loader_module(self) -> str | None:
        return self._model_meta.flavors.get(PYFUNC_FLAVOR, {}).get("loader_module")

    @property
    def model_config(self) -> dict[str, Any]:
        config = getattr(self._model_impl, "model_config", None)
        if isinstance(config, dict):
            return config
        return dict(self._model_meta.flavors.get(PYFUNC_FLAVOR, {}).get("model_config") or {})

    @property
    def model_id(self) -> str | None:
        return self._model_meta.model_id

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        signature = self._model_meta.signature
        if signature is not None and signature.inputs is not None:
            try:
                data = enforce_schema(data, signature.inputs)
            except InvalidParameterValue as exc:
                raise InvalidParameterValue(f"Failed to enforce schema of data: {exc}") from None
        # params the flavor handles itself (e.g. sklearn's predict_method) skip the schema check
        own = getattr(self._model_impl, "inference_params", ())
        passed = {k: v for k, v in (params or {}).items() if k in own}
        rest = {k: v for k, v in (params or {}).items() if k not in own} if params else params
        checked = enforce_params(rest, signature.params if signature is not None else None)
        if passed:
            checked = {**(checked or {}), **passed}
        return self._model_impl.predict(data, params=checked)

    def unwrap_python_model(self) -> Any:
        """The user's ``PythonModel`` instance of a custom model."""
        python_model = getattr(self._model_impl, "python_model", None)
        if python_model is None:
            raise InvalidParameterValue(
                "unwrap_python_model() is only available for custom Python models"
            )
        return python_model

    def get_raw_model(self) -> Any:
        """The flavor's native object (estimator, booster ...)."""
        getter = getattr(self._model_impl, "get_raw_model", None)
        if getter is None:
            raise InvalidParameterValue("This model does not expose a raw model")
        return getter()

    def __repr__(self) -> str:
        return f"PyFuncModel(loader_module={self.loader_module!r}, model_id={self.model_id!r})"
