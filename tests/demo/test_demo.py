"""``modelyard demo`` end to end, as a user runs it, on the embedded default store."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path


def test_demo_runs_end_to_end(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "MODELYARD_"))}
    env["MPLBACKEND"] = "Agg"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "modelyard.cli.main",
            "demo",
            "--workdir",
            str(tmp_path / "d"),
            "--rows",
            "1500",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    for model in ("Logistic Regression", "Random Forest", "Gradient Boosting", "XGBoost"):
        assert model in out
    assert "-> Production" in out
    assert "models:/churn_classifier/Production predicts" in out
    assert "without a token: HTTP 401" in out
    # the monitoring step flags exactly the two columns the shifted traffic changed
    assert "drifted: monthly_charges, tenure; HTML report: " in out
    assert "trials tracked; best:" in out
    assert "best test F1 = " in out
    notebooks = sorted(p.name for p in (tmp_path / "d" / "automl").rglob("*.ipynb"))
    assert "data_exploration.ipynb" in notebooks
    assert len(notebooks) >= 2
    assert "{'predictions': [" in out
    # batch scoring appended to a Delta table
    from deltalake import DeltaTable

    scored = DeltaTable(str(tmp_path / "d" / "churn_predictions")).to_pandas()
    assert len(scored) == 1000
    assert {"churn_prediction", "prediction_date"} <= set(scored.columns)
    assert set(scored["churn_prediction"].unique()) <= {0, 1}
    # the embedded default: a SQLite file and an artifact folder in the working directory
    db = Path(tmp_path / "d" / "modelyard.db")
    assert db.exists()
    with sqlite3.connect(db) as conn:
        n_runs = conn.execute("select count(*) from runs").fetchone()[0]
        n_churn_runs = conn.execute(
            "select count(*) from runs r join experiments e using (experiment_id) "
            "where e.name = '/Users/demo@modelyard.dev/churn_prediction'"
        ).fetchone()[0]
        stages = conn.execute("select current_stage from model_versions").fetchall()
        automl_runs = conn.execute(
            "select r.name from runs r join experiments e using (experiment_id) "
            "where e.name = '/Users/demo@modelyard.dev/churn_automl'"
        ).fetchall()
        stop_reasons = conn.execute(
            "select value from tags where key = 'automl.stop_reason'"
        ).fetchall()
    # four candidates + the compact model served over HTTP
    assert n_churn_runs == 5
    # AutoML: bounded by its trial count (6), not by how many trials fit in a time budget
    assert stop_reasons == [("max_trials",)]
    names = [name for (name,) in automl_runs]
    trials = [n for n in names if n.startswith("trial_") and not n.endswith("_ensemble")]
    assert len(trials) == 6, names
    assert names.count("automl_classification") == 1
    assert n_runs >= n_churn_runs + len(names)  # later demo steps may add their own runs
    assert ("Production",) in stages
    assert ("Archived",) in stages
    pngs = list((tmp_path / "d" / "modelyard-artifacts").rglob("confusion_matrix.png"))
    assert len(pngs) == 4
