"""The web UI's AI-gateway proxy (``/ajax-api/2.0/mlflow/gateway-proxy``, GET and POST).

Without ``MLFLOW_DEPLOYMENTS_TARGET`` the server answers as an empty gateway (``{"endpoints":
[]}``), as MLflow does. With it, only the two calls the UI makes are forwarded to that
operator-configured address: ``GET api/2.0/endpoints`` and ``POST gateway/<name>/invocations``
(``json_data`` is the body sent on); any other ``gateway_path`` is refused, so a caller cannot
make the server request an address of its choosing.
"""

from __future__ import annotations

import os
import re
from typing import Any

from modelyard.errors import InvalidParameterValue, ModelyardError
from modelyard.server.routing import Call, Endpoint

__all__ = ["ENDPOINTS", "TARGET_ENV"]

TARGET_ENV = "MLFLOW_DEPLOYMENTS_TARGET"
_INVOCATIONS = re.compile(r"gateway/[A-Za-z0-9_.-]+/invocations")


def _checked_path(method: str, path: Any) -> str:
    if not path:
        raise InvalidParameterValue("Deployments proxy request must specify a gateway_path.")
    ok = isinstance(path, str) and (
        (method == "GET" and path.strip("/") == "api/2.0/endpoints")
        or (method == "POST" and _INVOCATIONS.fullmatch(path.strip("/")) is not None)
    )
    if not ok:
        raise InvalidParameterValue(f"Invalid gateway_path: {path} for method: {method}")
    return str(path).strip("/")


def gateway_proxy(call: Call) -> dict[str, Any]:
    target = os.environ.get(TARGET_ENV, "").rstrip("/")
    if not target:
        return {"endpoints": []}
    method = call.request.method
    args = call.args.raw()
    path = _checked_path(method, args.get("gateway_path"))
    import httpx

    try:
        response = httpx.request(method, f"{target}/{path}", json=args.get("json_data"), timeout=60)
    except httpx.HTTPError as exc:
        raise ModelyardError(
            f"Deployments proxy request failed: {type(exc).__name__}", "TEMPORARILY_UNAVAILABLE"
        ) from None
    if response.status_code != 200:
        code = (
            "INVALID_PARAMETER_VALUE" if response.status_code < 500 else "TEMPORARILY_UNAVAILABLE"
        )
        raise ModelyardError(
            f"Deployments proxy request failed with error code {response.status_code}. "
            f"Error message: {response.text[:500]}",
            code,
        )
    answer = response.json()
    return answer if isinstance(answer, dict) else {"result": answer}


ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", "/mlflow/gateway-proxy", gateway_proxy),
    Endpoint("POST", "/mlflow/gateway-proxy", gateway_proxy),
]
