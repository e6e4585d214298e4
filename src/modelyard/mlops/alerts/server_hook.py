"""Alerts inside ``modelyard server``: evaluation on a schedule and after refreshes, delivery.

Started with the app (by name, as the jobs scheduler) in every worker: a dispatcher thread
that sends the queued notifications, and an evaluator thread that evaluates every enabled rule
every ``MODELYARD_ALERTS_EVAL_SECONDS`` (default 60; endpoint rules have no refresh to follow).
Refreshes made through this server evaluate their monitor's rules at once. Workers share the
work through the database: an evaluation is recorded once (conditional on the rule's
version) and a notification is sent by the worker that claims it. ``MODELYARD_ALERTS=0``
turns both threads off (nothing is evaluated or sent by this server then).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from modelyard.mlops.alerts.service import AlertService

__all__ = ["server_service", "start"]

_log = logging.getLogger(__name__)


def server_service(config: Any) -> AlertService:
    """The alert service of the server ``config`` (a SQL tracking store): rules in its tracking
    database, ``monitor.alert`` webhook events into its registry database."""
    from modelyard.mlops.alerts.engine import Context
    from modelyard.mlops.alerts.service import AlertService
    from modelyard.store.alerts import get_alert_store

    db_uri = str(config.backend_store_uri)
    ctx = Context(db_uri=db_uri, webhooks_uri=str(config.registry_store_uri or db_uri))
    return AlertService(get_alert_store(db_uri), ctx)


def start(config: Any) -> Callable[[], None]:
    """Start the alert threads for the server ``config``; returns the function that stops them."""
    from modelyard import settings
    from modelyard.store.sql.engine import is_sql_uri

    db_uri = str(config.backend_store_uri)
    if not settings.env_flag("MODELYARD_ALERTS", True) or not is_sql_uri(db_uri):
        return lambda: None
    from modelyard.mlops.alerts import on_refresh
    from modelyard.mlops.alerts.dispatcher import Dispatcher

    service = server_service(config)
    dispatcher = Dispatcher(service.store, db_uri).start()
    on_refresh.set_process_context(service.ctx)
    on_refresh.set_wake(dispatcher.notify)
    every = float(max(1, settings.env_int("MODELYARD_ALERTS_EVAL_SECONDS", 60)))
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(every):
            try:
                if any(r.get("notifications") for r in service.evaluate(raise_errors=False)):
                    dispatcher.notify()
            except Exception:  # the database may be briefly unavailable; try again later
                _log.exception("scheduled alert evaluation failed")

    thread = threading.Thread(target=loop, name="alert-evaluator", daemon=True)
    thread.start()

    def stop_all() -> None:
        stop.set()
        on_refresh.set_wake(None)
        on_refresh.set_process_context(None)
        thread.join(3.0)
        dispatcher.stop()

    return stop_all
