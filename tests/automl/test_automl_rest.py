"""AutoML started through ``modelyard server`` (the web UI's routes): upload, columns, start,
the search in a child process logging into the run made beforehand, its failure recorded,
bad input refused with the field named."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer

from modelyard.client import MlflowClient
from modelyard.server.config import ServerConfig
from modelyard.server.testing import LiveServer


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    root = tmp_path_factory.mktemp("automl-rest")
    mp = pytest.MonkeyPatch()
    mp.setenv("MODELYARD_AUTOML_HOME", str(root / "automl"))
    mp.setenv("MODELYARD_AUTOML_DATA_ROOTS", str(root / "data"))
    (root / "data").mkdir()
    config = ServerConfig(
        backend_store_uri=f"sqlite:///{root / 's.db'}", artifacts_destination=str(root / "art")
    )
    try:
        with LiveServer(config) as url:
            yield url, root
    finally:
        mp.undo()


def _api(url: str, path: str) -> str:
    return f"{url}/api/2.0/modelyard/automl/{path}"


def _csv(frame: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    frame.to_csv(buf, index=False)
    return buf.getvalue().encode()


def _cancer(n: int = 240) -> pd.DataFrame:
    data = load_breast_cancer(as_frame=True).frame.sample(n, random_state=3)
    return data[["mean radius", "mean texture", "mean smoothness", "worst area", "target"]]


def _all_runs(url: str) -> int:
    client = MlflowClient(url)
    ids = [e.experiment_id for e in client.search_experiments()]
    return len(client.search_runs(ids, max_results=1000))


def _wait_done(client: MlflowClient, run_id: str) -> Any:
    run = client.get_run(run_id)
    for _ in range(2400):  # bounded by polls, not by a clock
        if run.info.status != "RUNNING":
            return run
        time.sleep(0.25)
        run = client.get_run(run_id)
    return run


def test_upload_then_start_logs_trials_into_the_run(server: tuple[str, Path]) -> None:
    url, _root = server
    up = httpx.post(
        _api(url, "upload"), params={"filename": "../cancer data.csv"}, content=_csv(_cancer())
    )
    assert up.status_code == 200, up.text
    described = up.json()
    assert described["rows"] == 240
    assert [c["name"] for c in described["columns"]][-1] == "target"
    assert Path(described["path"]).name == "cancer_data.csv"  # no path climbing from the name
    again = httpx.get(_api(url, "columns"), params={"path": described["path"]}).json()
    assert again == described

    started = httpx.post(
        _api(url, "start"),
        json={
            "data_path": described["path"],
            "problem_type": "classification",
            "target_col": "target",
            "primary_metric": "roc_auc",
            "max_trials": 2,
            "timeout_minutes": 5,
            "experiment_name": "ui-automl",
        },
    )
    assert started.status_code == 200, started.text
    run_id = started.json()["run_id"]
    client = MlflowClient(url)
    run = client.get_run(run_id)
    assert run.info.run_name == "automl_classification"
    assert run.data.tags["modelyard.automl.launched"] == "background"
    assert client.get_experiment(started.json()["experiment_id"]).name == "ui-automl"

    run = _wait_done(client, run_id)
    log = httpx.get(_api(url, "log"), params={"run_id": run_id}).json()["log"]
    assert run.info.status == "FINISHED", log
    assert run.data.params["primary_metric"] == "roc_auc"
    best = run.data.tags["automl.best_run_id"]
    trials = client.search_runs(
        [run.info.experiment_id], filter_string=f"tags.mlflow.parentRunId = '{run_id}'"
    )
    assert best in {t.info.run_id for t in trials}
    assert len([t for t in trials if t.info.run_name.startswith("trial_")]) >= 2
    assert 0.5 < run.data.metrics["best_val_roc_auc"] <= 1.0


def test_cancel_stops_the_search_and_marks_it_killed(server: tuple[str, Path]) -> None:
    url, root = server
    path = root / "data" / "long.csv"
    path.write_bytes(_csv(_cancer(240)))
    started = httpx.post(
        _api(url, "start"),
        json={
            "data_path": str(path),
            "problem_type": "classification",
            "target_col": "target",
            "timeout_minutes": 30,
        },
    )
    run_id = started.json()["run_id"]
    client = MlflowClient(url)
    pid = int(client.get_run(run_id).data.tags["modelyard.automl.pid"])
    assert httpx.post(_api(url, "cancel"), json={"run_id": run_id}).status_code == 200
    run = client.get_run(run_id)
    assert run.info.status == "KILLED"
    assert run.data.tags["modelyard.automl.error"].startswith("cancelled by")
    for _ in range(200):  # the leader is reaped by the launcher's watcher (bounded by polls)
        if not Path(f"/proc/{pid}").exists() or "Z" in _state(pid):
            break
        time.sleep(0.05)
    assert not Path(f"/proc/{pid}").exists() or "Z" in _state(pid)
    again = httpx.post(_api(url, "cancel"), json={"run_id": run_id})
    assert again.status_code == 400 and again.json()["error_code"] == "INVALID_STATE"
    assert client.get_run(run_id).info.status == "KILLED"  # the watcher did not overwrite it
    unknown = httpx.post(_api(url, "cancel"), json={"run_id": "0" * 32})
    assert unknown.status_code == 404


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return "gone"


def test_a_search_that_fails_marks_its_run_failed(server: tuple[str, Path]) -> None:
    url, root = server
    bad = _cancer(60)
    bad["target"] = 1  # one class only: no classifier can be trained
    path = root / "data" / "one_class.csv"
    path.write_bytes(_csv(bad))
    started = httpx.post(
        _api(url, "start"),
        json={
            "data_path": str(path),
            "problem_type": "classification",
            "target_col": "target",
            "max_trials": 2,
            "timeout_minutes": 2,
        },
    )
    assert started.status_code == 200, started.text
    run_id = started.json()["run_id"]
    run = _wait_done(MlflowClient(url), run_id)
    assert run.info.status == "FAILED"
    assert "exited with" in run.data.tags["modelyard.automl.error"]
    assert httpx.get(_api(url, "log"), params={"run_id": run_id}).json()["log"].strip()


_OK = "__ok_csv__"  # replaced by a readable CSV under the allowed folder


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        (
            {"problem_type": "classification", "target_col": "target"},
            400,
            "INVALID_PARAMETER_VALUE",
            "data_path",
        ),
        (
            {"data_path": "/etc/passwd", "problem_type": "classification", "target_col": "x"},
            403,
            "PERMISSION_DENIED",
            "data_path",
        ),
        (
            {"data_path": _OK, "problem_type": "clustering", "target_col": "target"},
            400,
            "INVALID_PARAMETER_VALUE",
            "problem_type",
        ),
        (
            {"data_path": _OK, "problem_type": "classification", "target_col": "nope"},
            400,
            "INVALID_PARAMETER_VALUE",
            "target_col",
        ),
        (
            {
                "data_path": _OK,
                "problem_type": "classification",
                "target_col": "target",
                "max_trials": 0,
            },
            400,
            "INVALID_PARAMETER_VALUE",
            "max_trials",
        ),
        (
            {
                "data_path": _OK,
                "problem_type": "classification",
                "target_col": "target",
                "timeout_minutes": "soon",
            },
            400,
            "INVALID_PARAMETER_VALUE",
            "timeout_minutes",
        ),
        (
            {
                "data_path": _OK,
                "problem_type": "classification",
                "target_col": "target",
                "parallelism": 0,
            },
            400,
            "INVALID_PARAMETER_VALUE",
            "parallelism",
        ),
        (
            {"data_path": _OK, "problem_type": "forecast", "target_col": "target"},
            400,
            "INVALID_PARAMETER_VALUE",
            "time_col",
        ),
    ],
)
def test_bad_starts_name_the_field(
    server: tuple[str, Path], body: dict[str, Any], status: int, code: str, field: str
) -> None:
    url, root = server
    path = root / "data" / "ok.csv"
    path.write_bytes(_csv(_cancer(40)))
    if body.get("data_path") == _OK:
        body = {**body, "data_path": str(path)}
    before = _all_runs(url)
    answer = httpx.post(_api(url, "start"), json=body)
    assert answer.status_code == status, answer.text
    assert answer.json()["error_code"] == code
    assert field in answer.json()["message"]
    assert "Traceback" not in answer.text
    assert _all_runs(url) == before


def test_bad_uploads(server: tuple[str, Path]) -> None:
    url, _root = server
    wrong = httpx.post(_api(url, "upload"), params={"filename": "x.exe"}, content=b"MZ")
    assert wrong.status_code == 400 and "filename" in wrong.json()["message"]
    empty = httpx.post(_api(url, "upload"), params={"filename": "x.csv"}, content=b"")
    assert empty.status_code == 400 and "empty" in empty.json()["message"]
    garbage = httpx.post(_api(url, "upload"), params={"filename": "x.parquet"}, content=b"nope")
    assert garbage.status_code == 400 and "Parquet" in garbage.json()["message"]
    outside = httpx.get(_api(url, "columns"), params={"path": "/etc/hostname"})
    assert outside.status_code == 403
    missing = httpx.get(_api(url, "log"), params={"run_id": "0" * 32})
    assert missing.status_code == 404
