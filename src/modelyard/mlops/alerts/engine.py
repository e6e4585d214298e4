"""Evaluating a rule: the state machine OK -> TRIGGERED -> RESOLVED over the judged windows.

Windows are taken oldest first, from the last window judged on (a window is judged again only
when its signature changed: re-processed with more rows or labels); older windows are not
revisited. At window *i* the condition **fires** when it breaches in windows *i-N+1 .. i*
(``windows``) and is **clear** when none of windows *i-M+1 .. i* breaches (``resolve_after``).
A rule not TRIGGERED that fires becomes TRIGGERED; a TRIGGERED rule that is clear becomes
RESOLVED; otherwise the state stays (a lasting condition notifies once).

A transition to TRIGGERED notifies every action unless the last notification of the rule is
younger than ``cooldown_seconds`` (then the event records ``suppressed: cool-down``). A
transition to RESOLVED notifies the channels (not the jobs) when ``notify_on_resolve`` and the
trigger was notified. The **loop guard** of a job action: no new run while a run this rule
started is queued or active, or younger than the cool-down; such an action is recorded as
SKIPPED with the reason. The state, the events and their notifications are written in one
transaction conditional on the rule's version, so two evaluators of the same window record the
transition once; deliveries happen later (:mod:`modelyard.mlops.alerts.dispatcher`).
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from modelyard.mlops.alerts.conditions import Window, describe, windows_of
from modelyard.store.alerts.base import AlertRule, AlertStore, Notification

__all__ = ["Context", "evaluate_rule"]

_log = logging.getLogger(__name__)
_ACTIVE = ("PENDING", "QUEUED", "RUNNING", "TERMINATING", "BLOCKED")
_KEEP_SEEN = 64
_TEMPLATE = re.compile(r"\{\{\s*alert\.(name|window|value|state)\s*\}\}")


@dataclass
class Context:
    """Where an evaluation looks: the database of jobs and webhooks, monitors, endpoints."""

    db_uri: str
    monitors_root: str | None = None
    serving_home: str | None = None
    webhooks_uri: str | None = None


def _message(rule: AlertRule, frm: str, to: str, w: Window, now: int) -> dict[str, Any]:
    cond = rule.condition
    return {
        "alert": rule.name,
        "alert_id": rule.alert_id,
        "previous_state": frm,
        "state": to,
        "condition": describe(cond),
        "condition_type": cond["type"],
        "monitor": cond.get("monitor"),
        "endpoint": cond.get("endpoint"),
        "window": w.key,
        "value": w.value,
        "threshold": cond.get("threshold", cond.get("min_columns")),
        "evidence": w.evidence,
        "timestamp": datetime.fromtimestamp(now / 1000, UTC).isoformat(),
    }


def _note(
    rule: AlertRule,
    kind: str,
    target: str,
    payload: dict[str, Any],
    now: int,
    status: str = "PENDING",
    error: str | None = None,
) -> Notification:
    return Notification(
        notification_id=str(uuid.uuid4()),
        alert_id=rule.alert_id,
        event_id=None,
        kind=kind,
        target=target,
        payload=payload,
        status=status,
        attempts=0,
        created_time=now,
        next_attempt_time=now,
        finished_time=None if status == "PENDING" else now,
        error=error,
    )


def _fill(value: str, message: dict[str, Any]) -> str:
    names = {"name": message["alert"], "window": message["window"], "state": message["state"]}
    names["value"] = "" if message["value"] is None else f"{message['value']:g}"
    return _TEMPLATE.sub(lambda m: str(names[m.group(1)]), value)


def _loop_guard(store: AlertStore, rule: AlertRule, ctx: Context, now: int) -> str | None:
    """Why a job action of ``rule`` must not start a run now, or None."""
    rows, _ = store.list_notifications(rule.alert_id, 5, kind="job")
    for last in rows:
        if last.status == "PENDING":
            return "a job run requested by this alert has not been started yet"
        if last.status != "DELIVERED":
            continue
        if now - last.created_time < rule.cooldown_seconds * 1000:
            return f"job run {last.result} started by this alert is within the cool-down"
        from modelyard.errors import ResourceDoesNotExist
        from modelyard.jobs import JobsClient

        try:
            state = JobsClient(ctx.db_uri).get_run(int(last.result or 0))["state"]
        except ResourceDoesNotExist:  # the run (or its job) was deleted: it cannot loop
            return None
        except Exception as exc:  # unknown state: do not risk a second run
            return f"the state of job run {last.result} cannot be read ({exc})"
        if state.get("life_cycle_state") in _ACTIVE:
            return (
                f"job run {last.result} started by this alert is still "
                f"{state.get('life_cycle_state')}"
            )
        return None
    return None


def _notifications(
    store: AlertStore, rule: AlertRule, ctx: Context, message: dict[str, Any], now: int
) -> list[Notification]:
    out = []
    jobs = message["state"] == "TRIGGERED"  # a resolve runs no job
    # the loop guard is the rule's, not an action's: one look for all its job actions
    reason = (
        _loop_guard(store, rule, ctx, now)
        if jobs and any(a["type"] == "job" for a in rule.actions)
        else None
    )
    for index, action in enumerate(rule.actions):
        kind = action["type"]
        if kind == "job":
            if not jobs:
                continue
            payload = {
                "action_index": index,
                "job_id": action["job_id"],
                "job_parameters": {
                    k: _fill(v, message) for k, v in action.get("job_parameters", {}).items()
                },
                "message": message,
            }
            if reason is not None:
                out.append(
                    _note(
                        rule,
                        kind,
                        f"job {action['job_id']}",
                        payload,
                        now,
                        "SKIPPED",
                        f"loop guard: {reason}",
                    )
                )
                continue
            out.append(_note(rule, kind, f"job {action['job_id']}", payload, now))
        elif kind == "email":
            payload = {"action_index": index, "to": action["to"], "message": message}
            out.append(_note(rule, kind, ", ".join(action["to"]), payload, now))
        else:
            payload = {"action_index": index, "url": action["url"], "message": message}
            out.append(_note(rule, kind, action["url"], payload, now))
    return out


def evaluate_rule(
    store: AlertStore, rule: AlertRule, ctx: Context, now: int, monitor: Any = None
) -> dict[str, Any]:
    """Judge the new windows of ``rule``; returns ``{"alert", "state", "transitions",
    "notifications"}`` (``conflict: true`` when another evaluator recorded them first)."""
    cond = rule.condition
    series = windows_of(
        cond, monitor=monitor, monitors_root=ctx.monitors_root, serving_home=ctx.serving_home
    )
    es = dict(rule.eval_state)
    seen: dict[str, str] = dict(es.get("seen", {}))
    last: str | None = es.get("last_start")
    state = rule.state
    n, m = int(cond["windows"]), int(cond["resolve_after"])
    breaches = [w.breach for w in series]
    events: list[tuple[str, str, str | None, dict[str, Any], list[Notification]]] = []
    messages: list[dict[str, Any]] = []
    judged = 0
    for i, w in enumerate(series):
        if (last is not None and w.start < last) or seen.get(w.key) == w.signature:
            continue
        judged += 1
        fires = i + 1 >= n and all(breaches[i - n + 1 : i + 1])
        clear = i + 1 >= m and not any(breaches[i - m + 1 : i + 1])
        seen[w.key], last = w.signature, w.start
        to = None
        if state != "TRIGGERED" and fires:
            to = "TRIGGERED"
        elif state == "TRIGGERED" and clear:
            to = "RESOLVED"
        if to is None:
            continue
        message = _message(rule, state, to, w, now)
        evidence: dict[str, Any] = {"value": w.value, **w.evidence}
        notes: list[Notification] = []
        if to == "TRIGGERED":
            since = es.get("last_notified")
            if since is not None and now - int(since) < rule.cooldown_seconds * 1000:
                evidence["suppressed"] = "cool-down"
                es["trigger_notified"] = False
            else:
                notes = _notifications(store, rule, ctx, message, now)
                es["last_notified"], es["trigger_notified"] = now, True
                messages.append(message)
        elif rule.notify_on_resolve and es.get("trigger_notified"):
            notes = _notifications(store, rule, ctx, message, now)
            messages.append(message)
        events.append((state, to, w.key, evidence, notes))
        state = to
    es["seen"] = dict(sorted(seen.items(), key=lambda kv: kv[0].split("|", 1)[-1])[-_KEEP_SEEN:])
    es["last_start"] = last
    outcome: dict[str, Any] = {
        "alert": rule.name,
        "alert_id": rule.alert_id,
        "state": state,
        "windows_judged": judged,
        "transitions": [{"from": e[0], "to": e[1], "window": e[2]} for e in events],
        "notifications": sum(1 for e in events for x in e[4] if x.status == "PENDING"),
    }
    if judged == 0:
        return outcome
    if not store.save_evaluation(rule, now, state, es, events):
        fresh = store.get_rule(rule.alert_id)
        return {
            **outcome,
            "state": fresh.state,
            "transitions": [],
            "notifications": 0,
            "conflict": True,
        }
    for message in messages:
        _emit_webhook_event(ctx, message)
    return outcome


def _emit_webhook_event(ctx: Context, message: dict[str, Any]) -> None:
    """``monitor.alert`` into the webhook outbox (a database write; the worker delivers)."""
    from modelyard.store.sql.engine import is_sql_uri

    uri = ctx.webhooks_uri or ctx.db_uri
    if not is_sql_uri(uri):
        return
    try:
        from modelyard.services.webhooks import WebhookService
        from modelyard.store.webhooks import get_webhook_store

        WebhookService(get_webhook_store(uri)).emit("monitor.alert", message)
    except Exception:  # the alert's own notifications are recorded; never fail evaluation
        _log.exception("could not queue the monitor.alert webhook event")
