"""Alert evaluation after a monitor refresh (called by :mod:`modelyard.monitoring.hooks`).

The rules on the refreshed monitor are evaluated at once on its new windows; their
notifications are queued in the database and sent by a background thread (never on the
refresh's path). Which database: the server's, inside ``modelyard server`` (set by
:mod:`modelyard.mlops.alerts.server_hook`); elsewhere the current tracking URI when it is a
database that exists (a refresh never creates a tracking database as a side effect).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from modelyard.mlops.alerts.engine import Context

__all__ = ["on_refresh", "set_process_context", "set_wake", "wake_dispatcher"]

_process_ctx: Context | None = None
_wake: Callable[[], None] | None = None


def set_process_context(ctx: Context | None) -> None:
    """The database (and folders) this process's refreshes evaluate alerts in."""
    global _process_ctx
    _process_ctx = ctx


def set_wake(wake: Callable[[], None] | None) -> None:
    """The server's dispatcher: woken when an evaluation queued notifications."""
    global _wake
    _wake = wake


def _context(monitor: Any) -> Context | None:
    root = os.path.dirname(monitor.directory)
    if _process_ctx is not None:
        return replace(_process_ctx, monitors_root=root)
    from modelyard.client.fluent import get_tracking_uri
    from modelyard.store.sql.engine import is_sql_uri
    from modelyard.utils.uris import absolute_tracking_uri

    uri = absolute_tracking_uri(get_tracking_uri())
    if not is_sql_uri(uri):
        return None
    if uri.startswith("sqlite:///") and not os.path.isfile(uri[len("sqlite:///") :]):
        return None
    return Context(db_uri=uri, monitors_root=root)


def on_refresh(monitor: Any, result: dict[str, Any]) -> None:
    ctx = _context(monitor)
    if ctx is None:
        return
    from modelyard.mlops.alerts.api import deliver_in_background
    from modelyard.mlops.alerts.service import AlertService
    from modelyard.store.alerts import get_alert_store

    service = AlertService(get_alert_store(ctx.db_uri), ctx)
    out = service.evaluate(monitor=monitor.name, monitor_obj=monitor, raise_errors=False)
    if any(r.get("notifications") for r in out):
        if _process_ctx is not None and _wake is not None:
            _wake()
        else:
            deliver_in_background(service)


def wake_dispatcher() -> None:
    """Wake this server's dispatcher (no-op outside a server)."""
    if _wake is not None:
        _wake()
