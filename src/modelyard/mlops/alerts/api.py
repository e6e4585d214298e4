"""The Python API of alerts, on a tracking database URI (SQLite or PostgreSQL).

Every function takes ``tracking_uri`` (default: the current tracking URI, which must be a
database; against a server use its REST API, ``/api/2.0/modelyard/alerts/...``) and returns
plain dicts, the same shapes as the REST API (secrets never included).
"""

from __future__ import annotations

import atexit
import threading
from typing import Any

from modelyard.mlops.alerts.engine import Context
from modelyard.mlops.alerts.service import (
    AlertService,
    event_to_dict,
    notification_to_dict,
    rule_to_dict,
)

__all__ = [
    "create_alert",
    "delete_alert",
    "deliver_notifications",
    "evaluate_alerts",
    "get_alert",
    "get_alert_history",
    "list_alerts",
    "list_notifications",
    "service_for",
    "update_alert",
]


def _db_uri(tracking_uri: str | None) -> str:
    from modelyard.client.fluent import get_tracking_uri
    from modelyard.projects.runner import absolute_tracking_uri

    return absolute_tracking_uri(tracking_uri or get_tracking_uri())


def service_for(
    tracking_uri: str | None = None,
    *,
    monitors_root: str | None = None,
    serving_home: str | None = None,
) -> AlertService:
    from modelyard.store.alerts import get_alert_store

    uri = _db_uri(tracking_uri)
    ctx = Context(db_uri=uri, monitors_root=monitors_root, serving_home=serving_home)
    return AlertService(get_alert_store(uri), ctx)


def create_alert(
    name: str,
    condition: dict[str, Any],
    actions: list[dict[str, Any]] | None = None,
    *,
    cooldown_seconds: int = 3600,
    enabled: bool = True,
    notify_on_resolve: bool = True,
    description: str | None = None,
    tracking_uri: str | None = None,
    monitors_root: str | None = None,
) -> dict[str, Any]:
    """Create a rule (see :mod:`modelyard.mlops.alerts.spec` for conditions and actions)."""
    service = service_for(tracking_uri, monitors_root=monitors_root)
    rule = service.create(
        name,
        condition,
        actions,
        cooldown_seconds=cooldown_seconds,
        enabled=enabled,
        description=description,
        notify_on_resolve=notify_on_resolve,
    )
    return rule_to_dict(rule)


def get_alert(alert: str, *, tracking_uri: str | None = None) -> dict[str, Any]:
    """A rule by id or name, with its state (``OK``, ``TRIGGERED``, ``RESOLVED``)."""
    return rule_to_dict(service_for(tracking_uri).resolve(alert))


def list_alerts(
    monitor: str | None = None, *, max_results: int = 100, tracking_uri: str | None = None
) -> list[dict[str, Any]]:
    return [rule_to_dict(r) for r in service_for(tracking_uri).list_rules(monitor, max_results)]


def update_alert(
    alert: str,
    *,
    tracking_uri: str | None = None,
    monitors_root: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """Change ``name``, ``condition`` (the rule starts again from OK), ``actions``,
    ``cooldown_seconds``, ``enabled``, ``notify_on_resolve`` or ``description``."""
    service = service_for(tracking_uri, monitors_root=monitors_root)
    return rule_to_dict(service.update(alert, **fields))


def delete_alert(alert: str, *, tracking_uri: str | None = None) -> None:
    """Delete a rule with its history and notifications."""
    service_for(tracking_uri).delete(alert)


def get_alert_history(
    alert: str, *, max_results: int = 100, tracking_uri: str | None = None
) -> list[dict[str, Any]]:
    """The rule's state changes, newest first, with their evidence."""
    return [event_to_dict(e) for e in service_for(tracking_uri).history(alert, max_results)]


def list_notifications(
    alert: str | None = None,
    *,
    status: str | None = None,
    max_results: int = 100,
    tracking_uri: str | None = None,
) -> list[dict[str, Any]]:
    """Notifications (channel messages and job runs) with status, attempts, result, error."""
    service = service_for(tracking_uri)
    return [notification_to_dict(n) for n in service.notifications(alert, status, max_results)]


def evaluate_alerts(
    monitor: str | None = None,
    *,
    alert: str | None = None,
    tracking_uri: str | None = None,
    monitors_root: str | None = None,
    serving_home: str | None = None,
    deliver: bool = True,
) -> list[dict[str, Any]]:
    """Evaluate one rule, the rules of ``monitor``, or every enabled rule, on the windows that
    are new since the last evaluation (idempotent per window). The notifications are queued;
    with ``deliver`` a background thread of this process sends them (the server's dispatcher
    sends whatever is left)."""
    service = service_for(tracking_uri, monitors_root=monitors_root, serving_home=serving_home)
    out = service.evaluate(alert, monitor)
    if deliver and any(r.get("notifications") for r in out):
        deliver_in_background(service)
    return out


def deliver_notifications(*, tracking_uri: str | None = None, timeout: float = 60.0) -> int:
    """Send the pending notifications now (retries included) until none is pending or
    ``timeout`` passes; returns how many are still pending."""
    from modelyard.mlops.alerts.dispatcher import Dispatcher

    service = service_for(tracking_uri)
    return Dispatcher(service.store, service.ctx.db_uri).drain(timeout)


# ---------------------------------------------------------------- background delivery
_threads: dict[str, threading.Thread] = {}
_lock = threading.Lock()
_EXIT_WAIT_S = 30.0


def deliver_in_background(service: AlertService) -> None:
    """One delivery thread per database in this process; at exit it gets a bounded wait.
    What it has not sent stays PENDING in the database (sent by the next dispatcher)."""
    from modelyard.mlops.alerts.dispatcher import Dispatcher

    uri = service.ctx.db_uri
    with _lock:
        running = _threads.get(uri)
        if running is not None and running.is_alive():
            return
        dispatcher = Dispatcher(service.store, uri)
        thread = threading.Thread(target=dispatcher.drain, name="alert-delivery", daemon=True)
        _threads[uri] = thread
        thread.start()


def _join_at_exit() -> None:
    for thread in list(_threads.values()):
        thread.join(_EXIT_WAIT_S)


atexit.register(_join_at_exit)
