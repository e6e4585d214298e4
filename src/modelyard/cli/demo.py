"""``modelyard demo`` and ``modelyard demo --mlops``."""

from __future__ import annotations

import click

__all__ = ["demo_command"]


@click.command("demo")
@click.option(
    "--mlops",
    is_flag=True,
    help="Run the closed MLOps loop instead: gates, A/B, promotion, drift alert, signed "
    "webhook, retraining job, new version through the gates.",
)
@click.option(
    "--workdir",
    default=None,
    help="Folder for the store, artifacts and data (default: cwd; a new temporary folder "
    "with --mlops).",
)
@click.option(
    "--tracking-uri",
    envvar="MLFLOW_TRACKING_URI",
    default=None,
    help="Store/server to use (default: the embedded sqlite:///modelyard.db; with --mlops a "
    "database URI only, default <workdir>/modelyard.db).",
)
@click.option(
    "--rows",
    default=None,
    type=int,
    help="Size of the generated data set (default 5000; 3000 with --mlops).",
)
@click.option("--seed", default=42, show_default=True)
def demo_command(
    mlops: bool, workdir: str | None, tracking_uri: str | None, rows: int | None, seed: int
) -> object:
    """Run the end-to-end lifecycle demo on generated churn data: tracked training runs,
    comparison, registry promotion, batch and real-time scoring, AutoML. With --mlops: the
    whole MLOps loop on the embedded store, with no outside service."""
    if mlops:
        from modelyard.demo.mlops import run_mlops_demo

        if tracking_uri and tracking_uri.startswith(("http://", "https://")):
            raise click.BadParameter(
                "the MLOps demo runs on a database (SQLite or PostgreSQL), not a server URL",
                param_hint="--tracking-uri",
            )
        # the result (MlopsDemoResult) is the command's return value (standalone_mode=False)
        return run_mlops_demo(
            workdir=workdir,
            tracking_uri=tracking_uri,
            rows=rows or 3000,
            seed=seed,
            echo=click.echo,
        )
    from modelyard.demo.runner import run_demo

    return run_demo(
        workdir=workdir, tracking_uri=tracking_uri, rows=rows or 5000, seed=seed, echo=click.echo
    )
