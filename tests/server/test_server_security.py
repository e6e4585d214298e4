"""Host-header (DNS rebinding) and cross-origin write protection."""

from __future__ import annotations

from server_helpers import API
from starlette.testclient import TestClient

from modelyard.server import ServerConfig, create_app


def _config(tmp_path, **kw) -> ServerConfig:
    return ServerConfig(
        backend_store_uri=f"sqlite:///{tmp_path / 'db.sqlite'}",
        artifacts_destination=(tmp_path / "a").as_uri(),
        **kw,
    )


def test_only_local_hosts_by_default(tmp_path):
    with TestClient(create_app(_config(tmp_path)), base_url="http://localhost:5000") as c:
        assert c.get("/health").status_code == 200
        for host in ("127.0.0.1:5000", "[::1]:5000", "localhost"):
            assert c.get("/health", headers={"host": host}).status_code == 200, host
        r = c.get(f"{API}/experiments/get?experiment_id=0", headers={"host": "attacker.example"})
        assert r.status_code == 403
        assert r.json()["error_code"] == "PERMISSION_DENIED"


def test_allowed_hosts_option(tmp_path):
    with TestClient(create_app(_config(tmp_path, allowed_hosts=("mlflow.internal",)))) as c:
        assert c.get("/health", headers={"host": "mlflow.internal:5000"}).status_code == 200
        assert c.get("/health", headers={"host": "other"}).status_code == 403
    with TestClient(create_app(_config(tmp_path, allowed_hosts=("*",)))) as c:
        assert c.get("/health", headers={"host": "anything"}).status_code == 200


def test_cross_origin_writes_are_refused(tmp_path):
    with TestClient(create_app(_config(tmp_path)), base_url="http://localhost:5000") as c:
        r = c.post(
            f"{API}/experiments/create",
            json={"name": "x"},
            headers={"origin": "http://evil.example"},
        )
        assert r.status_code == 403
        assert r.json()["error_code"] == "PERMISSION_DENIED"
        r = c.put(
            "/api/2.0/mlflow-artifacts/artifacts/a.txt",
            content=b"x",
            headers={"origin": "http://evil.example"},
        )
        assert r.status_code == 403
        # reads are not blocked; same-origin writes pass; no Origin (non-browser clients) passes
        assert c.get("/health", headers={"origin": "http://evil.example"}).status_code == 200
        r = c.post(
            f"{API}/experiments/create",
            json={"name": "same"},
            headers={"origin": "http://localhost:5000"},
        )
        assert r.status_code == 200
        assert c.post(f"{API}/experiments/create", json={"name": "plain"}).status_code == 200


def test_cors_allow_list(tmp_path):
    config = _config(tmp_path, cors_allowed_origins=("http://ui.example",))
    with TestClient(create_app(config), base_url="http://localhost:5000") as c:
        r = c.post(
            f"{API}/experiments/create", json={"name": "x"}, headers={"origin": "http://ui.example"}
        )
        assert r.status_code == 200
        assert r.headers["access-control-allow-origin"] == "http://ui.example"
        r = c.options(
            f"{API}/experiments/create",
            headers={"origin": "http://ui.example", "access-control-request-method": "POST"},
        )
        assert r.status_code == 204
        assert "POST" in r.headers["access-control-allow-methods"]
        r = c.post(
            f"{API}/experiments/create",
            json={"name": "y"},
            headers={"origin": "http://other.example"},
        )
        assert r.status_code == 403
