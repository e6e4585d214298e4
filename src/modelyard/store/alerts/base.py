"""The alerts store: alert rules with their state, the state history, and notifications.

A notification row is both the outbox (``PENDING``, claimed by a dispatcher with a lease, as
the webhook outbox does) and the history (``DELIVERED``, ``FAILED`` with the error, or
``SKIPPED`` with the reason, e.g. the retraining loop guard). A rule's evaluation state is
written with a conditional update on its ``version``: of two evaluators of the same window, one
records the transition and the other sees a conflict and reloads.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ALERT_STATES",
    "NOTIFICATION_STATES",
    "AlertEvent",
    "AlertRule",
    "AlertStore",
    "Notification",
]

#: OK (never triggered), TRIGGERED, RESOLVED (triggered before, clean since)
ALERT_STATES = ("OK", "TRIGGERED", "RESOLVED")
#: PENDING (waiting or leased), DELIVERED, FAILED (gave up; see ``error``), SKIPPED (not sent)
NOTIFICATION_STATES = ("PENDING", "DELIVERED", "FAILED", "SKIPPED")


@dataclass(frozen=True)
class AlertRule:
    """A rule: its condition and actions (validated dicts), and its evaluation state."""

    alert_id: str
    name: str
    condition: dict[str, Any]
    actions: list[dict[str, Any]]
    cooldown_seconds: int
    enabled: bool
    state: str
    creation_timestamp: int
    last_updated_timestamp: int
    description: str | None = None
    notify_on_resolve: bool = True
    state_since: int | None = None
    #: evaluation bookkeeping: last window seen, window signatures, last notification time
    eval_state: dict[str, Any] = field(default_factory=dict)
    version: int = 0


@dataclass(frozen=True)
class AlertEvent:
    """One state change of a rule (the state history)."""

    event_id: int
    alert_id: str
    timestamp: int
    from_state: str
    to_state: str
    window: str | None
    evidence: dict[str, Any]


@dataclass(frozen=True)
class Notification:
    """One action of one state change (a channel message or a job run), and its outcome."""

    notification_id: str
    alert_id: str
    event_id: int | None
    kind: str  # webhook, slack, email, job
    target: str  # the URL, the recipients or the job id (never a secret)
    payload: dict[str, Any]
    status: str
    attempts: int
    created_time: int
    next_attempt_time: int
    last_attempt_time: int | None = None
    finished_time: int | None = None
    result: str | None = None  # HTTP status, SMTP answer or the job run id
    error: str | None = None


class AlertStore(ABC):
    """Alert rules, their history and notifications (implementation: ``store.alerts.sql``)."""

    # ------------------------------------------------------------ rules
    @abstractmethod
    def create_rule(self, rule: AlertRule) -> AlertRule:
        """Insert; ``ResourceAlreadyExists`` when the name is taken."""

    @abstractmethod
    def get_rule(self, alert_id: str) -> AlertRule:
        """By id; ``ResourceDoesNotExist`` otherwise."""

    @abstractmethod
    def get_rule_by_name(self, name: str) -> AlertRule:
        """By name; ``ResourceDoesNotExist`` otherwise."""

    @abstractmethod
    def list_rules(
        self, limit: int, offset: int = 0, monitor: str | None = None
    ) -> tuple[list[AlertRule], bool]:
        """Rules by name; ``monitor`` keeps the rules on that monitor. Returns (rows, more)."""

    @abstractmethod
    def update_rule(self, alert_id: str, now: int, **values: Any) -> AlertRule:
        """Replace the given definition fields (name, description, condition, actions,
        cooldown_seconds, enabled, notify_on_resolve); the evaluation state is kept unless the
        condition changes (then the rule starts again from OK)."""

    @abstractmethod
    def delete_rule(self, alert_id: str) -> None:
        """Delete the rule with its history and notifications."""

    # ------------------------------------------------------------ evaluation
    @abstractmethod
    def save_evaluation(
        self,
        rule: AlertRule,
        now: int,
        state: str,
        eval_state: dict[str, Any],
        events: list[tuple[str, str, str | None, dict[str, Any], list[Notification]]],
    ) -> bool:
        """Write the new state and, in the same transaction, the events
        ``(from_state, to_state, window, evidence, notifications)`` with their notifications,
        if the rule's version is still ``rule.version``. False (nothing written) otherwise."""

    @abstractmethod
    def list_events(
        self, alert_id: str, limit: int, offset: int = 0
    ) -> tuple[list[AlertEvent], bool]:
        """The state history, newest first."""

    # ------------------------------------------------------------ notifications
    @abstractmethod
    def claim_due(self, now: int, lease_ms: int, limit: int) -> list[Notification]:
        """Lease due PENDING notifications (attempts + 1); one claimer wins each."""

    @abstractmethod
    def finish_notification(
        self,
        notification_id: str,
        now: int,
        *,
        status: str,
        result: str | None,
        error: str | None,
        retry_at: int | None = None,
    ) -> None:
        """Record an attempt's outcome; with ``retry_at`` the row stays PENDING until then."""

    @abstractmethod
    def list_notifications(
        self,
        alert_id: str | None,
        limit: int,
        offset: int = 0,
        status: str | None = None,
        kind: str | None = None,
    ) -> tuple[list[Notification], bool]:
        """Notifications, newest first."""

    @abstractmethod
    def get_notification(self, notification_id: str) -> Notification:
        """By id; ``ResourceDoesNotExist`` otherwise."""
