"""The alerts API of a ``modelyard server`` over HTTP (``/api/2.0/modelyard/alerts/...``).

Used by :mod:`modelyard.mlops.alerts.api` when the tracking URI is a server URL; a
:class:`~modelyard.client.rest_api.RestApi` (``MLFLOW_TRACKING_TOKEN`` or ``DATABRICKS_TOKEN``
as a bearer token, errors as the server's error codes) that leaves out ``None`` fields.
"""

from __future__ import annotations

from typing import Any

from modelyard.client.rest_api import RestApi

__all__ = ["AlertsRest"]


class AlertsRest(RestApi):
    def __init__(self, host: str) -> None:
        super().__init__(host, "/api/2.0/modelyard/alerts", timeout=120)

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        values = {k: v for k, v in (body or {}).items() if v is not None}
        return super().call(method, path, values)
