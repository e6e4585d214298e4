"""URL layout of the MLflow REST API (compat spec §1.1)."""

from __future__ import annotations

__all__ = ["API_PREFIXES", "ARTIFACTS_PROXY_PATH", "api_path"]

#: Every RPC is served under both prefixes (``ajax-api`` is what the MLflow web UI calls).
API_PREFIXES: tuple[str, ...] = ("/api", "/ajax-api")

#: Root of the artifact proxy, relative to ``/api/2.0``.
ARTIFACTS_PROXY_PATH = "/mlflow-artifacts/artifacts"


def api_path(path: str, version: str = "2.0", prefix: str = "/api") -> str:
    """``api_path("/mlflow/runs/get")`` -> ``/api/2.0/mlflow/runs/get``."""
    return f"{prefix}/{version}{path}"
