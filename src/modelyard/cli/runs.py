"""``modelyard runs``: list, search with a filter, show one run."""

from __future__ import annotations

import json

import click

from modelyard.cli._common import echo_table, tracking_uri_option, use_tracking_uri

__all__ = ["runs_group"]


def _fmt_time(ms: int | None) -> str:
    if ms is None:
        return ""
    import datetime as dt

    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def _experiment_ids(client, experiment_id: str | None, experiment_name: str | None) -> list[str]:
    from modelyard.errors import ResourceDoesNotExist

    if experiment_name:
        exp = client.get_experiment_by_name(experiment_name)
        if exp is None:
            raise ResourceDoesNotExist(f"Experiment '{experiment_name}' does not exist")
        return [exp.experiment_id]
    return [experiment_id or "0"]


@click.group("runs")
def runs_group() -> None:
    """List, search and show runs."""


@runs_group.command("list")
@click.option("--experiment-id", "-x", default=None, help="Experiment id (default 0).")
@click.option("--experiment-name", "-n", default=None, help="Experiment name.")
@click.option(
    "--filter",
    "filter_string",
    default="",
    help="e.g. \"metrics.f1 > 0.8 and params.model_type = 'rf'\"",
)
@click.option("--order-by", multiple=True, help="e.g. 'metrics.f1 DESC' (repeatable).")
@click.option("--max-results", default=100, show_default=True)
@click.option("--metric", "metric_cols", multiple=True, help="Metric columns to show (repeatable).")
@tracking_uri_option
def list_(
    experiment_id: str | None,
    experiment_name: str | None,
    filter_string: str,
    order_by: tuple[str, ...],
    max_results: int,
    metric_cols: tuple[str, ...],
    tracking_uri: str | None,
) -> None:
    """List runs of an experiment, optionally filtered and ordered (MLflow's search syntax)."""
    from modelyard.client import MlflowClient

    use_tracking_uri(tracking_uri)
    client = MlflowClient()
    ids = _experiment_ids(client, experiment_id, experiment_name)
    runs = client.search_runs(ids, filter_string, max_results=max_results, order_by=list(order_by))
    keys = list(metric_cols) or sorted({k for r in runs for k in r.data.metrics})[:6]
    echo_table(
        ["run_id", "run_name", "status", "start_time", *keys],
        [
            (
                r.info.run_id,
                r.info.run_name,
                r.info.status,
                _fmt_time(r.info.start_time),
                *(_fmt_metric(r.data.metrics.get(k)) for k in keys),
            )
            for r in runs
        ],
    )


def _fmt_metric(value: float | None) -> str:
    return "" if value is None else f"{value:.4g}"


runs_group.add_command(list_, "search")


@runs_group.command("show")
@click.argument("run_id")
@click.option("--json", "as_json", is_flag=True, help="Print the run as JSON.")
@tracking_uri_option
def show(run_id: str, as_json: bool, tracking_uri: str | None) -> None:
    """Show one run: info, params, metrics and tags."""
    from modelyard.client import MlflowClient

    use_tracking_uri(tracking_uri)
    run = MlflowClient().get_run(run_id)
    info = run.info
    doc = {
        "run_id": info.run_id,
        "run_name": info.run_name,
        "experiment_id": info.experiment_id,
        "status": info.status,
        "start_time": _fmt_time(info.start_time),
        "end_time": _fmt_time(info.end_time),
        "artifact_uri": info.artifact_uri,
        "lifecycle_stage": info.lifecycle_stage,
        "params": run.data.params,
        "metrics": run.data.metrics,
        "tags": run.data.tags,
    }
    if as_json:
        click.echo(json.dumps(doc, indent=2, default=str))
        return
    for key in (
        "run_id",
        "run_name",
        "experiment_id",
        "status",
        "start_time",
        "end_time",
        "artifact_uri",
        "lifecycle_stage",
    ):
        click.echo(f"{key:16} {doc[key]}")
    for section in ("params", "metrics", "tags"):
        values = doc[section]
        click.echo(f"\n{section}:")
        for k in sorted(values):
            click.echo(f"  {k} = {values[k]}")  # type: ignore[index]
