"""Artifact repositories: local files, S3 and the MLflow artifact proxy, chosen by URI scheme.

Names resolve lazily so importing this package loads neither ``boto3`` nor ``httpx``::

    from modelyard.store.artifacts import get_artifact_repository
    repo = get_artifact_repository("s3://bucket/prefix")
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "ArtifactRepository",
    "FileInfo",
    "LocalArtifactRepository",
    "MlflowArtifactsRepository",
    "S3ArtifactRepository",
    "artifact_uri_join",
    "get_artifact_repository",
    "register_artifact_repository",
    "safe_relative_path",
]

_WHERE = {
    "ArtifactRepository": "base",
    "FileInfo": "base",
    "LocalArtifactRepository": "local",
    "MlflowArtifactsRepository": "http",
    "S3ArtifactRepository": "s3",
    "artifact_uri_join": "registry",
    "get_artifact_repository": "registry",
    "register_artifact_repository": "registry",
    "safe_relative_path": "paths",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


def __dir__() -> list[str]:
    return sorted(__all__)
