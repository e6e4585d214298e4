"""Artifact listing entries, shared by the artifact repositories, the wire layer and the client."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FileInfo"]


@dataclass(frozen=True)
class FileInfo:
    """One entry of an artifact listing (MLflow's ``FileInfo``)."""

    path: str  # relative to the repository root (or the listed dir, see list_artifacts)
    is_dir: bool
    file_size: int | None = None
