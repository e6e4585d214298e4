"""URL layout of the MLflow REST API (compat spec §1.1)."""

from __future__ import annotations

__all__ = ["API_PREFIXES", "ARTIFACTS_PROXY_PATH", "ARTIFACTS_PROXY_ROOT"]

#: Every RPC is served under both prefixes (``ajax-api`` is what the MLflow web UI calls).
API_PREFIXES: tuple[str, ...] = ("/api", "/ajax-api")

#: Root of the artifact proxy, relative to ``/api/2.0`` (how the server's routes are written).
ARTIFACTS_PROXY_PATH = "/mlflow-artifacts/artifacts"

#: Root of the artifact proxy on a server (what a client puts after the server's base URL).
ARTIFACTS_PROXY_ROOT = "/api/2.0" + ARTIFACTS_PROXY_PATH
