"""Server configuration: one frozen dataclass, no module globals.

``ServerConfig.to_env`` / ``ServerConfig.from_env`` carry a configuration to uvicorn worker
processes (``--workers N``), which build their app through :func:`modelyard.server.app_from_env`.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field

from modelyard import settings

__all__ = [
    "CONFIG_ENV_VAR",
    "DEFAULT_MAX_ARTIFACT_BYTES",
    "DEFAULT_MAX_REQUEST_BYTES",
    "ServerConfig",
]

CONFIG_ENV_VAR = "MODELYARD_SERVER_CONFIG"
DEFAULT_MAX_REQUEST_BYTES = 32 * 1024 * 1024
DEFAULT_MAX_ARTIFACT_BYTES = 20 * 1024 * 1024 * 1024
LOCAL_HOSTS: tuple[str, ...] = ("localhost", "127.0.0.1", "[::1]", "::1")


@dataclass(frozen=True)
class ServerConfig:
    """Everything ``create_app`` needs.

    * ``default_artifact_root``: root handed to the tracking store for new experiments. With
      ``serve_artifacts`` (the default) it is ``mlflow-artifacts:/``, so clients upload through
      the proxy; the proxy maps ``mlflow-artifacts:/X`` to ``<artifacts_destination>/X``.
    * ``allowed_hosts``: extra Host header values accepted besides localhost, 127.0.0.1, [::1]
      and ``host``; ``"*"`` accepts any host.
    * ``cors_allowed_origins``: origins allowed to make cross-origin (state-changing) requests;
      ``"*"`` allows all.
    * ``allowed_artifact_roots``: extra URI prefixes an experiment's ``artifact_location`` may
      use (the default root and the artifacts destination are always allowed).
    * ``auth``: users, tokens and permissions (``modelyard server --auth``); users live in
      ``backend_store_uri``. ``auth_admin_username`` is the first admin's name (its password comes
      from ``MLFLOW_AUTH_ADMIN_PASSWORD`` or the ``auth_config`` INI file, never from here);
      ``auth_default_permission`` applies where a user has no grant.
    """

    backend_store_uri: str = field(default_factory=settings.default_tracking_uri)
    registry_store_uri: str | None = None
    default_artifact_root: str | None = None
    artifacts_destination: str | None = None
    serve_artifacts: bool = True
    host: str = "127.0.0.1"
    port: int = 5000
    allowed_hosts: tuple[str, ...] = ()
    cors_allowed_origins: tuple[str, ...] = ()
    allowed_artifact_roots: tuple[str, ...] = ()
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES
    max_artifact_bytes: int = DEFAULT_MAX_ARTIFACT_BYTES
    static_prefix: str = ""
    security_checks: bool = True
    auth: bool = False
    auth_admin_username: str = "admin"
    auth_default_permission: str = "NO_PERMISSIONS"
    auth_config: str | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if self.artifacts_destination is None:
            set_(
                self,
                "artifacts_destination",
                settings.default_artifact_root(self.backend_store_uri),
            )
        if self.default_artifact_root is None:
            root = "mlflow-artifacts:/" if self.serve_artifacts else self.artifacts_destination
            set_(self, "default_artifact_root", root)
        if self.registry_store_uri is None:
            set_(self, "registry_store_uri", self.backend_store_uri)
        prefix = self.static_prefix.strip()
        if prefix and not prefix.startswith("/"):
            prefix = "/" + prefix
        set_(self, "static_prefix", prefix.rstrip("/"))
        for name in ("allowed_hosts", "cors_allowed_origins", "allowed_artifact_roots"):
            value = getattr(self, name)
            if isinstance(value, str):
                value = tuple(v.strip() for v in value.split(",") if v.strip())
            set_(self, name, tuple(value))

    @property
    def proxies_artifacts(self) -> bool:
        """New experiments store under ``mlflow-artifacts:``: a process that logs on the
        server's behalf (a job, an AutoML search) must then go through its HTTP API."""
        root = str(self.default_artifact_root or "")
        return root.startswith("mlflow-artifacts:") or (not root and self.serve_artifacts)

    def local_url(self, host: str | None = None, port: int | None = None) -> str:
        """This server's URL for a process on the same machine (a wildcard host is 127.0.0.1);
        ``host``/``port`` default to the configured ones (a test server binds its own port)."""
        name = self.host if host is None else host
        if name in ("0.0.0.0", "::", ""):
            name = "127.0.0.1"
        return f"http://{name}:{self.port if port is None else port}{self.static_prefix}"

    @property
    def effective_hosts(self) -> frozenset[str]:
        return frozenset(h.lower() for h in (*LOCAL_HOSTS, self.host, *self.allowed_hosts))

    def to_env(self) -> dict[str, str]:
        return {CONFIG_ENV_VAR: json.dumps(dataclasses.asdict(self))}

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> ServerConfig:
        env = os.environ if environ is None else environ
        raw = env.get(CONFIG_ENV_VAR)
        if not raw:
            return cls()
        data = json.loads(raw)
        for name in ("allowed_hosts", "cors_allowed_origins", "allowed_artifact_roots"):
            data[name] = tuple(data.get(name) or ())
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
