"""A loaded model as the serving layer sees it: ``predict(frame, params)`` plus what the protocol
needs from the signature (column dtypes for CSV input, whether ``params`` are accepted).

Models come from ``modelyard.pyfunc.load_model`` (any URI it resolves: ``models:/name/Stage``,
``models:/name@alias``, ``runs:/...``, a local directory). Anything with a ``predict`` method can
be wrapped directly with :func:`as_predictor` (tests, custom servers).
"""

from __future__ import annotations

import inspect
import traceback
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from modelyard.errors import BadRequest, ModelyardError

__all__ = [
    "Predictor",
    "SupportsPredict",
    "as_predictor",
    "load_predictor",
    "slice_predictions",
]


@runtime_checkable
class SupportsPredict(Protocol):
    def predict(self, data: Any, *args: Any, **kwargs: Any) -> Any: ...


_PANDAS_TYPES = {
    "boolean": "bool",
    "integer": "int32",
    "long": "int64",
    "float": "float32",
    "double": "float64",
    "string": "object",
    "binary": "object",
    "datetime": "datetime64[ns]",
}


def _signature_of(model: Any) -> Any:
    meta = getattr(model, "metadata", None)
    sig = getattr(meta, "signature", None) if meta is not None else None
    return sig if sig is not None else getattr(model, "signature", None)


def _input_types(signature: Any) -> dict[str, str] | None:
    """Column name → pandas dtype from a signature (object with ``inputs``, or a dict)."""
    if signature is None:
        return None
    inputs = signature.get("inputs") if isinstance(signature, dict) else signature.inputs
    if inputs is None:
        return None
    if isinstance(inputs, str):
        import json

        inputs = json.loads(inputs)
    if hasattr(inputs, "to_dict"):
        inputs = inputs.to_dict()
    elif hasattr(inputs, "inputs"):
        inputs = [s.to_dict() if hasattr(s, "to_dict") else s for s in inputs.inputs]
    out: dict[str, str] = {}
    for spec in inputs if isinstance(inputs, list) else []:
        if not isinstance(spec, dict):
            spec = spec.to_dict() if hasattr(spec, "to_dict") else vars(spec)
        name, typ = spec.get("name"), spec.get("type")
        if name and typ in _PANDAS_TYPES and typ != "datetime":
            out[name] = _PANDAS_TYPES[typ]
    return out or None


@dataclass(slots=True)
class Predictor:
    """A model ready to serve. ``predict`` turns failures into :class:`ModelyardError`s."""

    model: Any
    model_uri: str = ""
    input_types: dict[str, str] | None = None
    accepts_params: bool = False
    info: dict[str, Any] = field(default_factory=dict)

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        try:
            if self.accepts_params:
                return self.model.predict(data, params=params)
            return self.model.predict(data)
        except ModelyardError:
            raise
        except Exception:
            err = BadRequest(
                "Encountered an unexpected error while evaluating the model. Check that the "
                "input data is compatible with the model's inference input."
            )
            err.stack_trace = traceback.format_exc()  # type: ignore[attr-defined]
            raise err from None


def as_predictor(model: Any, model_uri: str = "", **info: Any) -> Predictor:
    if not isinstance(model, SupportsPredict):
        raise TypeError(f"{type(model).__name__} has no predict method")
    try:
        accepts = "params" in inspect.signature(model.predict).parameters
    except (TypeError, ValueError):
        accepts = False
    return Predictor(model, model_uri, _input_types(_signature_of(model)), accepts, dict(info))


def load_predictor(model_uri: str) -> Predictor:
    """Load ``model_uri`` with ``modelyard.pyfunc.load_model`` and wrap it."""
    from modelyard.pyfunc import load_model

    return as_predictor(load_model(model_uri), model_uri)


def slice_predictions(predictions: Any, start: int, stop: int) -> Any:
    """Rows ``start:stop`` of a batched prediction (ndarray, Series, DataFrame or list)."""
    iloc = getattr(predictions, "iloc", None)
    if iloc is not None:
        return iloc[start:stop]
    return predictions[start:stop]
