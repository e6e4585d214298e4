"""Serving endpoints (Databricks-style): named, authenticated, A/B-split model endpoints.

::

    from modelyard.serving import endpoints

    endpoints.create_endpoint(
        "churn",
        served_models=[
            {"model_name": "churn", "stage": "Production", "traffic_percentage": 90},
            {"model_name": "churn", "model_version": "7", "traffic_percentage": 10},
        ],
        workload_size="small",
    )
    token = endpoints.create_token(comment="batch job")["token"]
    endpoints.serve_endpoints(port=8080)        # blocks; or `modelyard endpoints serve`

Then ``POST http://127.0.0.1:8080/serving-endpoints/churn/invocations`` with
``Authorization: Bearer <token>``. Endpoints that follow a stage or an alias switch to the new
version by themselves (see ``modelyard.serving._runtime``). Every request is appended to the
Delta table ``<serving home>/inference/<endpoint>`` (:func:`read_inference_table`).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelyard.errors import ResourceAlreadyExists, ResourceDoesNotExist
from modelyard.serving._config import EndpointConfig, resolve_version, validate_endpoint_name
from modelyard.serving._store import ServingStore, mark_stale

__all__ = [
    "Endpoint",
    "create_endpoint",
    "create_token",
    "delete_endpoint",
    "get_endpoint",
    "get_endpoint_status",
    "inference_table_path",
    "list_endpoints",
    "list_tokens",
    "read_inference_table",
    "revoke_token",
    "serve_endpoints",
    "update_endpoint",
]


@dataclass(slots=True)
class Endpoint:
    name: str
    served_models: list[dict[str, Any]]
    workload_size: str
    batching: dict[str, Any]
    inference_logging: bool
    creation_timestamp: int
    last_updated_timestamp: int

    @classmethod
    def _from_row(cls, row: dict[str, Any]) -> Endpoint:
        return cls(
            row["name"],
            row["served_models"],
            row.get("workload_size", "small"),
            row.get("batching") or {},
            row.get("inference_logging", True),
            row["creation_timestamp"],
            row["last_updated_timestamp"],
        )

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)


def _store(home: str | Path | None) -> ServingStore:
    return ServingStore(home)


def _check_registry(config: EndpointConfig, registry: Any = None) -> None:
    """Every served model resolves in ``registry`` (anything with the ``MlflowClient`` registry
    reads; default: ``MlflowClient()`` on the current tracking URI)."""
    if registry is None:
        from modelyard.client import MlflowClient

        registry = MlflowClient()
    for served in config.served_models:
        resolve_version(registry, served)


def create_endpoint(
    name: str,
    served_models: list[dict[str, Any]],
    workload_size: str = "small",
    *,
    batching: dict[str, Any] | None = None,
    inference_logging: bool = True,
    validate: bool = True,
    registry: Any = None,
    home: str | Path | None = None,
) -> Endpoint:
    """Create an endpoint. Each served model is ``{"model_name", one of "model_version" /
    "stage" / "alias", "traffic_percentage"}``; the percentages add up to 100. A served model
    with ``"shadow": True`` (traffic share 0) gets a copy of every request instead: its answers
    are logged to the inference table (``shadow`` column) and never returned. With
    ``validate`` each served model must resolve now in ``registry`` (an ``MlflowClient``-like
    object; default: the current tracking URI's).
    ``batching``: ``{"enabled", "max_batch_rows", "max_wait_ms", "inline"}`` (see
    ``modelyard.serving._batcher.BatchConfig``)."""
    validate_endpoint_name(name)
    config = EndpointConfig.parse(served_models, workload_size, batching, inference_logging)
    if validate:
        _check_registry(config, registry)
    store = _store(home)
    if not store.insert_endpoint(name, config.to_dict()):
        raise ResourceAlreadyExists(f"Serving endpoint {name!r} already exists")
    return get_endpoint(name, home=home)


def update_endpoint(
    name: str,
    served_models: list[dict[str, Any]] | None = None,
    workload_size: str | None = None,
    *,
    batching: dict[str, Any] | None = None,
    inference_logging: bool | None = None,
    validate: bool = True,
    registry: Any = None,
    home: str | Path | None = None,
) -> Endpoint:
    """Change served models / traffic split / options; running servers pick it up at their next
    poll, loading new models before switching traffic."""
    current = get_endpoint(name, home=home)
    config = EndpointConfig.parse(
        served_models if served_models is not None else current.served_models,
        workload_size or current.workload_size,
        batching if batching is not None else current.batching,
        current.inference_logging if inference_logging is None else inference_logging,
    )
    if validate:
        _check_registry(config, registry)
    if not _store(home).update_endpoint(name, config.to_dict()):
        raise ResourceDoesNotExist(f"Serving endpoint {name!r} does not exist")
    return get_endpoint(name, home=home)


def get_endpoint(name: str, *, home: str | Path | None = None) -> Endpoint:
    row = _store(home).get_endpoint(name)
    if row is None:
        raise ResourceDoesNotExist(f"Serving endpoint {name!r} does not exist")
    return Endpoint._from_row(row)


def list_endpoints(*, home: str | Path | None = None) -> list[Endpoint]:
    return [Endpoint._from_row(r) for r in _store(home).list_endpoints()]


def delete_endpoint(name: str, *, home: str | Path | None = None) -> None:
    if not _store(home).delete_endpoint(name):
        raise ResourceDoesNotExist(f"Serving endpoint {name!r} does not exist")


def get_endpoint_status(name: str, *, home: str | Path | None = None) -> list[dict[str, Any]]:
    """What each worker reported for ``name`` (versions, load errors), each flagged ``stale``
    when it stopped reporting (see :func:`modelyard.serving._store.mark_stale`)."""
    get_endpoint(name, home=home)
    workers = _store(home).get_states(name)
    mark_stale(workers)
    return workers


def create_token(
    comment: str | None = None,
    *,
    endpoint: str | None = None,
    lifetime_seconds: int | None = None,
    home: str | Path | None = None,
) -> dict[str, Any]:
    """A new bearer token. The secret is in ``["token"]`` and is shown only this once; only its
    SHA-256 digest is stored. ``endpoint`` restricts it to one endpoint."""
    if endpoint is not None:
        get_endpoint(endpoint, home=home)
    token = "myd_" + secrets.token_urlsafe(32)
    token_id = secrets.token_hex(8)
    expiry = int((time.time() + lifetime_seconds) * 1000) if lifetime_seconds else None
    created = _store(home).insert_token(token_id, token, comment, endpoint, expiry)
    return {
        "token_id": token_id,
        "token": token,
        "comment": comment,
        "endpoint": endpoint,
        "creation_timestamp": created,
        "expiry_timestamp": expiry,
    }


def revoke_token(token_id: str, *, home: str | Path | None = None) -> None:
    if not _store(home).revoke_token(token_id):
        raise ResourceDoesNotExist(f"Token {token_id!r} does not exist")


def list_tokens(*, home: str | Path | None = None) -> list[dict[str, Any]]:
    """Token metadata (never the secrets)."""
    return [{**t, "revoked": bool(t["revoked"])} for t in _store(home).list_tokens()]


def inference_table_path(name: str, *, home: str | Path | None = None) -> Path:
    return _store(home).home / "inference" / name


def read_inference_table(name: str, *, home: str | Path | None = None) -> Any:
    """The endpoint's inference log as a pandas DataFrame."""
    from modelyard.serving._inference_log import read_inference_table as _read

    return _read(inference_table_path(name, home=home))


def serve_endpoints(
    names: list[str] | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    workers: int | None = None,
    auth: bool = True,
    poll_interval_s: float = 5.0,
    max_body_bytes: int = 100 * 1024 * 1024,
    timeout_s: float | None = 60.0,
    home: str | Path | None = None,
    log_level: str = "info",
    auth_db_uri: str | None = None,
    shadow_queue_size: int = 1000,
) -> None:
    """Serve ``names`` (default: every endpoint, including ones created later). Blocks.

    ``workers`` defaults to the largest workload size among the served endpoints
    (small=1, medium=2, large=4). ``shadow_queue_size``: request copies each worker holds for
    an endpoint's shadow models; past that, copies are dropped (and counted), never waited
    for."""
    from modelyard.serving._endpoint_app import GATEWAY_CONFIG_ENV, GatewayConfig
    from modelyard.serving._runner import run_uvicorn, tracking_env, workers_for

    store = _store(home)
    if names:
        for n in names:
            get_endpoint(n, home=store.home)
    if not workers:
        rows = [r for r in store.list_endpoints() if not names or r["name"] in names]
        workers = max([workers_for(r.get("workload_size"), None) for r in rows] or [1])
    config = GatewayConfig(
        str(store.home),
        list(names) if names else None,
        auth,
        poll_interval_s,
        max_body_bytes,
        timeout_s,
        auth_db_uri,
        shadow_queue_size,
    )
    env = {GATEWAY_CONFIG_ENV: config.to_json(), **tracking_env()}
    run_uvicorn(
        "modelyard.serving._endpoint_app:endpoint_app_from_env",
        env,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
    )
