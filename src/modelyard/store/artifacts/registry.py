"""Pick the artifact repository for a URI by its scheme, importing the backend lazily.

Built-in schemes map to ``"module:Class"`` strings, so ``boto3`` and ``httpx`` are imported
only when an ``s3://`` or ``mlflow-artifacts:`` URI is actually used. Other schemes are looked
up once in the ``modelyard.artifact_repository`` entry-point group (name = scheme, value =
``"module:Class"``). A repository class whose constructor accepts ``tracking_uri`` receives it.
"""

from __future__ import annotations

import inspect
from typing import cast
from urllib.parse import urlsplit

from modelyard.errors import InvalidParameterValue
from modelyard.store._schemes import SchemeRegistry
from modelyard.store.artifacts.base import ArtifactRepository
from modelyard.store.artifacts.paths import safe_relative_path
from modelyard.wire.paths import ARTIFACTS_PROXY_ROOT

__all__ = [
    "ENTRY_POINT_GROUP",
    "artifact_uri_join",
    "get_artifact_repository",
    "register_artifact_repository",
]

ENTRY_POINT_GROUP = "modelyard.artifact_repository"

_LOCAL = "modelyard.store.artifacts.local:LocalArtifactRepository"
_PROXY = "modelyard.store.artifacts.http:MlflowArtifactsRepository"
_BUILTIN: dict[str, str] = {
    "": _LOCAL,
    "file": _LOCAL,
    "s3": "modelyard.store.artifacts.s3:S3ArtifactRepository",
    "mlflow-artifacts": _PROXY,
}

_SCHEMES = SchemeRegistry(ENTRY_POINT_GROUP, _BUILTIN)


def register_artifact_repository(scheme: str, target: str | type[ArtifactRepository]) -> None:
    """Register a repository for ``scheme`` (a class or a ``"module:Class"`` string)."""
    _SCHEMES.register(scheme, target)


def _scheme_of(artifact_uri: str) -> str:
    scheme = urlsplit(artifact_uri).scheme.lower()
    # "C:\\x" parses with scheme "c": a Windows drive, i.e. a plain path.
    return "" if len(scheme) == 1 else scheme


def _repository_class(scheme: str, artifact_uri: str) -> type[ArtifactRepository] | None:
    if scheme in ("http", "https"):
        # a plain http(s) URL is an artifact location only when it points into the proxy
        if ARTIFACTS_PROXY_ROOT in urlsplit(artifact_uri).path:
            scheme = "mlflow-artifacts"
    return cast("type[ArtifactRepository] | None", _SCHEMES.resolve(scheme))


def get_artifact_repository(
    artifact_uri: str, tracking_uri: str | None = None
) -> ArtifactRepository:
    """The repository for ``artifact_uri``; unknown schemes raise InvalidParameterValue."""
    if not isinstance(artifact_uri, str) or not artifact_uri:
        raise InvalidParameterValue(
            f"Invalid artifact URI {artifact_uri!r}: a non-empty string is required"
        )
    scheme = _scheme_of(artifact_uri)
    cls = _repository_class(scheme, artifact_uri)
    if cls is None:
        raise InvalidParameterValue(
            f"Unsupported artifact URI {artifact_uri!r}: no artifact repository for scheme "
            f"{scheme!r} (built in: file, s3, mlflow-artifacts, http(s) artifact-proxy URLs)"
        )
    if tracking_uri is not None and "tracking_uri" in inspect.signature(cls).parameters:
        return cls(artifact_uri, tracking_uri=tracking_uri)  # type: ignore[call-arg]
    return cls(artifact_uri)


def artifact_uri_join(base: str, *parts: str) -> str:
    """Append relative ``parts`` to the path of ``base``, keeping its scheme, host and query.

    Each part is checked with ``safe_relative_path`` (no ``..``, no absolute paths).
    """
    rel = "/".join(p for p in (safe_relative_path(part, "parts") for part in parts) if p)
    if not rel:
        return base
    cut = len(base)
    if _scheme_of(base):
        for mark in ("?", "#"):
            if mark in base:
                cut = min(cut, base.index(mark))
    head, tail = base[:cut], base[cut:]
    if not head.rstrip("/") or head.endswith(":"):
        return f"{head}{'/' if head.endswith(':') else ''}{rel}{tail}"
    return f"{head.rstrip('/')}/{rel}{tail}"
