"""Helpers for the compatibility tests: a ``modelyard server`` subprocess and a runner for
scripts executed by the REAL mlflow client (located by :func:`mlflow_python`).

The server is the command users run (``modelyard server ...``), started in its own process group
on a free 127.0.0.1 port; :meth:`ServerProcess.stop` terminates that group, :meth:`kill` sends
SIGKILL to it (crash tests).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from modelyard.testing.mlflow_client import mlflow_python as mlflow_python  # re-exported
from modelyard.testing.server_process import ServerProcess as ServerProcess  # re-exported
from modelyard.testing.server_process import free_port as free_port

SCRIPTS = Path(__file__).resolve().parent / "scripts"


def run_mlflow_script(
    script: str, url: str, cwd: Path, args: dict | None = None, timeout: float = 240
) -> dict:
    """Run ``scripts/<script>`` with the real mlflow client against ``url``; return its JSON."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "MODELYARD_"))}
    environ.update(
        MLFLOW_TRACKING_URI=url,
        MLFLOW_HTTP_REQUEST_MAX_RETRIES="0",
        MLFLOW_HTTP_REQUEST_TIMEOUT="60",
        COMPAT_ARGS=json.dumps(args or {}),
    )
    proc = subprocess.run(
        [str(mlflow_python()), str(SCRIPTS / script)],
        env=environ,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT")]
    assert proc.returncode == 0 and lines, proc.stderr[-6000:] + proc.stdout[-2000:]
    return json.loads(lines[-1][len("RESULT") :])
