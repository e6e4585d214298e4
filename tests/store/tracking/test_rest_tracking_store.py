"""The tracking contract through RestTrackingStore against a live modelyard server, and the
artifact contract through the mlflow-artifacts proxy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from modelyard.errors import EndpointNotFound, ResourceAlreadyExists, ResourceDoesNotExist
from modelyard.server.config import ServerConfig
from modelyard.server.testing import LiveServer
from modelyard.store._http import get_session
from modelyard.store.artifacts.http import MlflowArtifactsRepository
from modelyard.store.tracking.rest import RestTrackingStore
from modelyard.testing.artifact_contract import ArtifactRepositoryContract
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


class TestArtifactProxyRepository(ArtifactRepositoryContract):
    """The artifact contract through the proxy (``mlflow-artifacts:`` over HTTP)."""

    @pytest.fixture
    def repo(self, server_url: str, tmp_path: Path) -> MlflowArtifactsRepository:
        root = f"mlflow-artifacts:/contract/{tmp_path.name}"
        return MlflowArtifactsRepository(root, tracking_uri=server_url)


# ---------------------------------------------------------------- store._http behaviour
def test_http_session_retries_auth_and_error_mapping(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from starlette.responses import PlainTextResponse, Response

    from modelyard.errors import InvalidParameterValue, TemporarilyUnavailable
    from modelyard.server.routing import Call, Endpoint
    from modelyard.store._http import HttpSession

    seen: dict[str, object] = {"flaky": 0}

    async def flaky(call: Call) -> Response | dict:
        seen["flaky"] = int(seen["flaky"]) + 1  # type: ignore[call-overload]
        seen["auth"] = call.request.headers.get("authorization")
        if int(seen["flaky"]) < 3:  # type: ignore[call-overload]
            return PlainTextResponse("busy", status_code=503)
        return {"ok": True, "n": call.args.int("n")}

    async def always_down(call: Call) -> Response:
        return PlainTextResponse("down", status_code=503)

    async def html_400(call: Call) -> Response:
        return PlainTextResponse("<html>bad</html>", status_code=400)

    config = ServerConfig(
        backend_store_uri=f"sqlite:///{tmp_path / 'h.db'}",
        artifacts_destination=(tmp_path / "a").as_uri(),
    )
    extra = [
        Endpoint("POST", "/test/flaky", flaky),
        Endpoint("GET", "/test/down", always_down),
        Endpoint("GET", "/test/html", html_400),
    ]
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "tok123")
    with LiveServer(config, extra_endpoints=extra) as url:
        session = HttpSession(url, max_retries=3, backoff_factor=0.01)
        assert session.call("POST", "/api/2.0/test/flaky", {"n": 7}) == {"ok": True, "n": 7}
        assert seen["flaky"] == 3
        assert seen["auth"] == "Bearer tok123"
        with pytest.raises(TemporarilyUnavailable):
            session.call("GET", "/api/2.0/test/down")
        with pytest.raises(InvalidParameterValue) as info:  # BAD_REQUEST derives from it
            session.call("GET", "/api/2.0/test/html")
        assert info.value.error_code == "BAD_REQUEST"
        session.close()
    monkeypatch.delenv("MLFLOW_TRACKING_TOKEN")
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "ann")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "pw")
    with LiveServer(config, extra_endpoints=extra) as url:
        seen["flaky"] = 2
        session = HttpSession(url, max_retries=1, backoff_factor=0.01)
        session.call("POST", "/api/2.0/test/flaky", {})
        assert str(seen["auth"]).startswith("Basic ")
        session.close()


def test_http_session_connection_errors_are_bounded() -> None:
    from modelyard.errors import ModelyardError
    from modelyard.store._http import HttpSession

    with UnusedPort() as port:
        session = HttpSession(f"http://127.0.0.1:{port}", max_retries=2, backoff_factor=0.01)
        with pytest.raises(ModelyardError) as info:
            session.call("GET", "/api/2.0/mlflow/experiments/get", {"experiment_id": "0"})
        assert info.value.error_code == "TEMPORARILY_UNAVAILABLE"
        assert f"127.0.0.1:{port}" in info.value.message
        session.close()


def test_http_session_retries_a_fixed_number_of_times() -> None:
    """Bounded by attempts, not by time: max_retries=2 means exactly three connections."""
    from modelyard.errors import ModelyardError
    from modelyard.store._http import HttpSession

    with HangUpServer() as server:
        session = HttpSession(server.url, max_retries=2, backoff_factor=0.01)
        with pytest.raises(ModelyardError) as info:
            session.call("GET", "/api/2.0/mlflow/experiments/get", {"experiment_id": "0"})
        session.close()
    assert info.value.error_code == "TEMPORARILY_UNAVAILABLE"
    assert server.accepted == 3


class HangUpServer:
    """Accepts TCP connections and closes each one at once, counting them."""

    def __enter__(self) -> HangUpServer:
        import socket
        import threading

        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self.accepted = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        return self

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:  # closed by __exit__
                return
            self.accepted += 1
            conn.close()

    def __exit__(self, *exc: object) -> None:
        import socket

        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()
        self._thread.join(timeout=60)


class UnusedPort:
    """A port nobody listens on (bound, never listening) for the lifetime of the block."""

    def __enter__(self) -> int:
        import socket

        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        return int(self._sock.getsockname()[1])

    def __exit__(self, *exc: object) -> None:
        self._sock.close()


@pytest.mark.compat
def test_count_runs_against_mlflow_server_counts_the_pages(
    mlflow_python: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """MLflow's own server has no runs/count: the REST store counts the search's pages."""
    from modelyard.entities import ViewType
    from modelyard.testing.mlflow_client import real_mlflow_server

    with real_mlflow_server(tmp_path_factory.mktemp("mlflow-count")) as url:
        store = RestTrackingStore(url)
        exp = store.create_experiment("counted")
        ids = [store.create_run(exp, "u", None, [], f"r{i}").info.run_id for i in range(4)]
        store.delete_run(ids[0])
        assert store.count_runs([exp]) == 3
        assert store.count_runs([exp], run_view_type=ViewType.ALL) == 4
        assert store.count_runs([exp], filter_string="attributes.run_name = 'r2'") == 1
