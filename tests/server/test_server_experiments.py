"""Experiment RPCs over the real app and a real SQLite store."""

from __future__ import annotations

from server_helpers import API, get, new_experiment, post


def test_default_experiment_exists(client):
    exp = get(client, "/experiments/get", {"experiment_id": "0"})["experiment"]
    assert exp["name"] == "Default"
    assert exp["lifecycle_stage"] == "active"
    assert exp["artifact_location"] == "mlflow-artifacts:/0"
    assert isinstance(exp["creation_time"], int)


def test_create_get_and_ajax_mirror(client):
    exp_id = post(
        client, "/experiments/create", {"name": "e1", "tags": [{"key": "k", "value": "v"}]}
    )["experiment_id"]
    exp = get(client, "/experiments/get", {"experiment_id": exp_id})["experiment"]
    assert exp["name"] == "e1"
    assert exp["artifact_location"] == f"mlflow-artifacts:/{exp_id}"
    assert exp["tags"] == [{"key": "k", "value": "v"}]
    ajax = client.get(f"/ajax-api/2.0/mlflow/experiments/get?experiment_id={exp_id}")
    assert ajax.status_code == 200
    assert ajax.json()["experiment"] == exp


def test_duplicate_name_is_400_resource_already_exists(client):
    new_experiment(client, "dup")
    body = post(client, "/experiments/create", {"name": "dup"}, status=400)
    assert body["error_code"] == "RESOURCE_ALREADY_EXISTS"


def test_get_by_name_missing_is_404_and_deleted_is_returned(client):
    body = get(client, "/experiments/get-by-name", {"experiment_name": "nope"}, status=404)
    assert body["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    exp_id = new_experiment(client, "gone")
    post(client, "/experiments/delete", {"experiment_id": exp_id})
    exp = get(client, "/experiments/get-by-name", {"experiment_name": "gone"})["experiment"]
    assert exp["lifecycle_stage"] == "deleted"
    post(client, "/experiments/restore", {"experiment_id": exp_id})
    exp = get(client, "/experiments/get", {"experiment_id": exp_id})["experiment"]
    assert exp["lifecycle_stage"] == "active"


def test_unknown_experiment_is_404(client):
    body = get(client, "/experiments/get", {"experiment_id": "12345"}, status=404)
    assert body["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_missing_and_wrong_type_fields(client):
    body = post(client, "/experiments/create", {}, status=400)
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "Missing value for required parameter 'name'" in body["message"]
    body = post(client, "/experiments/create", {"name": 123}, status=400)
    assert body["message"].startswith("Invalid value 123 for parameter 'name'")
    body = get(client, "/experiments/get", status=400)
    assert "'experiment_id'" in body["message"]


def test_camel_case_names_accepted_but_not_both(client):
    exp_id = new_experiment(client, "camel")
    assert (
        get(client, "/experiments/get", {"experimentId": exp_id})["experiment"]["name"] == "camel"
    )
    body = post(
        client,
        "/experiments/set-experiment-tag",
        {"experiment_id": exp_id, "experimentId": exp_id, "key": "a", "value": "b"},
        status=400,
    )
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"


def test_search_post_and_get_with_paging(client):
    for i in range(3):
        new_experiment(client, f"s{i}")
    page1 = post(client, "/experiments/search", {"max_results": 2, "filter": "name LIKE 's%'"})
    assert len(page1["experiments"]) == 2
    token = page1["next_page_token"]
    page2 = post(
        client,
        "/experiments/search",
        {"max_results": 2, "filter": "name LIKE 's%'", "page_token": token},
    )
    assert len(page2["experiments"]) == 1
    assert "next_page_token" not in page2
    names = {e["name"] for e in page1["experiments"] + page2["experiments"]}
    assert names == {"s0", "s1", "s2"}
    via_get = get(
        client,
        "/experiments/search",
        [("filter", "name = 's1'"), ("view_type", "ALL"), ("order_by", "name ASC")],
    )
    assert [e["name"] for e in via_get["experiments"]] == ["s1"]


def test_search_bad_filter_and_bad_token_are_400(client):
    body = post(client, "/experiments/search", {"filter": "name ~~ 'x'"}, status=400)
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"
    body = post(client, "/experiments/search", {"page_token": "not-a-token!!"}, status=400)
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"


def test_rename_and_tags(client):
    exp_id = new_experiment(client, "old")
    post(client, "/experiments/update", {"experiment_id": exp_id, "new_name": "new"})
    post(
        client,
        "/experiments/set-experiment-tag",
        {"experiment_id": exp_id, "key": "t", "value": "1"},
    )
    exp = get(client, "/experiments/get", {"experiment_id": exp_id})["experiment"]
    assert exp["name"] == "new"
    assert {"key": "t", "value": "1"} in exp["tags"]
    post(client, "/experiments/delete-experiment-tag", {"experiment_id": exp_id, "key": "t"})
    exp = get(client, "/experiments/get", {"experiment_id": exp_id})["experiment"]
    assert "tags" not in exp or {"key": "t", "value": "1"} not in exp["tags"]


def test_artifact_location_restricted_to_roots(client, server_config):
    for bad in ("runs:/abc/x", "file:///etc", "/etc/passwd", "mlflow-artifacts:/../x", "s3://b/x"):
        body = post(
            client,
            "/experiments/create",
            {"name": f"x{hash(bad)}", "artifact_location": bad},
            status=400,
        )
        assert body["error_code"] == "INVALID_PARAMETER_VALUE", bad
    ok = server_config.artifacts_destination + "/custom"
    exp_id = post(client, "/experiments/create", {"name": "inside", "artifact_location": ok})[
        "experiment_id"
    ]
    assert (
        get(client, "/experiments/get", {"experiment_id": exp_id})["experiment"][
            "artifact_location"
        ]
        == ok
    )
    exp_id = post(
        client,
        "/experiments/create",
        {"name": "proxied", "artifact_location": "mlflow-artifacts:/team/a"},
    )["experiment_id"]
    assert client.get(f"{API}/experiments/get", params={"experiment_id": exp_id}).status_code == 200


def test_plain_path_inside_destination_becomes_file_uri(client, server_config):
    inside = server_config.artifacts_destination.removeprefix("file://") + "/plain"
    exp_id = post(client, "/experiments/create", {"name": "plain", "artifact_location": inside})[
        "experiment_id"
    ]
    exp = get(client, "/experiments/get", {"experiment_id": exp_id})["experiment"]
    assert exp["artifact_location"] == "file://" + inside


def test_out_of_range_ids_are_user_errors(client):
    r = client.post(f"{API}/experiments/delete", json={"experiment_id": "9" * 40})
    assert 400 <= r.status_code < 500
    r = client.post(f"{API}/runs/search", json={"experiment_ids": ["9" * 40]})
    assert 400 <= r.status_code < 500
