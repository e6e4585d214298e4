"""Store URIs handed to another process (a project run, a job, a serving worker, a notebook),
which may run in another working directory."""

from __future__ import annotations

from pathlib import Path

__all__ = ["absolute_sqlite_uri", "absolute_tracking_uri"]


def absolute_sqlite_uri(uri: str) -> str:
    """A relative ``sqlite:///file.db`` made absolute; every other URI unchanged."""
    if uri.startswith("sqlite:///") and not uri.startswith("sqlite:////"):
        rest = uri[len("sqlite:///") :]
        if rest and rest != ":memory:":
            return "sqlite:///" + str(Path(rest).resolve())
    return uri


def absolute_tracking_uri(uri: str) -> str:
    """:func:`absolute_sqlite_uri`, and a bare path read as a SQLite file (made absolute)."""
    if "://" not in uri and not uri.startswith(("sqlite:", "postgresql:", "databricks")):
        return "sqlite:///" + str(Path(uri).resolve())
    return absolute_sqlite_uri(uri)
