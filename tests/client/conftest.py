from __future__ import annotations

import pytest

import modelyard


@pytest.fixture(params=["sqlite", "postgresql"])
def tracking_uri(request, tmp_path, monkeypatch):
    """The fluent API pointed at a fresh store (SQLite file, or the session's PostgreSQL DB)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MODELYARD_ARTIFACT_ROOT", (tmp_path / "artifacts").as_uri())
    if request.param == "sqlite":
        uri = f"sqlite:///{tmp_path / 'mlruns.db'}"
    else:
        uri = request.getfixturevalue("pg_database_uri")
    modelyard.set_tracking_uri(uri)
    yield uri
    while modelyard.active_run():
        modelyard.end_run()
    modelyard.set_tracking_uri(None)
