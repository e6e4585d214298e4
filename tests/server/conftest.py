"""Fixtures for the server tests: the real app over real SQLite and local artifact stores."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from modelyard.server import ServerConfig, create_app


@pytest.fixture
def server_config(tmp_path: Path) -> ServerConfig:
    dest = tmp_path / "proxied"
    dest.mkdir()
    return ServerConfig(
        backend_store_uri=f"sqlite:///{tmp_path / 'server.db'}",
        artifacts_destination=dest.as_uri(),
        allowed_hosts=("testserver",),
    )


@pytest.fixture
def client(server_config: ServerConfig) -> Iterator[TestClient]:
    with TestClient(create_app(server_config)) as c:
        yield c
