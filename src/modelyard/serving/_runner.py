"""Run a serving app under uvicorn (uvloop + httptools when available) with N workers.

Worker processes rebuild the app from a factory, so the configuration travels in an
environment variable rather than in pickled objects.
"""

from __future__ import annotations

import importlib.util
import os

__all__ = ["WORKLOAD_WORKERS", "run_uvicorn", "tracking_env", "workers_for"]

#: Databricks-style workload sizes → worker processes.
WORKLOAD_WORKERS = {"small": 1, "medium": 2, "large": 4}


def workers_for(workload_size: str | None, workers: int | None) -> int:
    if workers:
        return workers
    return WORKLOAD_WORKERS.get((workload_size or "small").lower(), 1)


def run_uvicorn(
    factory: str,
    env: dict[str, str],
    *,
    host: str,
    port: int,
    workers: int,
    log_level: str = "info",
) -> None:
    """Serve ``factory`` ("module:function" returning an ASGI app). Blocks until stopped."""
    import uvicorn

    os.environ.update(env)
    uvicorn.run(
        factory,
        factory=True,
        ws="none",  # no websocket routes
        host=host,
        port=port,
        workers=workers if workers > 1 else None,
        loop="uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
        http="httptools" if importlib.util.find_spec("httptools") else "h11",
        log_level=log_level,
        access_log=False,
        timeout_keep_alive=30,
        backlog=4096,
    )


def tracking_env() -> dict[str, str]:
    """The tracking/registry URIs of this process, for worker processes (which do not inherit
    ``set_tracking_uri``); a relative SQLite path is made absolute."""
    from modelyard.client.fluent import get_registry_uri, get_tracking_uri
    from modelyard.utils.uris import absolute_sqlite_uri as absolute

    tracking = absolute(get_tracking_uri())
    env = {"MLFLOW_TRACKING_URI": tracking, "MODELYARD_TRACKING_URI": tracking}
    registry = absolute(get_registry_uri())
    if registry != tracking:
        env["MLFLOW_REGISTRY_URI"] = env["MODELYARD_REGISTRY_URI"] = registry
    return env
