"""The registry contract on SQLite and PostgreSQL, plus SQL-specific checks."""

from __future__ import annotations

import threading

import pytest

from modelyard.store.registry.sql import SqlRegistryStore
from modelyard.testing.registry_contract import RegistryStoreContract


class TestSqliteRegistryStore(RegistryStoreContract):
    @pytest.fixture
    def store(self, sqlite_uri: str) -> SqlRegistryStore:
        return SqlRegistryStore(sqlite_uri)


@pytest.mark.postgres
class TestPostgresRegistryStore(RegistryStoreContract):
    @pytest.fixture
    def store(self, pg_database_uri: str) -> SqlRegistryStore:
        return SqlRegistryStore(pg_database_uri)


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_concurrent_version_creation_gives_distinct_numbers(request, backend: str) -> None:
    uri = request.getfixturevalue("sqlite_uri" if backend == "sqlite" else "pg_database_uri")
    store = SqlRegistryStore(uri)
    name = f"concurrent-{backend}-{threading.get_ident()}-{id(store)}"
    store.create_registered_model(name)
    versions: list[str] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(5):
                versions.append(store.create_model_version(name, "runs:/r/model", "r").version)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(int(v) for v in versions) == list(range(1, 21))


def test_audit_user_from_env(sqlite_uri: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELYARD_USER", "alice")
    store = SqlRegistryStore(sqlite_uri)
    store.create_registered_model("audited")
    store.create_model_version("audited", "runs:/r/model", "r")
    store.transition_model_version_stage("audited", 1, "Staging", False)
    (entry,) = store.get_model_history("audited")
    assert entry.user_id == "alice"
    assert (entry.from_value, entry.to_value) == ("None", "Staging")
