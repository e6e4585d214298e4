"""The artifact repository interface: one repository per artifact root URI.

Paths given to a repository are always relative, use ``/``, and are checked by
``modelyard.store.artifacts.paths.safe_relative_path`` before use: no ``..``, no absolute
paths, no backslashes, no NUL, no percent-encoded escapes. Implementations: local files, S3
(boto3), and the MLflow artifact proxy over HTTP (``mlflow-artifacts:``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import BinaryIO

from modelyard.entities import FileInfo

__all__ = ["ArtifactRepository"]


class ArtifactRepository(ABC):
    def __init__(self, artifact_uri: str) -> None:
        self.artifact_uri = artifact_uri

    @abstractmethod
    def log_artifact(self, local_file: str, artifact_path: str | None = None) -> None:
        """Copy one local file into ``artifact_path`` (a directory, relative)."""

    @abstractmethod
    def log_artifacts(self, local_dir: str, artifact_path: str | None = None) -> None:
        """Copy a local directory tree into ``artifact_path``."""

    @abstractmethod
    def put_stream(self, artifact_file: str, stream: BinaryIO) -> int:
        """Write one file from a binary stream (the server's streaming upload); returns bytes."""

    @abstractmethod
    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        """Direct children of ``path``; each ``FileInfo.path`` is relative to the repository
        root (MLflow's tracking convention). A missing path gives ``[]``."""

    @abstractmethod
    def download_artifacts(self, artifact_path: str, dst_path: str | None = None) -> str:
        """Download a file or a directory tree; returns the local path.

        The artifact lands at ``<dst_path>/<artifact_path>`` (``dst_path`` is created if
        missing; ``None`` means a new temporary directory). ``""`` downloads the whole root.
        A missing artifact raises ResourceDoesNotExist."""

    @abstractmethod
    def open_artifact(self, artifact_file: str) -> BinaryIO:
        """Open one file for reading; a missing file raises ResourceDoesNotExist."""

    @abstractmethod
    def delete_artifacts(self, artifact_path: str | None = None) -> None:
        """Delete a file or a directory tree; ``None``/``""`` empties the whole root.
        Deleting something missing is a no-op."""
