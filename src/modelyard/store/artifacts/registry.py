"""Pick the artifact repository for a URI by its scheme, importing the backend lazily.

Built-in schemes map to ``"module:Class"`` strings, so ``boto3`` and ``httpx`` are imported
only when an ``s3://`` or ``mlflow-artifacts:`` URI is actually used. Other schemes are looked
up once in the ``modelyard.artifact_repository`` entry-point group (name = scheme, value =
``"module:Class"``). A repository class whose constructor accepts ``tracking_uri`` receives it.
"""

from __future__ import annotations

import importlib
import inspect
import threading
from importlib.metadata import entry_points
from urllib.parse import urlsplit

from modelyard.errors import InvalidParameterValue
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

_lock = threading.Lock()
_extra: dict[str, str | type[ArtifactRepository]] = {}
_plugins_loaded = False


def register_artifact_repository(scheme: str, target: str | type[ArtifactRepository]) -> None:
    """Register a repository for ``scheme`` (a class or a ``"module:Class"`` string)."""
    with _lock:
        _extra[scheme.lower()] = target


def _scheme_of(artifact_uri: str) -> str:
    scheme = urlsplit(artifact_uri).scheme.lower()
    # "C:\\x" parses with scheme "c": a Windows drive, i.e. a plain path.
    return "" if len(scheme) == 1 else scheme


def _load_plugins() -> None:
    global _plugins_loaded
    with _lock:
        if _plugins_loaded:
            return
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            _extra.setdefault(ep.name.lower(), ep.value)
        _plugins_loaded = True


def _target_for(scheme: str, artifact_uri: str) -> str | type[ArtifactRepository] | None:
    if scheme in ("http", "https"):
        if ARTIFACTS_PROXY_ROOT in urlsplit(artifact_uri).path:
            return _PROXY
    elif scheme in _BUILTIN:
        return _BUILTIN[scheme]
    if scheme in _extra:
        return _extra[scheme]
    _load_plugins()
    return _extra.get(scheme)


def _import(target: str) -> type[ArtifactRepository]:
    module_name, _, attr = target.partition(":")
    return getattr(importlib.import_module(module_name), attr)


def get_artifact_repository(
    artifact_uri: str, tracking_uri: str | None = None
) -> ArtifactRepository:
    """The repository for ``artifact_uri``; unknown schemes raise InvalidParameterValue."""
    if not isinstance(artifact_uri, str) or not artifact_uri:
        raise InvalidParameterValue(
            f"Invalid artifact URI {artifact_uri!r}: a non-empty string is required"
        )
    scheme = _scheme_of(artifact_uri)
    target = _target_for(scheme, artifact_uri)
    if target is None:
        raise InvalidParameterValue(
            f"Unsupported artifact URI {artifact_uri!r}: no artifact repository for scheme "
            f"{scheme!r} (built in: file, s3, mlflow-artifacts, http(s) artifact-proxy URLs)"
        )
    cls = _import(target) if isinstance(target, str) else target
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
