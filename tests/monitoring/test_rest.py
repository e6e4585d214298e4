"""The monitors' REST endpoints on the real server app (Parquet table in the artifact folder)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

warnings.filterwarnings("ignore", message=".*httpx.*")  # starlette TestClient notice

from starlette.testclient import TestClient  # noqa: E402

from modelyard.server import ServerConfig, create_app  # noqa: E402

API = "/api/2.0/modelyard/monitors"


@pytest.fixture
def client(tmp_path, monkeypatch):
    monkeypatch.setenv("MODELYARD_MONITORS_ROOT", str(tmp_path / "monitors"))
    dest = tmp_path / "artifacts"
    dest.mkdir()
    config = ServerConfig(
        backend_store_uri=f"sqlite:///{tmp_path / 's.db'}",
        artifacts_destination=dest.as_uri(),
        allowed_hosts=("testserver",),
    )
    with TestClient(create_app(config)) as c:
        yield c, dest


def _table(path):
    rng = np.random.default_rng(3)
    n = 3000
    ts = pd.Timestamp("2026-11-01", tz="UTC") + pd.to_timedelta(rng.uniform(0, 2 * 86_400, n), "s")
    day2 = ts >= pd.Timestamp("2026-11-02", tz="UTC")
    pd.DataFrame(
        {"ts": ts, "x": rng.normal(0, 1, n) + 2.0 * day2, "prediction": rng.integers(0, 2, n)}
    ).to_parquet(path)


def test_create_refresh_drift_delete(client, tmp_path):
    c, dest = client
    table = dest / "inference.parquet"
    _table(table)
    body = {
        "name": "m1",
        "table": str(table),
        "profile": "time_series",
        "timestamp_col": "ts",
        "granularities": ["1 day"],
    }
    r = c.post(f"{API}/create", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["monitor"]["name"] == "m1"
    assert [m["name"] for m in c.get(f"{API}/list").json()["monitors"]] == ["m1"]
    r = c.post(f"{API}/refresh", json={"name": "m1"})
    assert r.status_code == 200, r.text
    assert len(r.json()["processed"]) == 2
    rows = c.get(f"{API}/drift", params={"name": "m1", "drifted_only": "true"}).json()
    flagged = {(row["drift_type"], row["column_name"]) for row in rows["drift_metrics"]}
    assert ("consecutive", "x") in flagged
    assert c.post(f"{API}/delete", json={"name": "m1"}).status_code == 200
    assert c.get(f"{API}/get", params={"name": "m1"}).status_code == 404


def test_tables_outside_the_allowed_folders_are_refused(client, tmp_path):
    c, _dest = client
    outside = tmp_path / "elsewhere.parquet"
    _table(outside)
    r = c.post(
        f"{API}/create",
        json={"name": "m2", "table": str(outside), "profile": "snapshot"},
    )
    assert r.status_code == 403
    assert r.json()["error_code"] == "PERMISSION_DENIED"
    r = c.post(f"{API}/create", json={"name": "m3", "table": "/etc/passwd"})
    assert r.status_code == 403
    r = c.post(f"{API}/create", json={"name": "m4"})
    assert r.status_code == 400
    assert "table" in r.json()["message"]


def test_create_picks_or_skips_the_model_baseline(client, tmp_path, monkeypatch):
    """Without ``baseline_version``, a ``model_name`` monitor takes the baseline
    ``find_baseline`` picks; ``no_baseline`` creates one without."""
    c, dest = client
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 's.db'}")
    table = dest / "inference.parquet"
    _table(table)
    body = {
        "table": str(table),
        "profile": "time_series",
        "timestamp_col": "ts",
        "model_name": "churn",
    }
    r = c.post(f"{API}/create", json={"name": "m5", **body})
    assert r.status_code == 400 and "baseline" in r.json()["message"]
    r = c.post(f"{API}/create", json={"name": "m5", "no_baseline": True, **body})
    assert r.status_code == 200, r.text
    assert r.json()["monitor"]["has_baseline"] is False
    r = c.post(
        f"{API}/create",
        json={"name": "m6", "no_baseline": True, "baseline_version": "1", **body},
    )
    assert r.status_code == 400 and "no_baseline" in r.json()["message"]
