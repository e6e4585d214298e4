"""Where the stores are: the tracking and registry URIs and the embedded defaults, from the
environment.

Other environment variables are read where they apply, at the edges of the package: HTTP
credentials and TLS (``MLFLOW_TRACKING_TOKEN``, ``MLFLOW_TRACKING_USERNAME``/``PASSWORD``,
``MLFLOW_TRACKING_INSECURE_TLS``, ``MLFLOW_TRACKING_SERVER_CERT_PATH``) in
``modelyard.store._http``; S3 (``MLFLOW_S3_ENDPOINT_URL``, AWS variables) in
``modelyard.store.artifacts.s3``; the server's and the serving endpoints' process configuration,
which travels to worker processes through the environment, in ``modelyard.server.config``,
``modelyard.cli.server`` and ``modelyard.serving``; the user name and the async-logging switch in
``modelyard.client``; the audit trail's user in ``modelyard.store.registry``.

``MODELYARD_TRACKING_URI`` wins over ``MLFLOW_TRACKING_URI`` (so scripts written for MLflow keep
their configuration). The embedded default is a SQLite file plus a local artifact folder in the
current directory: ``sqlite:///modelyard.db`` and ``./modelyard-artifacts``.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "DEFAULT_ARTIFACT_DIR",
    "DEFAULT_DB_FILE",
    "default_artifact_root",
    "default_tracking_uri",
    "env_tracking_uri",
    "env_registry_uri",
    "env_flag",
    "env_int",
]

DEFAULT_DB_FILE = "modelyard.db"
DEFAULT_ARTIFACT_DIR = "modelyard-artifacts"


def env_tracking_uri() -> str | None:
    return os.environ.get("MODELYARD_TRACKING_URI") or os.environ.get("MLFLOW_TRACKING_URI") or None


def env_registry_uri() -> str | None:
    return os.environ.get("MODELYARD_REGISTRY_URI") or os.environ.get("MLFLOW_REGISTRY_URI") or None


def default_tracking_uri() -> str:
    return f"sqlite:///{DEFAULT_DB_FILE}"


def default_artifact_root(tracking_uri: str | None = None) -> str:
    """Artifact root for an embedded SQL store: ``MODELYARD_ARTIFACT_ROOT``, else a folder named
    ``modelyard-artifacts`` beside the SQLite file (or in the current directory)."""
    explicit = os.environ.get("MODELYARD_ARTIFACT_ROOT")
    if explicit:
        return explicit
    base = Path.cwd()
    if tracking_uri and tracking_uri.startswith("sqlite:///"):
        db_path = tracking_uri[len("sqlite:///") :]
        if db_path and db_path != ":memory:":
            base = Path(db_path).resolve().parent
    return (base / DEFAULT_ARTIFACT_DIR).resolve().as_uri()


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default
