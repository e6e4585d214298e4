"""Baselines stored with model versions and found automatically, on a real registry (SQLite):
the picked version follows Production, falls back to the newest version, and the errors name
the model or the ``baseline`` field."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

import modelyard
from modelyard.client import MlflowClient
from modelyard.errors import InvalidParameterValue, ResourceDoesNotExist
from modelyard.monitoring import (
    create_monitor,
    find_baseline,
    get_monitor,
    log_baseline,
    profile,
    refresh_monitor,
    set_baseline,
)

DAY0 = pd.Timestamp("2026-11-01", tz="UTC")


def _frame(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "age": rng.normal(45 + shift, 10, n),
            "plan": rng.choice(["a", "b", "c"], n),
        }
    )


@pytest.fixture
def client(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MODELYARD_ARTIFACT_ROOT", (tmp_path / "artifacts").as_uri())
    modelyard.set_tracking_uri(f"sqlite:///{tmp_path / 'store.db'}")
    c = MlflowClient()
    c.create_registered_model("churn")
    run = c.create_run(c.create_experiment("train"))
    c.set_terminated(run.info.run_id)
    for _ in range(3):  # v1 and v2 from the run, v3 without one
        c.create_model_version("churn", "file:///nowhere", run_id=run.info.run_id)
    c.create_model_version("churn", "file:///nowhere")
    yield c
    modelyard.set_tracking_uri(None)


@pytest.fixture
def table(tmp_path):
    frame = _frame(600, 3, shift=8.0)
    frame["ts"] = DAY0 + pd.to_timedelta(np.arange(600) * 2, unit="min")
    frame["prediction"] = (frame["age"] > 50).astype(int)
    path = str(tmp_path / "scored.parquet")
    frame.to_parquet(path)
    return path


def test_find_baseline_follows_production_then_newest(client):
    with pytest.raises(ResourceDoesNotExist, match="'churn' has no version with a monitoring"):
        find_baseline("churn")
    with pytest.raises(ResourceDoesNotExist, match="nope"):
        find_baseline("nope")

    profiles = {v: profile(_frame(300, v)) for v in (1, 2, 3)}
    log_baseline("churn", 1, profiles[1])
    set_baseline("churn", 2, profiles[2])  # the earlier name still works
    found = find_baseline("churn")
    assert (found.version, found.chosen_by) == ("2", "newest")  # v4 has no baseline
    assert found.profile.to_dict() == profiles[2].to_dict()
    assert found.uri == client.get_model_version("churn", 2).tags["modelyard.monitoring.baseline"]

    client.transition_model_version_stage("churn", 1, "Production")
    found = find_baseline("churn")
    assert (found.version, found.chosen_by) == ("1", "production")
    assert found.profile.to_dict() == profiles[1].to_dict()

    # a Production version without a baseline: the newest version that has one
    client.transition_model_version_stage("churn", 4, "Production", archive_existing_versions=True)
    assert (find_baseline("churn").version, find_baseline("churn").chosen_by) == ("2", "newest")

    # the alias "production" counts as Production too; several: the newest of them
    log_baseline("churn", 3, profiles[3])
    client.set_registered_model_alias("churn", "production", "1")
    assert find_baseline("churn").version == "1"
    client.transition_model_version_stage("churn", 2, "Production")
    assert find_baseline("churn").version == "2"

    # a given version: that one, or an error naming it
    found = find_baseline("churn", 3)
    assert (found.version, found.chosen_by) == ("3", "version")
    assert found.profile.to_dict() == profiles[3].to_dict()
    with pytest.raises(ResourceDoesNotExist, match="version 4 has no monitoring baseline"):
        find_baseline("churn", 4)


def test_create_monitor_picks_the_baseline(client, table, tmp_path):
    root = str(tmp_path / "monitors")
    common = {
        "table": table,
        "profile": "inference",
        "timestamp_col": "ts",
        "prediction_col": "prediction",
        "model_name": "churn",
        "root": root,
    }
    with pytest.raises(InvalidParameterValue, match=r"^baseline: .*'churn'"):
        create_monitor("m0", **common)
    assert not os.path.exists(os.path.join(root, "m0"))

    mon = create_monitor("m0", baseline=False, **common)  # explicitly none
    assert not mon.has_baseline and mon.baseline_version is None and mon.baseline() is None

    ref1, ref2 = profile(_frame(3000, 1)), profile(_frame(3000, 2, shift=8.0))
    log_baseline("churn", 1, ref1)
    log_baseline("churn", 2, ref2)
    mon = create_monitor("newest", **common)
    assert mon.has_baseline and mon.baseline_version == "2"
    assert mon.baseline().to_dict() == ref2.to_dict()

    client.transition_model_version_stage("churn", 1, "Production")
    mon = create_monitor("prod", **common)
    assert mon.baseline_version == "1"
    assert get_monitor("prod", root=root).baseline_version == "1"  # kept in monitor.json
    assert get_monitor("prod", root=root).baseline().to_dict() == ref1.to_dict()

    mon = create_monitor("pinned", baseline=2, **common)  # a version given: that one
    assert mon.baseline_version == "2"

    # the picked baseline is what the drift is measured against: the table's age is shifted
    # like version 2's reference, not like version 1's
    for name in ("prod", "pinned"):
        refresh_monitor(name, root=root)
    flagged = {}
    for name in ("prod", "pinned"):
        d = get_monitor(name, root=root).drift_metrics()
        d = d[(d.drift_type == "baseline") & (d.slice_key == ":all") & d.drift]
        flagged[name] = set(d.column_name)
    assert flagged == {"prod": {"age"}, "pinned": set()}

    with pytest.raises(InvalidParameterValue, match="baseline=<version> needs model_name"):
        create_monitor("x", **{**common, "model_name": None}, baseline=1)
    with pytest.raises(InvalidParameterValue, match="baseline=True"):
        create_monitor("x", baseline=True, **common)


def test_command_line_picks_or_skips_the_baseline(client, table, tmp_path):
    from click.testing import CliRunner

    from modelyard.cli.main import cli

    log_baseline("churn", 1, profile(_frame(500, 1)))
    root = str(tmp_path / "monitors")
    uri = f"sqlite:///{tmp_path / 'store.db'}"
    args = ["--table", table, "--timestamp-col", "ts", "--prediction-col", "prediction"]
    args += ["--model-name", "churn", "--root", root, "--tracking-uri", uri]
    runner = CliRunner()
    result = runner.invoke(cli, ["monitors", "create", "auto", *args])
    assert result.exit_code == 0, result.output
    assert get_monitor("auto", root=root).baseline_version == "1"
    result = runner.invoke(cli, ["monitors", "create", "none", *args, "--no-baseline"])
    assert result.exit_code == 0, result.output
    assert not get_monitor("none", root=root).has_baseline
    result = runner.invoke(
        cli, ["monitors", "create", "both", *args, "--no-baseline", "--baseline-version", "1"]
    )
    assert result.exit_code != 0 and "--no-baseline" in result.output
