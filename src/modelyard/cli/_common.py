"""Options and output helpers shared by CLI commands."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import click

__all__ = ["echo_table", "tracking_uri_option", "use_tracking_uri"]


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
