"""Transport behaviour shared by every route: JSON errors, content types, body limits, meta
routes, metrics, the static prefix and the endpoint registration mechanism."""

from __future__ import annotations

from server_helpers import API
from starlette.testclient import TestClient

from modelyard.server import Call, Endpoint, ServerConfig, create_app


def test_unknown_route_and_wrong_method_are_json(client):
    r = client.get(f"{API}/nope")
    assert r.status_code == 404
    assert r.json()["error_code"] == "ENDPOINT_NOT_FOUND"
    r = client.get("/totally/elsewhere")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/json"
    r = client.get(f"{API}/runs/create")
    assert r.status_code == 405
    assert r.json()["error_code"] == "ENDPOINT_NOT_FOUND"


def test_non_json_content_type_and_malformed_json(client):
    r = client.post(
        f"{API}/experiments/create", content=b"name=x", headers={"Content-Type": "text/plain"}
    )
    assert r.status_code == 400
    assert r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "Content-Type" in r.json()["message"]
    r = client.post(
        f"{API}/experiments/create",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 400
    assert r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    r = client.post(
        f"{API}/experiments/create", content=b"[1,2]", headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 400


def test_empty_body_means_empty_object_and_double_encoded_json(client):
    r = client.post(
        f"{API}/experiments/search", content=b"", headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 200
    assert r.json()["experiments"][0]["name"] == "Default"
    r = client.post(
        f"{API}/experiments/create",
        content=b'"{\\"name\\": \\"twice\\"}"',
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert r.status_code == 200, r.text


def test_delete_with_json_body(client):
    exp_id = client.post(f"{API}/experiments/create", json={"name": "m"}).json()["experiment_id"]
    model_id = client.post(f"{API}/logged-models", json={"experiment_id": exp_id}).json()["model"][
        "info"
    ]["model_id"]
    r = client.request("DELETE", f"{API}/logged-models/{model_id}", json={"model_id": model_id})
    assert r.status_code == 200


def test_oversized_body_is_413(tmp_path):
    config = ServerConfig(
        backend_store_uri=f"sqlite:///{tmp_path / 'db.sqlite'}",
        artifacts_destination=(tmp_path / "a").as_uri(),
        allowed_hosts=("testserver",),
        max_request_bytes=1024,
    )
    with TestClient(create_app(config)) as c:
        r = c.post(f"{API}/experiments/create", json={"name": "x" * 2000})
        assert r.status_code == 413
        assert r.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"


def test_meta_routes(client):
    assert client.get("/health").text == "OK"
    assert client.get("/version").text == "3.17.2"
    info = client.get("/api/3.0/mlflow/server-info").json()
    assert info["multipart_uploads_enabled"] is False
    assert client.get("/ajax-api/3.0/mlflow/server-info").status_code == 200


def test_metrics_counts_requests_per_route(client):
    client.get(f"{API}/experiments/get", params={"experiment_id": "0"})
    client.get(f"{API}/experiments/get", params={"experiment_id": "0"})
    text = client.get("/metrics").text
    assert (
        'modelyard_http_requests_total{method="GET",route="/api/2.0/mlflow/experiments/get",status="200"} 2'
        in text
    )
    assert (
        'modelyard_http_request_duration_seconds_count{method="GET",route="/api/2.0/mlflow/experiments/get"} 2'
        in text
    )


def test_static_prefix(tmp_path):
    config = ServerConfig(
        backend_store_uri=f"sqlite:///{tmp_path / 'db.sqlite'}",
        artifacts_destination=(tmp_path / "a").as_uri(),
        allowed_hosts=("testserver",),
        static_prefix="/mlflow",
    )
    with TestClient(create_app(config)) as c:
        assert (
            c.get(
                "/mlflow/api/2.0/mlflow/experiments/get", params={"experiment_id": "0"}
            ).status_code
            == 200
        )
        assert (
            c.get("/api/2.0/mlflow/experiments/get", params={"experiment_id": "0"}).status_code
            == 404
        )


def test_extra_endpoints_plug_in(server_config):
    def hello(call: Call) -> dict:
        return {
            "hello": call.args.str("name"),
            "experiment": call.tracking.get_experiment("0").name,
        }

    async def echo(call: Call) -> dict:
        return {"id": call.path_params["item_id"], "n": call.args.int("n")}

    app = create_app(
        server_config,
        extra_endpoints=[
            Endpoint("GET", "/mlflow/hello", hello),
            Endpoint("POST", "/mlflow/items/{item_id}", echo),
        ],
    )
    with TestClient(app) as c:
        assert c.get(f"{API}/hello", params={"name": "x"}).json() == {
            "hello": "x",
            "experiment": "Default",
        }
        assert c.post("/ajax-api/2.0/mlflow/items/7", json={"n": "3"}).json() == {"id": "7", "n": 3}
        routes = app.state.dispatcher.routes()
        assert ("GET", "/api/2.0/mlflow/hello") in routes


def test_without_artifact_proxy(tmp_path):
    dest = tmp_path / "direct"
    config = ServerConfig(
        backend_store_uri=f"sqlite:///{tmp_path / 'db.sqlite'}",
        artifacts_destination=dest.as_uri(),
        allowed_hosts=("testserver",),
        serve_artifacts=False,
    )
    with TestClient(create_app(config)) as c:
        r = c.get("/api/2.0/mlflow-artifacts/artifacts", params={"path": "x"})
        assert r.status_code == 404
        assert r.json()["error_code"] == "ENDPOINT_NOT_FOUND"
        exp_id = c.post(f"{API}/experiments/create", json={"name": "d"}).json()["experiment_id"]
        exp = c.get(f"{API}/experiments/get", params={"experiment_id": exp_id}).json()["experiment"]
        assert exp["artifact_location"] == f"{dest.as_uri()}/{exp_id}"


def test_duplicate_endpoints_are_refused_and_head_follows_get(server_config):
    import pytest

    def h(call: Call) -> dict:
        return {"ok": True}

    with pytest.raises(ValueError, match="duplicate endpoint"):
        create_app(server_config, extra_endpoints=[Endpoint("POST", "/mlflow/runs/create", h)])
    with TestClient(create_app(server_config)) as c:
        r = c.head(f"{API}/experiments/get", params={"experiment_id": "0"})
        assert r.status_code == 200
        assert r.content == b""
