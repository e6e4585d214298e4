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

__all__ = ["assert_same_keys", "logged_keys", "run_keys"]


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


def run_keys(
    python: str | Path, module: str, setup: str, snippet: str, workdir: Path
) -> list[dict]:
    workdir.mkdir(parents=True, exist_ok=True)
    script = _DRIVER.format(
        module=module,
        uri=f"sqlite:///{workdir / 'runs.db'}",
        setup=textwrap.dedent(setup),
        snippet=textwrap.dedent(snippet),
    )
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "MODELYARD_", "PYTHON"))
    }
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


def logged_keys(
    mlflow_python: Path, setup: str, snippet: str, workdir: Path
) -> tuple[list[dict], list[dict]]:
    """``(mlflow_runs, modelyard_runs)`` for the same snippet, parents before children."""
    theirs = run_keys(mlflow_python, "mlflow", setup, snippet, workdir / "mlflow")
    ours = run_keys(sys.executable, "modelyard", setup, snippet, workdir / "modelyard")
    key = lambda r: (r["parent"], r["params"])  # noqa: E731
    return sorted(theirs, key=key), sorted(ours, key=key)


def assert_same_keys(mlflow_python: Path, setup: str, snippet: str, workdir: Path) -> list[dict]:
    """Run the snippet on both sides; every run's param, metric and tag keys and status must be
    the same (tags that only say who ran what, such as ``mlflow.source.git.commit``, included).
    Returns modelyard's runs."""
    theirs, ours = logged_keys(mlflow_python, setup, snippet, workdir)
    assert len(theirs) == len(ours), (theirs, ours)
    for mine, real in zip(ours, theirs, strict=True):
        for part in ("params", "metrics", "tags", "status"):
            assert mine[part] == real[part], (part, mine[part], real[part])
    return ours
