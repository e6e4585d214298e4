"""The public surface: explicit __all__, lazy imports, fast CLI help."""

from __future__ import annotations

import subprocess
import sys
import time

import modelyard


def test_all_names_resolve():
    for name in modelyard.__all__:
        if name in ("automl", "serving", "batch"):  # features with optional extras
            continue
        assert getattr(modelyard, name) is not None, name


def test_mlflow_names_are_exposed():
    for name in (
        "start_run",
        "log_metric",
        "log_params",
        "set_experiment",
        "search_runs",
        "MlflowClient",
        "register_model",
        "end_run",
        "active_run",
        "last_active_run",
        "log_artifact",
        "log_dict",
        "log_text",
        "log_figure",
        "log_image",
    ):
        assert name in modelyard.__all__


def test_import_is_light():
    code = (
        "import sys, modelyard, modelyard.entities, modelyard.errors;"
        "heavy=[m for m in ('pandas','numpy','sqlalchemy','sklearn','httpx','starlette') "
        "if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_cli_help_is_fast():
    cmd = [sys.executable, "-m", "modelyard.cli.main", "--help"]
    subprocess.run(cmd, capture_output=True, check=True)  # warm the bytecode cache
    best = min(_timed(cmd) for _ in range(3))
    assert best < 0.5, f"modelyard --help took {best:.2f}s"


def _timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    assert "experiments" in out.stdout and "server" in out.stdout
    return time.perf_counter() - start


def test_fluent_names_match_the_fluent_module():
    from modelyard.client import fluent

    assert set(modelyard._FLUENT) == set(fluent.__all__)
