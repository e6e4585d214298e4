"""A fresh SQLite tracking store (and artifact root) per test, with no run left active."""

from __future__ import annotations

import pytest

import modelyard


@pytest.fixture
def tracking(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_ARTIFACT_ROOT", str(tmp_path / "artifacts"))
    uri = f"sqlite:///{tmp_path}/mlruns.db"
    modelyard.set_tracking_uri(uri)
    yield uri
    while modelyard.active_run() is not None:
        modelyard.end_run()
    modelyard.set_tracking_uri(None)
