"""MLflow 3's webhook REST API (``/api/2.0/mlflow/webhooks``) and the outbox worker's start.

``POST webhooks`` (name, url, events, description, secret, status) -> ``{"webhook"}``;
``GET webhooks`` (max_results, page_token) -> ``{"webhooks", "next_page_token"}``;
``GET|PATCH|DELETE webhooks/{webhook_id}``; ``POST webhooks/{webhook_id}/test`` (event) ->
``{"result"}``. modelyard adds ``GET webhooks/{webhook_id}/deliveries`` (the delivery history)
and ``extra_events`` for its own events. The secret is accepted, never returned.

Webhooks live in the registry database. :func:`start` (called from the app's lifespan) builds
the service, connects the registry's events to it and starts the delivery worker;
``MODELYARD_WEBHOOK_WORKER=0`` keeps the worker off (events are still queued).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from modelyard.errors import NotImplementedByBackend
from modelyard.server.routing import Call, Endpoint

if TYPE_CHECKING:
    from modelyard.server.context import ServerContext
    from modelyard.services.webhooks import WebhookService

__all__ = ["ENDPOINTS", "start"]


def _db_uri(ctx: ServerContext) -> str:
    return str(ctx.config.registry_store_uri or ctx.config.backend_store_uri)


def _build(ctx: ServerContext) -> WebhookService:
    from modelyard.services.webhooks import WebhookService
    from modelyard.store.sql.engine import is_sql_uri
    from modelyard.store.webhooks import get_webhook_store

    uri = _db_uri(ctx)
    if not is_sql_uri(uri):
        raise NotImplementedByBackend("Webhooks need a SQL registry store (sqlite or postgresql).")
    service = WebhookService(get_webhook_store(uri))
    ctx.registry.event_sink = service.emit
    return service


def service_for(ctx: ServerContext) -> WebhookService:
    """The app's webhook service (built once); the registry's events flow into it."""
    return ctx.feature("webhooks", _build)


def start(ctx: ServerContext) -> Callable[[], None]:
    """Connect the registry to the outbox and start the delivery worker of this process."""
    from modelyard import settings
    from modelyard.store.sql.engine import is_sql_uri

    if not is_sql_uri(_db_uri(ctx)):
        return lambda: None
    service = service_for(ctx)
    if not settings.env_flag("MODELYARD_WEBHOOK_WORKER", True):
        return lambda: None
    from modelyard.services.webhook_delivery import DeliveryWorker

    worker = DeliveryWorker(service.store).start()
    service.on_enqueued = worker.notify
    return worker.stop


def _args(call: Call) -> dict[str, Any]:
    return dict(call.args.raw())


def create_webhook(call: Call) -> dict[str, Any]:
    a = _args(call)
    for field in ("name", "url", "events"):
        if a.get(field) in (None, "", []):
            from modelyard.errors import InvalidParameterValue

            raise InvalidParameterValue(f"Missing value for required parameter '{field}'.")
    service = service_for(call.ctx)
    webhook = service.create(
        a.get("name"),
        a.get("url"),
        a.get("events"),
        description=a.get("description"),
        secret=a.get("secret"),
        status=a.get("status"),
        extra_events=a.get("extra_events"),
    )
    return {"webhook": service.to_wire(webhook)}


def list_webhooks(call: Call) -> dict[str, Any]:
    service = service_for(call.ctx)
    rows, token = service.list_webhooks(
        call.args.get_raw("max_results"), call.args.get_raw("page_token")
    )
    out: dict[str, Any] = {"webhooks": [service.to_wire(w) for w in rows]}
    if token:
        out["next_page_token"] = token
    return out


def get_webhook(call: Call) -> dict[str, Any]:
    service = service_for(call.ctx)
    return {"webhook": service.to_wire(service.get(call.path_params["webhook_id"]))}


def update_webhook(call: Call) -> dict[str, Any]:
    a = _args(call)
    service = service_for(call.ctx)
    webhook = service.update(
        call.path_params["webhook_id"],
        name=a.get("name"),
        url=a.get("url"),
        events=a.get("events"),
        description=a.get("description"),
        secret=a.get("secret"),
        status=a.get("status"),
        extra_events=a.get("extra_events"),
    )
    return {"webhook": service.to_wire(webhook)}


def delete_webhook(call: Call) -> dict[str, Any]:
    service_for(call.ctx).delete(call.path_params["webhook_id"])
    return {}


def test_webhook(call: Call) -> dict[str, Any]:
    from modelyard.services.webhook_delivery import send_test
    from modelyard.services.webhooks import event_from_wire

    service = service_for(call.ctx)
    webhook = service.get(call.path_params["webhook_id"])
    raw = call.args.get_raw("event")
    event = event_from_wire(raw, "event") if raw else None
    return {"result": send_test(webhook, event)}


def list_deliveries(call: Call) -> dict[str, Any]:
    service = service_for(call.ctx)
    a = call.args
    rows, token = service.deliveries(
        call.path_params["webhook_id"],
        a.get_raw("max_results"),
        a.get_raw("page_token"),
        a.get_raw("status"),
    )
    out: dict[str, Any] = {"deliveries": [service.delivery_to_wire(d) for d in rows]}
    if token:
        out["next_page_token"] = token
    return out


_W = "/mlflow/webhooks"
ENDPOINTS: list[Endpoint] = [
    Endpoint("POST", _W, create_webhook),
    Endpoint("GET", _W, list_webhooks),
    Endpoint("GET", f"{_W}/{{webhook_id}}", get_webhook),
    Endpoint("PATCH", f"{_W}/{{webhook_id}}", update_webhook),
    Endpoint("DELETE", f"{_W}/{{webhook_id}}", delete_webhook),
    Endpoint("POST", f"{_W}/{{webhook_id}}/test", test_webhook),
    Endpoint("GET", f"{_W}/{{webhook_id}}/deliveries", list_deliveries),
]
