"""``GET /serving-endpoints/<name>/ab-analysis`` on the endpoint server (``modelyard endpoints
serve``): the :func:`analyze_endpoint` result as JSON (``ABResult.to_dict()``).

Query parameters: ``metric``, ``since``, ``min_samples``, ``alpha``, ``control``, ``test``,
``monitor``, ``problem_type``. The caller needs the same credentials as for the endpoint's
invocations. Labels come from the monitors under ``MODELYARD_MONITORS_ROOT`` (or
``./modelyard-monitors`` in the server's working directory). Errors are MLflow-shaped JSON
naming the parameter.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from modelyard.errors import InvalidParameterValue, ModelyardError
from modelyard.server.errors import error_response


class AppContext(Protocol):
    """What the endpoint server hands its feature route modules (its ``AppContext``)."""

    home: Path
    authorize: Callable[[Request, str], Awaitable[Response | None]]
    flush: Callable[[str], Awaitable[None]]


__all__ = ["QUERY_PARAMETERS", "AppContext", "endpoint_routes"]

QUERY_PARAMETERS = (
    "metric",
    "since",
    "min_samples",
    "alpha",
    "control",
    "test",
    "monitor",
    "problem_type",
)
_JSON = "application/json"


def _options(query: Any) -> dict[str, Any]:
    unknown = sorted(set(query) - set(QUERY_PARAMETERS))
    if unknown:
        raise InvalidParameterValue(
            f"Unknown query parameters {unknown}; allowed: {', '.join(QUERY_PARAMETERS)}."
        )
    opts: dict[str, Any] = {k: query[k] for k in QUERY_PARAMETERS if query.get(k)}
    for key, convert, what in (("min_samples", int, "an integer"), ("alpha", float, "a number")):
        if key in opts:
            try:
                opts[key] = convert(opts[key])
            except ValueError:
                raise InvalidParameterValue(
                    f"Query parameter {key!r} must be {what}, got {opts[key]!r}."
                ) from None
    return opts


def endpoint_routes(ctx: AppContext) -> list[Route]:
    async def ab_analysis(request: Request) -> Response:
        name = request.path_params["name"]
        denied = await ctx.authorize(request, name)
        if denied is not None:
            return denied
        try:
            opts = _options(request.query_params)
            await ctx.flush(name)  # this worker's latest rows count too
            from modelyard.mlops.ab.analysis import analyze_endpoint

            result = await asyncio.to_thread(analyze_endpoint, name, home=ctx.home, **opts)
        except ModelyardError as exc:
            return error_response(exc)
        body = orjson.dumps(
            result.to_dict(), option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS
        )
        return Response(body, media_type=_JSON)

    return [Route("/serving-endpoints/{name}/ab-analysis", ab_analysis, methods=["GET"])]
