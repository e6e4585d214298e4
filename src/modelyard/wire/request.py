"""Typed access to the fields of an MLflow REST request.

One :class:`WireArgs` wraps either a JSON body (POST, PATCH, DELETE) or the query string of a
GET (repeated keys are lists, everything arrives as a string). Field names are snake_case; the
lowerCamel spelling is accepted too, but a request that spells one field both ways is rejected.
Every problem is an :class:`~modelyard.errors.InvalidParameterValue` (HTTP 400) with the message
shapes MLflow clients match on: ``Missing value for required parameter 'x'`` and
``Invalid value … for parameter 'x'``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any, Literal, TypeVar, overload

import orjson

from modelyard.errors import InvalidParameterValue
from modelyard.wire._json import double_from_json, loads

__all__ = [
    "WireArgs",
    "camel_case",
    "invalid_value",
    "missing_value",
    "parse_json_body",
]

T = TypeVar("T")
_MISSING: Any = object()
# Builtin names for annotations inside WireArgs, whose methods are named str/int/bool.
_Str = str
_Int = int
_Bool = bool
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


@lru_cache(maxsize=512)
def camel_case(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def missing_value(name: str) -> InvalidParameterValue:
    return InvalidParameterValue(
        f"Missing value for required parameter '{name}'. "
        "Check the API reference for the fields of this request."
    )


def invalid_value(value: Any, name: str, expected: str | None = None) -> InvalidParameterValue:
    try:
        shown = orjson.dumps(value).decode()
    except TypeError:
        shown = repr(value)
    hint = f" Expected {expected}," if expected else ""
    return InvalidParameterValue(
        f"Invalid value {shown} for parameter '{name}' supplied.{hint} "
        f"got a value of type '{type(value).__name__}'."
    )


def parse_json_body(body: bytes) -> dict[str, Any]:
    """Decode a request body: empty means ``{}``; a JSON string holding JSON is decoded twice
    (old clients); anything but an object is a 400."""
    if not body or not body.strip():
        return {}
    data = loads(body)
    if isinstance(data, str):
        data = loads(data) if data.strip() else {}
    if not isinstance(data, dict):
        raise InvalidParameterValue("The request body must be a JSON object.")
    return data


class WireArgs:
    """Fields of one request. Build with :meth:`from_json` or :meth:`from_query`."""

    __slots__ = ("_data", "_from_query")

    def __init__(self, data: Mapping[_Str, Any], from_query: _Bool = False) -> None:
        self._data = data
        self._from_query = from_query

    @classmethod
    def from_json(cls, data: Mapping[_Str, Any]) -> WireArgs:
        return cls(data, from_query=False)

    @classmethod
    def from_query(cls, items: Iterable[tuple[_Str, _Str]]) -> WireArgs:
        data: dict[_Str, Any] = {}
        for key, value in items:
            prev = data.get(key, _MISSING)
            if prev is _MISSING:
                data[key] = value
            elif isinstance(prev, list):
                prev.append(value)
            else:
                data[key] = [prev, value]
        return cls(data, from_query=True)

    @property
    def from_query_string(self) -> _Bool:
        return self._from_query

    def raw(self) -> Mapping[_Str, Any]:
        return self._data

    # ------------------------------------------------------------------ lookup
    def get_raw(self, name: _Str) -> Any:
        """The raw value under the snake_case or lowerCamel name, or ``None``."""
        data = self._data
        value = data.get(name, _MISSING)
        camel = camel_case(name)
        if camel != name:
            other = data.get(camel, _MISSING)
            if other is not _MISSING:
                if value is not _MISSING:
                    raise InvalidParameterValue(
                        f"Field '{name}' is given twice (as '{name}' and '{camel}')."
                    )
                value = other
        return None if value is _MISSING else value

    def __contains__(self, name: _Str) -> _Bool:
        return self.get_raw(name) is not None

    def _scalar(self, name: _Str) -> Any:
        value = self.get_raw(name)
        if self._from_query and isinstance(value, list):
            value = value[-1]
        return value

    # ------------------------------------------------------------------ scalars
    @overload
    def str(self, name: _Str, required: _Bool = ..., *, default: _Str) -> _Str: ...
    @overload
    def str(self, name: _Str, required: _Bool = ..., default: None = ...) -> _Str | None: ...
    def str(self, name: _Str, required: _Bool = False, default: _Str | None = None) -> _Str | None:
        value = self._scalar(name)
        if value is None:
            if required:
                raise missing_value(name)
            return default
        if not isinstance(value, str):
            raise invalid_value(value, name, "a string")
        if required and value == "":
            raise missing_value(name)
        return value

    def req_str(self, name: _Str) -> _Str:
        value = self.str(name, required=True)
        assert value is not None
        return value

    @overload
    def int(
        self,
        name: _Str,
        required: _Bool = ...,
        *,
        default: _Int,
        minimum: _Int | None = ...,
        maximum: _Int | None = ...,
    ) -> _Int: ...
    @overload
    def int(
        self,
        name: _Str,
        required: _Bool = ...,
        default: None = ...,
        minimum: _Int | None = ...,
        maximum: _Int | None = ...,
    ) -> _Int | None: ...
    def int(
        self,
        name: _Str,
        required: _Bool = False,
        default: _Int | None = None,
        minimum: _Int | None = None,
        maximum: _Int | None = None,
    ) -> _Int | None:
        value = self._scalar(name)
        if value is None:
            if required:
                raise missing_value(name)
            return default
        if isinstance(value, bool):
            raise invalid_value(value, name, "an integer")
        if isinstance(value, int):
            result = value
        elif isinstance(value, float) and value.is_integer():
            result = int(value)
        elif isinstance(value, str):
            try:
                result = int(value.strip())
            except ValueError:
                raise invalid_value(value, name, "an integer") from None
        else:
            raise invalid_value(value, name, "an integer")
        if not _INT64_MIN <= result <= _INT64_MAX:
            raise invalid_value(value, name, "a 64-bit integer")
        if (minimum is not None and result < minimum) or (maximum is not None and result > maximum):
            raise invalid_value(value, name, f"an integer in [{minimum}, {maximum}]")
        return result

    def req_int(self, name: _Str, minimum: _Int | None = None, maximum: _Int | None = None) -> _Int:
        value = self.int(name, required=True, minimum=minimum, maximum=maximum)
        assert value is not None
        return value

    def req_double(self, name: _Str) -> float:
        value = self.double(name, required=True)
        assert value is not None
        return value

    def double(self, name: _Str, required: _Bool = False) -> float | None:
        value = self._scalar(name)
        if value is None:
            if required:
                raise missing_value(name)
            return None
        try:
            return double_from_json(value, name)
        except InvalidParameterValue:
            raise invalid_value(value, name, "a number") from None

    def bool(self, name: _Str, default: _Bool = False) -> _Bool:
        value = self._scalar(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            lowered = value.strip().lower()
            if lowered == "true":
                return True
            if lowered == "false":
                return False
        raise invalid_value(value, name, "true or false")

    @overload
    def enum(self, name: _Str, coerce: Callable[[Any], T], default: T) -> T: ...
    @overload
    def enum(self, name: _Str, coerce: Callable[[Any], T], default: None = ...) -> T | None: ...
    def enum(self, name: _Str, coerce: Callable[[Any], T], default: T | None = None) -> T | None:
        """An enum given by name or number; ``coerce`` maps it (and raises on bad input)."""
        value = self._scalar(name)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise invalid_value(value, name, "an enum name or number")
        try:
            return coerce(value)
        except InvalidParameterValue:
            raise invalid_value(value, name, "a valid enum name or number") from None

    # ------------------------------------------------------------------ lists
    def str_list(self, name: _Str, required: _Bool = False) -> list[_Str]:
        value = self.get_raw(name)
        if value is None:
            if required:
                raise missing_value(name)
            return []
        if self._from_query and isinstance(value, str):
            return [value]
        if not isinstance(value, list):
            raise invalid_value(value, name, "a list")
        out: list[_Str] = []
        for item in value:
            if isinstance(item, str):
                out.append(item)
            elif isinstance(item, int) and not isinstance(item, bool):
                out.append(str(item))
            else:
                raise invalid_value(value, name, "a list of strings")
        if required and not out:
            raise missing_value(name)
        return out

    def obj_list(self, name: _Str, required: _Bool = False) -> list[WireArgs]:
        """A repeated message field: each element wrapped as :class:`WireArgs`."""
        value = self.get_raw(name)
        if value is None:
            if required:
                raise missing_value(name)
            return []
        if self._from_query and isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise invalid_value(value, name, "a list of objects")
        out: list[WireArgs] = []
        for item in value:
            if self._from_query and isinstance(item, str):
                item = loads(item)
            if not isinstance(item, dict):
                raise invalid_value(value, name, "a list of objects")
            out.append(WireArgs(item))
        return out

    def obj(self, name: _Str, required: _Bool = False) -> WireArgs | None:
        value = self.get_raw(name)
        if value is None:
            if required:
                raise missing_value(name)
            return None
        if self._from_query and isinstance(value, str):
            value = loads(value)
        if not isinstance(value, dict):
            raise invalid_value(value, name, "an object")
        return WireArgs(value)

    def key_values(self, name: _Str) -> list[tuple[_Str, _Str]]:
        """``[{key, value}]`` pairs (tags, params). A missing value is the empty string."""
        pairs: list[tuple[_Str, _Str]] = []
        for entry in self.obj_list(name):
            key = entry.str("key", required=True)
            value = entry.get_raw("value")
            if value is None:
                value = ""
            elif not isinstance(value, str):
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    value = str(value)
                else:
                    raise invalid_value(value, f"{name}.value", "a string")
            assert key is not None
            pairs.append((key, value))
        return pairs

    # ------------------------------------------------------------------ ids
    @overload
    def run_id(self, required: Literal[True] = ...) -> _Str: ...
    @overload
    def run_id(self, required: _Bool) -> _Str | None: ...
    def run_id(self, required: _Bool = True) -> _Str | None:
        """``run_id``, else the deprecated ``run_uuid`` (clients send both)."""
        value = self.str("run_id")
        if not value:
            value = self.str("run_uuid")
        if not value and required:
            raise missing_value("run_id")
        return value or None
