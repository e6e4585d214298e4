"""Where the REAL mlflow client lives, for tests that drive it by subprocess.

The interpreter is ``$MODELYARD_MLFLOW_PYTHON`` when set, else ``<repo>/.venv-mlflow/bin/python``
(``<repo>`` is the source checkout holding this package; ``scripts/install-mlflow.sh`` creates
that venv). :func:`mlflow_python` is for tests: when the interpreter is missing it skips the test,
except in CI (``CI=true``) where it fails it, so a missing client can never hide behind a skip.
An interpreter whose ``mlflow`` is not :data:`MLFLOW_VERSION` always fails.
"""

from __future__ import annotations

import functools
import os
import subprocess
from pathlib import Path

__all__ = [
    "MLFLOW_PYTHON_ENV",
    "MLFLOW_VERSION",
    "mlflow_python",
    "mlflow_python_path",
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
