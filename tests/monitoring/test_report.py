"""The report's views (iteration, frame, dict, HTML) and logging it to a run; baselines stored
with a registered model version, through the public client on a real local store."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from tests.monitoring._data import TARGET, make_frame

import modelyard
from modelyard.client import MlflowClient
from modelyard.errors import InvalidParameterValue, ResourceDoesNotExist
from modelyard.monitoring import (
    Profile,
    detect_drift,
    get_baseline,
    load_profile,
    log_profile,
    profile,
    set_baseline,
)


@pytest.fixture(scope="module")
def frames():
    ref = make_frame(20_000, 1)
    cur = make_frame(5_000, 2)
    cur["x00"] = cur["x00"] + 0.5 * float(cur["x00"].std())
    cur.loc[cur.index[:1000], "x06"] = np.nan
    cur.loc[cur.index[:400], "c2"] = "c2_NEW"
    return ref, cur


@pytest.fixture(params=["sqlite", "postgresql", "server"])
def store(request, tmp_path, monkeypatch):
    """The public client on a local SQLite store, on PostgreSQL, and on a real
    ``modelyard server`` over REST."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MODELYARD_ARTIFACT_ROOT", (tmp_path / "artifacts").as_uri())
    server = None
    if request.param == "sqlite":
        uri = f"sqlite:///{tmp_path / 'store.db'}"
    elif request.param == "postgresql":
        uri = request.getfixturevalue("pg_database_uri")
    else:
        from modelyard.testing.server_process import ServerProcess

        server = ServerProcess(f"sqlite:///{tmp_path / 'server.db'}", tmp_path / "served")
        uri = server.start().url
    modelyard.set_tracking_uri(uri)
    yield uri
    while modelyard.active_run():
        modelyard.end_run()
    modelyard.set_tracking_uri(None)
    if server is not None:
        server.stop()


def test_report_views(frames):
    ref, cur = frames
    report = detect_drift(ref, cur, target_column=TARGET)
    assert [c.column for c in report][:3] == ["x00", "x01", "x02"]
    assert len(report) == 26
    assert set(report.drifted_columns) == {"x00", "x06", "c2"}
    frame = report.to_frame()
    assert list(frame["column"]) == [c.column for c in report]
    assert frame.set_index("column").loc["x00", "drift"]
    d = report.to_dict()
    json.dumps(d)  # plain JSON types only
    assert d["dataset_drift"] is True and d["target_drift"] is False
    assert d["share_drifted"] == pytest.approx(3 / 25)
    html = report.to_html()
    assert html.startswith("<!doctype html>")
    assert html.count("<svg") == 3  # one plot per drifted column
    assert "c2_NEW" in html and "x06" in html
    assert report["c2"].plot["labels"][-1] == "(unseen)"


def test_log_to_run_explicit_and_active(store, frames):
    ref, cur = frames
    report = detect_drift(ref, cur, target_column=TARGET)
    client = MlflowClient()
    with modelyard.start_run() as run:
        assert report.log_to_run() == run.info.run_id
    logged = client.get_run(run.info.run_id)
    assert logged.data.metrics["drift.dataset_drift"] == 1.0
    assert logged.data.metrics["drift.n_drifted_columns"] == 3.0
    assert logged.data.metrics["drift.x00.drift"] == 1.0
    assert logged.data.metrics["drift.x01.drift"] == 0.0
    assert logged.data.metrics["drift.c2.total_variation"] == pytest.approx(
        report["c2"].effect_size
    )
    assert logged.data.tags["modelyard.monitoring.drifted_columns"] == "x00,x06,c2"
    paths = {f.path for f in client.list_artifacts(run.info.run_id, "drift")}
    assert paths == {"drift/report.json", "drift/report.html"}
    local = client.download_artifacts(run.info.run_id, "drift/report.json")
    assert json.loads(Path(local).read_text())["drifted_columns"] == ["x00", "x06", "c2"]

    other = client.create_run(logged.info.experiment_id)
    report.log_to_run(other.info.run_id, artifact_path="checks/day1")
    names = {f.path for f in client.list_artifacts(other.info.run_id, "checks/day1")}
    assert "checks/day1/report.html" in names


def test_log_to_run_without_a_run_is_an_error(store, frames):
    ref, cur = frames
    with pytest.raises(InvalidParameterValue, match="run_id or an active run"):
        detect_drift(ref, cur).log_to_run()


def test_profile_json_round_trip_is_compact_and_exact(frames):
    ref, cur = frames
    prof = profile(ref, target_column=TARGET)
    text = prof.to_json()
    assert len(text) < 400_000
    back = Profile.from_json(text)
    assert back.to_dict() == prof.to_dict()
    assert back.target_column == TARGET
    assert (
        detect_drift(back, cur, target_column=TARGET).to_dict()
        == detect_drift(ref, cur, target_column=TARGET).to_dict()
    )
    x = back["x00"]
    assert x.kind == "numerical" and x.count == 20_000 and x.missing == 0
    assert len(x.edges) == 513 and x.cum_counts[-1] == 20_000
    assert x.mean == pytest.approx(float(ref["x00"].mean()))
    c = back["c4"]
    assert c.kind == "categorical" and sum(c.categories.values()) == 20_000


def test_truncated_categories_are_pooled_not_unseen():
    rng = np.random.default_rng(0)
    import pandas as pd

    ref = pd.DataFrame({"id": rng.integers(0, 5000, 20_000).astype(str)})
    cur = pd.DataFrame({"id": rng.integers(0, 5000, 5_000).astype(str)})
    prof = profile(ref, max_categories=50)
    assert prof["id"].truncated and len(prof["id"].categories) == 50
    col = detect_drift(prof, cur)["id"]
    assert col.unseen_categories == [] and not col.drift


def test_baseline_on_a_model_version(store, frames):
    ref, cur = frames
    client = MlflowClient()
    with modelyard.start_run() as run:
        modelyard.log_param("k", 1)
    client.create_registered_model("churn")
    mv = client.create_model_version("churn", f"runs:/{run.info.run_id}/model", run.info.run_id)
    uri = set_baseline("churn", mv.version, ref, target_column=TARGET)
    assert uri == f"runs:/{run.info.run_id}/monitoring/baseline/v1/profile.json"
    assert client.get_model_version("churn", 1).tags["modelyard.monitoring.baseline"] == uri
    prof = get_baseline("churn", 1)
    assert prof.target_column == TARGET and prof.n_rows == 20_000
    report = detect_drift(prof, cur, target_column=TARGET)
    assert set(report.drifted_columns) == {"x00", "x06", "c2"}

    # a version with no source run gets a small run of its own
    mv2 = client.create_model_version("churn", "s3://models-bucket/churn/2")
    uri2 = set_baseline("churn", mv2.version, prof)
    assert "/monitoring/baseline/v2/profile.json" in uri2
    assert get_baseline("churn", 2).to_dict() == prof.to_dict()


def test_baseline_errors(store, frames):
    ref, _ = frames
    client = MlflowClient()
    client.create_registered_model("m")
    client.create_model_version("m", "s3://models-bucket/m/1")
    with pytest.raises(ResourceDoesNotExist, match="has no monitoring baseline"):
        get_baseline("m", 1)
    with pytest.raises(ResourceDoesNotExist):
        set_baseline("m", 7, ref)
    with pytest.raises(InvalidParameterValue, match="Profile options cannot be given"):
        set_baseline("m", 1, profile(ref), quantiles=10)


def test_log_and_load_profile(store, frames, tmp_path):
    ref, _ = frames
    with modelyard.start_run() as run:
        uri = log_profile(ref, target_column=TARGET)
    assert uri == f"runs:/{run.info.run_id}/monitoring/profile.json"
    assert load_profile(uri).target_column == TARGET
    path = tmp_path / "p.json"
    path.write_text(profile(ref).to_json())
    assert load_profile(str(path)).n_rows == 20_000
    with pytest.raises(ResourceDoesNotExist):
        load_profile(str(tmp_path / "missing.json"))
