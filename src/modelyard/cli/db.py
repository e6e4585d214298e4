"""``modelyard db``: upgrade a database schema to the latest version, show its revision."""

from __future__ import annotations

import click

__all__ = ["db_group"]


@click.group("db")
def db_group() -> None:
    """Database schema management."""


@db_group.command("upgrade")
@click.argument("url")
def upgrade(url: str) -> None:
    """Upgrade the schema of the database at URL (e.g. postgresql://user@host/db) to the latest
    revision. The embedded SQLite default upgrades itself; server databases use this."""
    from modelyard.store.sql.migrate import current_revision, head_revision
    from modelyard.store.sql.migrate import upgrade as do_upgrade

    before = current_revision(url)
    do_upgrade(url)
    click.echo(f"Database upgraded from {before or 'empty'} to {head_revision()}")


@db_group.command("current")
@click.argument("url")
def current(url: str) -> None:
    """Print the schema revision of the database at URL."""
    from modelyard.store.sql.migrate import current_revision, head_revision

    rev = current_revision(url)
    click.echo(f"{rev or 'empty'} (latest: {head_revision()})")
