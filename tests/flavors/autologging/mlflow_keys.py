"""Run a training snippet under the real MLflow 3.17.2's autolog (``.venv-mlflow``) in a
subprocess and return the param, metric and tag keys it logged: the names modelyard promises.

Also runnable under modelyard (``--modelyard``), so both sides execute the very same snippet.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

__all__ = ["MLFLOW_PYTHON", "logged_keys", "run_keys"]

ROOT = Path(__file__).resolve().parents[3]
MLFLOW_PYTHON = ROOT / ".venv-mlflow" / "bin" / "python"

_DRIVER = """
import json, sys, warnings
warnings.simplefilter("ignore")
import {module} as mlflow
mlflow.set_tracking_uri({uri!r})
mlflow.set_experiment("keys")
{setup}
{snippet}
client = mlflow.MlflowClient()
exp = client.get_experiment_by_name("keys")
out = []
for run in client.search_runs([exp.experiment_id]):
    out.append({{
        "parent": run.data.tags.get("mlflow.parentRunId") is not None,
        "params": sorted(run.data.params),
        "metrics": sorted(run.data.metrics),
        "tags": sorted(run.data.tags),
        "status": run.info.status,
    }})
print("KEYS=" + json.dumps(out))
"""


def run_keys(python: str | Path, module: str, setup: str, snippet: str, workdir: Path) -> list[dict]:
    workdir.mkdir(parents=True, exist_ok=True)
    script = _DRIVER.format(
        module=module,
        uri=f"sqlite:///{workdir / 'runs.db'}",
        setup=textwrap.dedent(setup),
        snippet=textwrap.dedent(snippet),
    )
    env = {**os.environ, "MLFLOW_ENABLE_ASYNC_LOGGING": "false", "PYTHONWARNINGS": "ignore"}
    env.pop("MLFLOW_TRACKING_URI", None)
    env.pop("MODELYARD_TRACKING_URI", None)
    proc = subprocess.run(
        [str(python), "-c", script],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith("KEYS="))
    runs: list[dict] = json.loads(line[len("KEYS=") :])
    return runs


def logged_keys(setup: str, snippet: str, workdir: Path) -> tuple[list[dict], list[dict]]:
    """``(mlflow_runs, modelyard_runs)`` for the same snippet, parents before children."""
    theirs = run_keys(MLFLOW_PYTHON, "mlflow", setup, snippet, workdir / "mlflow")
    ours = run_keys(sys.executable, "modelyard", setup, snippet, workdir / "modelyard")
    key = lambda r: (r["parent"], r["params"])  # noqa: E731
    return sorted(theirs, key=key), sorted(ours, key=key)
