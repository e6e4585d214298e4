"""MlflowArtifactsRepository: URI resolution, transport behaviour, and the full contract
against the real MLflow 3.17.2 artifact proxy (the reference implementation of the wire)."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from modelyard.entities import FileInfo
from modelyard.errors import (
    InvalidParameterValue,
    ModelyardError,
    PermissionDenied,
    ResourceDoesNotExist,
    TemporarilyUnavailable,
)
from modelyard.store.artifacts.http import MlflowArtifactsRepository, parse_proxy_uri
from modelyard.testing.artifact_contract import ArtifactRepositoryContract
from modelyard.testing.mlflow_client import real_mlflow_server

# -- URI resolution -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uri", "tracking", "base", "root"),
    [
        ("mlflow-artifacts:/1/abc/artifacts", "http://h:5000", "http://h:5000", "1/abc/artifacts"),
        ("mlflow-artifacts:/1/abc/", "http://h:5000/", "http://h:5000", "1/abc"),
        ("mlflow-artifacts:/", "https://h", "https://h", ""),
        ("mlflow-artifacts:/x", "http://h/mlflow/", "http://h/mlflow", "x"),
        ("mlflow-artifacts://other:7000/x/y", "https://h/p", "https://other:7000/p", "x/y"),
        ("mlflow-artifacts://other:7000/x", "sqlite:///db", "http://other:7000", "x"),
        ("mlflow-artifacts://other:7000/x", None, "http://other:7000", "x"),
        (
            "http://h:5000/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts",
            None,
            "http://h:5000",
            "1/r/artifacts",
        ),
        ("https://h/pre/api/2.0/mlflow-artifacts/artifacts", None, "https://h/pre", ""),
        ("http://h/api/2.0/mlflow-artifacts/artifacts/a%20b/c", None, "http://h", "a b/c"),
    ],
)
def test_parse_proxy_uri(uri: str, tracking: str | None, base: str, root: str) -> None:
    location = parse_proxy_uri(uri, tracking)
    assert (location.base_url, location.root) == (base, root)


def test_tracking_uri_from_environment(monkeypatch) -> None:
    monkeypatch.delenv("MODELYARD_TRACKING_URI", raising=False)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://envhost:1234")
    assert parse_proxy_uri("mlflow-artifacts:/a").base_url == "http://envhost:1234"


def test_userinfo_becomes_credentials_not_part_of_base() -> None:
    location = parse_proxy_uri("mlflow-artifacts:/a", "http://bob:s%40cret@h:5000")
    assert location.base_url == "http://h:5000"
    assert (location.username, location.password) == ("bob", "s@cret")


@pytest.mark.parametrize(
    ("uri", "tracking", "needle"),
    [
        ("mlflow-artifacts:/a", "sqlite:///x.db", "not an http(s) URL"),
        ("mlflow-artifacts:/a", "", "not an http(s) URL"),
        ("mlflow-artifacts://5000/a", "http://h", "port with no host"),
        ("mlflow-artifacts:/../a", "http://h", "'..'"),
        ("mlflow-artifacts:/a?x=1", "http://h", "query"),
        ("http://h/some/other/path", None, "must point into"),
        ("http://h/api/2.0/mlflow-artifacts/artifactsX", None, "must point into"),
        ("http://h/api/2.0/mlflow-artifacts/artifacts/%2e%2e/x", None, "'..'"),
        ("ftp://h/api/2.0/mlflow-artifacts/artifacts/x", None, "expected mlflow-artifacts"),
    ],
)
def test_parse_proxy_uri_rejects(uri: str, tracking: str | None, needle: str, monkeypatch) -> None:
    monkeypatch.delenv("MODELYARD_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    with pytest.raises(InvalidParameterValue, match="Invalid|Cannot") as info:
        parse_proxy_uri(uri, tracking)
    assert needle in str(info.value)


def test_sqlite_credentials_are_not_echoed() -> None:
    with pytest.raises(InvalidParameterValue) as info:
        parse_proxy_uri("mlflow-artifacts:/a", "postgresql://user:hunter2@db/x")
    assert "hunter2" not in str(info.value)


# -- transport against a small scripted HTTP server -----------------------------------------


class _Script:
    """What the scripted server answers, and what it saw."""

    def __init__(self) -> None:
        self.answers: list[tuple[int, dict[str, str], bytes]] = []
        self.seen: list[tuple[str, str, dict[str, str], bytes]] = []


def _handler(script: _Script) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            self.seen_append(body)
            status, headers, payload = script.answers.pop(0) if script.answers else (200, {}, b"{}")
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def seen_append(self, body: bytes) -> None:
            script.seen.append((self.command, self.path, dict(self.headers), body))

        do_GET = do_PUT = do_DELETE = _answer

        def log_message(self, *args) -> None:
            pass

    return Handler


@pytest.fixture
def scripted() -> Iterator[tuple[str, _Script]]:
    script = _Script()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(script))
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", script
    server.shutdown()
    server.server_close()


def _repo(base: str, max_retries: int = 5) -> MlflowArtifactsRepository:
    return MlflowArtifactsRepository(
        "mlflow-artifacts:/exp/run", tracking_uri=base, max_retries=max_retries, backoff_factor=0.0
    )


def test_retries_on_503_and_429_then_succeeds(scripted, tmp_path) -> None:
    base, script = scripted
    script.answers = [(503, {}, b"busy"), (429, {"Retry-After": "0"}, b""), (200, {}, b"{}")]
    local = tmp_path / "f.txt"
    local.write_bytes(b"payload")
    _repo(base).log_artifact(str(local), "d")
    assert [s[0] for s in script.seen] == ["PUT", "PUT", "PUT"]
    assert all(s[1] == "/api/2.0/mlflow-artifacts/artifacts/exp/run/d/f.txt" for s in script.seen)
    assert all(s[3] == b"payload" for s in script.seen)  # the body was replayed each time
    assert script.seen[0][2]["Content-Type"] == "text/plain"


def test_retries_are_bounded(scripted) -> None:
    base, script = scripted
    script.answers = [(502, {}, b"")] * 3
    with pytest.raises(ModelyardError, match="HTTP 502"):
        _repo(base, max_retries=2).list_artifacts("x")
    assert len(script.seen) == 3


def test_connection_refused_gives_temporarily_unavailable() -> None:
    repo = _repo("http://127.0.0.1:9", max_retries=1)
    with pytest.raises(TemporarilyUnavailable, match="2 attempts"):
        repo.list_artifacts()


def test_json_error_body_becomes_typed_error(scripted) -> None:
    base, script = scripted
    body = json.dumps({"error_code": "PERMISSION_DENIED", "message": "no way"}).encode()
    script.answers = [(403, {"Content-Type": "application/json"}, body)]
    with pytest.raises(PermissionDenied, match="no way"):
        _repo(base).open_artifact("a.txt")


def test_plain_404_on_download_is_resource_does_not_exist(scripted) -> None:
    base, script = scripted
    script.answers = [(404, {}, b"<html>nope</html>")]
    with pytest.raises(ResourceDoesNotExist):
        _repo(base).open_artifact("a.txt")


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"MLFLOW_TRACKING_TOKEN": "tok"}, "Bearer tok"),
        ({"MLFLOW_TRACKING_USERNAME": "u", "MLFLOW_TRACKING_PASSWORD": "p"}, "Basic dTpw"),
    ],
)
def test_auth_from_environment(scripted, monkeypatch, env, expected) -> None:
    base, script = scripted
    for key in ("MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    _repo(base).list_artifacts()
    assert script.seen[0][2]["Authorization"] == expected


def test_list_turns_basenames_into_root_relative_paths(scripted) -> None:
    base, script = scripted
    files = {
        "files": [{"path": "b.txt", "is_dir": False, "file_size": 3}, {"path": "c", "is_dir": True}]
    }
    script.answers = [(200, {}, json.dumps(files).encode())]
    assert _repo(base).list_artifacts("a") == [
        FileInfo("a/b.txt", False, 3),
        FileInfo("a/c", True, None),
    ]
    assert script.seen[0][1] == "/api/2.0/mlflow-artifacts/artifacts?path=exp%2Frun%2Fa"


def test_hostile_names_from_the_server_are_refused(scripted) -> None:
    base, script = scripted
    script.answers = [
        (200, {}, json.dumps({"files": [{"path": "../x", "is_dir": False}]}).encode())
    ]
    with pytest.raises(InvalidParameterValue):
        _repo(base).list_artifacts()


# -- the contract against the real MLflow 3.17.2 proxy -------------------------------------


@pytest.fixture(scope="module")
def mlflow_server(mlflow_python: Path, tmp_path_factory) -> Iterator[str]:
    """A real ``mlflow server`` serving artifacts from a temp dir (the real client's venv)."""
    with real_mlflow_server(tmp_path_factory.mktemp("mlflow-server")) as url:
        yield url


@pytest.mark.slow
@pytest.mark.compat
class TestAgainstRealMlflowProxy(ArtifactRepositoryContract):
    """Our client against the reference server: proves the wire, not just our own server."""

    @pytest.fixture
    def repo(self, mlflow_server: str) -> MlflowArtifactsRepository:
        return MlflowArtifactsRepository(
            f"mlflow-artifacts:/{uuid.uuid4().hex}/artifacts", tracking_uri=mlflow_server
        )


@pytest.mark.slow
@pytest.mark.compat
def test_http_uri_form_against_real_mlflow_proxy(mlflow_server: str, tmp_path: Path) -> None:
    root = f"{uuid.uuid4().hex}/artifacts"
    repo = MlflowArtifactsRepository(f"{mlflow_server}/api/2.0/mlflow-artifacts/artifacts/{root}")
    local = tmp_path / "m.bin"
    local.write_bytes(bytes(range(256)))
    repo.log_artifact(str(local), "d")
    assert repo.list_artifacts("d") == [FileInfo("d/m.bin", False, 256)]
    same = MlflowArtifactsRepository(f"mlflow-artifacts:/{root}", tracking_uri=mlflow_server)
    with same.open_artifact("d/m.bin") as f:
        assert f.read() == bytes(range(256))
