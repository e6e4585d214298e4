"""Webhook rules (MLflow 3's webhook API): names, URLs, events, secrets, payloads, the outbox.

:class:`WebhookService` validates and answers in MLflow's wire shapes; :meth:`WebhookService.emit`
writes one outbox row per subscribed webhook (no network call on the request's path); the
delivery worker in :mod:`modelyard.services.webhook_delivery` sends them.

Destination rules, read from the environment of the process that checks them (the server):

- ``MLFLOW_WEBHOOK_ALLOWED_SCHEMES`` (default ``https``): comma-separated URL schemes allowed.
- ``MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS`` (default false): when true, loopback, private,
  link-local, cloud-metadata and other non-global addresses are allowed.
- ``MODELYARD_WEBHOOK_ALLOWED_HOSTS``: comma-separated host names exempt from the address check
  (an explicit allow-list for internal receivers).

The address check resolves the host name and refuses it when any address is not global; it
runs when a webhook is created or updated and again, after DNS, on every delivery.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import socket
import urllib.parse
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from modelyard.errors import InvalidParameterValue
from modelyard.query.paging import check_max_results, decode_page_token, next_page_token
from modelyard.services.validation import check_length
from modelyard.store.webhooks.base import Delivery, Webhook, WebhookStore
from modelyard.utils.time import now_ms

__all__ = [
    "EXTRA_EVENTS",
    "MAX_WEBHOOK_DESCRIPTION_LENGTH",
    "MAX_WEBHOOK_URL_LENGTH",
    "MLFLOW_EVENTS",
    "STATUSES",
    "WebhookService",
    "check_destination",
    "envelope",
    "event_from_wire",
    "event_to_wire",
    "example_payload",
    "resolve_allowed_addresses",
]

#: MLflow 3.17's event names (entity.action). modelyard fires the registry ones; the prompt
#: and budget events are accepted for compatibility and never fired here.
MLFLOW_EVENTS: tuple[str, ...] = (
    "registered_model.created",
    "model_version.created",
    "model_version_tag.set",
    "model_version_tag.deleted",
    "model_version_alias.created",
    "model_version_alias.deleted",
    "prompt.created",
    "prompt_version.created",
    "prompt_tag.set",
    "prompt_tag.deleted",
    "prompt_version_tag.set",
    "prompt_version_tag.deleted",
    "prompt_alias.created",
    "prompt_alias.deleted",
    "budget_policy.exceeded",
)
#: modelyard's own events (on the wire in ``extra_events``, as MLflow's enums cannot hold them)
EXTRA_EVENTS: tuple[str, ...] = (
    "model_version_stage.transitioned",
    "monitor.alert",
    "model_version_gate.failed",
    "transition_request.created",
    "transition_request.approved",
    "transition_request.rejected",
    "transition_request.cancelled",
)
STATUSES = ("ACTIVE", "DISABLED")
_NAME = re.compile(r"^(?=.{1,63}$)[a-z0-9]([a-z0-9._-]*[a-z0-9])?$", re.IGNORECASE)
_MAX_PAGE = 1000
#: MLflow's column sizes (``webhooks.url``, ``webhooks.description``), refused on every database
MAX_WEBHOOK_URL_LENGTH = 500
MAX_WEBHOOK_DESCRIPTION_LENGTH = 1000

_EXAMPLES: dict[str, dict[str, Any]] = {
    "registered_model.created": {
        "name": "example_model",
        "tags": {"example_key": "example_value"},
        "description": "An example registered model",
    },
    "model_version.created": {
        "name": "example_model",
        "version": "1",
        "source": "models:/123",
        "run_id": "abcd1234abcd5678",
        "tags": {"example_key": "example_value"},
        "description": "An example model version",
    },
    "model_version_tag.set": {
        "name": "example_model",
        "version": "1",
        "key": "example_key",
        "value": "example_value",
    },
    "model_version_tag.deleted": {"name": "example_model", "version": "1", "key": "example_key"},
    "model_version_alias.created": {
        "name": "example_model",
        "alias": "example_alias",
        "version": "1",
    },
    "model_version_alias.deleted": {"name": "example_model", "alias": "example_alias"},
    "model_version_stage.transitioned": {
        "name": "example_model",
        "version": "1",
        "from_stage": "Staging",
        "to_stage": "Production",
        "archive_existing_versions": False,
    },
    "monitor.alert": {
        "alert": "example_alert",
        "previous_state": "OK",
        "state": "TRIGGERED",
        "condition": "drift on at least 2 column(s) of monitor 'example_monitor'",
        "monitor": "example_monitor",
        "window": "1 day|2026-11-03T00:00:00+00:00",
        "value": 2.0,
        "evidence": {"drifted_columns": ["monthly_charges", "tenure"]},
    },
    "model_version_gate.failed": {
        "name": "example_model",
        "version": "2",
        "target": "Production",
        "policy_version": 1,
        "failed_gates": [
            {
                "gate": "metric_threshold:accuracy_score",
                "type": "metric_threshold",
                "outcome": "FAILED",
                "message": "accuracy_score = 0.81 < threshold 0.85 (evaluation run abcd1234)",
                "evidence": {"evaluation_run_id": "abcd1234", "value": 0.81, "threshold": 0.85},
            }
        ],
    },
    "transition_request.created": {
        "name": "example_model",
        "version": "2",
        "id": "0123456789abcdef",
        "to_stage": "Production",
        "state": "PENDING",
        "user_id": "alice",
        "comment": "ready for production",
    },
}
for _action in ("approved", "rejected", "cancelled"):
    _EXAMPLES[f"transition_request.{_action}"] = {
        **_EXAMPLES["transition_request.created"],
        "state": {"approved": "APPROVED", "rejected": "REJECTED"}.get(_action, "CANCELLED"),
    }


def example_payload(event: str) -> dict[str, Any]:
    """The ``data`` of a test delivery for ``event``."""
    return dict(_EXAMPLES.get(event, {"name": "example"}))


# ---------------------------------------------------------------- events on the wire
def event_to_wire(event: str) -> dict[str, str]:
    entity, action = event.split(".", 1)
    return {"entity": entity.upper(), "action": action.upper()}


def event_from_wire(value: Any, field: str = "events") -> str:
    """``{"entity": "MODEL_VERSION", "action": "CREATED"}`` or ``"model_version.created"``."""
    if isinstance(value, dict):
        entity, action = value.get("entity"), value.get("action")
        if not isinstance(entity, str) or not isinstance(action, str):
            raise InvalidParameterValue(
                f"Invalid value {value!r} in '{field}': an event needs 'entity' and 'action'."
            )
        name = f"{entity.lower()}.{action.lower()}"
    elif isinstance(value, str):
        name = value.strip().lower()
    else:
        raise InvalidParameterValue(f"Invalid value {value!r} in '{field}': not an event.")
    if name not in MLFLOW_EVENTS and name not in EXTRA_EVENTS:
        raise InvalidParameterValue(
            f"Invalid event {name!r} in '{field}'. Valid events are: "
            f"{', '.join(MLFLOW_EVENTS + EXTRA_EVENTS)}."
        )
    return name


def envelope(event: str, data: dict[str, Any], when: datetime | None = None) -> str:
    """The JSON body MLflow sends: entity, action, ISO timestamp and the event's ``data``."""
    entity, action = event.split(".", 1)
    stamp = (when or datetime.now(UTC)).isoformat()
    return json.dumps({"entity": entity, "action": action, "timestamp": stamp, "data": data})


# ---------------------------------------------------------------- destination checks
def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _list_env(name: str, default: str) -> list[str]:
    raw = os.environ.get(name)
    text = default if raw is None or not raw.strip() else raw
    return [p.strip().lower() for p in text.split(",") if p.strip()]


def _is_global(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        inner = ip.ipv4_mapped or ip.sixtofour
        if inner is None and ip in ipaddress.IPv6Network("64:ff9b::/96"):
            inner = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if inner is not None:
            ip = inner
    return bool(ip.is_global) and not ip.is_multicast


def _parse(url: Any, field: str) -> urllib.parse.SplitResult:
    if not isinstance(url, str) or not url.strip():
        raise InvalidParameterValue(f"Invalid value {url!r} for parameter '{field}': empty URL.")
    try:
        parts = urllib.parse.urlsplit(url.strip())
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        raise InvalidParameterValue(f"Invalid webhook URL {url!r} ('{field}'): {exc}") from None
    schemes = _list_env("MLFLOW_WEBHOOK_ALLOWED_SCHEMES", "https")
    if parts.scheme.lower() not in schemes:
        raise InvalidParameterValue(
            f"Invalid webhook URL scheme {parts.scheme!r} ('{field}'). Allowed schemes are: "
            f"{', '.join(schemes)} (MLFLOW_WEBHOOK_ALLOWED_SCHEMES)."
        )
    if not parts.hostname:
        raise InvalidParameterValue(f"Webhook URL {url!r} ('{field}') must include a hostname.")
    return parts


def resolve_allowed_addresses(url: str, field: str = "url") -> list[str]:
    """The addresses a delivery to ``url`` may connect to (resolved now), or an error.

    With private addresses allowed (or an allow-listed host) every resolved address is kept;
    otherwise all of them must be global, so that a name resolving to one public and one
    internal address is refused.
    """
    parts = _parse(url, field)
    host = str(parts.hostname)
    port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise InvalidParameterValue(
            f"Webhook URL host {host!r} ('{field}') does not resolve: {exc}"
        ) from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    open_all = _flag("MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS") or host.lower() in _list_env(
        "MODELYARD_WEBHOOK_ALLOWED_HOSTS", ""
    )
    if not open_all:
        blocked = [a for a in addresses if not _is_global(ipaddress.ip_address(a.split("%")[0]))]
        if blocked:
            raise InvalidParameterValue(
                f"Webhook URL host {host!r} ('{field}') resolves to a non-public address "
                f"({', '.join(blocked)}): loopback, private, link-local and metadata addresses "
                "are refused (MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS=true lifts this for development)."
            )
    return addresses


def check_destination(url: Any, field: str = "url") -> str:
    """Validate a webhook URL (scheme, host, resolved addresses); returns it stripped."""
    resolve_allowed_addresses(str(url) if isinstance(url, str) else url, field)
    return str(url).strip()


# ---------------------------------------------------------------- the service
def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidParameterValue(
            f"Webhook name {name!r} is invalid (field 'name'). It must start and end with a "
            "letter or digit, be at most 63 characters long, and contain only letters, digits, "
            "dots (.), underscores (_), and hyphens (-)."
        )
    return name


def _check_events(events: Any) -> tuple[str, ...]:
    if not isinstance(events, (list, tuple)) or not events:
        raise InvalidParameterValue(
            f"Invalid value {events!r} for parameter 'events': a non-empty list of events."
        )
    return tuple(dict.fromkeys(event_from_wire(e) for e in events))


def _check_status(status: Any) -> str:
    text = str(status).upper() if isinstance(status, str) else status
    if text not in STATUSES:
        raise InvalidParameterValue(
            f"Invalid value {status!r} for parameter 'status'. Valid values: {list(STATUSES)}."
        )
    return str(text)


def _check_text(value: Any, field: str, limit: int | None = None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidParameterValue(f"Invalid value {value!r} for parameter '{field}'.")
    return value if limit is None else check_length(value, field, limit)


def _check_url(url: Any) -> str:
    if isinstance(url, str):
        check_length(url, "url", MAX_WEBHOOK_URL_LENGTH)
    return check_destination(url)


class WebhookService:
    """Rules over a :class:`WebhookStore`; ``on_enqueued`` wakes a delivery worker."""

    def __init__(
        self, store: WebhookStore, on_enqueued: Callable[[list[Delivery]], None] | None = None
    ) -> None:
        self.store = store
        self.on_enqueued = on_enqueued

    # ------------------------------------------------------------ wire shape
    @staticmethod
    def to_wire(webhook: Webhook) -> dict[str, Any]:
        """MLflow's ``Webhook`` message; the secret is never included."""
        out: dict[str, Any] = {
            "webhook_id": webhook.webhook_id,
            "name": webhook.name,
            "url": webhook.url,
            "events": [event_to_wire(e) for e in webhook.events if e in MLFLOW_EVENTS],
            "status": webhook.status,
            "creation_timestamp": webhook.creation_timestamp,
            "last_updated_timestamp": webhook.last_updated_timestamp,
        }
        if webhook.description:
            out["description"] = webhook.description
        extra = [e for e in webhook.events if e in EXTRA_EVENTS]
        if extra:
            out["extra_events"] = extra
        return out

    @staticmethod
    def delivery_to_wire(delivery: Delivery) -> dict[str, Any]:
        out = {
            "delivery_id": delivery.delivery_id,
            "webhook_id": delivery.webhook_id,
            "event": delivery.event,
            "status": delivery.status,
            "attempts": delivery.attempts,
            "created_time": delivery.created_time,
            "next_attempt_time": delivery.next_attempt_time,
            "last_attempt_time": delivery.last_attempt_time,
            "delivered_time": delivery.delivered_time,
            "response_status": delivery.response_status,
            "error": delivery.error,
        }
        return {k: v for k, v in out.items() if v is not None}

    # ------------------------------------------------------------ CRUD
    def create(
        self,
        name: Any,
        url: Any,
        events: Any,
        description: Any = None,
        secret: Any = None,
        status: Any = None,
        extra_events: Any = None,
    ) -> Webhook:
        all_events = list(events or []) + list(extra_events or [])
        now = now_ms()
        webhook = Webhook(
            webhook_id=uuid.uuid4().hex,
            name=_check_name(name),
            url=_check_url(url),
            events=_check_events(all_events if all_events else events),
            status=_check_status(status) if status else "ACTIVE",
            creation_timestamp=now,
            last_updated_timestamp=now,
            description=_check_text(description, "description", MAX_WEBHOOK_DESCRIPTION_LENGTH)
            or None,
            secret=_check_text(secret, "secret") or None,
        )
        return self.store.create_webhook(webhook)

    def get(self, webhook_id: Any) -> Webhook:
        return self.store.get_webhook(str(webhook_id))

    def list_webhooks(
        self, max_results: Any = None, page_token: Any = None
    ) -> tuple[list[Webhook], str]:
        limit = 100 if max_results in (None, "", 0) else check_max_results(max_results, _MAX_PAGE)
        offset = decode_page_token(_check_text(page_token, "page_token"))
        rows, more = self.store.list_webhooks(limit, offset)
        token = next_page_token(offset, limit, limit + 1 if more else len(rows))
        return rows, token or ""

    def update(
        self,
        webhook_id: Any,
        name: Any = None,
        url: Any = None,
        events: Any = None,
        description: Any = None,
        secret: Any = None,
        status: Any = None,
        extra_events: Any = None,
    ) -> Webhook:
        self.store.get_webhook(str(webhook_id))  # 404 before validating the rest
        new_events: Sequence[str] | None = None
        if events or extra_events:
            new_events = _check_events(list(events or []) + list(extra_events or []))
        return self.store.update_webhook(
            str(webhook_id),
            now_ms(),
            name=_check_name(name) if name else None,
            url=_check_url(url) if url else None,
            events=new_events,
            description=_check_text(description, "description", MAX_WEBHOOK_DESCRIPTION_LENGTH),
            secret=_check_text(secret, "secret"),
            status=_check_status(status) if status else None,
        )

    def delete(self, webhook_id: Any) -> None:
        self.store.delete_webhook(str(webhook_id), now_ms())

    def deliveries(
        self,
        webhook_id: Any,
        max_results: Any = None,
        page_token: Any = None,
        status: Any = None,
    ) -> tuple[list[Delivery], str]:
        self.store.get_webhook(str(webhook_id))
        limit = 100 if max_results in (None, "", 0) else check_max_results(max_results, _MAX_PAGE)
        offset = decode_page_token(_check_text(page_token, "page_token"))
        if status is not None and status not in ("PENDING", "DELIVERED", "FAILED"):
            raise InvalidParameterValue(
                f"Invalid value {status!r} for parameter 'status' (PENDING, DELIVERED, FAILED)."
            )
        rows, more = self.store.list_deliveries(str(webhook_id), limit, offset, status)
        token = next_page_token(offset, limit, limit + 1 if more else len(rows))
        return rows, token or ""

    # ------------------------------------------------------------ events
    def emit(self, event: str, data: dict[str, Any]) -> list[Delivery]:
        """Queue ``event`` for every active subscribed webhook (a database write, no HTTP)."""
        if event not in MLFLOW_EVENTS and event not in EXTRA_EVENTS:
            raise InvalidParameterValue(f"Unknown webhook event {event!r}.")
        queued = self.store.enqueue(event, envelope(event, data), now_ms())
        if queued and self.on_enqueued is not None:
            self.on_enqueued(queued)
        return queued
