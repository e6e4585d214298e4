"""The UI's gateway proxy: empty without a deployments target, only the UI's two calls with one."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

URL = "/ajax-api/2.0/mlflow/gateway-proxy"


class _Gateway(BaseHTTPRequestHandler):
    def _answer(self, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._answer({"endpoints": [{"name": "chat", "path": self.path}]})

    def do_POST(self) -> None:
        size = int(self.headers.get("Content-Length", "0"))
        self._answer({"path": self.path, "got": json.loads(self.rfile.read(size) or b"null")})

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def gateway():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_no_target_is_an_empty_gateway(client, monkeypatch):
    monkeypatch.delenv("MLFLOW_DEPLOYMENTS_TARGET", raising=False)
    assert client.get(URL).json() == {"endpoints": []}
    assert client.post(URL, json={}).json() == {"endpoints": []}


def test_forwards_only_the_uis_calls(client, gateway, monkeypatch):
    monkeypatch.setenv("MLFLOW_DEPLOYMENTS_TARGET", gateway)
    r = client.post(URL, json={})
    assert r.status_code == 400
    assert "must specify a gateway_path" in r.json()["message"]
    listed = client.get(URL, params={"gateway_path": "api/2.0/endpoints"}).json()
    assert listed == {"endpoints": [{"name": "chat", "path": "/api/2.0/endpoints"}]}
    answer = client.post(
        URL, json={"gateway_path": "gateway/chat/invocations", "json_data": {"prompt": "hi"}}
    ).json()
    assert answer == {"path": "/gateway/chat/invocations", "got": {"prompt": "hi"}}
    for method, path in [
        ("GET", "gateway/chat/invocations"),
        ("POST", "api/2.0/endpoints"),
        ("POST", "../../admin"),
        ("POST", "gateway/x/../../y/invocations"),
    ]:
        r = (
            client.get(URL, params={"gateway_path": path})
            if method == "GET"
            else client.post(URL, json={"gateway_path": path})
        )
        assert r.status_code == 400, (method, path)
        assert "Invalid gateway_path" in r.json()["message"]
