"""``modelyard experiments``: create, list, rename, delete, restore."""

from __future__ import annotations

import click

from modelyard.cli._common import echo_table, tracking_uri_option, use_tracking_uri

__all__ = ["experiments_group"]


def _client():
    from modelyard.client import MlflowClient

    return MlflowClient()


@click.group("experiments")
def experiments_group() -> None:
    """Manage experiments."""


@experiments_group.command("create")
@click.option("--experiment-name", "-n", required=True, help="Name of the new experiment.")
@click.option("--artifact-location", "-l", default=None, help="Artifact root of the experiment.")
@tracking_uri_option
def create(experiment_name: str, artifact_location: str | None, tracking_uri: str | None) -> None:
    """Create an experiment and print its id."""
    use_tracking_uri(tracking_uri)
    experiment_id = _client().create_experiment(experiment_name, artifact_location)
    click.echo(f"Created experiment '{experiment_name}' with id {experiment_id}")


@experiments_group.command("list")
@click.option(
    "--view", type=click.Choice(["active_only", "deleted_only", "all"]), default="active_only"
)
@click.option(
    "--filter", "filter_string", default=None, help="Filter, e.g. \"name LIKE 'churn%'\"."
)
@tracking_uri_option
def list_(view: str, filter_string: str | None, tracking_uri: str | None) -> None:
    """List experiments."""
    from modelyard.client.fluent import search_experiments
    from modelyard.entities import ViewType

    use_tracking_uri(tracking_uri)
    experiments = search_experiments(ViewType.from_string(view), filter_string=filter_string)
    echo_table(
        ["experiment_id", "name", "lifecycle_stage", "artifact_location"],
        [(e.experiment_id, e.name, e.lifecycle_stage, e.artifact_location) for e in experiments],
    )


@experiments_group.command("rename")
@click.option("--experiment-id", "-x", required=True)
@click.option("--new-name", required=True)
@tracking_uri_option
def rename(experiment_id: str, new_name: str, tracking_uri: str | None) -> None:
    """Rename an experiment."""
    use_tracking_uri(tracking_uri)
    _client().rename_experiment(experiment_id, new_name)
    click.echo(f"Experiment {experiment_id} renamed to '{new_name}'")


@experiments_group.command("delete")
@click.option("--experiment-id", "-x", required=True)
@tracking_uri_option
def delete(experiment_id: str, tracking_uri: str | None) -> None:
    """Delete an experiment (it can be restored; its name stays reserved)."""
    use_tracking_uri(tracking_uri)
    _client().delete_experiment(experiment_id)
    click.echo(f"Experiment {experiment_id} deleted")


@experiments_group.command("restore")
@click.option("--experiment-id", "-x", required=True)
@tracking_uri_option
def restore(experiment_id: str, tracking_uri: str | None) -> None:
    """Restore a deleted experiment."""
    use_tracking_uri(tracking_uri)
    _client().restore_experiment(experiment_id)
    click.echo(f"Experiment {experiment_id} restored")
