"""Each autologging test logs into its own SQLite store and leaves every library unpatched."""

from __future__ import annotations

import pytest

import modelyard
from modelyard.flavors import autologging


@pytest.fixture(autouse=True)
def _store(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    modelyard.set_tracking_uri(f"sqlite:///{tmp_path / 'runs.db'}")
    modelyard.set_experiment("autolog")
    yield
    while modelyard.active_run() is not None:
        modelyard.end_run()
    autologging.autolog(disable=True)
    modelyard.set_tracking_uri(None)


@pytest.fixture
def client():
    return modelyard.MlflowClient()


@pytest.fixture
def experiment_id() -> str:
    exp = modelyard.get_experiment_by_name("autolog")
    assert exp is not None
    return exp.experiment_id
