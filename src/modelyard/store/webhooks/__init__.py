"""The webhooks store (definitions and the delivery outbox) in the tracking database.

``get_webhook_store(db_uri)`` gives the SQL implementation (SQLite or PostgreSQL, migration
0005); :mod:`modelyard.services.webhooks` holds the rules and the delivery worker.
"""

from __future__ import annotations

from modelyard.store.webhooks.base import DELIVERY_STATES, Delivery, Webhook, WebhookStore

__all__ = ["DELIVERY_STATES", "Delivery", "Webhook", "WebhookStore", "get_webhook_store"]


def get_webhook_store(db_uri: str) -> WebhookStore:
    """The webhooks store of a SQL database URI."""
    from modelyard.errors import InvalidParameterValue
    from modelyard.store.sql.engine import is_sql_uri

    if not is_sql_uri(db_uri):
        raise InvalidParameterValue(
            f"Webhooks live in a SQL database; {db_uri!r} is not a database URI "
            "(use the REST API of the server for remote webhooks)."
        )
    from modelyard.store.webhooks.sql import SqlWebhookStore

    return SqlWebhookStore(db_uri)
