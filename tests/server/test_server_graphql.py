"""``/graphql`` over the real app: MLflow's UI queries, bounds on documents, errors."""

from __future__ import annotations

import math

from server_helpers import get, new_experiment, new_run, post


def _gql(client, query: str, variables: dict | None = None, status: int = 200) -> dict:
    r = client.post("/graphql", json={"query": query, "variables": variables})
    assert r.status_code == status, r.text
    return r.json()


def test_echo_and_get_experiment(client):
    assert _gql(client, 'query { test(inputString: "abc") { output } }') == {
        "data": {"test": {"output": "abc"}},
        "errors": None,
    }
    exp_id = new_experiment(client, "GraphqlTest")
    body = _gql(
        client,
        "query q($id: String) { mlflowGetExperiment(input: {experimentId: $id}) "
        "{ experiment { name experimentId creationTime tags { key } } } }",
        {"id": exp_id},
    )
    exp = body["data"]["mlflowGetExperiment"]["experiment"]
    assert exp["name"] == "GraphqlTest"
    assert exp["experimentId"] == exp_id
    assert exp["creationTime"].isdigit()  # LongString: a string, not a JS number


def test_get_run_with_experiment_model_versions_and_nan_metrics(client):
    exp_id = new_experiment(client, "runs-gql")
    run = new_run(client, exp_id, run_name="r1")
    run_id = run["info"]["run_id"]
    post(
        client,
        "/runs/log-batch",
        {
            "run_id": run_id,
            "metrics": [
                {"key": "acc", "value": 0.5, "timestamp": 1, "step": 0},
                {"key": "bad", "value": "NaN", "timestamp": 1, "step": 0},
            ],
            "params": [{"key": "lr", "value": "0.1"}],
        },
    )
    post(client, "/registered-models/create", {"name": "gqlmodel"})
    post(
        client,
        "/model-versions/create",
        {"name": "gqlmodel", "source": f"runs:/{run_id}/model", "run_id": run_id},
    )
    query = """
        query testQuery($id: String) @component(name: "Test") {
          mlflowGetRun(input: {runId: $id}) {
            run {
              info { status runName startTime }
              data { metrics { key value step } params { key value } }
              experiment { name }
              modelVersions { name version }
            }
          }
        }
    """
    body = _gql(client, query, {"id": run_id})
    assert body["errors"] is None
    got = body["data"]["mlflowGetRun"]["run"]
    assert got["info"]["status"] == "RUNNING"
    assert got["info"]["runName"] == "r1"
    assert got["experiment"] == {"name": "runs-gql"}
    assert got["modelVersions"] == [{"name": "gqlmodel", "version": "1"}]
    metrics = {m["key"]: m["value"] for m in got["data"]["metrics"]}
    assert metrics["acc"] == 0.5
    assert metrics["bad"] is None  # NaN has no GraphQL Float
    assert got["data"]["params"] == [{"key": "lr", "value": "0.1"}]
    rest = get(client, "/runs/get", {"run_id": run_id})["run"]
    assert math.isnan(float(next(m["value"] for m in rest["data"]["metrics"] if m["key"] == "bad")))


def test_search_runs_list_artifacts_history_and_datasets(client):
    exp_id = new_experiment(client, "search-gql")
    run_ids = [new_run(client, exp_id)["info"]["run_id"] for _ in range(3)]
    for i, run_id in enumerate(run_ids):
        post(client, "/runs/log-metric", {"run_id": run_id, "key": "m", "value": i, "timestamp": 1})
    post(
        client,
        "/runs/log-inputs",
        {
            "run_id": run_ids[0],
            "datasets": [
                {
                    "dataset": {"name": "d", "digest": "x1", "source_type": "local", "source": "s"},
                    "tags": [{"key": "mlflow.data.context", "value": "training"}],
                }
            ],
        },
    )
    client.post(
        "/ajax-api/2.0/mlflow/upload-artifact",
        params={"run_uuid": run_ids[0], "path": "notes/a.txt"},
        content=b"hello",
    )
    search = """
      mutation s($ids: [String]) {
        mlflowSearchRuns(input: {experimentIds: $ids, orderBy: ["metrics.m DESC"], maxResults: 2}) {
          runs { info { runId } } nextPageToken
        }
      }"""
    found = _gql(client, search, {"ids": [exp_id]})["data"]["mlflowSearchRuns"]
    assert [r["info"]["runId"] for r in found["runs"]] == [run_ids[2], run_ids[1]]
    assert found["nextPageToken"]
    listing = _gql(
        client,
        'query l($id: String) { mlflowListArtifacts(input: {runId: $id, path: "notes"}) '
        "{ files { path isDir fileSize } } }",
        {"id": run_ids[0]},
    )["data"]["mlflowListArtifacts"]
    assert listing["files"] == [{"path": "notes/a.txt", "isDir": False, "fileSize": "5"}]
    history = _gql(
        client,
        "query h($ids: [String]) { mlflowGetMetricHistoryBulkInterval("
        'input: {runIds: $ids, metricKey: "m", maxResults: 5}) { metrics { runId value } } }',
        {"ids": run_ids[:2]},
    )["data"]["mlflowGetMetricHistoryBulkInterval"]["metrics"]
    assert sorted((m["runId"], m["value"]) for m in history) == sorted(
        [(run_ids[0], 0.0), (run_ids[1], 1.0)]
    )
    datasets = _gql(
        client,
        "mutation d($id: String) { mlflowSearchDatasets(input: {experimentIds: [$id]}) "
        "{ datasetSummaries { experimentId name digest context } } }",
        {"id": exp_id},
    )["data"]["mlflowSearchDatasets"]["datasetSummaries"]
    assert datasets == [
        {"experimentId": exp_id, "name": "d", "digest": "x1", "context": "training"}
    ]


def test_errors_come_back_in_the_graphql_shape(client):
    body = _gql(client, 'query { mlflowGetRun(input: {runId: "nope"}) { run { info { runId } } } }')
    assert body["data"] == {"mlflowGetRun": None}
    assert body["errors"] and "nope" in body["errors"][0]
    body = _gql(client, "query { noSuchField }")
    assert body["data"] is None
    assert "noSuchField" in body["errors"][0]
    r = client.post("/graphql", json={"query": "query {"})
    assert r.status_code == 400
    assert r.json()["data"] is None
    r = client.post("/graphql", json={})
    assert r.status_code == 400
    assert r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    r = client.post("/graphql", json=[{"query": "query { test { output } }"}])
    assert r.status_code == 400


def test_documents_are_bounded(client):
    depth = "query { a " + "{ b " * 11 + "}" * 11 + " }"
    assert "maximum depth" in _gql(client, depth)["errors"][0]
    aliases = "query { " + " ".join(f"a{i}: test {{ output }}" for i in range(11)) + " }"
    assert "root fields" in _gql(client, aliases)["errors"][0]
    level = (
        "query { mlflowGetRun { run { "
        + " ".join(f"i{i}: info {{ runId }}" for i in range(11))
        + " } } }"
    )
    assert "aliases" in _gql(client, level)["errors"][0]
    bomb = (
        "query { test { ...F0 } } "
        + " ".join(f"fragment F{i} on Test {{ ...F{i + 1} ...F{i + 1} }}" for i in range(20))
        + " fragment F20 on Test { output }"
    )
    assert "maximum total selections" in _gql(client, bomb)["errors"][0]
    r = client.post("/graphql", json={"query": "query { " + "test { output } " * 20000 + "}"})
    assert r.status_code == 400  # over the token limit: refused before parsing it all
