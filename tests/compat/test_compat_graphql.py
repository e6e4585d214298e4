"""MLflow's own web UI queries, answered as MLflow answers them.

The GraphQL documents are read from the real MLflow 3.17.2 package (the UI bundle in
``mlflow/server/js/build``), not written here: every ``query``/``mutation`` the UI sends runs
against a real ``mlflow server`` and against ``modelyard server`` on the same data, and the two
answers must match once ids, times and artifact roots are put aside.
"""

from __future__ import annotations

import json
import re
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from compat_support import ServerProcess, mlflow_python

from modelyard.testing.mlflow_client import real_mlflow_server

pytestmark = [pytest.mark.compat, pytest.mark.slow]

#: the documents MLflow 3.17.2's UI holds (a new MLflow pin that adds one fails the test below)
UI_DOCUMENTS = {"GetMetricHistoryBulkInterval", "GetRun", "MlflowGetExperimentQuery", "SearchRuns"}


def _ui_documents() -> dict[str, str]:
    site = subprocess.run(
        [str(mlflow_python()), "-c", "import mlflow, os; print(os.path.dirname(mlflow.__file__))"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout.strip()
    documents: dict[str, str] = {}
    for bundle in sorted((Path(site) / "server" / "js" / "build" / "static" / "js").glob("*.js")):
        text = bundle.read_text(encoding="utf-8", errors="replace")
        for m in re.finditer(r"`(\s*(?:query|mutation) ([A-Za-z0-9_]+)[^`]*)`", text):
            documents[m.group(2)] = m.group(1)
    return documents


@pytest.fixture(scope="module")
def documents() -> dict[str, str]:
    return _ui_documents()


@pytest.fixture(scope="module")
def mlflow_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with real_mlflow_server(tmp_path_factory.mktemp("mlflow-graphql")) as url:
        yield url


def _post(base: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = httpx.post(f"{base}{path}", json=body, timeout=60)
    assert answer.status_code == 200, f"{path}: {answer.text}"
    out: dict[str, Any] = answer.json()
    return out


def _seed(base: str) -> dict[str, str]:
    """The same experiments, run, metric history, dataset input and model version on a server."""
    suffix = uuid.uuid4().hex[:8]
    api = "/api/2.0/mlflow"
    exp = _post(base, f"{api}/experiments/create", {"name": f"gql-{suffix}"})["experiment_id"]
    empty = _post(base, f"{api}/experiments/create", {"name": f"gql-empty-{suffix}"})
    _post(
        base,
        f"{api}/experiments/set-experiment-tag",
        {"experiment_id": exp, "key": "team", "value": "a"},
    )
    run = _post(
        base,
        f"{api}/runs/create",
        {"experiment_id": exp, "run_name": "ui", "start_time": 1_700_000_000_000},
    )["run"]["info"]["run_id"]
    points = [
        {"key": "loss", "value": 1.0 / (i + 1), "step": i, "timestamp": 1_700_000_000_000 + i}
        for i in range(8)
    ]
    _post(
        base,
        f"{api}/runs/log-batch",
        {
            "run_id": run,
            "metrics": points,
            "params": [{"key": "lr", "value": "0.1"}],
            "tags": [{"key": "t", "value": "v"}],
        },
    )
    _post(
        base,
        f"{api}/runs/log-inputs",
        {
            "run_id": run,
            "datasets": [
                {
                    "dataset": {
                        "name": "train",
                        "digest": "d1",
                        "source_type": "local",
                        "source": "{}",
                    },
                    "tags": [{"key": "mlflow.data.context", "value": "training"}],
                }
            ],
        },
    )
    model = f"gql-model-{suffix}"
    _post(base, f"{api}/registered-models/create", {"name": model})
    _post(
        base,
        f"{api}/model-versions/create",
        {"name": model, "source": f"runs:/{run}/model", "run_id": run},
    )
    return {"exp": exp, "empty": empty["experiment_id"], "run": run, "suffix": suffix}


def _variables(ids: dict[str, str]) -> dict[str, tuple[str, dict[str, Any]]]:
    return {
        "GetRun": ("GetRun", {"data": {"runId": ids["run"]}}),
        "GetRunMissing": ("GetRun", {"data": {"runId": "0" * 32}}),
        "SearchRuns": ("SearchRuns", {"data": {"experimentIds": [ids["exp"]]}}),
        "Experiment": ("MlflowGetExperimentQuery", {"input": {"experimentId": ids["exp"]}}),
        "EmptyExperiment": ("MlflowGetExperimentQuery", {"input": {"experimentId": ids["empty"]}}),
        # fewer points than maxResults: MLflow's GraphQL route ignores maxResults (it reads the
        # URL's query string) and samples to 320, modelyard honours it; see docs/compatibility.md
        "History": (
            "GetMetricHistoryBulkInterval",
            {"data": {"runIds": [ids["run"]], "metricKey": "loss", "maxResults": 100}},
        ),
    }


def _normalised(answer: dict[str, Any], ids: dict[str, str]) -> Any:
    text = json.dumps(answer, sort_keys=True)
    text = text.replace(ids["run"], "RUN").replace(ids["suffix"], "SUFFIX")
    text = re.sub(f'"(experimentId)": "{ids["exp"]}"', r'"\1": "EXP"', text)
    text = re.sub(f'"(experimentId)": "{ids["empty"]}"', r'"\1": "EMPTY"', text)
    text = re.sub(
        r'"(creationTime|lastUpdateTime|creationTimestamp|lastUpdatedTimestamp)": "\d+"',
        r'"\1": "TIME"',
        text,
    )
    text = re.sub(r'"(artifactLocation|artifactUri)": "[^"]*"', r'"\1": "LOCATION"', text)
    return json.loads(text)


def _answers(base: str, documents: dict[str, str]) -> dict[str, Any]:
    ids = _seed(base)
    out = {}
    for case, (name, variables) in _variables(ids).items():
        body = {"query": documents[name], "variables": variables, "operationName": name}
        out[case] = _normalised(_post(base, "/graphql", body), ids)
    return out


def test_the_ui_bundle_holds_the_documents_we_serve(documents: dict[str, str]) -> None:
    assert set(documents) == UI_DOCUMENTS
    assert all("@component" in documents[n] for n in ("GetRun", "MlflowGetExperimentQuery"))


def test_ui_queries_answer_as_on_mlflow(
    documents: dict[str, str], mlflow_url: str, sqlite_server: ServerProcess
) -> None:
    ours = _answers(sqlite_server.url, documents)
    theirs = _answers(mlflow_url, documents)
    for case in theirs:
        assert ours[case] == theirs[case], case
    # real values, not two empty answers
    run = ours["GetRun"]["data"]["mlflowGetRun"]["run"]
    assert run["data"]["params"] == [{"key": "lr", "value": "0.1"}]
    assert run["inputs"]["datasetInputs"][0]["dataset"]["name"] == "train"
    assert run["inputs"]["modelInputs"] == []  # unset repeated fields are lists, never null
    assert run["modelVersions"][0]["version"] == "1"
    assert ours["EmptyExperiment"]["data"]["mlflowGetExperiment"]["experiment"]["tags"] == []
    history = ours["History"]["data"]["mlflowGetMetricHistoryBulkInterval"]["metrics"]
    assert [p["step"] for p in history] == [str(i) for i in range(8)]
    missing = ours["GetRunMissing"]
    assert missing["data"]["mlflowGetRun"] is None
    assert any("not found" in str(error) for error in missing["errors"]), missing
