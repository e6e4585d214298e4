"""The alerts API of a ``modelyard server`` over HTTP (``/api/2.0/modelyard/alerts/...``).

Used by :mod:`modelyard.mlops.alerts.api` when the tracking URI is a server URL;
``MLFLOW_TRACKING_TOKEN`` (or ``DATABRICKS_TOKEN``) is sent as a bearer token. Errors come
back as the server's error codes.
"""

from __future__ import annotations

import os
from typing import Any

from modelyard.errors import error_from_code

__all__ = ["AlertsRest"]


class AlertsRest:
    def __init__(self, host: str) -> None:
        self.host = host.rstrip("/")

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        import httpx

        headers = {}
        token = os.environ.get("MLFLOW_TRACKING_TOKEN") or os.environ.get("DATABRICKS_TOKEN")
        if token:
            headers["Authorization"] = f"Bearer {token}"
        url = f"{self.host}/api/2.0/modelyard/alerts/{path}"
        values = {k: v for k, v in (body or {}).items() if v is not None}
        if method == "GET":
            response = httpx.get(url, params=values, headers=headers, timeout=120)
        else:
            response = httpx.post(url, json=values, headers=headers, timeout=120)
        try:
            data = response.json()
        except ValueError:
            data = {}
        if response.status_code >= 400:
            raise error_from_code(
                str(data.get("error_code", "INTERNAL_ERROR")),
                str(data.get("message", response.text[:500])),
            )
        return data if isinstance(data, dict) else {}
