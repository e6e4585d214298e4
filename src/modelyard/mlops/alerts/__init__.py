"""Alerts: rules on monitor and endpoint metrics, states OK -> TRIGGERED -> RESOLVED, and
actions (webhook, Slack-compatible webhook, e-mail over SMTP, a job run: the retraining trigger).

Rules, their state history and notifications live in the tracking database
(:mod:`modelyard.store.alerts`). A rule is evaluated after each refresh of its monitor, on a
schedule inside ``modelyard server``, and on demand (:func:`evaluate_alerts`); notifications are
queued and delivered off the evaluation's path with retries. See ``docs/alerts.md``.
"""

from __future__ import annotations

from modelyard.mlops.alerts.api import (
    create_alert,
    delete_alert,
    deliver_notifications,
    evaluate_alerts,
    get_alert,
    get_alert_history,
    list_alerts,
    list_notifications,
    update_alert,
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
    "update_alert",
]
