"""One registry helper for choosing a store backend by URI scheme, lazily.

The tracking store, the registry store and the artifact repositories each keep a
:class:`SchemeRegistry`: built-in schemes name their backend as a ``"module:attr"`` string (so a
backend and its libraries are imported only when a URI of that scheme is used), other packages add
schemes at run time with :meth:`SchemeRegistry.register` or through an entry-point group (name =
scheme, value = ``"module:attr"``), read once on the first unknown scheme.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Mapping
from importlib.metadata import entry_points
from typing import Any

__all__ = ["SQL_SCHEMES", "SchemeRegistry", "scheme_of"]

#: Database URI schemes (before any ``+driver``) that the SQL stores support: SQLite and
#: PostgreSQL, the two dialects the SQL layer is written and tested for.
SQL_SCHEMES = frozenset({"sqlite", "postgresql", "postgres"})


def scheme_of(uri: str) -> str:
    """The lower-case scheme of ``uri`` without a ``+driver`` suffix; ``""`` for a plain path
    (including a Windows drive such as ``C:\\runs``)."""
    head, sep, _ = uri.partition(":")
    if not sep or len(head) == 1 or "/" in head or "\\" in head:
        return ""
    return head.split("+", 1)[0].lower()


class SchemeRegistry:
    """Scheme -> backend (a class or factory, or a ``"module:attr"`` string resolved on use)."""

    def __init__(self, entry_point_group: str, builtin: Mapping[str, str]) -> None:
        self.entry_point_group = entry_point_group
        self._targets: dict[str, str | Callable[..., Any]] = dict(builtin)
        self._builtin = dict(builtin)
        self._plugins_loaded = False
        self._lock = threading.Lock()

    def register(self, scheme: str, target: str | Callable[..., Any]) -> None:
        """Serve ``scheme`` URIs with ``target`` (replaces a built-in or earlier registration)."""
        with self._lock:
            self._targets[scheme.lower()] = target

    def unregister(self, scheme: str) -> None:
        """Forget a scheme added with :meth:`register` (a built-in comes back)."""
        scheme = scheme.lower()
        with self._lock:
            if scheme in self._builtin:
                self._targets[scheme] = self._builtin[scheme]
            else:
                self._targets.pop(scheme, None)

    def is_builtin(self, scheme: str) -> bool:
        """True while ``scheme`` is served by its built-in backend (not replaced)."""
        return scheme in self._builtin and self._targets.get(scheme) == self._builtin[scheme]

    def schemes(self) -> list[str]:
        return sorted(s for s in self._targets if s)

    def resolve(self, scheme: str) -> Callable[..., Any] | None:
        """The backend for ``scheme``, importing it now; None when no backend serves it."""
        target = self._targets.get(scheme)
        if target is None and not self._plugins_loaded:
            self._load_plugins()
            target = self._targets.get(scheme)
        if target is None:
            return None
        if isinstance(target, str):
            module_name, _, attr = target.partition(":")
            resolved: Callable[..., Any] = getattr(importlib.import_module(module_name), attr)
            return resolved
        return target

    def _load_plugins(self) -> None:
        with self._lock:
            if self._plugins_loaded:
                return
            for ep in entry_points(group=self.entry_point_group):
                self._targets.setdefault(ep.name.lower(), ep.value)
            self._plugins_loaded = True
