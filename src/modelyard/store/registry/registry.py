"""Pick a registry store by URI scheme, importing the backend only when it is used.

* ``sqlite:``, ``postgresql:``/``postgres:`` (any ``+driver``), ``mysql:``, ``mssql:`` ->
  :class:`~modelyard.store.registry.sql.SqlRegistryStore`
* ``http:``/``https:`` -> :class:`~modelyard.store.registry.rest.RestRegistryStore`

Other packages may add schemes with :func:`register_registry_store_scheme`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from modelyard.errors import InvalidParameterValue
from modelyard.store.registry.base import RegistryStore

__all__ = ["get_registry_store", "register_registry_store_scheme"]

_SQL = "modelyard.store.registry.sql:SqlRegistryStore"
_REST = "modelyard.store.registry.rest:RestRegistryStore"

#: scheme (before any ``+driver``) -> "module:Class" or a factory taking the URI
_SCHEMES: dict[str, str | Callable[[str], RegistryStore]] = {
    "sqlite": _SQL,
    "postgresql": _SQL,
    "postgres": _SQL,
    "mysql": _SQL,
    "mssql": _SQL,
    "http": _REST,
    "https": _REST,
}


def register_registry_store_scheme(scheme: str, factory: Callable[[str], RegistryStore]) -> None:
    _SCHEMES[scheme.lower()] = factory


def get_registry_store(uri: str) -> RegistryStore:
    if not isinstance(uri, str) or ":" not in uri:
        raise InvalidParameterValue(
            f"Invalid registry URI {uri!r} (field 'registry_uri'): expected a database URI "
            "(sqlite:///..., postgresql://...) or an http(s):// server address."
        )
    scheme = uri.split(":", 1)[0].split("+", 1)[0].lower()
    target = _SCHEMES.get(scheme)
    if target is None:
        raise InvalidParameterValue(
            f"Unsupported registry URI scheme '{scheme}' in {uri!r} (field 'registry_uri'). "
            f"Supported: {', '.join(sorted(_SCHEMES))}."
        )
    if callable(target):
        return target(uri)
    module_name, cls_name = target.split(":")
    cls = getattr(importlib.import_module(module_name), cls_name)
    return cls(uri)
