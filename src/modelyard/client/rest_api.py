"""``RestApi``: JSON calls to one of a ``modelyard server``'s own APIs (jobs, alerts).

``GET`` sends the body as query parameters (``None`` values left out), ``POST`` as JSON;
``MLFLOW_TRACKING_TOKEN`` (or ``DATABRICKS_TOKEN``) is sent as a bearer token. Errors come back
as the server's error codes (:func:`modelyard.errors.error_from_code`).
"""

from __future__ import annotations

import os
from typing import Any

from modelyard.errors import error_from_code

__all__ = ["RestApi"]


class RestApi:
    """``RestApi("http://host:5000", "/api/2.1/jobs")``: ``call("GET", "get", {...})``."""

    def __init__(self, host: str, prefix: str, timeout: float) -> None:
        self.host = host.rstrip("/")
        self.prefix = prefix
        self.timeout = timeout

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        import httpx

        headers = {}
        token = os.environ.get("MLFLOW_TRACKING_TOKEN") or os.environ.get("DATABRICKS_TOKEN")
        if token:
            headers["Authorization"] = f"Bearer {token}"
        url = f"{self.host}{self.prefix}/{path}"
        if method == "GET":
            params = {k: v for k, v in (body or {}).items() if v is not None}
            response = httpx.get(url, params=params, headers=headers, timeout=self.timeout)
        else:
            response = httpx.post(url, json=body or {}, headers=headers, timeout=self.timeout)
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
