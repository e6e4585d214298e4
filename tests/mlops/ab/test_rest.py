"""The endpoint server's ``ab-analysis`` route on its own: a real Starlette app with the
route module's routes, a real endpoint and Delta inference table in a serving home."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import write_deltalake
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.testclient import TestClient
from tests.mlops.ab._gen import classification_table

from modelyard.mlops.ab.rest import endpoint_routes
from modelyard.serving import endpoints


@dataclass
class Context:
    home: Path
    flushed: list[str]

    async def authorize(self, request: Request, name: str) -> Response | None:
        if request.headers.get("authorization") != "Bearer ok":
            return Response(b'{"error_code": "UNAUTHENTICATED"}', 401)
        return None

    async def flush(self, name: str) -> None:
        self.flushed.append(name)


@pytest.fixture
def client(tmp_path):
    home = tmp_path / "serving"
    endpoints.create_endpoint(
        "ep",
        [
            {"name": "churn-1", "model_name": "churn", "model_version": "1",
             "traffic_percentage": 50},
            {"name": "churn-2", "model_name": "churn", "model_version": "2",
             "traffic_percentage": 50},
        ],
        validate=False,
        home=home,
    )  # fmt: skip
    table, _ = classification_table(600, 0.8, 0.8, seed=31, error_b=0.2)
    path = endpoints.inference_table_path("ep", home=home)
    write_deltalake(str(path), pa.Table.from_pandas(table, preserve_index=False))
    ctx = Context(home, [])
    with TestClient(Starlette(routes=endpoint_routes(ctx))) as c:
        c.ctx = ctx  # type: ignore[attr-defined]
        yield c


def test_analysis_as_json(client):
    auth = {"Authorization": "Bearer ok"}
    r = client.get(
        "/serving-endpoints/ep/ab-analysis",
        params={"metric": "error_rate", "min_samples": "50", "alpha": "0.01"},
        headers=auth,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["endpoint"] == "ep" and body["metric"] == "error_rate" and body["alpha"] == 0.01
    assert body["control"] == "churn-1:v1"  # the config's first served model at the top share
    assert body["winner"]["variant"] == "churn-1:v1"
    assert sum(v["requests"] for v in body["variants"]) == 600
    assert client.ctx.flushed == ["ep"]


def test_errors(client):
    url = "/serving-endpoints/ep/ab-analysis"
    assert client.get(url).status_code == 401
    auth = {"Authorization": "Bearer ok"}
    for params, text in (
        ({"min_samples": "x"}, "'min_samples' must be an integer"),
        ({"alpha": "x"}, "'alpha' must be a number"),
        ({"metric": "speed"}, "metric 'speed'"),
        ({"weird": "1"}, "weird"),
    ):
        r = client.get(url, params=params, headers=auth)
        assert r.status_code == 400, r.text
        assert r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
        assert text in r.json()["message"]
    r = client.get("/serving-endpoints/nope/ab-analysis", headers=auth)
    assert r.status_code == 404 and "nope" in r.json()["message"]
