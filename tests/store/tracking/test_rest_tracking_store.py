"""The tracking contract through RestTrackingStore against a live modelyard server, and the
artifact contract through the mlflow-artifacts proxy."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelyard.errors import EndpointNotFound, ResourceAlreadyExists, ResourceDoesNotExist
from modelyard.server.config import ServerConfig
from modelyard.server.testing import LiveServer
from modelyard.store._http import get_session
from modelyard.store.tracking.rest import RestTrackingStore
from modelyard.testing.tracking_contract import TrackingStoreContract


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, ServerConfig]]:
    base: Path = tmp_path_factory.mktemp("tracking-server")
    dest = base / "artifacts"
    dest.mkdir()
    config = ServerConfig(
        backend_store_uri=f"sqlite:///{base / 'server.db'}",
        artifacts_destination=dest.as_uri(),
        allowed_artifact_roots=("s3://bucket",),
    )
    with LiveServer(config) as url:
        yield url, config


@pytest.fixture(scope="module")
def server_url(live: tuple[str, ServerConfig]) -> str:
    return live[0]


class TestRestTrackingStore(TrackingStoreContract):
    @pytest.fixture
    def store(self, server_url: str) -> RestTrackingStore:
        return RestTrackingStore(server_url)


def test_typed_errors_cross_the_wire(server_url: str) -> None:
    store = RestTrackingStore(server_url)
    store.create_experiment("rest-dup-exp")
    with pytest.raises(ResourceAlreadyExists):
        store.create_experiment("rest-dup-exp")
    with pytest.raises(ResourceDoesNotExist) as info:
        store.get_run("0" * 32)
    assert info.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert store.get_experiment_by_name("no-such-experiment-here") is None


def test_unknown_route_is_endpoint_not_found(server_url: str) -> None:
    with pytest.raises(EndpointNotFound):
        get_session(server_url).call("GET", "/api/2.0/mlflow/does-not-exist")


def test_session_is_pooled_per_base_url(server_url: str) -> None:
    assert get_session(server_url) is get_session(server_url + "/")


_HAS_ARTIFACT_CONTRACT = (
    importlib.util.find_spec("modelyard.testing.artifact_contract") is not None
    and importlib.util.find_spec("modelyard.store.artifacts.http") is not None
)

if _HAS_ARTIFACT_CONTRACT:
    from modelyard.testing.artifact_contract import ArtifactRepositoryContract

    class TestArtifactProxyRepository(ArtifactRepositoryContract):
        """The artifact contract through the proxy (``mlflow-artifacts:`` over HTTP)."""

        @pytest.fixture
        def repo(self, server_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
            from modelyard.store.artifacts.http import MlflowArtifactsRepository

            root = f"mlflow-artifacts:/contract/{tmp_path.name}"
            return MlflowArtifactsRepository(root, tracking_uri=server_url)
