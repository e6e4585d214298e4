"""MLflow 3 logged-model RPCs."""

from __future__ import annotations

from server_helpers import API, get, new_experiment, new_run, post


def test_logged_model_lifecycle(client):
    exp_id = new_experiment(client)
    run_id = new_run(client, exp_id)["info"]["run_id"]
    model = post(
        client,
        "/logged-models",
        {
            "experiment_id": exp_id,
            "name": "model",
            "source_run_id": run_id,
            "model_type": "sklearn",
            "params": [{"key": "alpha", "value": "0.5"}],
            "tags": [{"key": "t", "value": "1"}],
        },
    )["model"]
    info = model["info"]
    model_id = info["model_id"]
    assert model_id.startswith("m-")
    assert info["status"] == "LOGGED_MODEL_PENDING"
    assert info["artifact_uri"] == f"mlflow-artifacts:/{exp_id}/models/{model_id}/artifacts"
    assert info["source_run_id"] == run_id
    assert model["data"]["params"] == [{"key": "alpha", "value": "0.5"}]

    got = get(client, f"/logged-models/{model_id}")["model"]
    assert got["info"]["name"] == "model"

    r = client.patch(
        f"{API}/logged-models/{model_id}",
        json={"model_id": model_id, "status": "LOGGED_MODEL_READY"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["model"]["info"]["status"] == "LOGGED_MODEL_READY"

    r = client.patch(
        f"{API}/logged-models/{model_id}/tags",
        json={"tags": [{"key": "mlflow.modelVersions", "value": "[]"}]},
    )
    assert r.status_code == 200, r.text
    tags = {
        t["key"]: t["value"]
        for t in get(client, f"/logged-models/{model_id}")["model"]["info"]["tags"]
    }
    assert tags["mlflow.modelVersions"] == "[]"
    r = client.delete(f"{API}/logged-models/{model_id}/tags/t")
    assert r.status_code == 200, r.text
    post(client, f"/logged-models/{model_id}/params", {"params": [{"key": "beta", "value": "2"}]})
    got = get(client, f"/logged-models/{model_id}")["model"]
    assert "t" not in {t["key"] for t in got["info"]["tags"]}
    assert {"key": "beta", "value": "2"} in got["data"]["params"]

    found = post(
        client, "/logged-models/search", {"experiment_ids": [exp_id], "filter": "name = 'model'"}
    )
    assert [m["info"]["model_id"] for m in found["models"]] == [model_id]
    assert (
        post(
            client,
            "/logged-models/search",
            {"experiment_ids": [exp_id], "filter": "name = 'other'"},
        )
        == {}
    )

    listing = get(client, f"/logged-models/{model_id}/artifacts/directories")
    assert listing == {"root_uri": info["artifact_uri"]}

    r = client.delete(f"{API}/logged-models/{model_id}")
    assert r.status_code == 200, r.text
    body = get(client, f"/logged-models/{model_id}", status=404)
    assert body["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    assert (
        get(client, f"/logged-models/{model_id}", {"allow_deleted": "true"})["model"]["info"][
            "model_id"
        ]
        == model_id
    )


def test_unknown_logged_model_is_404(client):
    body = get(client, "/logged-models/m-00000000000000000000000000000000", status=404)
    assert body["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_bad_finalize_status_is_400(client):
    exp_id = new_experiment(client)
    model_id = post(client, "/logged-models", {"experiment_id": exp_id})["model"]["info"][
        "model_id"
    ]
    r = client.patch(f"{API}/logged-models/{model_id}", json={"status": "BOGUS"})
    assert r.status_code == 400
    assert r.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_logged_model_artifact_files_route(client):
    exp_id = new_experiment(client)
    info = post(client, "/logged-models", {"experiment_id": exp_id, "name": "m"})["model"]["info"]
    rest = info["artifact_uri"][len("mlflow-artifacts:/") :]
    r = client.put(f"/api/2.0/mlflow-artifacts/artifacts/{rest}/MLmodel", content=b"flavors: {}\n")
    assert r.status_code == 200
    listing = get(client, f"/logged-models/{info['model_id']}/artifacts/directories")
    assert listing["files"] == [{"path": "MLmodel", "is_dir": False, "file_size": 12}]
    r = client.get(
        f"/ajax-api/2.0/mlflow/logged-models/{info['model_id']}/artifacts/files",
        params={"artifact_file_path": "MLmodel"},
    )
    assert r.status_code == 200
    assert r.content == b"flavors: {}\n"
    r = client.get(
        f"{API}/logged-models/{info['model_id']}/artifacts/files",
        params={"artifact_file_path": "../../../x"},
    )
    assert r.status_code == 400
