"""Locating the real mlflow client: the environment variable wins, a missing interpreter skips
outside CI and fails in CI, and an interpreter without mlflow 3.17.2 always fails."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from modelyard.testing import mlflow_client
from modelyard.testing.mlflow_client import (
    MLFLOW_PYTHON_ENV,
    MLFLOW_VERSION,
    mlflow_python,
    mlflow_python_path,
)

REPO = Path(__file__).resolve().parents[2]


def test_default_is_the_checkouts_venv(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MLFLOW_PYTHON_ENV, raising=False)
    assert mlflow_python_path() == REPO / ".venv-mlflow" / "bin" / "python"


def test_environment_variable_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(MLFLOW_PYTHON_ENV, str(tmp_path / "py"))
    assert mlflow_python_path() == tmp_path / "py"


def test_missing_interpreter_skips_outside_ci(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(MLFLOW_PYTHON_ENV, str(tmp_path / "absent"))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="not installed at .*absent"):
        mlflow_python()


def test_missing_interpreter_fails_in_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(MLFLOW_PYTHON_ENV, str(tmp_path / "absent"))
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="install-mlflow.sh"):
        mlflow_python()


def test_interpreter_without_mlflow_fails(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # a real interpreter that has no mlflow distribution: a bare venv-like shim
    shim = tmp_path / "python"
    shim.write_text(f'#!/bin/sh\nexec {sys.executable} -I -S "$@"\n')
    shim.chmod(0o755)
    monkeypatch.setenv(MLFLOW_PYTHON_ENV, str(shim))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.fail.Exception, match=f"mlflow=={MLFLOW_VERSION}"):
        mlflow_python()


@pytest.mark.compat
def test_the_fixture_is_the_real_client(mlflow_python: Path) -> None:
    assert mlflow_client._installed_version(str(mlflow_python)) == MLFLOW_VERSION
