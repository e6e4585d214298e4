"""Per-app state: the configuration, the services and the artifact proxy's destination.

One :class:`ServerContext` per app (no module globals). Services are built on first use, under a
lock, so that creating the app stays cheap and the registry is only opened when it is called.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from modelyard.errors import InvalidParameterValue
from modelyard.server.config import ServerConfig
from modelyard.server.metrics import RequestMetrics

if TYPE_CHECKING:
    from modelyard.services.registry import RegistryService
    from modelyard.services.tracking import TrackingService
    from modelyard.store.artifacts.base import ArtifactRepository

__all__ = ["ServerContext", "split_mlflow_artifacts_uri"]

_T = TypeVar("_T")

MLFLOW_ARTIFACTS_SCHEME = "mlflow-artifacts:"


def split_mlflow_artifacts_uri(uri: str) -> str:
    """``mlflow-artifacts:/a/b`` or ``mlflow-artifacts://host:port/a/b`` -> ``a/b``."""
    rest = uri[len(MLFLOW_ARTIFACTS_SCHEME) :]
    if rest.startswith("//"):
        rest = rest[2:]
        rest = rest.split("/", 1)[1] if "/" in rest else ""
    return rest.strip("/")


class ServerContext:
    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self._lock = threading.RLock()
        self._tracking: TrackingService | None = None
        self._registry: RegistryService | None = None
        self._artifacts: ArtifactRepository | None = None
        self._features: dict[str, Any] = {}
        self.metrics = RequestMetrics()

    # ------------------------------------------------------------------ services
    def feature(self, name: str, build: Callable[[ServerContext], _T]) -> _T:
        """A feature's service for this app (jobs, webhooks, alerts), built by ``build`` once, on
        first use; a ``build`` that raises leaves nothing behind (the next call tries again)."""
        service = self._features.get(name)
        if service is None:
            with self._lock:
                service = self._features.get(name)
                if service is None:
                    service = self._features[name] = build(self)
        return service

    @property
    def tracking(self) -> TrackingService:
        service = self._tracking
        if service is None:
            with self._lock:
                if self._tracking is None:
                    from modelyard.services.tracking import TrackingService
                    from modelyard.store.tracking.registry import get_tracking_store

                    store = get_tracking_store(
                        self.config.backend_store_uri,
                        artifact_root=self.config.default_artifact_root,
                    )
                    self._tracking = TrackingService(store)
                service = self._tracking
        return service

    @property
    def registry(self) -> RegistryService:
        """The RegistryService over ``registry_store_uri`` (built on first use)."""
        service = self._registry
        if service is None:
            with self._lock:
                if self._registry is None:
                    self._registry = self._build_registry()
                service = self._registry
        return service

    def _build_registry(self) -> RegistryService:
        from modelyard.services.registry import RegistryService
        from modelyard.store.registry.registry import get_registry_store

        uri = self.config.registry_store_uri or self.config.backend_store_uri
        store = get_registry_store(uri)
        service = RegistryService(
            store, tracking=self.tracking, allowed_artifact_roots=self.artifact_roots
        )
        # the promotion gates read a version's files through the server's resolver
        service.artifact_repository_for = self.repository_for
        return service

    @property
    def artifact_roots(self) -> list[str]:
        """URI prefixes artifact locations and model sources may use."""
        cfg = self.config
        return [
            r
            for r in (
                cfg.default_artifact_root,
                cfg.artifacts_destination,
                *cfg.allowed_artifact_roots,
            )
            if r
        ]

    # ------------------------------------------------------------------ artifacts
    @property
    def artifacts(self) -> ArtifactRepository:
        """The repository at ``artifacts_destination`` that the proxy serves."""
        repo = self._artifacts
        if repo is None:
            with self._lock:
                if self._artifacts is None:
                    from modelyard.store.artifacts.registry import get_artifact_repository

                    assert self.config.artifacts_destination is not None
                    self._artifacts = get_artifact_repository(self.config.artifacts_destination)
                repo = self._artifacts
        return repo

    def storage_uri(self, artifact_uri: str) -> str:
        """Where the files of an artifact URI really live: ``mlflow-artifacts:/X`` maps into
        the destination; other URIs are returned unchanged."""
        if artifact_uri.startswith(MLFLOW_ARTIFACTS_SCHEME):
            from modelyard.store.artifacts.paths import safe_relative_path

            rest = split_mlflow_artifacts_uri(artifact_uri)
            dest = (self.config.artifacts_destination or "").rstrip("/")
            return f"{dest}/{safe_relative_path(rest)}" if rest else dest
        return artifact_uri

    def repository_for(self, artifact_uri: str) -> ArtifactRepository:
        from modelyard.store.artifacts.registry import get_artifact_repository

        return get_artifact_repository(self.storage_uri(artifact_uri))

    def check_artifact_location(self, location: str) -> str:
        """An experiment ``artifact_location`` must lie under a configured root (compat: no
        ``runs:/``; security: no traversal, no arbitrary local paths)."""
        if not isinstance(location, str):
            raise InvalidParameterValue(
                f"Invalid value {location!r} for parameter 'artifact_location'"
            )
        loc = location.strip()
        if loc.startswith("/") and not loc.startswith("//"):  # a plain local path
            loc = "file://" + loc
        lowered = loc.lower()
        if lowered.startswith("runs:") or lowered.startswith("models:"):
            raise InvalidParameterValue(
                f"Invalid value '{location}' for parameter 'artifact_location': "
                "runs:/ and models:/ URIs cannot be an experiment's artifact location."
            )
        if (
            "\\" in loc
            or "\x00" in loc
            or any(seg in ("..", ".") for seg in loc.split("://", 1)[-1].split("/"))
            or "%2e" in lowered
            or "%2f" in lowered
            or "%5c" in lowered
        ):
            raise InvalidParameterValue(
                f"Invalid value '{location}' for parameter 'artifact_location': invalid path."
            )
        roots = self.artifact_roots
        for root in roots:
            if _under(loc, root):
                return loc
        raise InvalidParameterValue(
            f"Invalid value '{location}' for parameter 'artifact_location': it must lie under "
            f"one of the server's artifact roots ({', '.join(roots)})."
        )


def _under(location: str, root: str) -> bool:
    root_n = root.rstrip("/")
    if root_n.endswith(":"):  # a bare scheme root such as "mlflow-artifacts:"
        return location.startswith(root_n)
    return location == root_n or location.startswith(root_n + "/")
