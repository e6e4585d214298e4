"""MLflow 3 trace routes with auth on: each checks the permission on the trace's experiment.

READ to get or search (every experiment of a search), EDIT to start a trace or change its tags,
MANAGE to delete. A trace of an experiment the caller cannot read is refused (403) and its
content never shown; an unknown trace id is a 404, as for runs.
"""

from __future__ import annotations

import json
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

warnings.filterwarnings("ignore", message=".*httpx.*")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/server: auth_helpers

from auth_helpers import (  # noqa: E402
    ADMIN,
    API,
    NOBODY,
    World,
    auth_config,
    basic,
    build_world,
    make_client,
    ok,
    start_trace,
    trace_body,
)

V3 = "/api/3.0/mlflow"
SECRET = "secret-request"  # the request preview of the admin's trace
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
            "attributes": {"mlflow.spanType": '"UNKNOWN"', "mlflow.spanInputs": SECRET},
        }
    ]
}


@dataclass
class Users:
    world: World
    reader: dict[str, str]
    editor: dict[str, str]
    manager: dict[str, str]
    own_experiment: str  # nobody's own experiment (nobody has MANAGE on it as its creator)
    own_trace: str


def _user(world: World, name: str, permission: str | None) -> dict[str, str]:
    password = f"{name}-password"
    body = {"username": name, "password": password}
    ok(world.client.post(f"{API}/users/create", json=body, headers=ADMIN))
    if permission:
        grant = {"experiment_id": world.experiment_id, "username": name, "permission": permission}
        ok(world.client.post(f"{API}/experiments/permissions/create", json=grant, headers=ADMIN))
    return basic(name, password)


@pytest.fixture
def users(tmp_path: Path) -> Iterator[Users]:
    with make_client(auth_config(tmp_path)) as client:
        world = build_world(client)
        location = ok(client.get(f"{V3}/traces/{world.trace_id}", headers=ADMIN))["trace"][
            "trace_info"
        ]["tags"]["mlflow.artifactLocation"]
        path = location[len("mlflow-artifacts:/") :]
        ok(
            client.put(
                f"/api/2.0/mlflow-artifacts/artifacts/{path}/traces.json",
                content=json.dumps(SPANS).encode(),
                headers=ADMIN,
            )
        )
        own = ok(client.post(f"{API}/experiments/create", json={"name": "mine"}, headers=NOBODY))
        own_trace = start_trace(client, own["experiment_id"], NOBODY, "tr-nobody-own")
        yield Users(
            world,
            _user(world, "reader", "READ"),
            _user(world, "editor", "EDIT"),
            _user(world, "manager", "MANAGE"),
            own["experiment_id"],
            own_trace,
        )


def _reads(u: Users) -> list[tuple[str, str, dict]]:
    """(method, url, request kwargs) of every trace read of the admin's trace."""
    t, e = u.world.trace_id, u.world.experiment_id
    location = {"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": e}}
    return [
        ("GET", f"{V3}/traces/{t}", {}),
        ("GET", f"{API}/traces/{t}/info", {}),
        ("GET", f"{V3}/traces/get", {"params": {"trace_id": t}}),
        ("GET", f"{V3}/traces/batchGet", {"params": {"trace_ids": [t]}}),
        ("POST", f"{V3}/traces/batchGetInfos", {"json": {"trace_ids": [t]}}),
        ("GET", "/ajax-api/2.0/mlflow/get-trace-artifact", {"params": {"request_id": t}}),
        ("GET", "/ajax-api/3.0/mlflow/get-trace-artifact", {"params": {"request_id": t}}),
        ("POST", f"{V3}/traces/search", {"json": {"locations": [location]}}),
        ("GET", f"{API}/traces", {"params": {"experiment_ids": [e]}}),
        ("GET", f"/ajax-api/2.0/mlflow/traces/{t}/info", {}),
    ]


def test_reads_need_read_on_the_trace_experiment(users: Users) -> None:
    c = users.world.client
    for method, url, kwargs in _reads(users):
        denied = c.request(method, url, headers=NOBODY, **kwargs)
        assert denied.status_code == 403, (url, denied.text)
        assert denied.json()["error_code"] == "PERMISSION_DENIED"
        # the message names what the caller sent, never the trace's content or experiment
        assert SECRET not in denied.text and users.world.experiment_name not in denied.text
        for headers in (users.reader, users.editor, users.manager, ADMIN):
            allowed = c.request(method, url, headers=headers, **kwargs)
            assert allowed.status_code == 200, (url, allowed.text)
            assert SECRET in allowed.text or users.world.trace_id in allowed.text, url


def test_a_search_over_several_experiments_needs_read_on_each(users: Users) -> None:
    c, e, own = users.world.client, users.world.experiment_id, users.own_experiment

    def v3(*ids: str) -> dict:
        return {
            "locations": [
                {"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": i}}
                for i in ids
            ]
        }

    mine = ok(c.post(f"{V3}/traces/search", json=v3(own), headers=NOBODY))
    assert [t["trace_id"] for t in mine["traces"]] == [users.own_trace]
    for ids in ((own, e), (e, own)):
        r = c.post(f"{V3}/traces/search", json=v3(*ids), headers=NOBODY)
        assert r.status_code == 403 and SECRET not in r.text
        r = c.get(f"{API}/traces", params={"experiment_ids": list(ids)}, headers=NOBODY)
        assert r.status_code == 403 and SECRET not in r.text
    # the reader of the admin's experiment cannot read nobody's, so both together are refused
    assert c.post(f"{V3}/traces/search", json=v3(e, own), headers=users.reader).status_code == 403
    both = ok(c.post(f"{V3}/traces/search", json=v3(e, own), headers=ADMIN))
    assert len(both["traces"]) == 2


def test_batch_gets_need_read_on_every_trace(users: Users) -> None:
    c, t, own = users.world.client, users.world.trace_id, users.own_trace
    ok(c.post(f"{V3}/traces/batchGetInfos", json={"trace_ids": [own]}, headers=NOBODY))
    r = c.post(f"{V3}/traces/batchGetInfos", json={"trace_ids": [own, t]}, headers=NOBODY)
    assert r.status_code == 403 and SECRET not in r.text
    r = c.get(f"{V3}/traces/batchGet", params={"trace_ids": [t, own]}, headers=NOBODY)
    assert r.status_code == 403 and SECRET not in r.text


def test_camel_case_and_doubled_fields_are_checked_as_the_handler_reads_them(
    users: Users,
) -> None:
    c, e = users.world.client, users.world.experiment_id
    camel = {"locations": [{"type": "MLFLOW_EXPERIMENT", "mlflowExperiment": {"experimentId": e}}]}
    r = c.post(f"{V3}/traces/search", json=camel, headers=NOBODY)
    assert r.status_code == 403 and SECRET not in r.text
    doubled = {
        "locations": [
            {
                "mlflow_experiment": {"experiment_id": users.own_experiment},
                "mlflowExperiment": {"experimentId": e},
            }
        ]
    }
    r = c.post(f"{V3}/traces/search", json=doubled, headers=NOBODY)
    assert r.status_code in (400, 403) and SECRET not in r.text


def test_tags_need_edit(users: Users) -> None:
    c, t = users.world.client, users.world.trace_id
    for base in (V3, API):
        url = f"{base}/traces/{t}/tags"
        for headers in (NOBODY, users.reader):
            r = c.patch(url, json={"key": "k", "value": "v"}, headers=headers)
            assert r.status_code == 403, (url, r.text)
            r = c.request("DELETE", url, json={"key": "k"}, headers=headers)
            assert r.status_code == 403, (url, r.text)
        ok(c.patch(url, json={"key": "k", "value": "v"}, headers=users.editor))
        ok(c.request("DELETE", url, json={"key": "k"}, headers=users.editor))
    info = ok(c.get(f"{V3}/traces/{t}", headers=ADMIN))["trace"]["trace_info"]
    assert "k" not in info["tags"]


def test_starting_a_trace_needs_edit(users: Users) -> None:
    c, e = users.world.client, users.world.experiment_id
    for headers in (NOBODY, users.reader):
        r = c.post(f"{V3}/traces", json=trace_body(e, "tr-not-allowed"), headers=headers)
        assert r.status_code == 403, r.text
    ok(c.post(f"{V3}/traces", json=trace_body(e, "tr-by-editor"), headers=users.editor))
    assert ok(c.get(f"{V3}/traces/tr-by-editor", headers=users.reader))


def test_reusing_the_id_of_an_unreadable_trace_reveals_nothing(users: Users) -> None:
    c, t = users.world.client, users.world.trace_id
    r = c.post(f"{V3}/traces", json=trace_body(users.own_experiment, t), headers=NOBODY)
    assert r.status_code == 403, r.text
    assert users.world.experiment_id not in r.json()["message"].replace(t, "")


def test_deleting_traces_needs_manage(users: Users) -> None:
    c, e, t = users.world.client, users.world.experiment_id, users.world.trace_id
    for base in (V3, API):
        for headers in (NOBODY, users.reader, users.editor):
            r = c.post(
                f"{base}/traces/delete-traces",
                json={"experiment_id": e, "request_ids": [t]},
                headers=headers,
            )
            assert r.status_code == 403, (base, r.text)
    # naming the trace from one's own experiment deletes nothing elsewhere
    spared = ok(
        c.post(
            f"{V3}/traces/delete-traces",
            json={"experiment_id": users.own_experiment, "request_ids": [t]},
            headers=NOBODY,
        )
    )
    assert spared["traces_deleted"] == 0
    assert ok(c.get(f"{V3}/traces/{t}", headers=users.reader))
    deleted = ok(
        c.post(
            f"{V3}/traces/delete-traces",
            json={"experiment_id": e, "request_ids": [t]},
            headers=users.manager,
        )
    )
    assert deleted["traces_deleted"] == 1


def test_an_unknown_trace_is_a_404_for_everyone(users: Users) -> None:
    c = users.world.client
    for headers in (NOBODY, users.reader, ADMIN):
        r = c.get(f"{V3}/traces/tr-no-such-trace", headers=headers)
        assert r.status_code == 404, r.text
        assert r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_anonymous_callers_are_refused(users: Users) -> None:
    c = users.world.client
    for method, url, kwargs in _reads(users):
        assert c.request(method, url, **kwargs).status_code == 401, url
