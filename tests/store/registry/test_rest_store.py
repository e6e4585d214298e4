"""The registry contract through RestRegistryStore against a live modelyard server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from modelyard.errors import ResourceAlreadyExists
from modelyard.server.config import ServerConfig
from modelyard.server.testing import LiveServer
from modelyard.store.registry.registry import get_registry_store
from modelyard.store.registry.rest import RestRegistryStore
from modelyard.store.registry.sql import SqlRegistryStore
from modelyard.testing.registry_contract import RegistryStoreContract


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base: Path = tmp_path_factory.mktemp("registry-server")
    dest = base / "artifacts"
    dest.mkdir()
    config = ServerConfig(
        backend_store_uri=f"sqlite:///{base / 'server.db'}", artifacts_destination=dest.as_uri()
    )
    with LiveServer(config) as url:
        yield url


class TestRestRegistryStore(RegistryStoreContract):
    direct_storage_location = False

    @pytest.fixture
    def store(self, server_url: str) -> RestRegistryStore:
        return RestRegistryStore(server_url)


def test_scheme_table(server_url: str, sqlite_uri: str) -> None:
    assert isinstance(get_registry_store(server_url), RestRegistryStore)
    assert isinstance(get_registry_store(sqlite_uri), SqlRegistryStore)


def test_typed_errors_cross_the_wire(server_url: str) -> None:
    store = RestRegistryStore(server_url)
    store.create_registered_model("rest-dup")
    with pytest.raises(ResourceAlreadyExists, match="rest-dup"):
        store.create_registered_model("rest-dup")
