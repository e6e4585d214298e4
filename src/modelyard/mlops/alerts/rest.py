"""REST endpoints of the alerts on ``modelyard server`` (``/api/2.0/modelyard/alerts/...``).

``POST create`` (``name``, ``condition``, ``actions``, ``cooldown_seconds``, ``enabled``,
``notify_on_resolve``, ``description``) -> ``{"alert"}``; ``GET get?alert=`` (id or name);
``GET list[?monitor=][&max_results=]``; ``POST update`` (``alert`` and the fields to change);
``POST delete`` (``alert``); ``POST evaluate`` (``alert`` or ``monitor``, or neither: all
enabled rules) -> ``{"evaluations"}``; ``GET history?alert=`` -> ``{"events"}``;
``GET notifications[?alert=][&status=]`` -> ``{"notifications"}``. Rules live in the server's
tracking database; monitors under ``MODELYARD_MONITORS_ROOT``; endpoints in the serving home.
An endpoint condition names an ``endpoint`` here: a ``table`` path is refused
(``PERMISSION_DENIED``), callers cannot make the server read files elsewhere. Secrets are
write-only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from modelyard.errors import InvalidParameterValue, NotImplementedByBackend, PermissionDenied
from modelyard.mlops.alerts.service import (
    UPDATABLE_FIELDS,
    AlertService,
    event_to_dict,
    notification_to_dict,
    rule_to_dict,
)
from modelyard.server.routing import Call, Endpoint

if TYPE_CHECKING:
    from modelyard.server.context import ServerContext

__all__ = ["ENDPOINTS"]


def _build(ctx: ServerContext) -> AlertService:
    from modelyard.mlops.alerts.server_hook import server_service
    from modelyard.store.sql.engine import is_sql_uri

    if not is_sql_uri(str(ctx.config.backend_store_uri)):
        raise NotImplementedByBackend("Alerts need a SQL tracking store (sqlite or postgresql).")
    return server_service(ctx.config)


def _service(call: Call) -> AlertService:
    return call.ctx.feature("alerts", _build)


def _no_table(condition: Any) -> Any:
    if isinstance(condition, dict) and condition.get("table") is not None:
        raise PermissionDenied(
            "'condition.table' is not accepted by the server: name the serving 'endpoint'."
        )
    return condition


def create(call: Call) -> dict[str, Any]:
    body = dict(call.args.raw())
    for field in ("name", "condition"):
        if body.get(field) in (None, ""):
            raise InvalidParameterValue(f"Missing value for required parameter '{field}'.")
    rule = _service(call).create(
        body["name"],
        _no_table(body["condition"]),
        body.get("actions"),
        cooldown_seconds=body.get("cooldown_seconds", 3600),
        enabled=body.get("enabled", True),
        description=body.get("description"),
        notify_on_resolve=body.get("notify_on_resolve", True),
    )
    return {"alert": rule_to_dict(rule)}


def get(call: Call) -> dict[str, Any]:
    return {"alert": rule_to_dict(_service(call).resolve(call.args.req_str("alert")))}


def list_all(call: Call) -> dict[str, Any]:
    rules = _service(call).list_rules(call.args.str("monitor"), call.args.get_raw("max_results"))
    return {"alerts": [rule_to_dict(r) for r in rules]}


def update(call: Call) -> dict[str, Any]:
    body = dict(call.args.raw())
    unknown = set(body) - {"alert", *UPDATABLE_FIELDS}
    if unknown:
        raise InvalidParameterValue(f"Unknown alert field(s): {', '.join(sorted(unknown))}.")
    fields = {k: body[k] for k in UPDATABLE_FIELDS if body.get(k) is not None}
    if "condition" in fields:
        _no_table(fields["condition"])
    rule = _service(call).update(call.args.req_str("alert"), **fields)
    return {"alert": rule_to_dict(rule)}


def delete(call: Call) -> dict[str, Any]:
    _service(call).delete(call.args.req_str("alert"))
    return {}


def evaluate(call: Call) -> dict[str, Any]:
    service = _service(call)
    out = service.evaluate(call.args.str("alert"), call.args.str("monitor"))
    if any(r.get("notifications") for r in out):
        from modelyard.mlops.alerts import on_refresh

        on_refresh.wake_dispatcher()
    return {"evaluations": out}


def history(call: Call) -> dict[str, Any]:
    events = _service(call).history(call.args.req_str("alert"), call.args.get_raw("max_results"))
    return {"events": [event_to_dict(e) for e in events]}


def notifications(call: Call) -> dict[str, Any]:
    notes = _service(call).notifications(
        call.args.str("alert"), call.args.str("status"), call.args.get_raw("max_results")
    )
    return {"notifications": [notification_to_dict(n) for n in notes]}


_P = "/modelyard/alerts"
ENDPOINTS: list[Endpoint] = [
    Endpoint("POST", f"{_P}/create", create),
    Endpoint("GET", f"{_P}/get", get),
    Endpoint("GET", f"{_P}/list", list_all),
    Endpoint("POST", f"{_P}/update", update),
    Endpoint("POST", f"{_P}/delete", delete),
    Endpoint("POST", f"{_P}/evaluate", evaluate),
    Endpoint("GET", f"{_P}/history", history),
    Endpoint("GET", f"{_P}/notifications", notifications),
]
