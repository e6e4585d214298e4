"""``modelyard models serve``: MLflow's scoring protocol over real HTTP, two workers."""

from __future__ import annotations

import asyncio
import io

import httpx
import numpy as np
import pandas as pd
import pytest
from serving_helpers import FEATURES, fit, row_dicts

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def server(start_server, model_dir):
    return start_server(
        ["models", "serve", "-m", str(model_dir), "--workers", "2", "--max-body-bytes", "200000"],
        {},
        workers=2,
    )


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.url, timeout=60) as c:
        yield c


@pytest.fixture(scope="module")
def expected():
    rows = row_dicts(50)
    return rows, fit().predict(pd.DataFrame(rows)[FEATURES]).tolist()


def test_health_routes(client):
    for path in ("/ping", "/health"):
        r = client.get(path)
        assert r.status_code == 200
        assert r.text == "\n"
    assert client.get("/version").text == "0.1.0"
    assert client.get("/invocations").status_code == 405


@pytest.mark.parametrize("fmt", ["dataframe_split", "dataframe_records", "instances", "inputs"])
def test_json_formats(client, expected, fmt):
    rows, want = expected
    frame = pd.DataFrame(rows)
    body = {
        "dataframe_split": {"dataframe_split": frame.to_dict("split") | {"index": None}},
        "dataframe_records": {"dataframe_records": rows},
        "instances": {"instances": rows},
        "inputs": {"inputs": frame.to_dict("list")},
    }[fmt]
    if fmt == "dataframe_split":
        body["dataframe_split"].pop("index")
    r = client.post("/invocations", json=body)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {"predictions": want}


def test_split_with_index_and_params(client, expected):
    rows, want = expected
    split = pd.DataFrame(rows).to_dict("split")
    r = client.post("/invocations", json={"dataframe_split": split, "params": {}})
    assert r.status_code == 200, r.text
    assert r.json()["predictions"] == want


def test_csv_and_parquet(client, expected):
    rows, want = expected
    frame = pd.DataFrame(rows)
    r = client.post(
        "/invocations",
        content=frame.to_csv(index=False).encode(),
        headers={"content-type": "text/csv; charset=utf-8"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["predictions"] == want
    buf = io.BytesIO()
    frame.to_parquet(buf)
    r = client.post(
        "/invocations",
        content=buf.getvalue(),
        headers={"content-type": "application/vnd.apache.parquet"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["predictions"] == want


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"dataframe_records": [], "instances": []},
        {"data": [[1, 2, 3, 4]]},
    ],
)
def test_bad_format_keys(client, body):
    r = client.post("/invocations", json=body)
    assert r.status_code == 400
    err = r.json()
    assert err["error_code"] == "BAD_REQUEST"
    assert "dataframe_split" in err["message"] and "inputs" in err["message"]


def test_list_body_and_malformed_json(client):
    r = client.post("/invocations", json=[{"age": 1}])
    assert r.status_code == 400
    assert r.json()["error_code"] == "BAD_REQUEST"
    assert "Received a list" in r.json()["message"]
    r = client.post(
        "/invocations",
        content=b'{"dataframe_records": [',
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 400
    assert r.json()["error_code"] == "BAD_REQUEST"


def test_schema_error_names_the_column(client):
    rows = [{k: v for k, v in r.items() if k != "tenure"} for r in row_dicts(2)]
    r = client.post("/invocations", json={"dataframe_records": rows})
    assert r.status_code == 400
    err = r.json()
    assert err["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "tenure" in err["message"]
    bad = [dict(r, age="old") for r in row_dicts(2)]
    r = client.post("/invocations", json={"dataframe_records": bad})
    assert r.status_code == 400
    assert r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "age" in r.json()["message"]


@pytest.mark.parametrize(
    "ctype",
    ["text/xml", "application/json; charset=latin-1", "application/json; format=pandas-split"],
)
def test_unsupported_media_types(client, ctype):
    r = client.post("/invocations", content=b"{}", headers={"content-type": ctype})
    assert r.status_code == 415
    assert r.headers["content-type"].startswith("text/plain")


def test_body_limit(client):
    rows = row_dicts(3000)
    r = client.post("/invocations", json={"dataframe_records": rows})
    assert r.status_code == 413
    assert r.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"
    assert "200000" in r.json()["message"]

    def chunks():  # no content-length: the limit is enforced while streaming
        for _ in range(30):
            yield b" " * 10000

    r = client.post("/invocations", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_concurrent_single_rows_are_batched_correctly(server, client):
    """Many concurrent one-row requests, some malformed: each gets its own right answer."""
    rows = row_dicts(300, seed=7)
    want = fit().predict(pd.DataFrame(rows)[FEATURES]).tolist()

    async def run() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=64)
        async with httpx.AsyncClient(base_url=server.url, timeout=60, limits=limits) as ac:
            tasks = []
            for i, row in enumerate(rows):
                if i % 50 == 0:  # a bad row among good ones
                    tasks.append(
                        ac.post("/invocations", json={"dataframe_records": [{"age": "x"}]})
                    )
                tasks.append(ac.post("/invocations", json={"dataframe_records": [row]}))
            return await asyncio.gather(*tasks)

    responses = asyncio.run(run())
    good = [r for r in responses if r.status_code == 200]
    bad = [r for r in responses if r.status_code != 200]
    assert len(bad) == 6 and all(r.json()["error_code"] == "INVALID_PARAMETER_VALUE" for r in bad)
    assert [r.json()["predictions"][0] for r in good] == want
    metrics = client.get("/metrics").text
    assert "modelyard_predict_batch_rows_bucket" in metrics
    assert "modelyard_requests_total{model_uri=" in metrics


def test_server_survives_errors(client, expected):
    rows, want = expected
    r = client.post("/invocations", json={"dataframe_records": rows})
    assert r.status_code == 200
    assert r.json()["predictions"] == want
    assert np.asarray(r.json()["predictions"]).shape == (50,)
