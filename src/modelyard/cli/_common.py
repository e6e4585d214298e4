"""Options and output helpers shared by CLI commands."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

__all__ = [
    "echo_table",
    "monitors_root_option",
    "read_spec",
    "tracking_uri_option",
    "use_tracking_uri",
]

#: ``--root``: the folder of the monitors (``modelyard monitors``, ``modelyard alerts``)
monitors_root_option = click.option(
    "--root",
    envvar="MODELYARD_MONITORS_ROOT",
    default=None,
    help="Folder of the monitors (default: MODELYARD_MONITORS_ROOT or ./modelyard-monitors).",
)


def tracking_uri_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--tracking-uri",
        envvar="MLFLOW_TRACKING_URI",
        default=None,
        help="Tracking store or server URI (default: MLFLOW_TRACKING_URI or sqlite:///modelyard.db).",
    )(func)


def use_tracking_uri(uri: str | None) -> None:
    if uri:
        from modelyard.client.fluent import set_tracking_uri

        set_tracking_uri(uri)


def read_spec(path: str | None, what: str) -> dict[str, Any]:
    """The settings of a YAML/JSON spec file (``{}`` without one); ``what`` names it in errors."""
    if path is None:
        return {}
    import yaml

    from modelyard.errors import InvalidParameterValue

    text = Path(path).read_text(encoding="utf-8")
    data = json.loads(text) if path.endswith(".json") else yaml.safe_load(text)
    if not isinstance(data, dict):
        raise InvalidParameterValue(f"The {what} spec {path!r} must be a mapping of settings.")
    return data


def echo_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Print an aligned plain-text table."""
    text_rows = [["" if v is None else str(v) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in text_rows:
        for i, value in enumerate(row):
            widths[i] = max(widths[i], len(value))
    line = "  ".join(h.ljust(widths[i]) for i, h in enumerate(headers))
    click.echo(line)
    click.echo("  ".join("-" * w for w in widths))
    for row in text_rows:
        click.echo("  ".join(v.ljust(widths[i]) for i, v in enumerate(row)))
