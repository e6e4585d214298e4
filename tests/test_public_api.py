"""The public surface: explicit __all__, lazy imports, a light CLI help."""

from __future__ import annotations

import subprocess
import sys

import modelyard


def test_all_names_resolve():
    for name in modelyard.__all__:  # lazy features (automl, serving, batch) included
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


def test_cli_help_is_light():
    """``modelyard --help`` loads click and modelyard only: what keeps it fast, measured without a
    clock (its speed against ``mlflow --help`` is benchmarks/cli/bench_startup.py)."""
    code = (
        "import sys\n"
        "sys.argv = ['modelyard', '--help']\n"
        "from modelyard.cli.main import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        "    assert exc.code in (0, None), exc.code\n"
        "tops = {m.split('.')[0] for m in sys.modules}\n"
        "extra = sorted(t for t in tops if not t.startswith('_') and t != 'modelyard'\n"
        "               and t not in sys.stdlib_module_names)\n"
        "print('THIRD_PARTY=' + ','.join(extra))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "experiments" in out.stdout and "server" in out.stdout
    line = next(ln for ln in out.stdout.splitlines() if ln.startswith("THIRD_PARTY="))
    assert line.removeprefix("THIRD_PARTY=").split(",") == ["click"]


def test_fluent_names_match_the_fluent_module():
    from modelyard.client import fluent

    assert set(modelyard._FLUENT) == set(fluent.__all__)
