"""The jobs contract suite on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from modelyard.store.jobs.sql import SqlJobStore
from modelyard.testing.jobs_contract import JobStoreContract


class TestSqliteJobStore(JobStoreContract):
    @pytest.fixture
    def job_store(self, sqlite_uri: str) -> SqlJobStore:
        return SqlJobStore(sqlite_uri)


@pytest.fixture(scope="module")
def pg_jobs_uri(make_pg_database) -> str:  # type: ignore[no-untyped-def]
    return make_pg_database()


@pytest.mark.postgres
class TestPostgresJobStore(JobStoreContract):
    @pytest.fixture
    def job_store(self, pg_jobs_uri: str) -> SqlJobStore:
        store = SqlJobStore(pg_jobs_uri)
        with store.engine.begin() as conn:  # one database for the class, emptied per test
            conn.exec_driver_sql("TRUNCATE job_runs, jobs RESTART IDENTITY")
        return store
