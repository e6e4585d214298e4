"""Non-RPC routes: ``/health``, ``/version``, ``/metrics`` and ``/api/3.0/mlflow/server-info``."""

from __future__ import annotations

from typing import Any

from starlette.responses import PlainTextResponse, Response

from modelyard.server.routing import Call, Endpoint

__all__ = ["ENDPOINTS", "MLFLOW_COMPAT_VERSION"]

#: The MLflow version whose wire protocol this server speaks (reported by ``/version``).
MLFLOW_COMPAT_VERSION = "3.17.2"


async def health(call: Call) -> Response:
    return PlainTextResponse("OK")


async def version(call: Call) -> Response:
    return PlainTextResponse(MLFLOW_COMPAT_VERSION)


async def metrics(call: Call) -> Response:
    return PlainTextResponse(
        call.ctx.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8"
    )


async def server_info(call: Call) -> dict[str, Any]:
    return {
        "store_type": "SqlStore",
        "workspaces_enabled": False,
        "trace_archival_enabled": False,
        "multipart_uploads_enabled": False,
        "multipart_downloads_enabled": False,
        "presigned_upload_run_id_supported": False,
        "presigned_upload_model_id_supported": False,
        "features_enabled": {},
    }


ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", "/health", health, absolute=True),
    Endpoint("GET", "/version", version, absolute=True),
    Endpoint("GET", "/metrics", metrics, absolute=True),
    Endpoint("GET", "/mlflow/server-info", server_info, version="3.0"),
]
