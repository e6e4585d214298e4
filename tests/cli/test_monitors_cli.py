"""``modelyard monitors ...`` through click's runner on a real Parquet table."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from click.testing import CliRunner

from modelyard.cli.main import cli


def _table(path: Path) -> None:
    rng = np.random.default_rng(7)
    days = []
    for day in range(3):
        n = 2000
        shift = 1.0 if day == 2 else 0.0
        days.append(
            pd.DataFrame(
                {
                    "ts": pd.Timestamp("2026-11-01", tz="UTC")
                    + pd.to_timedelta(rng.uniform(0, 86_399, n) + day * 86_400, unit="s"),
                    "request_id": [f"r{day}-{i}" for i in range(n)],
                    "age": rng.normal(40 + 10 * shift, 10, n),
                    "plan": rng.choice(["a", "b", "c"], n),
                    "prediction": rng.integers(0, 2, n),
                }
            )
        )
    pd.concat(days).to_parquet(path)


def test_create_refresh_drift_report_labels_delete(tmp_path):
    table = tmp_path / "inference.parquet"
    _table(table)
    reference = tmp_path / "train.csv"
    rng = np.random.default_rng(1)
    pd.DataFrame(
        {"age": rng.normal(40, 10, 5000), "plan": rng.choice(["a", "b", "c"], 5000)}
    ).to_csv(reference, index=False)
    root = str(tmp_path / "monitors")
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(cli, ["monitors", *args, "--root", root])
        assert result.exit_code == 0, result.output
        return result.output

    out = run(
        "create",
        "churn",
        "--table",
        str(table),
        "--timestamp-col",
        "ts",
        "--prediction-col",
        "prediction",
        "--label-col",
        "label",
        "--problem-type",
        "classification",
        "--baseline-data",
        str(reference),
    )
    assert "Created monitor 'churn'" in out
    assert "churn" in run("list")
    assert "3 window(s) processed" in run("refresh", "churn")
    drift = run("drift", "churn")
    lines = [line for line in drift.splitlines() if "baseline" in line]
    assert lines and all("2026-11-03" in line for line in lines)  # only the shifted day
    assert any("age" in line for line in lines)
    assert not any(" plan " in f" {line} " for line in lines)
    report = run("report", "churn", "--window", "2026-11-03T00:00:00+00:00").strip()
    assert Path(report).is_file() and "age" in Path(report).read_text()
    labels = tmp_path / "labels.csv"
    pd.DataFrame({"request_id": ["r0-1", "r0-2"], "label": [1, 0]}).to_csv(labels, index=False)
    assert "Stored 2 label(s)" in run("labels", "churn", str(labels))
    state = json.loads(run("get", "churn"))
    assert state["label_col"] == "label"
    assert "Deleted monitor" in run("delete", "churn", "--yes")
    assert "churn" not in run("list")


def test_errors_are_one_line(tmp_path):
    runner = CliRunner()
    result = runner.invoke(
        cli, ["monitors", "create", "m", "--root", str(tmp_path), "--table", str(tmp_path / "no")]
    )
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    result = runner.invoke(cli, ["monitors", "refresh", "nope", "--root", str(tmp_path)])
    assert result.exit_code != 0
    assert "RESOURCE_DOES_NOT_EXIST" in result.output
