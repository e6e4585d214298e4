"""The alerts store (rules, state history, notifications) in the tracking database.

``get_alert_store(db_uri)`` gives the SQL implementation (SQLite or PostgreSQL, migration
0008); :mod:`modelyard.mlops.alerts` holds the rules, the evaluation and the dispatcher.
"""

from __future__ import annotations

from modelyard.store.alerts.base import (
    ALERT_STATES,
    NOTIFICATION_STATES,
    AlertEvent,
    AlertRule,
    AlertStore,
    Notification,
)

__all__ = [
    "ALERT_STATES",
    "NOTIFICATION_STATES",
    "AlertEvent",
    "AlertRule",
    "AlertStore",
    "Notification",
    "get_alert_store",
]


def get_alert_store(db_uri: str) -> AlertStore:
    """The alerts store of a SQL database URI."""
    from modelyard.errors import InvalidParameterValue
    from modelyard.store.sql.engine import is_sql_uri

    if not is_sql_uri(db_uri):
        raise InvalidParameterValue(
            f"Alerts live in a SQL database; {db_uri!r} is not a database URI "
            "(use the REST API of the server for remote alerts)."
        )
    from modelyard.store.alerts.sql import SqlAlertStore

    return SqlAlertStore(db_uri)
