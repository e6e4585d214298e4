"""Files on the server's own disk that a REST call may name (a monitored table, AutoML data):
only inside the server's local artifact destination, the folders of a feature's environment
variable (``os.pathsep``-separated) and the feature's own folders. Callers cannot make the
server read elsewhere."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote, urlsplit

from modelyard.server.config import ServerConfig

__all__ = ["allowed_folders", "is_inside", "local_path"]


def allowed_folders(
    config: ServerConfig, env_var: str, extra: Sequence[str | Path] = ()
) -> list[Path]:
    """The folders (resolved) a feature may read: ``extra``, those listed in ``env_var`` and the
    artifact destination when it is a local folder."""
    roots: list[str | Path] = [r for r in os.environ.get(env_var, "").split(os.pathsep) if r]
    roots.extend(extra)
    dest = config.artifacts_destination or ""
    parts = urlsplit(dest)
    if dest and parts.scheme in ("", "file"):
        roots.append(unquote(parts.path) if parts.scheme == "file" else dest)
    return [Path(r).resolve() for r in roots]


def local_path(raw: str, relative_to: Path | None = None) -> Path:
    """A path or ``file:`` URI, resolved (``..`` and links followed); a relative one is read in
    ``relative_to`` when given."""
    path = Path(unquote(urlsplit(raw).path) if raw.startswith("file:") else raw)
    if relative_to is not None and not path.is_absolute():
        path = relative_to / path
    return path.resolve()


def is_inside(path: Path, roots: Sequence[Path]) -> bool:
    return any(path == root or root in path.parents for root in roots)
