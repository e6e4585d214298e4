"""``modelyard demo``."""

from __future__ import annotations

import click

__all__ = ["demo_command"]


@click.command("demo")
@click.option(
    "--workdir", default=None, help="Folder for the store, artifacts and data (default: cwd)."
)
@click.option(
    "--tracking-uri",
    envvar="MLFLOW_TRACKING_URI",
    default=None,
    help="Store/server to use (default: the embedded sqlite:///modelyard.db).",
)
@click.option("--rows", default=5000, show_default=True, help="Size of the generated data set.")
@click.option("--seed", default=42, show_default=True)
def demo_command(workdir: str | None, tracking_uri: str | None, rows: int, seed: int) -> None:
    """Run the end-to-end lifecycle demo on generated churn data: tracked training runs,
    comparison, registry promotion, batch and real-time scoring, AutoML."""
    from modelyard.demo.runner import run_demo

    run_demo(workdir=workdir, tracking_uri=tracking_uri, rows=rows, seed=seed, echo=click.echo)
