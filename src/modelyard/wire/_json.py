"""Fast JSON (orjson) with the MLflow conventions for doubles.

orjson writes NaN and infinities as ``null``; MLflow's wire format wants the strings ``"NaN"``,
``"Infinity"`` and ``"-Infinity"``. Serializers in this package convert doubles with
:func:`double_to_json` before dumping, so :func:`dumps` never sees a non-finite float.
"""

from __future__ import annotations

import math
from typing import Any

import orjson

from modelyard.errors import InvalidParameterValue

__all__ = ["double_from_json", "double_to_json", "dumps", "loads"]

_SPECIAL_OUT = {math.inf: "Infinity", -math.inf: "-Infinity"}
_SPECIAL_IN = {
    "nan": math.nan,
    "infinity": math.inf,
    "+infinity": math.inf,
    "inf": math.inf,
    "-infinity": -math.inf,
    "-inf": -math.inf,
}


def dumps(obj: Any) -> bytes:
    return orjson.dumps(obj)


def loads(data: bytes | str) -> Any:
    """Parse JSON; malformed input raises InvalidParameterValue (a 400, never a 500)."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise InvalidParameterValue(f"Malformed JSON in request body: {exc}") from None


def double_to_json(value: float) -> float | str:
    if value != value:  # NaN
        return "NaN"
    if value in _SPECIAL_OUT:
        return _SPECIAL_OUT[value]
    return value


def double_from_json(value: Any, name: str = "value") -> float:
    """A JSON number, or a string holding a number / ``NaN`` / ``Infinity`` / ``-Infinity``."""
    if isinstance(value, bool):
        raise InvalidParameterValue(_invalid(value, name))
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        special = _SPECIAL_IN.get(value.strip().lower())
        if special is not None:
            return special
        try:
            return float(value)
        except ValueError:
            pass
    raise InvalidParameterValue(_invalid(value, name))


def _invalid(value: Any, name: str) -> str:
    return (
        f"Invalid value {orjson.dumps(value).decode() if _jsonable(value) else value!r} "
        f"for parameter '{name}' supplied: expected a number (type was '{type(value).__name__}')."
    )


def _jsonable(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool, list, dict)) or value is None
