"""Import a model class named in an MLmodel file, only from an allowed package."""

from __future__ import annotations

import importlib
from typing import Any

from modelyard.errors import InvalidParameterValue

__all__ = ["class_from_name", "qualified_name"]


def qualified_name(obj: Any) -> str:
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def class_from_name(name: str, allowed_package: str) -> type:
    """The class ``name`` (``package.module.Class``); refuses names outside ``allowed_package``
    because the name comes from a file."""
    if not isinstance(name, str) or not name.startswith(f"{allowed_package}."):
        raise InvalidParameterValue(
            f"Field 'model_class' must name a class of {allowed_package!r}, got {name!r}"
        )
    module_name, _, attr = name.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError):
        raise InvalidParameterValue(
            f"Unknown model class {name!r} in field 'model_class'"
        ) from None
    if not isinstance(cls, type):
        raise InvalidParameterValue(f"Field 'model_class' {name!r} is not a class")
    return cls
