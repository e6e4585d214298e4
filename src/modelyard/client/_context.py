"""Where the client finds its tracking and registry URIs, and the user id.

Order: the value given to ``set_tracking_uri`` (process-wide), then ``MODELYARD_TRACKING_URI`` /
``MLFLOW_TRACKING_URI``, then the embedded default ``sqlite:///modelyard.db``.
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path

from modelyard import settings

__all__ = [
    "get_registry_uri",
    "get_tracking_uri",
    "get_user_id",
    "resolve_uri",
    "set_registry_uri",
    "set_tracking_uri",
]

_tracking_uri: str | None = None
_registry_uri: str | None = None


def resolve_uri(uri: str | os.PathLike[str]) -> str:
    """Turn a bare path into a SQLite URI; leave URIs alone."""
    text = os.fspath(uri)
    if "://" in text or text.startswith(("sqlite:", "postgresql:", "databricks")):
        return text
    if text.startswith("file:"):
        text = text[len("file:") :].lstrip("/")
        text = "/" + text
    path = Path(text)
    if path.suffix in (".db", ".sqlite", ".sqlite3"):
        return f"sqlite:///{path.resolve()}"
    return f"sqlite:///{(path / settings.DEFAULT_DB_FILE).resolve()}"


def set_tracking_uri(uri: str | os.PathLike[str] | None) -> None:
    global _tracking_uri
    _tracking_uri = resolve_uri(uri) if uri else None


def get_tracking_uri() -> str:
    return _tracking_uri or settings.env_tracking_uri() or settings.default_tracking_uri()


def set_registry_uri(uri: str | os.PathLike[str] | None) -> None:
    global _registry_uri
    _registry_uri = resolve_uri(uri) if uri else None


def get_registry_uri() -> str:
    return _registry_uri or settings.env_registry_uri() or get_tracking_uri()


def get_user_id() -> str:
    explicit = os.environ.get("MODELYARD_USER") or os.environ.get("MLFLOW_TRACKING_USERNAME")
    if explicit:
        return explicit
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "unknown"
