"""Pick a tracking store by URI scheme, importing the backend only when it is used.

* ``sqlite:``, ``postgresql:`` (any ``+driver``), ``postgres:`` ->
  :class:`~modelyard.store.tracking.sql.SqlTrackingStore` with the artifact root
  ``artifact_root`` or :func:`modelyard.settings.default_artifact_root`;
* ``http:``/``https:`` -> :class:`~modelyard.store.tracking.rest.RestTrackingStore`;
* any other scheme: a plugin registered in the entry-point group ``modelyard.tracking_store``
  (the entry point names the scheme and loads a factory called as ``factory(uri)`` or
  ``factory(uri, artifact_root)`` when a root is given), or one added at run time with
  :func:`register_tracking_store_scheme`.

Stores are cached per ``(uri, artifact_root)``: a SQL store owns a connection pool and checks
the schema once, so building one per call would be wasteful.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from modelyard.errors import InvalidParameterValue
from modelyard.store._schemes import SQL_SCHEMES, SchemeRegistry, scheme_of
from modelyard.store.tracking.base import TrackingStore

__all__ = [
    "ENTRY_POINT_GROUP",
    "clear_tracking_store_cache",
    "get_tracking_store",
    "register_tracking_store_scheme",
]

ENTRY_POINT_GROUP = "modelyard.tracking_store"

_SQL = "modelyard.store.tracking.sql:SqlTrackingStore"
_REST = "modelyard.store.tracking.rest:RestTrackingStore"

_SCHEMES = SchemeRegistry(
    ENTRY_POINT_GROUP, {**dict.fromkeys(SQL_SCHEMES, _SQL), "http": _REST, "https": _REST}
)

_cache: dict[tuple[str, str | None], TrackingStore] = {}
_lock = threading.Lock()


def register_tracking_store_scheme(scheme: str, factory: Callable[..., TrackingStore]) -> None:
    """Serve ``scheme://...`` URIs with ``factory(uri)`` / ``factory(uri, artifact_root)``."""
    _SCHEMES.register(scheme, factory)


def clear_tracking_store_cache() -> None:
    with _lock:
        _cache.clear()


def _scheme_of(uri: str) -> str:
    if not isinstance(uri, str) or not uri.strip():
        raise InvalidParameterValue(
            f"Invalid tracking URI {uri!r} (field 'tracking_uri'): expected a database URI "
            "(sqlite:///path/to/modelyard.db, postgresql://user@host/db) or an http(s):// "
            "server address."
        )
    return scheme_of(uri)


def _no_file_store(uri: str) -> InvalidParameterValue:
    path = uri[len("file:") :].lstrip("/") if uri.startswith("file:") else uri
    return InvalidParameterValue(
        f"Unsupported tracking URI {uri!r} (field 'tracking_uri'): modelyard has no file-based "
        "tracking store. Use a SQLite database instead, e.g. "
        f"'sqlite:///{path.rstrip('/') or 'modelyard'}.db', or an http(s):// server."
    )


def _build(uri: str, scheme: str, artifact_root: str | None) -> TrackingStore:
    target = _SCHEMES.resolve(scheme)
    if target is None:
        raise InvalidParameterValue(
            f"Unsupported tracking URI scheme '{scheme}' in {uri!r} (field "
            f"'tracking_uri'). Supported: {', '.join(_SCHEMES.schemes())}, or a plugin in the "
            f"'{ENTRY_POINT_GROUP}' entry-point group."
        )
    if scheme in SQL_SCHEMES and _SCHEMES.is_builtin(scheme):
        from modelyard.settings import default_artifact_root

        return target(uri, artifact_root or default_artifact_root(uri))
    if artifact_root is None or _SCHEMES.is_builtin(scheme):
        return target(uri)
    return target(uri, artifact_root)


def get_tracking_store(uri: str, artifact_root: str | None = None) -> TrackingStore:
    """The tracking store for ``uri`` (one instance per ``(uri, artifact_root)``)."""
    scheme = _scheme_of(uri)
    if scheme in ("", "file"):
        raise _no_file_store(uri)
    key = (uri, artifact_root)
    store = _cache.get(key)
    if store is not None:
        return store
    with _lock:
        store = _cache.get(key)
        if store is None:
            store = _build(uri, scheme, artifact_root)
            _cache[key] = store
        return store
