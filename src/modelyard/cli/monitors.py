"""``modelyard monitors ...``: drift and quality monitors on inference tables.

``create`` takes the monitor's settings as options or from a YAML/JSON spec file (the keyword
arguments of :func:`modelyard.monitoring.create_monitor`); ``refresh`` processes the windows that
changed; ``drift`` prints the drifted columns per window; ``report`` prints the path of a window's
HTML drift report; ``labels`` records ground truth from a CSV/Parquet file by request id.
Monitors live under ``--root`` (default ``MODELYARD_MONITORS_ROOT`` or ``./modelyard-monitors``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from modelyard.cli._common import (
    echo_table,
    monitors_root_option,
    read_spec,
    tracking_uri_option,
    use_tracking_uri,
)

__all__ = ["monitors_group"]


def _read_frame(path: str) -> Any:
    """A CSV file, a Parquet file or folder, or a Delta table folder as a pandas DataFrame."""
    import pandas as pd

    if path.lower().endswith((".csv", ".csv.gz")):
        return pd.read_csv(path)
    if (Path(path) / "_delta_log").is_dir():
        from modelyard.utils.delta import read_delta

        return read_delta(path)
    return pd.read_parquet(path)


@click.group("monitors", context_settings={"help_option_names": ["-h", "--help"]})
def monitors_group() -> None:
    """Drift, data-quality and model-quality monitors on inference tables."""


@monitors_group.command("create")
@click.argument("name")
@click.option(
    "--spec",
    "spec_file",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="YAML/JSON file with the monitor's settings (options below override it).",
)
@click.option("--table", default=None, help="Delta table folder or Parquet file/folder to watch.")
@click.option(
    "--profile",
    "profile_type",
    type=click.Choice(["inference", "time_series", "snapshot"]),
    default=None,
    help="Kind of monitor (default: inference).",
)
@click.option("--timestamp-col", default=None, help="Column that places a row in a window.")
@click.option(
    "--granularity",
    "granularities",
    multiple=True,
    help='Window size, repeatable (e.g. "1 hour", "1 day"; default "1 day").',
)
@click.option(
    "--model-name",
    default=None,
    help="Registered model whose baseline to use (without --baseline-*: the Production "
    "version's, else the newest version's).",
)
@click.option(
    "--baseline-version",
    default=None,
    help="Version of --model-name whose stored baseline profile is the reference.",
)
@click.option(
    "--baseline-data",
    type=click.Path(exists=True),
    default=None,
    help="CSV/Parquet/Delta training data to profile as the reference.",
)
@click.option(
    "--no-baseline", is_flag=True, default=False, help="No baseline, even with --model-name."
)
@click.option("--prediction-col", default=None, help="Prediction column (inference monitors).")
@click.option("--label-col", default=None, help="Label column, for model-quality metrics.")
@click.option("--problem-type", type=click.Choice(["classification", "regression"]), default=None)
@click.option("--slice", "slicing_exprs", multiple=True, help="Slicing column, repeatable.")
@monitors_root_option
@tracking_uri_option
def create_command(
    name: str,
    spec_file: str | None,
    table: str | None,
    profile_type: str | None,
    timestamp_col: str | None,
    granularities: tuple[str, ...],
    model_name: str | None,
    baseline_version: str | None,
    baseline_data: str | None,
    no_baseline: bool,
    prediction_col: str | None,
    label_col: str | None,
    problem_type: str | None,
    slicing_exprs: tuple[str, ...],
    root: str | None,
    tracking_uri: str | None,
) -> None:
    """Create monitor NAME on a table."""
    from modelyard.errors import InvalidParameterValue
    from modelyard.monitoring import create_monitor

    use_tracking_uri(tracking_uri)
    settings = read_spec(spec_file, "monitor")
    given = {
        "table": table,
        "profile": profile_type,
        "timestamp_col": timestamp_col,
        "granularities": list(granularities) or None,
        "model_name": model_name,
        "prediction_col": prediction_col,
        "label_col": label_col,
        "problem_type": problem_type,
        "slicing_exprs": list(slicing_exprs) or None,
    }
    settings.update({k: v for k, v in given.items() if v is not None})
    if no_baseline:
        if baseline_data is not None or baseline_version is not None:
            raise InvalidParameterValue("--no-baseline cannot be given with --baseline-*.")
        settings["baseline"] = False
    elif baseline_data is not None:
        settings["baseline"] = _read_frame(baseline_data)
    elif baseline_version is not None:
        settings["baseline"] = baseline_version
    if "table" not in settings:
        raise InvalidParameterValue("Give the table to watch with --table (or in --spec).")
    mon = create_monitor(name, root=root, **settings)
    click.echo(f"Created monitor {mon.name!r} on {mon.table} ({mon.profile}).")


@monitors_group.command("list")
@monitors_root_option
def list_command(root: str | None) -> None:
    """List the monitors."""
    from modelyard.monitoring import list_monitors

    rows = [
        (
            m.name,
            m.profile,
            ",".join(m.granularities) or "-",
            len(m.windows),
            m.last_refresh or "-",
            m.table,
        )
        for m in list_monitors(root=root)
    ]
    echo_table(["name", "profile", "windows of", "windows", "last refresh", "table"], rows)


@monitors_group.command("get")
@click.argument("name")
@monitors_root_option
def get_command(name: str, root: str | None) -> None:
    """Show a monitor's settings and state as JSON."""
    from dataclasses import asdict

    from modelyard.monitoring import get_monitor

    click.echo(json.dumps(asdict(get_monitor(name, root=root)), indent=2, default=str))


@monitors_group.command("refresh")
@click.argument("name")
@monitors_root_option
@tracking_uri_option
def refresh_command(name: str, root: str | None, tracking_uri: str | None) -> None:
    """Process every window of NAME whose rows or labels changed."""
    from modelyard.monitoring import refresh_monitor

    use_tracking_uri(tracking_uri)
    result = refresh_monitor(name, root=root)
    processed = result.get("processed", [])
    click.echo(
        f"Refreshed {name!r}: {len(processed)} window(s) processed, "
        f"{result.get('unchanged', 0)} unchanged."
    )
    for key in processed:
        click.echo(f"  {key}")


@monitors_group.command("drift")
@click.argument("name")
@click.option("--all-columns", is_flag=True, help="Show every column, not only drifted ones.")
@monitors_root_option
def drift_command(name: str, all_columns: bool, root: str | None) -> None:
    """Drift per window and column (against the baseline when there is one)."""
    from modelyard.monitoring import get_monitor

    frame = get_monitor(name, root=root).drift_metrics()
    if frame.empty:
        click.echo(f"Monitor {name!r} has no drift metrics yet: run 'modelyard monitors refresh'.")
        return
    if not all_columns and "drift" in frame.columns:
        frame = frame[frame["drift"].astype(bool)]
    wanted = [
        c
        for c in (
            "granularity",
            "window_start",
            "slice_key",
            "slice_value",
            "drift_type",
            "column_name",
            "method",
            "statistic",
            "p_value_adjusted",
            "effect_name",
            "effect_size",
            "drift",
        )
        if c in frame.columns
    ]
    rows = frame[wanted].itertuples(index=False, name=None)
    echo_table(wanted, [tuple(_short(v) for v in row) for row in rows])


def _short(value: Any) -> Any:
    return f"{value:.4g}" if isinstance(value, float) else value


@monitors_group.command("report")
@click.argument("name")
@click.option(
    "--window", required=True, help='The window: its start (ISO) or "<granularity>|<start>".'
)
@click.option("--granularity", default=None, help="Window size when --window is only a start.")
@monitors_root_option
def report_command(name: str, window: str, granularity: str | None, root: str | None) -> None:
    """Print the path of a window's HTML drift report."""
    from modelyard.monitoring import get_monitor

    click.echo(get_monitor(name, root=root).report_path(window, granularity))


@monitors_group.command("labels")
@click.argument("name")
@click.argument("path", type=click.Path(exists=True))
@click.option("--id-col", default="request_id", help="Column of the request ids.")
@click.option("--label-col", default="label", help="Column of the labels.")
@monitors_root_option
def labels_command(name: str, path: str, id_col: str, label_col: str, root: str | None) -> None:
    """Record ground-truth labels from a CSV/Parquet file, joined by request id."""
    from modelyard.errors import InvalidParameterValue
    from modelyard.monitoring import log_labels

    frame = _read_frame(path)
    for col in (id_col, label_col):
        if col not in frame.columns:
            raise InvalidParameterValue(f"Column {col!r} is not in {path!r}.")
    stored = log_labels(name, frame[id_col].tolist(), frame[label_col].tolist(), root=root)
    click.echo(f"Stored {stored} label(s) for monitor {name!r}.")


@monitors_group.command("delete")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@monitors_root_option
def delete_command(name: str, yes: bool, root: str | None) -> None:
    """Delete a monitor and its metrics."""
    from modelyard.monitoring import delete_monitor

    if not yes:
        click.confirm(f"Delete monitor {name!r} and its metrics?", abort=True)
    delete_monitor(name, root=root)
    click.echo(f"Deleted monitor {name!r}.")
