"""Pick a registry store by URI scheme, importing the backend only when it is used.

* ``sqlite:``, ``postgresql:``/``postgres:`` (any ``+driver``) ->
  :class:`~modelyard.store.registry.sql.SqlRegistryStore`
* ``http:``/``https:`` -> :class:`~modelyard.store.registry.rest.RestRegistryStore`
* any other scheme: a factory ``factory(uri)`` added with :func:`register_registry_store_scheme`
  or named in the entry-point group ``modelyard.registry_store``.
"""

from __future__ import annotations

from collections.abc import Callable

from modelyard.errors import InvalidParameterValue
from modelyard.store._schemes import SQL_SCHEMES, SchemeRegistry, scheme_of
from modelyard.store.registry.base import RegistryStore

__all__ = ["ENTRY_POINT_GROUP", "get_registry_store", "register_registry_store_scheme"]

ENTRY_POINT_GROUP = "modelyard.registry_store"

_SQL = "modelyard.store.registry.sql:SqlRegistryStore"
_REST = "modelyard.store.registry.rest:RestRegistryStore"

_SCHEMES = SchemeRegistry(
    ENTRY_POINT_GROUP, {**dict.fromkeys(SQL_SCHEMES, _SQL), "http": _REST, "https": _REST}
)


def register_registry_store_scheme(scheme: str, factory: Callable[[str], RegistryStore]) -> None:
    """Serve ``scheme://...`` registry URIs with ``factory(uri)``."""
    _SCHEMES.register(scheme, factory)


def get_registry_store(uri: str) -> RegistryStore:
    """A registry store for ``uri``."""
    scheme = scheme_of(uri) if isinstance(uri, str) else ""
    if not scheme:
        raise InvalidParameterValue(
            f"Invalid registry URI {uri!r} (field 'registry_uri'): expected a database URI "
            "(sqlite:///..., postgresql://...) or an http(s):// server address."
        )
    target = _SCHEMES.resolve(scheme)
    if target is None:
        raise InvalidParameterValue(
            f"Unsupported registry URI scheme '{scheme}' in {uri!r} (field 'registry_uri'). "
            f"Supported: {', '.join(_SCHEMES.schemes())}, or a plugin in the "
            f"'{ENTRY_POINT_GROUP}' entry-point group."
        )
    store: RegistryStore = target(uri)
    return store
