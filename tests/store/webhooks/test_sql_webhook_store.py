"""The webhooks store contract suite on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from modelyard.store.webhooks.sql import SqlWebhookStore
from modelyard.testing.webhooks_contract import WebhookStoreContract


class TestSqliteWebhookStore(WebhookStoreContract):
    @pytest.fixture
    def webhook_store(self, sqlite_uri: str) -> SqlWebhookStore:
        return SqlWebhookStore(sqlite_uri)


@pytest.fixture(scope="module")
def pg_webhooks_uri(make_pg_database) -> str:  # type: ignore[no-untyped-def]
    return make_pg_database()


@pytest.mark.postgres
class TestPostgresWebhookStore(WebhookStoreContract):
    @pytest.fixture
    def webhook_store(self, pg_webhooks_uri: str) -> SqlWebhookStore:
        store = SqlWebhookStore(pg_webhooks_uri)
        with store.engine.begin() as conn:  # one database for the class, emptied per test
            conn.exec_driver_sql("TRUNCATE webhook_deliveries, webhooks")
        return store
