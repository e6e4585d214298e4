"""Where the REAL mlflow client lives, for tests that drive it by subprocess.

The interpreter is ``$MODELYARD_MLFLOW_PYTHON`` when set, else ``<repo>/.venv-mlflow/bin/python``
(``<repo>`` is the source checkout holding this package; ``scripts/install-mlflow.sh`` creates
that venv). :func:`mlflow_python` is for tests: when the interpreter is missing it skips the test,
except in CI (``CI=true``) where it fails it, so a missing client can never hide behind a skip.
An interpreter whose ``mlflow`` is not :data:`MLFLOW_VERSION` always fails.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

__all__ = [
    "MLFLOW_PYTHON_ENV",
    "MLFLOW_VERSION",
    "mlflow_python",
    "mlflow_python_path",
    "real_mlflow_server",
]

MLFLOW_PYTHON_ENV = "MODELYARD_MLFLOW_PYTHON"
MLFLOW_VERSION = "3.17.2"


def _checkout_root() -> Path:
    """The source checkout this package is imported from (``<repo>/src/modelyard/testing``),
    else the current directory (an installed, non-editable package)."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").is_file() and (parent / "src" / "modelyard").is_dir():
            return parent
    return Path.cwd()


def mlflow_python_path() -> Path:
    """The configured interpreter path (it may not exist)."""
    configured = os.environ.get(MLFLOW_PYTHON_ENV)
    if configured:
        return Path(configured)
    return _checkout_root() / ".venv-mlflow" / "bin" / "python"


@functools.lru_cache(maxsize=8)
def _installed_version(python: str) -> str:
    proc = subprocess.run(
        [python, "-c", "import importlib.metadata as m; print(m.version('mlflow'))"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if proc.returncode != 0:
        return ""
    return proc.stdout.strip()


def mlflow_python() -> Path:
    """The real mlflow interpreter, checked; skip the calling test when it is absent (fail in CI).

    Call it from a test or fixture (it uses ``pytest.skip`` / ``pytest.fail``).
    """
    import pytest

    path = mlflow_python_path()
    if not path.exists():
        reason = (
            f"the real mlflow client is not installed at {path} "
            f"(run scripts/install-mlflow.sh or set {MLFLOW_PYTHON_ENV})"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    version = _installed_version(str(path))
    if version != MLFLOW_VERSION:
        pytest.fail(
            f"{path} has mlflow {version or '(none)'}; the compatibility tests need "
            f"mlflow=={MLFLOW_VERSION} (run scripts/install-mlflow.sh)"
        )
    return path


@contextlib.contextmanager
def real_mlflow_server(work: Path, *server_args: str) -> Iterator[str]:
    """A real ``mlflow server`` (the real client's interpreter) on a free 127.0.0.1 port, with a
    SQLite store in ``work`` and artifacts under ``work/artifacts``; yields its base URL.

    ``server_args`` are added to the command line. Start-up may take a minute on a busy
    machine (MLflow's imports); the wait is bounded only to report a server that never answers.
    """
    import pytest

    from modelyard.testing.server_process import free_port

    python = mlflow_python()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "MODELYARD_"))}
    log_path = work / "mlflow-server.log"
    with open(log_path, "wb") as log:  # the child keeps its own descriptor
        proc = subprocess.Popen(
            [
                str(python),
                "-m",
                "mlflow",
                "server",
                "--host=127.0.0.1",
                f"--port={port}",
                f"--backend-store-uri=sqlite:///{work / 'mlflow.db'}",
                f"--artifacts-destination={work / 'artifacts'}",
                "--workers=1",
                *server_args,
            ],
            cwd=work,
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 240
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=1) as answer:
                    if answer.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"mlflow server did not start: {log_path.read_text()[-2000:]}")
            time.sleep(0.2)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)  # the server and its uvicorn worker
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
