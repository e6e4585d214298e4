"""What runs after a monitor refresh: listeners of this process, and features loaded by name.

Features above this layer that react to refreshes (the alerts of :mod:`modelyard.mlops`) are
listed by module name in :data:`REFRESH_HOOK_MODULES` and imported on the first refresh that
processed a window, as ``modelyard.models`` resolves the evaluation names, so this package does
not import the layer above it. Each such module exposes ``on_refresh(monitor, result)``. A
failing listener is logged and never fails the refresh (its windows are committed already).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import Any

__all__ = ["REFRESH_HOOK_MODULES", "add_refresh_listener", "refreshed", "remove_refresh_listener"]

_log = logging.getLogger(__name__)

#: modules with ``on_refresh(monitor, result)``, called after every refresh that processed windows
REFRESH_HOOK_MODULES: tuple[str, ...] = ("modelyard.mlops.alerts.on_refresh",)

Listener = Callable[[Any, dict[str, Any]], None]
_listeners: list[Listener] = []


def add_refresh_listener(listener: Listener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def remove_refresh_listener(listener: Listener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def refreshed(monitor: Any, result: dict[str, Any]) -> None:
    """Call the hook modules and the listeners with the refreshed monitor and its result."""
    if not result.get("processed"):
        return
    calls: list[Listener] = []
    for name in REFRESH_HOOK_MODULES:
        try:
            calls.append(importlib.import_module(name).on_refresh)
        except ImportError:
            _log.exception("refresh hook module %s cannot be imported", name)
    for call in [*calls, *_listeners]:
        try:
            call(monitor, result)
        except Exception:
            _log.exception("a refresh listener failed for monitor %s", monitor.name)
