"""Alert rules over an :class:`~modelyard.store.alerts.base.AlertStore`: validation, wire
shapes (secrets never shown), evaluation of one rule, a monitor's rules or all of them."""

from __future__ import annotations

import logging
import uuid
from dataclasses import asdict
from typing import Any

from modelyard.errors import InvalidParameterValue, ResourceDoesNotExist
from modelyard.mlops.alerts.conditions import MonitorTables
from modelyard.mlops.alerts.engine import Context, evaluate_rule
from modelyard.mlops.alerts.spec import check_actions, check_condition, check_name, public_actions
from modelyard.query.paging import check_max_results
from modelyard.store.alerts.base import (
    NOTIFICATION_STATES,
    AlertEvent,
    AlertRule,
    AlertStore,
    Notification,
)
from modelyard.utils.time import now_ms

__all__ = [
    "UPDATABLE_FIELDS",
    "AlertService",
    "event_to_dict",
    "notification_to_dict",
    "rule_to_dict",
]

_log = logging.getLogger(__name__)
_MAX = 1000
#: the fields ``update`` changes (the REST ``update`` accepts these and ``alert``)
UPDATABLE_FIELDS = (
    "name",
    "condition",
    "actions",
    "cooldown_seconds",
    "enabled",
    "notify_on_resolve",
    "description",
)


def rule_to_dict(rule: AlertRule) -> dict[str, Any]:
    out = asdict(rule)
    out["actions"] = public_actions(rule.actions)
    es = out.pop("eval_state")
    out.pop("version")
    out["last_window"] = es.get("last_start")
    out["last_notified"] = es.get("last_notified")
    return out


def event_to_dict(event: AlertEvent) -> dict[str, Any]:
    return asdict(event)


def notification_to_dict(note: Notification) -> dict[str, Any]:
    out = asdict(note)
    out["payload"] = {k: v for k, v in note.payload.items() if k != "message"}
    return {k: v for k, v in out.items() if v is not None}


def _cooldown(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidParameterValue(f"'cooldown_seconds' must be an integer >= 0, got {value!r}.")
    return value


def _limit(max_results: Any) -> int:
    return 100 if max_results in (None, "", 0) else check_max_results(max_results, _MAX)


def _flag(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidParameterValue(f"'{field}' must be true or false, got {value!r}.")
    return value


class AlertService:
    def __init__(self, store: AlertStore, ctx: Context) -> None:
        self.store = store
        self.ctx = ctx

    # ------------------------------------------------------------ validation
    def _check_references(self, condition: dict[str, Any], actions: list[dict[str, Any]]) -> None:
        if condition.get("monitor"):
            from modelyard.monitoring import get_monitor

            try:
                mon = get_monitor(condition["monitor"], root=self.ctx.monitors_root)
            except ResourceDoesNotExist:
                raise ResourceDoesNotExist(
                    f"Monitor {condition['monitor']!r} ('condition.monitor') does not exist."
                ) from None
            if condition.get("drift_type") == "baseline" and not mon.has_baseline:
                raise InvalidParameterValue(
                    f"Monitor {mon.name!r} has no baseline: 'condition.drift_type' 'baseline' "
                    "would never fire (use 'consecutive', or give the monitor a baseline)."
                )
            gran = condition.get("granularity")
            if gran is not None and mon.profile != "snapshot" and gran not in mon.granularities:
                raise InvalidParameterValue(
                    f"'condition.granularity' {gran!r} is not a granularity of monitor "
                    f"{mon.name!r} ({', '.join(mon.granularities)})."
                )
        for i, action in enumerate(actions):
            if action["type"] == "job":
                from modelyard.jobs import JobsClient

                try:
                    JobsClient(self.ctx.db_uri).get_job(action["job_id"])
                except ResourceDoesNotExist:
                    raise ResourceDoesNotExist(
                        f"Job {action['job_id']} ('actions[{i}].job_id') does not exist."
                    ) from None

    def resolve(self, ref: Any) -> AlertRule:
        """A rule by id or by name."""
        if not isinstance(ref, str) or not ref:
            raise InvalidParameterValue(
                "Missing value for required parameter 'alert' (id or name)."
            )
        try:
            return self.store.get_rule(ref)
        except ResourceDoesNotExist:
            return self.store.get_rule_by_name(ref)

    # ------------------------------------------------------------ CRUD
    def create(
        self,
        name: Any,
        condition: Any,
        actions: Any = None,
        *,
        cooldown_seconds: Any = 3600,
        enabled: Any = True,
        description: Any = None,
        notify_on_resolve: Any = True,
    ) -> AlertRule:
        cond = check_condition(condition)
        acts = check_actions(actions)
        self._check_references(cond, acts)
        if description is not None and not isinstance(description, str):
            raise InvalidParameterValue("'description' must be a string.")
        now = now_ms()
        rule = AlertRule(
            alert_id=uuid.uuid4().hex,
            name=check_name(name),
            condition=cond,
            actions=acts,
            cooldown_seconds=_cooldown(cooldown_seconds),
            enabled=_flag(enabled, "enabled"),
            notify_on_resolve=_flag(notify_on_resolve, "notify_on_resolve"),
            state="OK",
            state_since=now,
            creation_timestamp=now,
            last_updated_timestamp=now,
            description=description or None,
        )
        return self.store.create_rule(rule)

    def update(self, ref: Any, **fields: Any) -> AlertRule:
        unknown = set(fields) - set(UPDATABLE_FIELDS)
        if unknown:
            raise InvalidParameterValue(f"Unknown alert field(s): {', '.join(sorted(unknown))}.")
        rule = self.resolve(ref)
        values: dict[str, Any] = {}
        if fields.get("name") is not None:
            values["name"] = check_name(fields["name"])
        if fields.get("condition") is not None:
            values["condition"] = check_condition(fields["condition"])
        if fields.get("actions") is not None:
            values["actions"] = check_actions(fields["actions"])
            # a write-only secret is kept when the same webhook URL is given again without one
            old = {a.get("url"): a.get("secret") for a in rule.actions if a.get("secret")}
            for a in values["actions"]:
                if a["type"] == "webhook" and "secret" not in a and a["url"] in old:
                    a["secret"] = old[a["url"]]
        self._check_references(values.get("condition", {}), values.get("actions", []))
        if fields.get("cooldown_seconds") is not None:
            values["cooldown_seconds"] = _cooldown(fields["cooldown_seconds"])
        for flag in ("enabled", "notify_on_resolve"):
            if fields.get(flag) is not None:
                values[flag] = _flag(fields[flag], flag)
        if fields.get("description") is not None:
            if not isinstance(fields["description"], str):
                raise InvalidParameterValue("'description' must be a string.")
            values["description"] = fields["description"]
        return self.store.update_rule(rule.alert_id, now_ms(), **values)

    def delete(self, ref: Any) -> None:
        self.store.delete_rule(self.resolve(ref).alert_id)

    def list_rules(self, monitor: str | None = None, max_results: Any = None) -> list[AlertRule]:
        limit = _limit(max_results)
        return self.store.list_rules(limit, 0, monitor)[0]

    def history(self, ref: Any, max_results: Any = None) -> list[AlertEvent]:
        limit = _limit(max_results)
        return self.store.list_events(self.resolve(ref).alert_id, limit)[0]

    def notifications(
        self, ref: Any = None, status: Any = None, max_results: Any = None
    ) -> list[Notification]:
        limit = _limit(max_results)
        if status is not None and status not in NOTIFICATION_STATES:
            raise InvalidParameterValue(
                f"Invalid value {status!r} for parameter 'status' "
                f"({', '.join(NOTIFICATION_STATES)})."
            )
        alert_id = self.resolve(ref).alert_id if ref else None
        return self.store.list_notifications(alert_id, limit, 0, status)[0]

    # ------------------------------------------------------------ evaluation
    def _monitor(
        self, condition: dict[str, Any], given: Any, loaded: dict[str, MonitorTables]
    ) -> MonitorTables | None:
        """The monitor of a monitor condition (``given``, else loaded), shared by the rules on
        it; None for an endpoint condition."""
        if condition["type"] == "endpoint":
            return None
        name = str(condition["monitor"])
        if name not in loaded:
            if given is None:
                from modelyard.monitoring import get_monitor

                given = get_monitor(name, root=self.ctx.monitors_root)
            loaded[name] = MonitorTables(given)
        return loaded[name]

    def evaluate(
        self,
        ref: Any = None,
        monitor: str | None = None,
        monitor_obj: Any = None,
        raise_errors: bool = True,
    ) -> list[dict[str, Any]]:
        """Evaluate one rule (``ref``), the rules of ``monitor``, or every enabled rule.

        With ``raise_errors=False`` (the scheduled and after-refresh runs) a rule that cannot
        be evaluated (its monitor deleted, a table unreadable) is reported with its error and
        the others still run."""
        if ref:
            rules = [self.resolve(ref)]
        else:
            rules, offset = [], 0
            while True:
                page, more = self.store.list_rules(_MAX, offset, monitor)
                rules += [r for r in page if r.enabled]
                if not more:
                    break
                offset += _MAX
        out = []
        monitors: dict[str, MonitorTables] = {}  # each monitor loaded and read once per call
        for rule in rules:
            try:
                mon = self._monitor(rule.condition, monitor_obj, monitors)
                out.append(evaluate_rule(self.store, rule, self.ctx, now_ms(), mon))
            except Exception as exc:
                if raise_errors:
                    raise
                _log.warning("alert %s could not be evaluated: %s", rule.name, exc)
                out.append({"alert": rule.name, "alert_id": rule.alert_id, "error": str(exc)})
        return out
