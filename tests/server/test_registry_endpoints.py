"""Registry RPCs over the real app: shapes, encodings (GET query, DELETE/PATCH JSON bodies),
error codes and HTTP statuses, lineage from logged models, the history extension."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path

import pytest
from server_helpers import API, get, new_experiment, new_run, post
from starlette.testclient import TestClient

from modelyard.errors import ResourceDoesNotExist
from modelyard.server.config import ServerConfig
from modelyard.server.testing import LiveServer
from modelyard.services.registry import RegistryService

RM = "/registered-models"
MV = "/model-versions"


def _send(client: TestClient, method: str, path: str, body: dict, status: int = 200) -> dict:
    r = client.request(
        method, API + path, content=json.dumps(body), headers={"Content-Type": "application/json"}
    )
    assert r.status_code == status, r.text
    return r.json()


def _name() -> str:
    return f"rm-{uuid.uuid4().hex[:8]}"


def _model(client: TestClient, versions: int = 1) -> str:
    name = _name()
    post(client, f"{RM}/create", {"name": name})
    for _ in range(versions):
        body = {"name": name, "source": "runs:/abc123/model", "run_id": "abc123"}
        post(client, f"{MV}/create", body)
    return name


def test_create_get_and_duplicate(client: TestClient) -> None:
    name = _name()
    rm = post(
        client,
        f"{RM}/create",
        {"name": name, "tags": [{"key": "t", "value": "1"}], "description": "d"},
    )["registered_model"]
    assert rm["name"] == name
    assert rm["tags"] == [{"key": "t", "value": "1"}]
    assert rm["description"] == "d"
    assert isinstance(rm["creation_timestamp"], int)
    assert "latest_versions" not in rm
    assert "aliases" not in rm
    dup = post(client, f"{RM}/create", {"name": name}, status=400)
    assert dup["error_code"] == "RESOURCE_ALREADY_EXISTS"
    missing = get(client, f"{RM}/get", {"name": _name()}, status=404)
    assert missing["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    bad = post(client, f"{RM}/create", {"name": "a/b"}, status=400)
    assert bad == {"error_code": "INVALID_PARAMETER_VALUE", "message": bad["message"]}
    assert "cannot contain '/' or ':'" in bad["message"]
    assert post(client, f"{RM}/create", {}, status=400)["error_code"] == "INVALID_PARAMETER_VALUE"


def test_model_version_lifecycle(client: TestClient) -> None:
    name = _model(client, 0)
    mv = post(
        client,
        f"{MV}/create",
        {"name": name, "source": "runs:/abc123/model", "run_id": "abc123", "description": "v1"},
    )["model_version"]
    assert mv["version"] == "1"
    assert mv["status"] == "READY"
    assert mv["current_stage"] == "None"
    assert mv["run_id"] == "abc123"
    got = get(client, f"{MV}/get", {"name": name, "version": "1"})["model_version"]
    assert got == mv
    updated = _send(
        client, "PATCH", f"{MV}/update", {"name": name, "version": "1", "description": "better"}
    )["model_version"]
    assert updated["description"] == "better"
    uri = get(client, f"{MV}/get-download-uri", {"name": name, "version": "1"})
    assert uri == {"artifact_uri": "runs:/abc123/model"}
    bad = get(client, f"{MV}/get", {"name": name, "version": "abc"}, status=400)
    assert "must be an integer" in bad["message"]
    assert _send(client, "DELETE", f"{MV}/delete", {"name": name, "version": "1"}) == {}
    gone = get(client, f"{MV}/get", {"name": name, "version": "1"}, status=404)
    assert gone["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    again = post(
        client, f"{MV}/create", {"name": name, "source": "runs:/abc123/model", "run_id": "abc123"}
    )["model_version"]
    assert again["version"] == "2"


def test_transition_with_archive_and_latest_versions(client: TestClient) -> None:
    name = _model(client, 3)
    body = {"name": name, "stage": "production", "archive_existing_versions": False}
    post(client, f"{MV}/transition-stage", {**body, "version": "1"})
    mv = post(
        client,
        f"{MV}/transition-stage",
        {**body, "version": "2", "archive_existing_versions": True},
    )["model_version"]
    assert mv["current_stage"] == "Production"
    v1 = get(client, f"{MV}/get", {"name": name, "version": "1"})["model_version"]
    assert v1["current_stage"] == "Archived"
    bad = post(
        client,
        f"{MV}/transition-stage",
        {**body, "version": "3", "stage": "Archived", "archive_existing_versions": True},
        status=400,
    )
    assert bad["error_code"] == "INVALID_PARAMETER_VALUE"
    bad_stage = post(
        client, f"{MV}/transition-stage", {**body, "version": "3", "stage": "Live"}, status=400
    )
    assert "Invalid Model Version stage" in bad_stage["message"]
    latest = post(client, f"{RM}/get-latest-versions", {"name": name})["model_versions"]
    assert sorted((v["current_stage"], v["version"]) for v in latest) == [
        ("Archived", "1"),
        ("None", "3"),
        ("Production", "2"),
    ]
    prod = post(client, f"{RM}/get-latest-versions", {"name": name, "stages": ["Production"]})
    assert [v["version"] for v in prod["model_versions"]] == ["2"]
    via_get = get(
        client,
        f"{RM}/get-latest-versions",
        [("name", name), ("stages", "Production"), ("stages", "None")],
    )
    assert sorted(v["version"] for v in via_get["model_versions"]) == ["2", "3"]
    assert get(client, f"{RM}/get-latest-versions", {"name": name, "stages": "Staging"}) == {}
    rm = get(client, f"{RM}/get", {"name": name})["registered_model"]
    assert sorted(v["version"] for v in rm["latest_versions"]) == ["1", "2", "3"]
    missing = post(client, f"{RM}/get-latest-versions", {"name": _name()}, status=404)
    assert missing["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_aliases(client: TestClient) -> None:
    name = _model(client, 2)
    assert post(client, f"{RM}/alias", {"name": name, "alias": "champion", "version": "1"}) == {}
    post(client, f"{RM}/alias", {"name": name, "alias": "champion", "version": "2"})
    mv = get(client, f"{RM}/alias", {"name": name, "alias": "champion"})["model_version"]
    assert mv["version"] == "2"
    assert mv["aliases"] == ["champion"]
    rm = get(client, f"{RM}/get", {"name": name})["registered_model"]
    assert rm["aliases"] == [{"alias": "champion", "version": "2"}]
    reserved = post(
        client, f"{RM}/alias", {"name": name, "alias": "latest", "version": "1"}, status=400
    )
    assert reserved["message"] == "'latest' alias name (case insensitive) is reserved."
    v1 = post(client, f"{RM}/alias", {"name": name, "alias": "v1", "version": "1"}, status=400)
    assert v1["message"] == "Version alias name 'v1' is reserved."
    no_version = post(
        client, f"{RM}/alias", {"name": name, "alias": "x", "version": "9"}, status=404
    )
    assert no_version["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    assert _send(client, "DELETE", f"{RM}/alias", {"name": name, "alias": "champion"}) == {}
    missing = get(client, f"{RM}/alias", {"name": name, "alias": "champion"}, status=400)
    assert missing == {
        "error_code": "INVALID_PARAMETER_VALUE",
        "message": "Registered model alias champion not found.",
    }


def test_tags_rename_update_delete(client: TestClient) -> None:
    name = _model(client, 1)
    post(client, f"{RM}/set-tag", {"name": name, "key": "k", "value": "v"})
    post(client, f"{MV}/set-tag", {"name": name, "version": "1", "key": "mk", "value": "mv"})
    rm = get(client, f"{RM}/get", {"name": name})["registered_model"]
    assert rm["tags"] == [{"key": "k", "value": "v"}]
    mv = get(client, f"{MV}/get", {"name": name, "version": "1"})["model_version"]
    assert mv["tags"] == [{"key": "mk", "value": "mv"}]
    _send(client, "DELETE", f"{RM}/delete-tag", {"name": name, "key": "k"})
    _send(client, "DELETE", f"{MV}/delete-tag", {"name": name, "version": "1", "key": "mk"})
    assert "tags" not in get(client, f"{RM}/get", {"name": name})["registered_model"]
    long = post(
        client, f"{RM}/set-tag", {"name": name, "key": "k", "value": "x" * 100_001}, status=400
    )
    assert long["error_code"] == "INVALID_PARAMETER_VALUE"
    updated = _send(client, "PATCH", f"{RM}/update", {"name": name, "description": "new"})
    assert updated["registered_model"]["description"] == "new"
    new = _name()
    renamed = post(client, f"{RM}/rename", {"name": name, "new_name": new})["registered_model"]
    assert renamed["name"] == new
    assert get(client, f"{MV}/get", {"name": new, "version": "1"})["model_version"]["name"] == new
    assert _send(client, "DELETE", f"{RM}/delete", {"name": new}) == {}
    get(client, f"{RM}/get", {"name": new}, status=404)


def test_searches(client: TestClient) -> None:
    prefix = f"s{uuid.uuid4().hex[:6]}"
    for i in range(3):
        name = f"{prefix}-{i}"
        post(client, f"{RM}/create", {"name": name})
        post(
            client,
            f"{MV}/create",
            {"name": name, "source": "runs:/abc123/model", "run_id": "abc123"},
        )
    post(
        client,
        f"{RM}/set-tag",
        {"name": f"{prefix}-2", "key": "mlflow.prompt.is_prompt", "value": "true"},
    )
    flt = f"name LIKE '{prefix}%' AND tag.`mlflow.prompt.is_prompt` != 'true'"
    found = get(client, f"{RM}/search", {"filter": flt, "max_results": "100"})
    assert [m["name"] for m in found["registered_models"]] == [f"{prefix}-0", f"{prefix}-1"]
    page = get(client, f"{RM}/search", {"filter": f"name LIKE '{prefix}%'", "max_results": 1})
    assert len(page["registered_models"]) == 1
    assert page["next_page_token"]
    too_many = get(client, f"{RM}/search", {"max_results": "1001"}, status=400)
    assert too_many["error_code"] == "INVALID_PARAMETER_VALUE"
    versions = get(client, f"{MV}/search", {"filter": f"name='{prefix}-1'"})["model_versions"]
    assert [(v["name"], v["version"]) for v in versions] == [(f"{prefix}-1", "1")]
    bad_key = get(client, f"{MV}/search", {"filter": "stage='Production'"}, status=400)
    assert bad_key["error_code"] == "INVALID_PARAMETER_VALUE"
    assert get(client, f"{MV}/search", {"filter": "name='nothing-here'"}) == {}


def test_source_validation(client: TestClient) -> None:
    name = _model(client, 0)
    for body in (
        {"source": "runs:/abc123/model", "run_id": "other999"},
        {"source": "mlflow-artifacts:/1/%2e%2e/%2e%2e/etc"},
        {"source": "file:///etc/passwd", "run_id": "abc123"},
        {"source": "/etc"},
        {"source": "models:/m-0123456789abcdef0123456789abcdef"},
    ):
        err = post(client, f"{MV}/create", {"name": name, **body}, status=400)
        assert err["error_code"] == "INVALID_PARAMETER_VALUE", body


def test_logged_model_lineage_and_tag(client: TestClient) -> None:
    exp = new_experiment(client, f"e-{uuid.uuid4().hex[:6]}")
    run = new_run(client, exp)["info"]
    model = post(
        client,
        "/logged-models",
        {"experiment_id": exp, "name": "model", "source_run_id": run["run_id"]},
    )["model"]["info"]
    name = _model(client, 0)
    mv = post(
        client,
        f"{MV}/create",
        {"name": name, "source": f"models:/{model['model_id']}", "model_id": model["model_id"]},
    )["model_version"]
    assert mv["model_id"] == model["model_id"]
    assert mv["run_id"] == run["run_id"]
    uri = get(client, f"{MV}/get-download-uri", {"name": name, "version": mv["version"]})
    assert uri["artifact_uri"] == model["artifact_uri"]
    logged = get(client, f"/logged-models/{model['model_id']}")["model"]["info"]
    tags = {t["key"]: t["value"] for t in logged.get("tags", [])}
    assert json.loads(tags["mlflow.modelVersions"]) == [{"name": name, "version": "1"}]
    # a proxy source inside the run's artifact root is fine, outside is refused
    inside = f"{run['artifact_uri']}/model"
    ok = post(client, f"{MV}/create", {"name": name, "source": inside, "run_id": run["run_id"]})
    assert ok["model_version"]["source"] == inside
    other = new_run(client, exp)["info"]
    post(
        client,
        f"{MV}/create",
        {"name": name, "source": inside, "run_id": other["run_id"]},
        status=400,
    )


def test_history_extension_and_ajax(client: TestClient) -> None:
    name = _model(client, 2)
    post(
        client,
        f"{MV}/transition-stage",
        {"name": name, "version": "1", "stage": "Staging", "archive_existing_versions": False},
    )
    post(client, f"{RM}/alias", {"name": name, "alias": "champion", "version": "2"})
    hist = get(client, f"{MV}/history", {"name": name})["transitions"]
    assert [(h["version"], h["kind"], h.get("from_value"), h.get("to_value")) for h in hist] == [
        ("1", "stage", "None", "Staging"),
        ("2", "alias_set", None, "champion"),
    ]
    only_2 = get(client, f"{MV}/history", {"name": name, "version": "2"})["transitions"]
    assert [h["kind"] for h in only_2] == ["alias_set"]
    r = client.get("/ajax-api/2.0/mlflow/registered-models/get", params={"name": name})
    assert r.status_code == 200
    assert r.json()["registered_model"]["name"] == name


# ---------------------------------------------------------------- the real mlflow client
_REAL_CLIENT_SCRIPT = r"""
import json, sys, uuid
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

url = sys.argv[1]
c = MlflowClient(tracking_uri=url, registry_uri=url)
name = "real-" + uuid.uuid4().hex[:8]
exp = c.create_experiment("exp-" + name)
run = c.create_run(exp)
rid = run.info.run_id
out = {}
rm = c.create_registered_model(name, tags={"team": "risk"}, description="first")
out["rm_name"] = rm.name
try:
    c.create_registered_model(name)
except MlflowException as e:
    out["dup_code"] = e.error_code
versions = [c.create_model_version(name, f"runs:/{rid}/model", run_id=rid) for _ in range(3)]
out["versions"] = [(v.version, v.status, v.current_stage) for v in versions]
c.transition_model_version_stage(name, 1, "Production")
mv = c.transition_model_version_stage(name, 2, "production", archive_existing_versions=True)
out["transition"] = mv.current_stage
out["v1_stage"] = c.get_model_version(name, 1).current_stage
out["updated"] = c.update_model_version(name, 2, description="better").description
out["rm_updated"] = c.update_registered_model(name, description="second").description
found = c.search_model_versions(f"name='{name}'")
out["search_versions"] = sorted(v.version for v in found)
out["search_models"] = [m.name for m in c.search_registered_models(f"name = '{name}'")]
c.set_registered_model_alias(name, "champion", 3)
alias_mv = c.get_model_version_by_alias(name, "champion")
out["alias"] = (alias_mv.version, list(alias_mv.aliases))
out["rm_aliases"] = c.get_registered_model(name).aliases
latest = c.get_latest_versions(name)
out["latest_all"] = sorted((v.current_stage, v.version) for v in latest)
out["latest_prod"] = [v.version for v in c.get_latest_versions(name, stages=["Production"])]
out["download"] = c.get_model_version_download_uri(name, 3)
c.delete_registered_model_alias(name, "champion")
c.delete_model_version(name, 3)
out["after_delete"] = c.create_model_version(name, f"runs:/{rid}/model", run_id=rid).version
try:
    c.get_model_version_by_alias(name, "champion")
except MlflowException as e:
    out["missing_alias_code"] = e.error_code
import mlflow
mlflow.set_tracking_uri(url)
c.log_text(rid, "flavors: {}\n", "model/MLmodel")
from_run = mlflow.register_model(f"runs:/{rid}/model", name)
out["register_run"] = (from_run.version, from_run.source == f"{run.info.artifact_uri}/model")
logged = c.create_logged_model(exp, name="clf", source_run_id=rid)
from_logged = mlflow.register_model(f"runs:/{rid}/clf", name)
out["register_logged"] = (from_logged.version, from_logged.source)
out["logged_tag"] = json.loads(c.get_logged_model(logged.model_id).tags["mlflow.modelVersions"])
out["logged_id"] = logged.model_id
out["logged_download"] = (
    c.get_model_version_download_uri(name, from_logged.version) == logged.artifact_location
)
c.delete_registered_model(name)
print(json.dumps(out))
"""


@pytest.mark.compat
def test_real_mlflow_client(mlflow_python: Path, tmp_path: Path) -> None:
    dest = tmp_path / "artifacts"
    dest.mkdir()
    config = ServerConfig(
        backend_store_uri=f"sqlite:///{tmp_path / 'real.db'}", artifacts_destination=dest.as_uri()
    )
    with LiveServer(config) as url:
        proc = subprocess.run(
            [str(mlflow_python), "-c", _REAL_CLIENT_SCRIPT, url],
            capture_output=True,
            text=True,
            timeout=240,
            env={**os.environ, "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0"},
        )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["dup_code"] == "RESOURCE_ALREADY_EXISTS"
    assert out["versions"] == [
        ["1", "READY", "None"],
        ["2", "READY", "None"],
        ["3", "READY", "None"],
    ]
    assert out["transition"] == "Production"
    assert out["v1_stage"] == "Archived"
    assert out["updated"] == "better"
    assert out["rm_updated"] == "second"
    assert out["search_versions"] == ["1", "2", "3"]
    assert out["search_models"] == [out["rm_name"]]
    assert out["alias"] == ["3", ["champion"]]
    assert out["rm_aliases"] == {"champion": "3"}
    assert out["latest_all"] == [["Archived", "1"], ["None", "3"], ["Production", "2"]]
    assert out["latest_prod"] == ["2"]
    assert out["download"].startswith("runs:/")
    assert out["after_delete"] == "4"
    assert out["missing_alias_code"] == "INVALID_PARAMETER_VALUE"
    assert out["register_run"] == ["5", True]
    model_id = out["logged_id"]
    # (the real client does not read model_id back from a ModelVersion message)
    assert out["register_logged"] == ["6", f"models:/{model_id}"]
    # the server records the version on the logged model, and the real client appends it again
    assert out["logged_tag"][0] == {"name": out["rm_name"], "version": "6"}
    assert out["logged_download"] is True


# ---------------------------------------------------------------- register_model, both modes
def _register_flow(client) -> None:  # type: ignore[no-untyped-def]
    from modelyard.client.fluent import register_model

    exp = client.create_experiment(f"reg-{uuid.uuid4().hex[:6]}")
    run = client.create_run(exp)
    rid = run.info.run_id
    name = f"reg-{uuid.uuid4().hex[:6]}"
    # 1. the run holds an MLmodel under model/: the run's files are the source
    client.log_text(rid, "flavors: {}\n", "model/MLmodel")
    mv1 = register_model(f"runs:/{rid}/model", name, tags={"t": "1"}, client=client)
    assert mv1.version == "1"
    assert mv1.source == f"{run.info.artifact_uri}/model"
    assert mv1.run_id == rid
    assert mv1.tags == {"t": "1"}
    # 2. no MLmodel in the run: the run's logged model named after the path is used
    logged = client.create_logged_model(exp, name="clf", source_run_id=rid)
    mv2 = register_model(f"runs:/{rid}/clf", name, client=client)  # model exists: no error
    assert mv2.version == "2"
    assert mv2.source == f"models:/{logged.model_id}"
    assert mv2.model_id == logged.model_id
    assert mv2.run_id == rid
    assert client.get_model_version_download_uri(name, 2) == logged.artifact_location
    # 3. models:/<model_id> directly
    mv3 = register_model(f"models:/{logged.model_id}", name, client=client)
    assert mv3.version == "3"
    tag = client.get_logged_model(logged.model_id).tags["mlflow.modelVersions"]
    assert json.loads(tag) == [{"name": name, "version": "2"}, {"name": name, "version": "3"}]
    with pytest.raises(ResourceDoesNotExist):
        register_model(f"runs:/{rid}/nothing", name, client=client)


def test_register_model_against_server(tmp_path: Path) -> None:
    from modelyard.client import MlflowClient

    dest = tmp_path / "artifacts"
    dest.mkdir()
    config = ServerConfig(
        backend_store_uri=f"sqlite:///{tmp_path / 'reg.db'}", artifacts_destination=dest.as_uri()
    )
    with LiveServer(config) as url:
        _register_flow(MlflowClient(tracking_uri=url))


def test_register_model_embedded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from modelyard.client import MlflowClient

    monkeypatch.setenv("MODELYARD_ARTIFACT_ROOT", (tmp_path / "art").as_uri())
    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'embedded.db'}")
    # what MlflowClient._registry should build: lineage resolved locally
    client._registry_service = RegistryService.for_uri(
        client.registry_uri, client._tracking, client.tracking_uri
    )
    _register_flow(client)


def test_ui_get_artifact(client: TestClient) -> None:
    exp = new_experiment(client, f"ui-{uuid.uuid4().hex[:6]}")
    run = new_run(client, exp)["info"]
    rel = run["artifact_uri"].removeprefix("mlflow-artifacts:/")
    put = client.put(f"/api/2.0/mlflow-artifacts/artifacts/{rel}/model/MLmodel", content=b"x: 1\n")
    assert put.status_code == 200, put.text
    name = _model(client, 0)
    body = {"name": name, "source": f"runs:/{run['run_id']}/model", "run_id": run["run_id"]}
    post(client, f"{MV}/create", body)
    r = client.get(
        "/model-versions/get-artifact", params={"name": name, "version": "1", "path": "MLmodel"}
    )
    assert r.status_code == 200, r.text
    assert r.content == b"x: 1\n"
    missing = client.get(
        "/model-versions/get-artifact", params={"name": name, "version": "1", "path": "nope"}
    )
    assert missing.status_code == 404
    assert missing.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    bad = client.get(
        "/model-versions/get-artifact",
        params={"name": name, "version": "1", "path": "../../etc/passwd"},
    )
    assert bad.status_code == 400


@pytest.mark.postgres
def test_flow_on_postgresql(pg_database_uri: str, tmp_path: Path) -> None:
    from modelyard.server import create_app

    dest = tmp_path / "pg-artifacts"
    dest.mkdir()
    config = ServerConfig(
        backend_store_uri=pg_database_uri,
        artifacts_destination=dest.as_uri(),
        allowed_hosts=("testserver",),
    )
    with TestClient(create_app(config)) as pg:
        name = _model(pg, 3)
        body = {"name": name, "stage": "Staging", "archive_existing_versions": True}
        post(pg, f"{MV}/transition-stage", {**body, "version": "1"})
        post(pg, f"{MV}/transition-stage", {**body, "version": "2"})
        post(pg, f"{RM}/alias", {"name": name, "alias": "champion", "version": "2"})
        latest = post(pg, f"{RM}/get-latest-versions", {"name": name})["model_versions"]
        assert sorted((v["current_stage"], v["version"]) for v in latest) == [
            ("Archived", "1"),
            ("None", "3"),
            ("Staging", "2"),
        ]
        flt = f"name = '{name}' AND tag.`mlflow.prompt.is_prompt` != 'true'"
        found = get(pg, f"{RM}/search", {"filter": flt})["registered_models"]
        assert [m["name"] for m in found] == [name]
        assert found[0]["aliases"] == [{"alias": "champion", "version": "2"}]
        hist = get(pg, f"{MV}/history", {"name": name})["transitions"]
        assert [(h["version"], h["kind"], h.get("to_value")) for h in hist] == [
            ("1", "stage", "Staging"),
            ("1", "stage", "Archived"),
            ("2", "stage", "Staging"),
            ("2", "alias_set", "champion"),
        ]
        _send(pg, "DELETE", f"{RM}/delete", {"name": name})
        get(pg, f"{RM}/get", {"name": name}, status=404)
