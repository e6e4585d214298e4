"""get_tracking_store: scheme table, plugins, caching and clear errors for file paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelyard.errors import InvalidParameterValue
from modelyard.store.tracking import registry
from modelyard.store.tracking.registry import (
    get_tracking_store,
    register_tracking_store_scheme,
)
from modelyard.store.tracking.sql import SqlTrackingStore


def test_sqlite_uri_gives_cached_sql_store(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'r.db'}"
    root = (tmp_path / "art").as_uri()
    store = get_tracking_store(uri, artifact_root=root)
    assert isinstance(store, SqlTrackingStore)
    assert store.default_artifact_root == root
    assert get_tracking_store(uri, artifact_root=root) is store
    assert get_tracking_store(uri, artifact_root="s3://b/p") is not store


def test_sql_store_default_artifact_root_sits_beside_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MODELYARD_ARTIFACT_ROOT", raising=False)
    uri = f"sqlite:///{tmp_path / 'd.db'}"
    store = get_tracking_store(uri)
    assert store.get_experiment("0").artifact_location == (
        (tmp_path / "modelyard-artifacts").as_uri() + "/0"
    )


@pytest.mark.postgres
def test_postgres_schemes(pg_database_uri: str, tmp_path: Path) -> None:
    root = tmp_path.as_uri()
    bare = pg_database_uri.replace("postgresql+psycopg://", "postgresql://")
    for uri in (pg_database_uri, bare, bare.replace("postgresql://", "postgres://")):
        assert isinstance(get_tracking_store(uri, artifact_root=root), SqlTrackingStore)


def test_http_gives_rest_store() -> None:
    from modelyard.store.tracking.rest import RestTrackingStore

    store = get_tracking_store("http://127.0.0.1:1")
    assert isinstance(store, RestTrackingStore)
    assert isinstance(get_tracking_store("https://example.invalid/prefix"), RestTrackingStore)


@pytest.mark.parametrize("uri", ["mlruns", "./mlruns", "/abs/mlruns", "file:///abs/mlruns"])
def test_paths_and_file_uris_suggest_sqlite(uri: str) -> None:
    with pytest.raises(InvalidParameterValue, match=r"sqlite:///") as err:
        get_tracking_store(uri)
    assert uri in str(err.value)


def test_unknown_scheme_names_the_uri() -> None:
    with pytest.raises(InvalidParameterValue, match=r"nosuch://x"):
        get_tracking_store("nosuch://x")
    with pytest.raises(InvalidParameterValue, match="tracking_uri"):
        get_tracking_store("")


def test_registered_scheme_factory(tmp_path: Path) -> None:
    made: list[tuple[str, ...]] = []
    db = f"sqlite:///{tmp_path / 'p.db'}"

    def factory(*args: str) -> SqlTrackingStore:
        made.append(args)
        return SqlTrackingStore(db, tmp_path.as_uri())

    register_tracking_store_scheme("plugtest", factory)
    try:
        store = get_tracking_store("plugtest://a")
        assert isinstance(store, SqlTrackingStore)
        get_tracking_store("plugtest://b", artifact_root="s3://x")
        assert made == [("plugtest://a",), ("plugtest://b", "s3://x")]
    finally:
        registry._SCHEMES.unregister("plugtest")
        registry.clear_tracking_store_cache()
