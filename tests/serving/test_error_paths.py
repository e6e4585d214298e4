"""``modelyard models serve``: JSON errors on every path, no stack trace in any body, the model's
own traceback in the server log under the request id, and sklearn's ``predict_method`` param."""

from __future__ import annotations

import httpx
import numpy as np
import pandas as pd
import pytest
from serving_helpers import FEATURES, fit, row_dicts

pytestmark = pytest.mark.timeout(300)

ROWS = row_dicts(12, seed=5)


@pytest.fixture(scope="module")
def unsigned_model_dir(tmp_path_factory):
    """A saved sklearn classifier without a signature: the model itself sees bad input."""
    import modelyard.sklearn

    path = tmp_path_factory.mktemp("models") / "unsigned"
    modelyard.sklearn.save_model(fit(), str(path))
    return path


@pytest.fixture(scope="module")
def server(start_server, unsigned_model_dir):
    return start_server(["models", "serve", "-m", str(unsigned_model_dir), "--workers", "1"], {}, 1)


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.url, timeout=60) as c:
        yield c


def _no_trace(r: httpx.Response) -> dict:
    assert r.headers["content-type"].startswith("application/json"), r.text
    body = r.json()
    assert set(body) == {"error_code", "message"}, body
    assert "Traceback" not in r.text
    assert 'File "' not in r.text
    return body


def test_serving_endpoints_path_points_to_endpoints_serve(client):
    r = client.post("/serving-endpoints/churn/invocations", json={"dataframe_records": ROWS})
    assert r.status_code == 404
    body = _no_trace(r)
    assert body["error_code"] == "ENDPOINT_NOT_FOUND"
    assert "modelyard endpoints serve" in body["message"]
    assert "/invocations" in body["message"]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/no/such/route", 404),
        ("POST", "/predict", 404),
        ("DELETE", "/ping", 405),
        ("POST", "/version", 405),
        ("GET", "/invocations", 405),
        ("PUT", "/invocations", 405),
    ],
)
def test_unknown_paths_and_methods_are_json(client, method, path, status):
    r = client.request(method, path)
    assert r.status_code == status
    assert _no_trace(r)["error_code"] == "ENDPOINT_NOT_FOUND"


def test_model_error_logged_with_request_id_not_sent(client, server):
    # two columns for a model fitted on four: sklearn raises inside predict
    r = client.post("/invocations", json={"dataframe_records": [{"a": 1.0, "b": 2.0}]})
    assert r.status_code == 400
    body = _no_trace(r)
    assert body["error_code"] == "BAD_REQUEST"
    request_id = r.headers["x-request-id"]
    assert len(request_id) == 32
    log = server.log_path.read_text()
    line = next(ln for ln in log.splitlines() if request_id in ln)
    assert "scoring failed" in line
    assert "Traceback" in log.split(request_id, 1)[1]


def test_predict_method_param(client):
    frame = pd.DataFrame(ROWS)[FEATURES]
    model = fit()
    r = client.post(
        "/invocations",
        json={"dataframe_records": ROWS, "params": {"predict_method": "predict_proba"}},
    )
    assert r.status_code == 200, r.text
    got = np.asarray(r.json()["predictions"])
    assert got.shape == (len(ROWS), 2)
    np.testing.assert_allclose(got, model.predict_proba(frame), rtol=1e-9)

    r = client.post(
        "/invocations",
        json={"dataframe_records": ROWS, "params": {"predict_method": "predict_log_proba"}},
    )
    assert r.status_code == 200, r.text
    np.testing.assert_allclose(
        np.asarray(r.json()["predictions"]), model.predict_log_proba(frame), rtol=1e-9
    )

    r = client.post("/invocations", json={"dataframe_records": ROWS})
    assert r.json()["predictions"] == model.predict(frame).tolist()


@pytest.mark.parametrize("bad", ["decision_function", "__init__", 3])
def test_predict_method_invalid_value(client, bad):
    r = client.post(
        "/invocations", json={"dataframe_records": ROWS, "params": {"predict_method": bad}}
    )
    assert r.status_code == 400
    body = _no_trace(r)
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "predict_method" in body["message"]
    assert "predict_proba" in body["message"]  # names the allowed values
