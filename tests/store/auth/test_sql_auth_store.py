"""The auth contract suite on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from modelyard.store.auth.sql import SqlAuthStore
from modelyard.testing.auth_contract import AuthStoreContract


class TestSqliteAuthStore(AuthStoreContract):
    @pytest.fixture
    def auth_store(self, sqlite_uri: str) -> SqlAuthStore:
        return SqlAuthStore(sqlite_uri)


@pytest.fixture(scope="module")
def pg_auth_uri(make_pg_database) -> str:  # type: ignore[no-untyped-def]
    return make_pg_database()


@pytest.mark.postgres
class TestPostgresAuthStore(AuthStoreContract):
    @pytest.fixture
    def auth_store(self, pg_auth_uri: str) -> SqlAuthStore:
        store = SqlAuthStore(pg_auth_uri)
        with store.engine.begin() as conn:  # one database for the class, emptied per test
            conn.exec_driver_sql(
                "TRUNCATE auth_users, auth_tokens, auth_permissions, auth_audit, auth_settings "
                "RESTART IDENTITY"
            )
        return store
