"""The alerts store contract suite on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from modelyard.store.alerts.sql import SqlAlertStore
from modelyard.testing.alerts_contract import AlertStoreContract


class TestSqliteAlertStore(AlertStoreContract):
    @pytest.fixture
    def alert_store(self, sqlite_uri: str) -> SqlAlertStore:
        return SqlAlertStore(sqlite_uri)


@pytest.fixture(scope="module")
def pg_alerts_uri(make_pg_database) -> str:  # type: ignore[no-untyped-def]
    return make_pg_database()


@pytest.mark.postgres
class TestPostgresAlertStore(AlertStoreContract):
    @pytest.fixture
    def alert_store(self, pg_alerts_uri: str) -> SqlAlertStore:
        store = SqlAlertStore(pg_alerts_uri)
        with store.engine.begin() as conn:  # one database for the class, emptied per test
            conn.exec_driver_sql("TRUNCATE alert_notifications, alert_events, alert_rules")
        return store
