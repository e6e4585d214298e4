"""Entry point of the ``modelyard`` command.

Subcommands live in their own modules and are imported lazily: ``modelyard --help`` lists them
from the table below without importing any of them (so it stays fast).
"""

from __future__ import annotations

import importlib
from typing import Any

import click

__all__ = ["cli", "main"]

#: name -> (import path "module:attribute", one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("modelyard.cli.demo:demo_command", "Run the end-to-end lifecycle demo."),
    "experiments": ("modelyard.cli.experiments:experiments_group", "Manage experiments."),
    "runs": ("modelyard.cli.runs:runs_group", "List, search and show runs."),
    "models": (
        "modelyard.cli.models:models_group",
        "Registered models: list, versions, stages, aliases, serve, predict.",
    ),
    "endpoints": (
        "modelyard.cli.serving:endpoints_group",
        "Serving endpoints with traffic splits and tokens.",
    ),
    "automl": ("modelyard.cli.automl:automl_group", "AutoML: classify, regress, forecast."),
    "server": ("modelyard.cli.server:server_command", "Run the MLflow-compatible tracking server."),
    "db": ("modelyard.cli.db:db_group", "Database schema management (upgrade, current)."),
    "run": ("modelyard.cli.projects:run_command", "Run an MLflow project (MLproject)."),
    "jobs": ("modelyard.cli.jobs:jobs_group", "Jobs: schedules, triggers, runs, logs, scheduler."),
    "monitors": (
        "modelyard.cli.monitors:monitors_group",
        "Monitors: drift and model quality per window of an inference table.",
    ),
    "alerts": (
        "modelyard.cli.alerts:alerts_group",
        "Alerts on monitor and endpoint metrics: rules, state, notifications.",
    ),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module_name, attr = entry[0].split(":")
        command = getattr(importlib.import_module(module_name), attr)
        if cmd_name == "models":
            _attach_serving_commands(command)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        from modelyard.errors import ModelyardError

        try:
            return super().invoke(ctx)
        except ModelyardError as exc:  # a clear one-line error, never a traceback
            raise click.ClickException(f"{exc.error_code}: {exc.message}") from exc

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, help_text) for name, (_, help_text) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _attach_serving_commands(group: Any) -> None:
    """``models serve`` and ``models predict`` live with the serving feature."""
    try:
        serving = importlib.import_module("modelyard.cli.serving")
    except ImportError:
        return
    for name in ("serve_command", "predict_command"):
        command = getattr(serving, name, None)
        if command is not None and command.name not in group.commands:
            group.add_command(command)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="modelyard", prog_name="modelyard")
def cli() -> None:
    """modelyard: track experiments, register and serve models, run AutoML.

    The tracking store is MLFLOW_TRACKING_URI (or MODELYARD_TRACKING_URI); the embedded default
    is sqlite:///modelyard.db with artifacts in ./modelyard-artifacts.
    """


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
