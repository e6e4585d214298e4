"""``modelyard run URI``: run an MLflow project (local folder or git repository)."""

from __future__ import annotations

import click

from modelyard.cli._common import tracking_uri_option, use_tracking_uri

__all__ = ["parse_param_pairs", "run_command"]


def parse_param_pairs(pairs: tuple[str, ...], option: str = "-P") -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{pair!r} is not of the form name=value", param_hint=option)
        out[key.strip()] = value
    return out


@click.command("run")
@click.argument("uri")
@click.option("--entry-point", "-e", default="main", show_default=True, help="Entry point.")
@click.option("--param-list", "-P", "params", multiple=True, help="A parameter, name=value.")
@click.option("--version", "-v", default=None, help="Git commit, branch or tag to run.")
@click.option("--experiment-name", default=None, help="Experiment to log into (created).")
@click.option("--experiment-id", default=None, help="Experiment id to log into.")
@click.option("--run-name", default=None, help="Name of the run.")
@click.option(
    "--env-manager",
    type=click.Choice(["local", "virtualenv", "uv"]),
    default=None,
    help="How to build python_env (default: uv when installed, else virtualenv).",
)
@click.option("--backend", "-b", default="local", show_default=True, help="Execution backend.")
@click.option("--backend-config", "-c", default=None, help="JSON/YAML file or JSON string.")
@tracking_uri_option
def run_command(
    uri: str,
    entry_point: str,
    params: tuple[str, ...],
    version: str | None,
    experiment_name: str | None,
    experiment_id: str | None,
    run_name: str | None,
    env_manager: str | None,
    backend: str,
    backend_config: str | None,
    tracking_uri: str | None,
) -> None:
    """Run the entry point of the project at URI, tracked as an MLflow run."""
    from modelyard import projects

    use_tracking_uri(tracking_uri)
    submitted = projects.run(
        uri,
        entry_point=entry_point,
        parameters=parse_param_pairs(params),
        version=version,
        experiment_name=experiment_name,
        experiment_id=experiment_id,
        run_name=run_name,
        env_manager=env_manager,
        backend=backend,
        backend_config=backend_config,
        synchronous=True,
    )
    click.echo(f"=== Run (ID '{submitted.run_id}') succeeded ===", err=True)
