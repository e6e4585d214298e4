"""``modelyard alerts ...``: alert rules on monitor and endpoint metrics, their state and
notifications (see docs/alerts.md).

``create NAME --spec rule.yaml`` (``condition``, ``actions``, ``cooldown_seconds``,
``notify_on_resolve``, ``description``) or ``--condition JSON --action JSON ...``; ``list``,
``get``, ``update`` (``--enable/--disable``, ``--cooldown``, ``--spec``), ``delete``, ``evaluate``
(judge the new windows now), ``history``, ``notifications``, ``deliver`` (send what is queued).
``--tracking-uri`` is the tracking database the rules live in, or a server URL.
"""

from __future__ import annotations

import json
from typing import Any

import click

from modelyard.cli._common import (
    echo_table,
    monitors_root_option,
    read_spec,
    tracking_uri_option,
    use_tracking_uri,
)

__all__ = ["alerts_group"]


def _json(text: str, option: str) -> Any:
    from modelyard.errors import InvalidParameterValue

    try:
        return json.loads(text)
    except ValueError as exc:
        raise InvalidParameterValue(f"{option} is not valid JSON: {exc}") from None


@click.group("alerts", context_settings={"help_option_names": ["-h", "--help"]})
def alerts_group() -> None:
    """Alert rules: drift, model quality, endpoint latency and errors; notifications and jobs."""


@alerts_group.command("create")
@click.argument("name")
@click.option(
    "--spec",
    "spec_file",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="YAML/JSON file with condition, actions, cooldown_seconds, ...",
)
@click.option("--condition", default=None, help="The condition as JSON (overrides --spec).")
@click.option("--action", "actions", multiple=True, help="An action as JSON, repeatable.")
@click.option("--cooldown", type=int, default=None, help="Cool-down in seconds (default 3600).")
@monitors_root_option
@tracking_uri_option
def create_command(
    name: str,
    spec_file: str | None,
    condition: str | None,
    actions: tuple[str, ...],
    cooldown: int | None,
    root: str | None,
    tracking_uri: str | None,
) -> None:
    """Create alert rule NAME."""
    from modelyard.errors import InvalidParameterValue
    from modelyard.mlops.alerts import create_alert
    from modelyard.mlops.alerts.service import UPDATABLE_FIELDS

    use_tracking_uri(tracking_uri)
    settings = read_spec(spec_file, "alert")
    if condition is not None:
        settings["condition"] = _json(condition, "--condition")
    if actions:
        settings["actions"] = [_json(a, "--action") for a in actions]
    if cooldown is not None:
        settings["cooldown_seconds"] = cooldown
    if "condition" not in settings:
        raise InvalidParameterValue("Give the condition with --condition (or in --spec).")
    unknown = set(settings) - (set(UPDATABLE_FIELDS) - {"name"})  # NAME is the argument
    if unknown:
        raise InvalidParameterValue(
            f"Unknown field(s) in the alert spec: {', '.join(sorted(unknown))}."
        )
    rule = create_alert(name, settings.pop("condition"), monitors_root=root, **settings)
    click.echo(f"Created alert {rule['name']!r} ({rule['alert_id']}), state {rule['state']}.")


@alerts_group.command("list")
@click.option("--monitor", default=None, help="Only the rules on this monitor.")
@tracking_uri_option
def list_command(monitor: str | None, tracking_uri: str | None) -> None:
    """List the alert rules with their state."""
    from modelyard.mlops.alerts import list_alerts

    use_tracking_uri(tracking_uri)
    rows = [
        (
            r["name"],
            r["condition"]["type"],
            r["condition"].get("monitor") or r["condition"].get("endpoint") or "-",
            r["state"],
            "yes" if r["enabled"] else "no",
            r["last_window"] or "-",
        )
        for r in list_alerts(monitor)
    ]
    echo_table(["name", "type", "watches", "state", "enabled", "last window"], rows)


@alerts_group.command("get")
@click.argument("alert")
@tracking_uri_option
def get_command(alert: str, tracking_uri: str | None) -> None:
    """Show a rule (by name or id) as JSON."""
    from modelyard.mlops.alerts import get_alert

    use_tracking_uri(tracking_uri)
    click.echo(json.dumps(get_alert(alert), indent=2, default=str))


@alerts_group.command("update")
@click.argument("alert")
@click.option("--enable/--disable", "enabled", default=None)
@click.option("--cooldown", type=int, default=None, help="Cool-down in seconds.")
@click.option(
    "--spec",
    "spec_file",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="YAML/JSON file with the fields to change.",
)
@monitors_root_option
@tracking_uri_option
def update_command(
    alert: str,
    enabled: bool | None,
    cooldown: int | None,
    spec_file: str | None,
    root: str | None,
    tracking_uri: str | None,
) -> None:
    """Change a rule (a new condition starts it again from OK)."""
    from modelyard.mlops.alerts import update_alert

    use_tracking_uri(tracking_uri)
    fields = read_spec(spec_file, "alert")
    if enabled is not None:
        fields["enabled"] = enabled
    if cooldown is not None:
        fields["cooldown_seconds"] = cooldown
    rule = update_alert(alert, monitors_root=root, **fields)
    click.echo(f"Updated alert {rule['name']!r}, state {rule['state']}.")


@alerts_group.command("delete")
@click.argument("alert")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@tracking_uri_option
def delete_command(alert: str, yes: bool, tracking_uri: str | None) -> None:
    """Delete a rule with its history and notifications."""
    from modelyard.mlops.alerts import delete_alert

    use_tracking_uri(tracking_uri)
    if not yes:
        click.confirm(f"Delete alert {alert!r} and its history?", abort=True)
    delete_alert(alert)
    click.echo(f"Deleted alert {alert!r}.")


@alerts_group.command("evaluate")
@click.option("--monitor", default=None, help="Only the rules on this monitor.")
@click.option("--alert", default=None, help="Only this rule.")
@click.option("--serving-home", default=None, help="Serving home of endpoint rules.")
@click.option("--no-deliver", is_flag=True, help="Queue the notifications, do not send them.")
@monitors_root_option
@tracking_uri_option
def evaluate_command(
    monitor: str | None,
    alert: str | None,
    serving_home: str | None,
    no_deliver: bool,
    root: str | None,
    tracking_uri: str | None,
) -> None:
    """Judge the windows that are new since the last evaluation, and send what it queued."""
    from modelyard.mlops.alerts import deliver_notifications, evaluate_alerts

    use_tracking_uri(tracking_uri)
    out = evaluate_alerts(
        monitor, alert=alert, monitors_root=root, serving_home=serving_home, deliver=False
    )
    rows = [
        (
            r["alert"],
            r.get("state", "-"),
            r.get("windows_judged", "-"),
            ", ".join(f"{t['from']}->{t['to']}" for t in r.get("transitions", [])) or "-",
            r.get("notifications", 0),
        )
        for r in out
    ]
    echo_table(["alert", "state", "windows judged", "transitions", "notifications"], rows)
    if not no_deliver and any(r.get("notifications") for r in out):
        pending = deliver_notifications()
        click.echo(f"Delivered; {pending} notification(s) still pending.")


@alerts_group.command("history")
@click.argument("alert")
@tracking_uri_option
def history_command(alert: str, tracking_uri: str | None) -> None:
    """The rule's state changes, newest first."""
    from datetime import UTC, datetime

    from modelyard.mlops.alerts import get_alert_history

    use_tracking_uri(tracking_uri)
    rows = [
        (
            datetime.fromtimestamp(e["timestamp"] / 1000, UTC).isoformat(timespec="seconds"),
            f"{e['from_state']} -> {e['to_state']}",
            e["window"] or "-",
            e["evidence"].get("suppressed", ""),
        )
        for e in get_alert_history(alert)
    ]
    echo_table(["time", "change", "window", "note"], rows)


@alerts_group.command("notifications")
@click.argument("alert", required=False)
@click.option("--status", default=None, help="PENDING, DELIVERED, FAILED or SKIPPED.")
@tracking_uri_option
def notifications_command(alert: str | None, status: str | None, tracking_uri: str | None) -> None:
    """Notifications (messages and job runs) with their outcome."""
    from modelyard.mlops.alerts import list_notifications

    use_tracking_uri(tracking_uri)
    rows = [
        (
            n["kind"],
            n["target"],
            n["status"],
            n["attempts"],
            n.get("result", ""),
            n.get("error", ""),
        )
        for n in list_notifications(alert, status=status)
    ]
    echo_table(["kind", "target", "status", "attempts", "result", "error"], rows)


@alerts_group.command("deliver")
@click.option("--timeout", type=float, default=60.0, help="Seconds to keep trying (default 60).")
@tracking_uri_option
def deliver_command(timeout: float, tracking_uri: str | None) -> None:
    """Send the queued notifications now (retries included)."""
    from modelyard.mlops.alerts import deliver_notifications

    use_tracking_uri(tracking_uri)
    pending = deliver_notifications(timeout=timeout)
    click.echo(f"{pending} notification(s) still pending.")
