"""Serving endpoints managed through ``modelyard server`` (Databricks' Serving Endpoints REST API).

The tracking server holds the endpoint definitions the endpoint server (``modelyard endpoints
serve``) reads: both use the serving home ``MODELYARD_SERVING_HOME`` (default
``./modelyard-serving``), so an endpoint created here is picked up by a running endpoint server
at its next poll. Routes, under ``/api/2.0`` (and ``/ajax-api/2.0`` for the web UI):

- ``GET /serving-endpoints``: ``{"endpoints": [...]}``
- ``POST /serving-endpoints``: ``{"name", "config": {...}}``, answers the endpoint
- ``GET /serving-endpoints/{name}``, ``DELETE /serving-endpoints/{name}``
- ``PUT /serving-endpoints/{name}/config``: the new ``config``, answers the endpoint
- ``GET /serving-endpoints/{name}/figures?minutes=15``: live figures per served version read from
  the endpoint's inference table (requests, requests/s, p50/p99 latency, errors)
- ``GET /modelyard/serving-endpoints/tokens``, ``POST .../tokens/create``, ``POST .../tokens/revoke``

A ``config`` names its models as Databricks does, ``served_entities`` (``entity_name``,
``entity_version``, ``workload_size``, ``name``) or the older ``served_models`` (``model_name``,
``model_version``), with ``traffic_config.routes`` (``served_model_name``,
``traffic_percentage``). modelyard adds ``stage`` or ``alias`` in place of a version (followed
live), ``shadow``, and top-level ``batching`` and ``inference_logging``. Answers carry both
``served_entities`` and ``served_models`` and a ``state`` read from the running workers (the
same reports and staleness rule as the endpoint server's ``/status``).
"""

from __future__ import annotations

import time
from typing import Any

from modelyard.errors import InvalidParameterValue
from modelyard.server.routing import Call, Endpoint
from modelyard.serving import endpoints as _endpoints
from modelyard.serving._config import ServedModel
from modelyard.serving._store import workers_summary

__all__ = ["ENDPOINTS", "endpoint_json", "parse_config"]

_WORKLOAD_FIELD = "workload_size"
#: the longest window the figures route reads (a day)
_MAX_MINUTES = 24 * 60


def _served_from_wire(raw: Any, index: int) -> tuple[dict[str, Any], str | None]:
    """One ``served_entities`` / ``served_models`` item as the Python API's served model dict,
    with its workload size (``None`` when not given)."""
    if not isinstance(raw, dict):
        raise InvalidParameterValue(f"config.served_entities[{index}] must be an object")
    name = raw.get("entity_name", raw.get("model_name"))
    if not isinstance(name, str) or not name:
        raise InvalidParameterValue(
            f"Missing value for required field 'config.served_entities[{index}].entity_name'."
        )
    served: dict[str, Any] = {"model_name": name}
    version = raw.get("entity_version", raw.get("model_version"))
    if version not in (None, ""):
        served["model_version"] = str(version)
    for key in ("stage", "alias", "name", "shadow"):
        if raw.get(key) not in (None, ""):
            served[key] = raw[key]
    if "traffic_percentage" in raw:
        served["traffic_percentage"] = raw["traffic_percentage"]
    workload = raw.get(_WORKLOAD_FIELD)
    return served, str(workload) if workload is not None else None


def parse_config(config: Any) -> dict[str, Any]:
    """A Databricks-shaped endpoint ``config`` as keyword arguments of
    :func:`modelyard.serving.endpoints.create_endpoint` (``served_models``, ``workload_size``,
    ``batching``, ``inference_logging``); errors name the field."""
    if not isinstance(config, dict):
        raise InvalidParameterValue("Missing value for required field 'config'.")
    items = config.get("served_entities", config.get("served_models"))
    if not isinstance(items, list) or not items:
        raise InvalidParameterValue(
            "Field 'config.served_entities' must be a non-empty list of served models."
        )
    served, workloads = [], []
    for i, raw in enumerate(items):
        model, workload = _served_from_wire(raw, i)
        served.append(model)
        if workload is not None:
            workloads.append(workload)
    routes = (config.get("traffic_config") or {}).get("routes")
    if routes is not None:
        _apply_routes(served, routes)
    elif len(served) > 1 and not all("traffic_percentage" in s for s in served):
        raise InvalidParameterValue(
            "Field 'config.traffic_config.routes' is required with several served models."
        )
    kwargs: dict[str, Any] = {"served_models": served}
    if workloads:
        sizes = {"small": 0, "medium": 1, "large": 2}
        kwargs["workload_size"] = max(workloads, key=lambda w: sizes.get(w.lower(), 3))
    if config.get("batching") is not None:
        kwargs["batching"] = config["batching"]
    if config.get("inference_logging") is not None:
        kwargs["inference_logging"] = bool(config["inference_logging"])
    return kwargs


def _apply_routes(served: list[dict[str, Any]], routes: Any) -> None:
    if not isinstance(routes, list):
        raise InvalidParameterValue("Field 'config.traffic_config.routes' must be a list.")
    by_name = {ServedModel.parse(s).name: s for s in served}
    for i, route in enumerate(routes):
        if not isinstance(route, dict):
            raise InvalidParameterValue(f"config.traffic_config.routes[{i}] must be an object")
        target = route.get("served_model_name", route.get("served_entity_name"))
        if target not in by_name:
            raise InvalidParameterValue(
                f"config.traffic_config.routes[{i}].served_model_name {target!r} names no "
                f"served model (known: {sorted(by_name)})."
            )
        by_name[target]["traffic_percentage"] = route.get("traffic_percentage")
    for name, model in by_name.items():
        model.setdefault("traffic_percentage", 0)
        model.setdefault("name", name)


def _state(name: str) -> dict[str, Any]:
    """``READY`` when the live workers serve the endpoint with no load error (the endpoint
    server's own ``/status`` word is in ``modelyard_state``); the workers' reports come along,
    each flagged ``stale`` when it stopped reporting."""
    workers = _endpoints.get_endpoint_status(name)
    summary = workers_summary([w for w in workers if not w["stale"]])
    return {
        "ready": "READY" if summary == "READY" else "NOT_READY",
        "config_update": "NOT_UPDATING",
        "modelyard_state": summary,
        "workers": workers,
    }


def endpoint_json(endpoint: _endpoints.Endpoint) -> dict[str, Any]:
    """An endpoint in Databricks' answer shape (plus modelyard's fields)."""
    entities, routes = [], []
    for raw in endpoint.served_models:
        served = ServedModel.parse(raw)
        entity: dict[str, Any] = {
            "name": served.name,
            "entity_name": served.model_name,
            "workload_size": endpoint.workload_size.capitalize(),
            "scale_to_zero_enabled": False,
        }
        if served.model_version is not None:
            entity["entity_version"] = served.model_version
        if served.stage is not None:
            entity["stage"] = served.stage
        if served.alias is not None:
            entity["alias"] = served.alias
        if served.shadow:
            entity["shadow"] = True
        entities.append(entity)
        routes.append(
            {"served_model_name": served.name, "traffic_percentage": served.traffic_percentage}
        )
    models = [
        {
            "name": e["name"],
            "model_name": e["entity_name"],
            **({"model_version": e["entity_version"]} if "entity_version" in e else {}),
            "workload_size": e["workload_size"],
            "scale_to_zero_enabled": False,
        }
        for e in entities
    ]
    return {
        "name": endpoint.name,
        "id": endpoint.name,
        "creation_timestamp": endpoint.creation_timestamp,
        "last_updated_timestamp": endpoint.last_updated_timestamp,
        "state": _state(endpoint.name),
        "config": {
            "served_entities": entities,
            "served_models": models,
            "traffic_config": {"routes": routes},
            "batching": endpoint.batching,
            "inference_logging": endpoint.inference_logging,
        },
    }


def list_all(call: Call) -> dict[str, Any]:
    return {"endpoints": [endpoint_json(e) for e in _endpoints.list_endpoints()]}


def create(call: Call) -> dict[str, Any]:
    body = call.args.raw()
    name = call.args.req_str("name")
    kwargs = parse_config(body.get("config"))
    # checked against this server's registry (a server process need not have a tracking URI)
    return endpoint_json(_endpoints.create_endpoint(name, registry=call.registry, **kwargs))


def get(call: Call) -> dict[str, Any]:
    return endpoint_json(_endpoints.get_endpoint(call.path_params["name"]))


def delete(call: Call) -> dict[str, Any]:
    _endpoints.delete_endpoint(call.path_params["name"])
    return {}


def update_config(call: Call) -> dict[str, Any]:
    name = call.path_params["name"]
    _endpoints.get_endpoint(name)
    body = call.args.raw()
    kwargs = parse_config(body.get("config", body))
    return endpoint_json(_endpoints.update_endpoint(name, registry=call.registry, **kwargs))


def figures(call: Call) -> dict[str, Any]:
    name = call.path_params["name"]
    _endpoints.get_endpoint(name)
    minutes = call.args.int("minutes", default=15, minimum=1, maximum=_MAX_MINUTES)
    return live_figures(name, minutes)


def live_figures(name: str, minutes: int, now: float | None = None) -> dict[str, Any]:
    """Per served version over the last ``minutes``: requests, requests/s, p50/p99 latency (ms),
    errors (status >= 400) and error rate, from the endpoint's inference table; shadow answers
    are counted apart (``shadow`` true) and never mixed with the answers callers got."""
    now = time.time() if now is None else now
    since = now - minutes * 60
    frame = _recent_rows(_endpoints.inference_table_path(name), since)
    window = float(minutes * 60)
    variants = []
    if frame is not None and len(frame):
        grouped = frame.groupby(["served_model", "model_version", "shadow"], dropna=False)
        for (served, version, shadow), rows in grouped:
            latency = rows["latency_ms"].dropna()
            errors = int((rows["status_code"] >= 400).sum())
            variants.append(
                {
                    "served_model": served,
                    "model_version": None if version is None else str(version),
                    "shadow": bool(shadow),
                    "requests": len(rows),
                    "requests_per_second": len(rows) / window,
                    "p50_latency_ms": float(latency.quantile(0.5)) if len(latency) else None,
                    "p99_latency_ms": float(latency.quantile(0.99)) if len(latency) else None,
                    "errors": errors,
                    "error_rate": errors / len(rows),
                }
            )
    variants.sort(key=lambda v: (v["shadow"], str(v["served_model"]), str(v["model_version"])))
    return {
        "endpoint": name,
        "window_seconds": window,
        "since_timestamp": int(since * 1000),
        "requests": sum(v["requests"] for v in variants if not v["shadow"]),
        "variants": variants,
    }


def _recent_rows(path: Any, since: float) -> Any:
    """The columns the figures need, rows at or after ``since`` (epoch seconds), or None when
    the endpoint has logged nothing yet."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    if not (path / "_delta_log").is_dir():
        return None
    from deltalake import DeltaTable

    dataset = DeltaTable(str(path)).to_pyarrow_dataset()
    columns = ["timestamp", "served_model", "model_version", "status_code", "latency_ms"]
    has_shadow = "shadow" in dataset.schema.names
    cutoff = pa.scalar(pd.Timestamp(since, unit="s", tz="UTC"), type=pa.timestamp("us", "UTC"))
    table = dataset.to_table(
        columns=columns + (["shadow"] if has_shadow else []),
        filter=pc.field("timestamp") >= cutoff,
    )
    frame = table.to_pandas()
    if not has_shadow:
        frame["shadow"] = False
    frame["shadow"] = frame["shadow"].fillna(False).astype(bool)
    return frame


def tokens(call: Call) -> dict[str, Any]:
    return {"tokens": _endpoints.list_tokens()}


def create_token(call: Call) -> dict[str, Any]:
    lifetime = call.args.int("lifetime_seconds", minimum=1)
    return _endpoints.create_token(
        call.args.str("comment"), endpoint=call.args.str("endpoint"), lifetime_seconds=lifetime
    )


def revoke_token(call: Call) -> dict[str, Any]:
    _endpoints.revoke_token(call.args.req_str("token_id"))
    return {}


_S = "/serving-endpoints"
_T = "/modelyard/serving-endpoints/tokens"
ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", _S, list_all),
    Endpoint("POST", _S, create),
    Endpoint("GET", f"{_S}/{{name}}", get),
    Endpoint("DELETE", f"{_S}/{{name}}", delete),
    Endpoint("PUT", f"{_S}/{{name}}/config", update_config),
    Endpoint("GET", f"{_S}/{{name}}/figures", figures),
    Endpoint("GET", _T, tokens),
    Endpoint("POST", f"{_T}/create", create_token),
    Endpoint("POST", f"{_T}/revoke", revoke_token),
]
