"""The Python API of alerts, on a tracking database URI (SQLite or PostgreSQL).

Every function takes ``tracking_uri`` (default: the current tracking URI): a database URI
(SQLite or PostgreSQL) works on the database; a server URL (``http(s)://``) calls the server's
REST API, ``/api/2.0/modelyard/alerts/...`` (then monitors, endpoints and deliveries are the
server's: ``monitors_root`` and ``serving_home`` do not apply). Answers are plain dicts, the
same shapes as the REST API (secrets never included).
"""

from __future__ import annotations

import atexit
import threading
from typing import Any

from modelyard.mlops.alerts.engine import Context
from modelyard.mlops.alerts.rest_client import AlertsRest
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
    from modelyard.utils.uris import absolute_tracking_uri

    return absolute_tracking_uri(tracking_uri or get_tracking_uri())


def _rest(tracking_uri: str | None) -> AlertsRest | None:
    from modelyard.client.fluent import get_tracking_uri

    uri = tracking_uri or get_tracking_uri()
    return AlertsRest(uri) if uri.startswith(("http://", "https://")) else None


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
    rest = _rest(tracking_uri)
    if rest is not None:
        body = {
            "name": name,
            "condition": condition,
            "actions": actions,
            "cooldown_seconds": cooldown_seconds,
            "enabled": enabled,
            "notify_on_resolve": notify_on_resolve,
            "description": description,
        }
        return dict(rest.call("POST", "create", body)["alert"])
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
    rest = _rest(tracking_uri)
    if rest is not None:
        return dict(rest.call("GET", "get", {"alert": alert})["alert"])
    return rule_to_dict(service_for(tracking_uri).resolve(alert))


def list_alerts(
    monitor: str | None = None, *, max_results: int = 100, tracking_uri: str | None = None
) -> list[dict[str, Any]]:
    rest = _rest(tracking_uri)
    if rest is not None:
        body = {"monitor": monitor, "max_results": max_results}
        return list(rest.call("GET", "list", body)["alerts"])
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
    rest = _rest(tracking_uri)
    if rest is not None:
        return dict(rest.call("POST", "update", {"alert": alert, **fields})["alert"])
    service = service_for(tracking_uri, monitors_root=monitors_root)
    return rule_to_dict(service.update(alert, **fields))


def delete_alert(alert: str, *, tracking_uri: str | None = None) -> None:
    """Delete a rule with its history and notifications."""
    rest = _rest(tracking_uri)
    if rest is not None:
        rest.call("POST", "delete", {"alert": alert})
        return
    service_for(tracking_uri).delete(alert)


def get_alert_history(
    alert: str, *, max_results: int = 100, tracking_uri: str | None = None
) -> list[dict[str, Any]]:
    """The rule's state changes, newest first, with their evidence."""
    rest = _rest(tracking_uri)
    if rest is not None:
        body = {"alert": alert, "max_results": max_results}
        return list(rest.call("GET", "history", body)["events"])
    return [event_to_dict(e) for e in service_for(tracking_uri).history(alert, max_results)]


def list_notifications(
    alert: str | None = None,
    *,
    status: str | None = None,
    max_results: int = 100,
    tracking_uri: str | None = None,
) -> list[dict[str, Any]]:
    """Notifications (channel messages and job runs) with status, attempts, result, error."""
    rest = _rest(tracking_uri)
    if rest is not None:
        body = {"alert": alert, "status": status, "max_results": max_results}
        return list(rest.call("GET", "notifications", body)["notifications"])
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
    sends whatever is left). On a server the server evaluates and delivers."""
    rest = _rest(tracking_uri)
    if rest is not None:
        body = {"monitor": monitor, "alert": alert}
        return list(rest.call("POST", "evaluate", body)["evaluations"])
    service = service_for(tracking_uri, monitors_root=monitors_root, serving_home=serving_home)
    out = service.evaluate(alert, monitor)
    if deliver and any(r.get("notifications") for r in out):
        deliver_in_background(service)
    return out


def deliver_notifications(*, tracking_uri: str | None = None, timeout: float = 60.0) -> int:
    """Send the pending notifications now (retries included) until none is pending or
    ``timeout`` passes; returns how many are still pending. On a server its dispatcher
    sends them: this waits up to ``timeout`` for none to be pending."""
    import time

    from modelyard.mlops.alerts.dispatcher import Dispatcher

    rest = _rest(tracking_uri)
    if rest is not None:
        deadline = time.monotonic() + timeout
        while True:
            pending = len(list_notifications(status="PENDING", tracking_uri=tracking_uri))
            if pending == 0 or time.monotonic() > deadline:
                return pending
            time.sleep(0.2)

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
