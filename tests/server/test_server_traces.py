"""The trace RPCs over the real app: wire shapes, bad input, bounds, the trace-data artifact."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from server_helpers import new_experiment
from starlette.testclient import TestClient

from modelyard.server.endpoints import traces as trace_endpoints
from modelyard.services.traces import MAX_TRACE_INFO_BYTES

V3 = "/api/3.0/mlflow/traces"
V2 = "/api/2.0/mlflow/traces"


def _trace_body(exp_id: str, trace_id: str | None = None, **info: object) -> dict:
    trace_info = {
        "trace_id": trace_id or f"tr-{uuid.uuid4().hex}",
        "trace_location": {
            "type": "MLFLOW_EXPERIMENT",
            "mlflow_experiment": {"experiment_id": exp_id},
        },
        "request_time": "2026-12-02T06:47:30.065Z",
        "execution_duration": "0.294s",
        "state": "OK",
        "trace_metadata": {"mlflow.user": "ada"},
        "tags": {"mlflow.traceName": "predict"},
        "request_preview": '{"x": 3}',
        "response_preview": "7",
    }
    trace_info.update(info)
    return {"trace": {"trace_info": trace_info}}


def _start(client: TestClient, exp_id: str, **info: object) -> dict:
    r = client.post(V3, json=_trace_body(exp_id, **info))
    assert r.status_code == 200, r.text
    return r.json()["trace"]["trace_info"]


def _upload_spans(client: TestClient, info: dict, payload: bytes) -> None:
    location = info["tags"]["mlflow.artifactLocation"]
    assert location.startswith("mlflow-artifacts:/")
    path = location[len("mlflow-artifacts:/") :]
    r = client.put(f"/api/2.0/mlflow-artifacts/artifacts/{path}/traces.json", content=payload)
    assert r.status_code == 200, r.text


SPANS = {
    "spans": [
        {
            "trace_id": "E19pklCBCjtfxiaPOLSFBQ==",
            "span_id": "asSCaoQq+zI=",
            "parent_span_id": None,
            "name": "predict",
            "start_time_unix_nano": 1796194050065926197,
            "end_time_unix_nano": 1796194050360568181,
            "events": [],
            "status": {"code": "STATUS_CODE_OK", "message": ""},
            "attributes": {
                "mlflow.spanType": '"UNKNOWN"',
                "mlflow.spanInputs": '{"x": 3}',
                "mlflow.spanOutputs": "7",
                "flag": "true",
                "ratio": "0.5",
                "items": "[1, 2]",
            },
        }
    ]
}


def test_start_get_round_trip(client: TestClient) -> None:
    exp_id = new_experiment(client)
    info = _start(client, exp_id)
    assert info["request_time"] == "2026-12-02T06:47:30.065Z"
    assert info["execution_duration"] == "0.294s"
    assert info["trace_location"] == {
        "type": "MLFLOW_EXPERIMENT",
        "mlflow_experiment": {"experiment_id": exp_id},
    }
    location = info["tags"]["mlflow.artifactLocation"]
    assert location == f"mlflow-artifacts:/{exp_id}/traces/{info['trace_id']}/artifacts"
    r = client.get(f"{V3}/{info['trace_id']}")
    assert r.status_code == 200
    assert r.json()["trace"]["trace_info"] == info
    v2 = client.get(f"{V2}/{info['trace_id']}/info").json()["trace_info"]
    assert (v2["request_id"], v2["timestamp_ms"], v2["execution_time_ms"]) == (
        info["trace_id"],
        1796194050065,
        294,
    )


def test_get_trace_reads_spans_from_the_artifact(client: TestClient) -> None:
    exp_id = new_experiment(client)
    info = _start(client, exp_id)
    tid = info["trace_id"]
    r = client.get(f"{V3}/get", params={"trace_id": tid})
    assert r.status_code == 404 and "traces.json is missing" in r.json()["message"]
    _upload_spans(client, info, json.dumps(SPANS).encode())
    trace = client.get(f"{V3}/get", params={"trace_id": tid}).json()["trace"]
    (span,) = trace["spans"]
    assert span["name"] == "predict" and "parent_span_id" not in span
    attrs = {a["key"]: a["value"] for a in span["attributes"]}
    assert attrs["mlflow.spanType"] == {"string_value": "UNKNOWN"}
    assert attrs["mlflow.spanInputs"] == {
        "kvlist_value": {"values": [{"key": "x", "value": {"int_value": "3"}}]}
    }
    assert attrs["mlflow.spanOutputs"] == {"int_value": "7"}
    assert attrs["flag"] == {"bool_value": True}
    assert attrs["ratio"] == {"double_value": 0.5}
    assert attrs["items"] == {"array_value": {"values": [{"int_value": "1"}, {"int_value": "2"}]}}
    assert span["status"] == {"code": "STATUS_CODE_OK"}
    batch = client.get(f"{V3}/batchGet", params=[("trace_ids", tid)]).json()["traces"]
    assert [t["trace_info"]["trace_id"] for t in batch] == [tid]
    scoped = client.get(
        f"{V3}/batchGet", params=[("trace_ids", tid), ("experiment_ids", "987654")]
    ).json()
    assert scoped.get("traces", []) == []


def test_batch_get_bounds(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    exp_id = new_experiment(client)
    infos = [_start(client, exp_id) for _ in range(2)]
    for info in infos:
        _upload_spans(client, info, json.dumps(SPANS).encode())
    ids = [("trace_ids", i["trace_id"]) for i in infos]
    assert len(client.get(f"{V3}/batchGet", params=ids).json()["traces"]) == 2
    r = client.get(f"{V3}/batchGet", params=[("trace_ids", f"tr-{n}") for n in range(11)])
    assert r.status_code == 400 and "At most 10" in r.json()["message"]
    size = len(json.dumps(SPANS).encode())
    monkeypatch.setattr(trace_endpoints, "MAX_BATCH_TRACE_DATA_BYTES", size + 1)
    r = client.get(f"{V3}/batchGet", params=ids)
    assert r.status_code == 413 and r.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"


def test_trace_data_over_the_limit_is_refused(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    exp_id = new_experiment(client)
    info = _start(client, exp_id)
    _upload_spans(client, info, json.dumps(SPANS).encode())
    monkeypatch.setattr(trace_endpoints, "MAX_TRACE_DATA_BYTES", 100)
    r = client.get(f"{V3}/get", params={"trace_id": info["trace_id"]})
    assert r.status_code == 413, r.text
    assert r.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"


def test_corrupted_trace_data(client: TestClient) -> None:
    exp_id = new_experiment(client)
    info = _start(client, exp_id)
    _upload_spans(client, info, b"{not json")
    r = client.get(f"{V3}/get", params={"trace_id": info["trace_id"]})
    assert r.status_code == 400
    assert "corrupted" in r.json()["message"]


def test_oversized_trace_info_is_refused(client: TestClient) -> None:
    exp_id = new_experiment(client)
    big = "x" * (MAX_TRACE_INFO_BYTES + 1)
    r = client.post(V3, json=_trace_body(exp_id, request_preview=big))
    assert r.status_code == 413
    assert r.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED", r.text
    assert "too large" in r.json()["message"]


@pytest.mark.parametrize(
    ("fields", "needle"),
    [
        ({"trace_id": "../../etc"}, "trace_id"),
        ({"trace_id": ".."}, "trace_id"),
        ({"trace_id": "a" * 51}, "trace_id"),
        ({"request_time": "yesterday"}, "request_time"),
        ({"execution_duration": "long"}, "execution_duration"),
        ({"state": "DONE"}, "state"),
        ({"trace_location": {"type": "UC_SCHEMA"}}, "trace_location"),
        ({"tags": "not-a-map"}, "tags"),
    ],
)
def test_bad_trace_info(client: TestClient, fields: dict, needle: str) -> None:
    exp_id = new_experiment(client)
    r = client.post(V3, json=_trace_body(exp_id, **fields))
    assert r.status_code == 400, r.text
    assert r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert needle in r.json()["message"]
    assert "Traceback" not in r.text


def test_artifact_location_tag_is_the_servers(client: TestClient, tmp_path: Path) -> None:
    exp_id = new_experiment(client)
    info = _start(client, exp_id, tags={"mlflow.artifactLocation": "file:///etc"})
    assert info["tags"]["mlflow.artifactLocation"].startswith(f"mlflow-artifacts:/{exp_id}/")
    for method, body in (
        ("PATCH", {"key": "mlflow.artifactLocation", "value": "/etc"}),
        ("DELETE", {"key": "mlflow.artifactLocation"}),
    ):
        r = client.request(method, f"{V3}/{info['trace_id']}/tags", json=body)
        assert r.status_code == 400 and "immutable" in r.json()["message"]


def test_search_bounds_and_errors(client: TestClient) -> None:
    exp_id = new_experiment(client)
    loc = [{"mlflow_experiment": {"experiment_id": exp_id}}]
    r = client.post(f"{V3}/search", json={"locations": loc, "max_results": 501})
    assert r.status_code == 400 and "max_results" in r.json()["message"]
    r = client.post(f"{V3}/search", json={"locations": loc, "filter": "span.name = 'x'"})
    assert r.status_code == 400 and "span" in r.json()["message"]
    r = client.post(f"{V3}/search", json={})
    assert r.status_code == 400 and "locations" in r.json()["message"]
    for t in range(3):
        _start(client, exp_id, request_time=f"2026-12-02T06:47:3{t}Z")
    page = client.post(f"{V3}/search", json={"locations": loc, "max_results": 2}).json()
    assert len(page["traces"]) == 2 and page["next_page_token"]
    v2 = client.get(V2, params={"experiment_ids": exp_id}).json()
    assert [t["timestamp_ms"] for t in v2["traces"]] == [
        1796194052000,
        1796194051000,
        1796194050000,
    ]
    every = client.post(f"{V3}/search", json={"locations": loc}).json()["traces"]
    assert [t["request_id"] for t in v2["traces"]] == [t["trace_id"] for t in every]


def test_delete_traces_rules(client: TestClient) -> None:
    exp_id = new_experiment(client)
    info = _start(client, exp_id)
    r = client.post(f"{V2}/delete-traces", json={"experiment_id": exp_id})
    assert r.status_code == 400 and "max_timestamp_millis" in r.json()["message"]
    r = client.post(
        f"{V2}/delete-traces",
        json={"experiment_id": exp_id, "request_ids": [info["trace_id"]], "max_traces": 1},
    )
    assert r.status_code == 400
    r = client.post(
        f"{V2}/delete-traces", json={"experiment_id": exp_id, "request_ids": [info["trace_id"]]}
    )
    assert r.json() == {"traces_deleted": 1}


def test_otlp_answers_not_implemented(client: TestClient) -> None:
    r = client.post(
        "/v1/traces", content=b"\x00\x01", headers={"content-type": "application/x-protobuf"}
    )
    assert r.status_code == 501
    assert r.json()["error_code"] == "NOT_IMPLEMENTED"
    assert "REST OTLP span logging is not supported" in r.json()["message"]


def test_ui_trace_artifact_route(client: TestClient) -> None:
    exp_id = new_experiment(client)
    info = _start(client, exp_id)
    payload = json.dumps(SPANS).encode()
    _upload_spans(client, info, payload)
    for version in ("2.0", "3.0"):
        r = client.get(
            f"/ajax-api/{version}/mlflow/get-trace-artifact",
            params={"request_id": info["trace_id"]},
        )
        assert r.status_code == 200, r.text
        assert r.headers["content-disposition"] == "attachment; filename=traces.json"
        assert r.content == payload
    r = client.get("/ajax-api/2.0/mlflow/get-trace-artifact")
    assert r.status_code == 400 and "request_id" in r.json()["message"]
    r = client.get(
        "/ajax-api/2.0/mlflow/get-trace-artifact",
        params={"request_id": info["trace_id"], "path": "../../../traces.json"},
    )
    assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    r = client.get(
        "/ajax-api/2.0/mlflow/get-trace-artifact",
        params={"request_id": info["trace_id"], "path": "image.png"},
    )
    assert r.status_code == 404
