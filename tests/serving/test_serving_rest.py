"""Serving endpoints through ``modelyard server`` (Databricks' Serving Endpoints REST shapes):
created over REST, served by a real ``modelyard endpoints serve``, live figures read back."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from serving_helpers import row_dicts

from modelyard.server.config import ServerConfig
from modelyard.server.testing import LiveServer
from modelyard.serving import endpoints


@pytest.fixture(scope="module")
def server(registry: Any, versions: dict[str, str]) -> Iterator[str]:
    # the versions are registered first: a server started on an empty store with an artifact
    # destination would give the default experiment a proxied (mlflow-artifacts:) location
    config = ServerConfig(
        backend_store_uri=registry.uri,
        artifacts_destination=str(registry.root / "artifacts"),
    )
    with LiveServer(config) as url:
        yield url


@pytest.fixture(scope="module")
def versions(registry: Any) -> dict[str, str]:
    return {
        "v1": registry.register("rest-churn", stage="Production"),
        "v2": registry.register("rest-churn", flip=True),
    }


def _api(url: str) -> str:
    return f"{url}/api/2.0/serving-endpoints"


def test_create_get_list_update_delete(server: str, versions: dict[str, str]) -> None:
    body = {
        "name": "rest-ab",
        "config": {
            "served_entities": [
                {
                    "name": "prod",
                    "entity_name": "rest-churn",
                    "stage": "Production",
                    "workload_size": "Small",
                },
                {
                    "name": "challenger",
                    "entity_name": "rest-churn",
                    "entity_version": versions["v2"],
                    "workload_size": "Small",
                },
            ],
            "traffic_config": {
                "routes": [
                    {"served_model_name": "prod", "traffic_percentage": 80},
                    {"served_model_name": "challenger", "traffic_percentage": 20},
                ]
            },
        },
    }
    created = httpx.post(_api(server), json=body)
    assert created.status_code == 200, created.text
    answer = created.json()
    assert answer["name"] == "rest-ab"
    routes = answer["config"]["traffic_config"]["routes"]
    assert routes == [
        {"served_model_name": "prod", "traffic_percentage": 80},
        {"served_model_name": "challenger", "traffic_percentage": 20},
    ]
    entities = {e["name"]: e for e in answer["config"]["served_entities"]}
    assert entities["challenger"]["entity_version"] == versions["v2"]
    assert entities["prod"]["stage"] == "Production"
    assert answer["state"]["ready"] == "NOT_READY"  # no endpoint server runs it yet

    # the Python API sees what the REST call stored (one serving home)
    stored = endpoints.get_endpoint("rest-ab")
    assert [m["traffic_percentage"] for m in stored.served_models] == [80, 20]

    listed = httpx.get(_api(server)).json()["endpoints"]
    assert "rest-ab" in [e["name"] for e in listed]
    assert httpx.get(f"{_api(server)}/rest-ab").json()["name"] == "rest-ab"

    new_split = {
        "served_entities": body["config"]["served_entities"],
        "traffic_config": {
            "routes": [
                {"served_model_name": "prod", "traffic_percentage": 50},
                {"served_model_name": "challenger", "traffic_percentage": 50},
            ]
        },
    }
    updated = httpx.put(f"{_api(server)}/rest-ab/config", json=new_split)
    assert updated.status_code == 200, updated.text
    shares = [r["traffic_percentage"] for r in updated.json()["config"]["traffic_config"]["routes"]]
    assert shares == [50, 50]
    assert [m["traffic_percentage"] for m in endpoints.get_endpoint("rest-ab").served_models] == [
        50,
        50,
    ]

    assert httpx.delete(f"{_api(server)}/rest-ab").status_code == 200
    gone = httpx.get(f"{_api(server)}/rest-ab")
    assert gone.status_code == 404
    assert gone.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "bad"}, "config"),
        ({"name": "bad", "config": {"served_entities": []}}, "config.served_entities"),
        ({"name": "bad", "config": {"served_entities": [{"entity_version": "1"}]}}, "entity_name"),
        (
            {
                "name": "bad name!",
                "config": {
                    "served_entities": [{"entity_name": "rest-churn", "entity_version": "1"}]
                },
            },
            "endpoint name",
        ),
        (
            {
                "name": "bad",
                "config": {
                    "served_entities": [
                        {"name": "a", "entity_name": "rest-churn", "entity_version": "1"}
                    ],
                    "traffic_config": {
                        "routes": [{"served_model_name": "zz", "traffic_percentage": 100}]
                    },
                },
            },
            "served_model_name",
        ),
        (
            {
                "name": "bad",
                "config": {
                    "served_entities": [
                        {
                            "entity_name": "rest-churn",
                            "entity_version": "1",
                            "traffic_percentage": 60,
                        }
                    ]
                },
            },
            "traffic percentages",
        ),
    ],
)
def test_bad_configs_name_the_field(
    server: str, versions: dict[str, str], body: dict[str, Any], field: str
) -> None:
    answer = httpx.post(_api(server), json=body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert field in answer.json()["message"]
    assert "Traceback" not in answer.text
    assert "bad" not in [e.name for e in endpoints.list_endpoints()]


def test_unknown_model_version_is_refused(server: str, versions: dict[str, str]) -> None:
    body = {
        "name": "ghost",
        "config": {"served_entities": [{"entity_name": "rest-churn", "entity_version": "99"}]},
    }
    answer = httpx.post(_api(server), json=body)
    assert answer.status_code == 404
    assert answer.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    assert "ghost" not in [e.name for e in endpoints.list_endpoints()]


def test_tokens_over_rest(server: str) -> None:
    base = f"{server}/api/2.0/modelyard/serving-endpoints/tokens"
    made = httpx.post(f"{base}/create", json={"comment": "ui"}).json()
    assert made["token"].startswith("myd_")
    listed = httpx.get(base).json()["tokens"]
    mine = [t for t in listed if t["token_id"] == made["token_id"]]
    assert mine and "token" not in mine[0] and mine[0]["revoked"] is False
    assert httpx.post(f"{base}/revoke", json={"token_id": made["token_id"]}).status_code == 200
    listed = {t["token_id"]: t for t in httpx.get(base).json()["tokens"]}
    assert listed[made["token_id"]]["revoked"] is True
    missing = httpx.post(f"{base}/revoke", json={"token_id": "nope"})
    assert missing.status_code == 404


def test_live_figures_from_a_running_endpoint(
    server: str, versions: dict[str, str], registry: Any, start_server: Any
) -> None:
    body = {
        "name": "rest-live",
        "config": {
            "served_entities": [
                {"name": "prod", "entity_name": "rest-churn", "entity_version": versions["v1"]}
            ],
            "inference_logging": True,
        },
    }
    assert httpx.post(_api(server), json=body).status_code == 200
    gateway = start_server(
        [
            "endpoints",
            "serve",
            "rest-live",
            "--workers",
            "1",
            "--poll-interval",
            "0.5",
            "--disable-auth",
        ],
        registry.env,
        workers=1,
    )
    url = f"{gateway.url}/serving-endpoints/rest-live/invocations"
    for _ in range(200):  # the worker loads the model at start-up (bounded by trials)
        state = httpx.get(f"{_api(server)}/rest-live").json()["state"]
        if state["ready"] == "READY":
            break
        time.sleep(0.1)
    assert state["ready"] == "READY"
    rows = row_dicts(3)
    for _ in range(12):
        assert httpx.post(url, json={"dataframe_records": rows}).status_code == 200
    assert httpx.post(url, json={"dataframe_records": [{"age": "x"}]}).status_code == 400
    figures: dict[str, Any] = {}
    for _ in range(600):  # the inference table is written off the request path
        figures = httpx.get(f"{_api(server)}/rest-live/figures", params={"minutes": 5}).json()
        if figures["requests"] >= 13:
            break
        time.sleep(0.1)
    assert figures["requests"] == 13
    (variant,) = figures["variants"]
    assert variant["served_model"] == "prod"
    assert variant["model_version"] == versions["v1"]
    assert variant["errors"] == 1
    assert variant["error_rate"] == pytest.approx(1 / 13)
    assert variant["p50_latency_ms"] > 0
    assert variant["p99_latency_ms"] >= variant["p50_latency_ms"]
    assert variant["requests_per_second"] == pytest.approx(13 / 300)

    bad = httpx.get(f"{_api(server)}/rest-live/figures", params={"minutes": 0})
    assert bad.status_code == 400 and "minutes" in bad.json()["message"]
    assert httpx.get(f"{_api(server)}/nope/figures").status_code == 404
