"""The whole path on real components: a monitor on a Parquet table, drift injected, the refresh
evaluates the rule, a local HTTP receiver gets the webhook and Slack payloads, a local SMTP
server process gets the mail; a lasting condition notifies once; clean windows resolve it;
the cool-down suppresses a quick re-trigger."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from tests.mlops.alerts.conftest import wait_for

from modelyard.mlops.alerts import (
    create_alert,
    deliver_notifications,
    evaluate_alerts,
    get_alert,
    get_alert_history,
    list_notifications,
)
from modelyard.monitoring import refresh_monitor


def _actions(receiver, secret="s3cret"):  # type: ignore[no-untyped-def]
    return [
        {"type": "webhook", "url": f"{receiver.base}/hook", "secret": secret},
        {"type": "slack", "url": f"{receiver.base}/slack"},
        {"type": "email", "to": ["oncall@example.com"]},
    ]


def test_drift_triggers_notifies_once_resolves_and_cools_down(
    db_uri, monitor, table, receiver, smtp_server
) -> None:  # type: ignore[no-untyped-def]
    rule = create_alert(
        "churn-drift",
        {"type": "drift", "monitor": "churn", "min_columns": 2},
        _actions(receiver),
        cooldown_seconds=3600,
        monitors_root=monitor,
    )
    assert rule["state"] == "OK"
    assert "secret" not in rule["actions"][0]  # write-only

    table.add_day(1)
    refresh_monitor("churn", root=monitor)  # two clean windows
    assert get_alert("churn-drift")["state"] == "OK"
    assert list_notifications("churn-drift") == []

    table.add_day(2, shift=1.0)  # a and b drift, c does not
    refresh_monitor("churn", root=monitor)  # the rule is evaluated by the refresh hook
    got = get_alert("churn-drift")
    assert got["state"] == "TRIGGERED"
    assert got["last_window"] == "2026-11-04T00:00:00+00:00"
    assert deliver_notifications(timeout=120) == 0
    notes = list_notifications("churn-drift")
    assert sorted(n["kind"] for n in notes) == ["email", "slack", "webhook"]
    assert {n["status"] for n in notes} == {"DELIVERED"}
    assert {n["result"] for n in notes if n["kind"] != "email"} == {"200"}

    [hook] = [r for r in receiver.requests if r["path"] == "/hook"]
    body = json.loads(hook["body"])
    assert (body["entity"], body["action"]) == ("monitor", "alert")
    data = body["data"]
    assert (data["alert"], data["previous_state"], data["state"]) == (
        "churn-drift",
        "OK",
        "TRIGGERED",
    )
    assert data["evidence"]["drifted_columns"] == ["a", "b"]
    assert data["value"] == 2.0
    assert data["window"] == "1 day|2026-11-04T00:00:00+00:00"
    # signed like the webhooks: v1,base64(HMAC-SHA256("<id>.<timestamp>.<body>"))
    headers = {k.lower(): v for k, v in hook["headers"].items()}
    content = f"{headers['x-mlflow-delivery-id']}.{headers['x-mlflow-timestamp']}.{hook['body']}"
    expected = base64.b64encode(
        hmac.new(b"s3cret", content.encode(), hashlib.sha256).digest()
    ).decode()
    assert headers["x-mlflow-signature"] == f"v1,{expected}"

    [slack] = receiver.bodies("/slack")
    assert set(slack) == {"text"}
    assert "churn-drift" in slack["text"] and "TRIGGERED" in slack["text"]
    assert "drift on at least 2 column(s)" in slack["text"]

    [mail] = smtp_server.messages()
    assert mail["To"] == "oncall@example.com"
    assert mail["From"] == "alerts@modelyard.test"
    assert mail["Subject"] == (
        "[modelyard] churn-drift TRIGGERED: drift on at least 2 column(s) of monitor 'churn'"
    )
    text = mail.get_content().replace("\r\n", "\n")
    assert "State:     OK -> TRIGGERED" in text
    assert "Window:    1 day|2026-11-04T00:00:00+00:00" in text
    assert '"drifted_columns": [\n    "a",\n    "b"\n  ]' in text

    # the drift lasts: the next window notifies nobody
    table.add_day(3, shift=1.0)
    refresh_monitor("churn", root=monitor)
    assert get_alert("churn-drift")["state"] == "TRIGGERED"
    assert len(list_notifications("churn-drift")) == 3
    # evaluating again judges nothing new (idempotent per window)
    [again] = evaluate_alerts("churn", monitors_root=monitor)
    assert (again["windows_judged"], again["transitions"]) == (0, [])

    # a clean window resolves it, and the resolution is sent to the channels
    table.add_day(4)
    refresh_monitor("churn", root=monitor)
    assert get_alert("churn-drift")["state"] == "RESOLVED"
    assert deliver_notifications(timeout=120) == 0
    wait_for(lambda: len(smtp_server.messages()) == 2, "the resolution mail")
    assert "RESOLVED" in smtp_server.messages()[1]["Subject"]
    assert [b["data"]["state"] for b in receiver.bodies("/hook")] == ["TRIGGERED", "RESOLVED"]

    # drift again within the cool-down: TRIGGERED, but nothing is sent
    table.add_day(5, shift=1.0)
    refresh_monitor("churn", root=monitor)
    assert get_alert("churn-drift")["state"] == "TRIGGERED"
    assert len(list_notifications("churn-drift")) == 6
    history = get_alert_history("churn-drift")
    assert [(e["from_state"], e["to_state"]) for e in reversed(history)] == [
        ("OK", "TRIGGERED"),
        ("TRIGGERED", "RESOLVED"),
        ("RESOLVED", "TRIGGERED"),
    ]
    assert history[0]["evidence"]["suppressed"] == "cool-down"
    assert history[2]["evidence"]["drifted_columns"] == ["a", "b"]
    assert len(receiver.bodies("/slack")) == 2


def test_n_consecutive_windows_and_resolve_after(db_uri, monitor, table) -> None:  # type: ignore[no-untyped-def]
    create_alert(
        "lasting",
        {"type": "drift", "monitor": "churn", "min_columns": 2, "windows": 2, "resolve_after": 2},
        [],
        cooldown_seconds=0,
        monitors_root=monitor,
    )
    states = []
    for day, shift in [(1, 1.0), (2, 0.0), (3, 1.0), (4, 1.0), (5, 0.0), (6, 0.0)]:
        table.add_day(day, shift)
        refresh_monitor("churn", root=monitor)
        states.append(get_alert("lasting")["state"])
    # one drifted window is not enough; two in a row are; two clean ones resolve
    assert states == ["OK", "OK", "OK", "TRIGGERED", "TRIGGERED", "RESOLVED"]


def test_a_backfill_of_several_windows_is_judged_in_order(db_uri, monitor, table) -> None:  # type: ignore[no-untyped-def]
    create_alert(
        "backfill",
        {"type": "drift", "monitor": "churn", "min_columns": 2},
        cooldown_seconds=0,
        monitors_root=monitor,
    )
    for day, shift in [(1, 1.0), (2, 1.0), (3, 0.0)]:
        table.add_day(day, shift)
    refresh_monitor("churn", root=monitor)  # three new windows in one refresh
    assert get_alert("backfill")["state"] == "RESOLVED"
    history = get_alert_history("backfill")
    assert [(e["to_state"], e["window"]) for e in reversed(history)] == [
        ("TRIGGERED", "1 day|2026-11-03T00:00:00+00:00"),
        ("RESOLVED", "1 day|2026-11-05T00:00:00+00:00"),
    ]


@pytest.mark.postgres
def test_on_postgresql(make_pg_database, monitor, table, receiver) -> None:  # type: ignore[no-untyped-def]
    import modelyard

    uri = make_pg_database()
    modelyard.set_tracking_uri(uri)
    try:
        create_alert(
            "pg-drift",
            {"type": "drift", "monitor": "churn", "min_columns": 2},
            [{"type": "slack", "url": f"{receiver.base}/slack"}],
            monitors_root=monitor,
        )
        table.add_day(1, shift=1.0)
        refresh_monitor("churn", root=monitor)  # the hook evaluates in the PostgreSQL database
        assert get_alert("pg-drift")["state"] == "TRIGGERED"
        assert deliver_notifications(timeout=120) == 0
        [note] = list_notifications("pg-drift")
        assert (note["status"], note["result"]) == ("DELIVERED", "200")
        assert "pg-drift" in receiver.bodies("/slack")[0]["text"]
    finally:
        modelyard.set_tracking_uri(None)
