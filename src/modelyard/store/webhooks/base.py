"""The webhooks store: webhook definitions and the durable delivery outbox.

A delivery row is written for every (event, subscribed active webhook) when the event is
emitted, in one transaction; the delivery worker claims due rows with a lease (a conditional
UPDATE), so a worker that dies mid-delivery leaves the row to be claimed again when the lease
expires: deliveries are at least once and never lost on restart.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = [
    "DELIVERY_STATES",
    "Delivery",
    "Webhook",
    "WebhookStore",
]

#: PENDING (waiting or leased), DELIVERED (2xx), FAILED (gave up; see ``error``)
DELIVERY_STATES = ("PENDING", "DELIVERED", "FAILED")


@dataclass(frozen=True)
class Webhook:
    """A webhook; ``secret`` stays inside the server (the REST API never returns it)."""

    webhook_id: str
    name: str
    url: str
    events: tuple[str, ...]
    status: str
    creation_timestamp: int
    last_updated_timestamp: int
    description: str | None = None
    secret: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Delivery:
    """One event for one webhook, and what happened to it."""

    delivery_id: str
    webhook_id: str
    event: str
    payload: str  # the JSON body sent, fixed when the event was emitted
    status: str
    attempts: int
    created_time: int
    next_attempt_time: int
    last_attempt_time: int | None = None
    delivered_time: int | None = None
    response_status: int | None = None
    error: str | None = None


class WebhookStore(ABC):
    """Webhooks and their deliveries (implementations: ``store.webhooks.sql``)."""

    # ------------------------------------------------------------ webhooks
    @abstractmethod
    def create_webhook(self, webhook: Webhook) -> Webhook: ...

    @abstractmethod
    def get_webhook(self, webhook_id: str) -> Webhook:
        """Raises ResourceDoesNotExist for an unknown or deleted webhook."""

    @abstractmethod
    def list_webhooks(self, limit: int, offset: int) -> tuple[list[Webhook], bool]:
        """Newest first; the flag says whether more rows follow."""

    @abstractmethod
    def update_webhook(
        self,
        webhook_id: str,
        now: int,
        *,
        name: str | None = None,
        url: str | None = None,
        events: Sequence[str] | None = None,
        description: str | None = None,
        secret: str | None = None,
        status: str | None = None,
    ) -> Webhook:
        """Change the given fields (``None`` keeps a field; ``""`` clears description/secret)."""

    @abstractmethod
    def delete_webhook(self, webhook_id: str, now: int) -> None:
        """Soft delete: the webhook disappears, its delivery history stays."""

    # ------------------------------------------------------------ outbox
    @abstractmethod
    def enqueue(self, event: str, payload: str, now: int) -> list[Delivery]:
        """One PENDING delivery (a fresh ``delivery_id``) per active webhook subscribed to
        ``event``, all in one transaction; ``payload`` is the JSON body to send."""

    @abstractmethod
    def claim_due(self, now: int, lease_ms: int, limit: int) -> list[Delivery]:
        """Lease up to ``limit`` PENDING deliveries due at ``now`` (next_attempt_time moves
        to ``now + lease_ms``; ``attempts`` is incremented)."""

    @abstractmethod
    def finish_delivery(
        self,
        delivery_id: str,
        now: int,
        *,
        delivered: bool,
        response_status: int | None,
        error: str | None,
        retry_at: int | None,
    ) -> None:
        """Record an attempt: DELIVERED, PENDING again at ``retry_at``, or FAILED."""

    @abstractmethod
    def get_delivery(self, delivery_id: str) -> Delivery: ...

    @abstractmethod
    def list_deliveries(
        self, webhook_id: str | None, limit: int, offset: int = 0, status: str | None = None
    ) -> tuple[list[Delivery], bool]:
        """Newest first."""
