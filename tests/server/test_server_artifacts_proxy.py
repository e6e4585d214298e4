"""The mlflow-artifacts proxy: upload, download, list, delete, and path safety."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

A = "/api/2.0/mlflow-artifacts/artifacts"


def test_put_get_list_delete(client, server_config):
    data = os.urandom(3 * 1024 * 1024 + 17)
    r = client.put(
        f"{A}/1/run/artifacts/dir/blob.bin",
        content=data,
        headers={"Content-Type": "application/octet-stream"},
    )
    assert r.status_code == 200, r.text
    assert r.json() == {}
    r = client.put(
        f"{A}/1/run/artifacts/plot.png", content=b"\x89PNG", headers={"Content-Type": "image/png"}
    )
    assert r.status_code == 200
    dest = Path(server_config.artifacts_destination.removeprefix("file://"))
    assert (dest / "1/run/artifacts/dir/blob.bin").read_bytes() == data

    r = client.get(f"{A}/1/run/artifacts/dir/blob.bin")
    assert r.status_code == 200
    assert r.content == data
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["content-disposition"].startswith('attachment; filename="blob.bin"')
    r = client.get(f"{A}/1/run/artifacts/plot.png")
    assert r.headers["content-type"] == "image/png"

    listing = client.get(A, params={"path": "1/run/artifacts"}).json()
    assert listing == {
        "files": [
            {"path": "dir", "is_dir": True},
            {"path": "plot.png", "is_dir": False, "file_size": 4},
        ]
    }
    assert client.get(A, params={"path": "1/run/artifacts/dir"}).json()["files"] == [
        {"path": "blob.bin", "is_dir": False, "file_size": len(data)}
    ]
    assert client.get(A, params={"path": "nope/nope"}).json() == {}

    r = client.delete(f"{A}/1/run/artifacts/plot.png")
    assert r.status_code == 200
    r = client.get(f"{A}/1/run/artifacts/plot.png")
    assert r.status_code == 404
    assert r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_missing_file_is_404_json(client):
    r = client.get(f"{A}/0/abc/artifacts/model/MLmodel")
    assert r.status_code == 404
    assert r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


@pytest.mark.parametrize(
    "raw",
    [
        "..%2Fetc",  # list with ../etc
        "../etc",
        "/etc",
        "a/../../etc",
        "a\\..\\b",
        "%2e%2e/etc",
        "%252e%252e/etc",
        "a\x00b",
    ],
)
def test_list_traversal_is_rejected(client, raw):
    r = client.get(A, params={"path": raw})
    assert r.status_code == 400, raw
    assert r.json()["error_code"] == "INVALID_PARAMETER_VALUE"


@pytest.mark.parametrize(
    "raw_path",
    [
        "/api/2.0/mlflow-artifacts/artifacts/%2e%2e/%2e%2e/etc/passwd",
        "/api/2.0/mlflow-artifacts/artifacts/a/%2E%2E/%2E%2E/x",
        "/api/2.0/mlflow-artifacts/artifacts/%252e%252e/x",
        "/api/2.0/mlflow-artifacts/artifacts/a%5c..%5cx",
        "/api/2.0/mlflow-artifacts/artifacts/a/%00/x",
    ],
)
def test_encoded_traversal_on_file_routes(client, server_config, raw_path, tmp_path):
    # Build the request by hand so the client does not normalize the dots away.
    for method in ("GET", "PUT", "DELETE"):
        r = client.request(method, raw_path, content=b"x" if method == "PUT" else None)
        assert r.status_code in (400, 403, 404), (method, raw_path, r.status_code)
        assert "error_code" in r.json()
    outside = Path(server_config.artifacts_destination.removeprefix("file://")).parent
    assert not (outside / "x").exists()


def test_symlink_escape_is_refused(client, server_config, tmp_path):
    dest = Path(server_config.artifacts_destination.removeprefix("file://"))
    secret_dir = tmp_path / "secret"
    secret_dir.mkdir()
    (secret_dir / "key.txt").write_text("s3cr3t")
    (dest / "link").symlink_to(secret_dir)
    r = client.get(f"{A}/link/key.txt")
    assert r.status_code in (400, 403, 404)
    assert "s3cr3t" not in r.text
    r = client.put(f"{A}/link/new.txt", content=b"x")
    assert r.status_code in (400, 403, 404)
    assert not (secret_dir / "new.txt").exists()


def test_artifact_upload_limit(tmp_path):
    from starlette.testclient import TestClient

    from modelyard.server import ServerConfig, create_app

    config = ServerConfig(
        backend_store_uri=f"sqlite:///{tmp_path / 'db.sqlite'}",
        artifacts_destination=(tmp_path / "a").as_uri(),
        allowed_hosts=("testserver",),
        max_artifact_bytes=1000,
    )
    with TestClient(create_app(config)) as c:
        r = c.put(f"{A}/x/big.bin", content=b"0" * 2000)
        assert r.status_code == 413
        assert r.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"
        assert c.put(f"{A}/x/small.bin", content=b"0" * 10).status_code == 200
