"""Failing channels: a receiver answering 500 or hanging, an SMTP server refusing, no SMTP
server at all. Each gives retries, then a FAILED entry with the error; nothing crashes, and
the refresh never waits for a delivery."""

from __future__ import annotations

from tests.mlops.alerts.conftest import wait_for

from modelyard.mlops.alerts import (
    create_alert,
    deliver_notifications,
    get_alert,
    list_notifications,
)
from modelyard.mlops.alerts.api import service_for
from modelyard.mlops.alerts.dispatcher import Dispatcher
from modelyard.monitoring import refresh_monitor


def _trigger(monitor, table) -> None:  # type: ignore[no-untyped-def]
    table.add_day(1, shift=1.0)
    refresh_monitor("churn", root=monitor)


def test_receiver_answering_500_is_retried_then_failed(db_uri, monitor, table, receiver) -> None:  # type: ignore[no-untyped-def]
    receiver.mode = "fail"
    create_alert(
        "r500",
        {"type": "drift", "monitor": "churn", "min_columns": 2},
        [{"type": "slack", "url": f"{receiver.base}/slack"}],
        monitors_root=monitor,
    )
    _trigger(monitor, table)
    assert deliver_notifications(timeout=120) == 0
    [note] = list_notifications("r500")
    assert note["status"] == "FAILED"
    assert note["attempts"] == 3  # MODELYARD_ALERTS_MAX_RETRIES=2
    assert note["result"] == "500"
    assert note["error"] == "HTTP 500 (gave up after 3 attempts)"
    assert len(receiver.bodies("/slack")) == 3
    assert get_alert("r500")["state"] == "TRIGGERED"  # the state is not affected


def test_the_refresh_does_not_wait_for_a_delivery(
    db_uri, monitor, table, receiver, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MODELYARD_ALERTS_TIMEOUT", "120")
    receiver.mode = "hang"  # holds every request until released
    create_alert(
        "slow",
        {"type": "drift", "monitor": "churn", "min_columns": 2},
        [{"type": "webhook", "url": f"{receiver.base}/hook"}],
        monitors_root=monitor,
    )
    _trigger(monitor, table)  # returns although the receiver has not answered
    wait_for(lambda: len(receiver.requests) == 1, "the background delivery to reach the receiver")
    [note] = list_notifications("slow")
    assert note["status"] == "PENDING" and note["attempts"] == 1
    receiver.release.set()
    wait_for(lambda: list_notifications("slow")[0]["status"] == "DELIVERED", "the delivery")


def test_a_hanging_receiver_times_out_then_fails(
    db_uri, monitor, table, receiver, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MODELYARD_ALERTS_TIMEOUT", "1")
    monkeypatch.setenv("MODELYARD_ALERTS_MAX_RETRIES", "1")
    receiver.mode = "hang"
    create_alert(
        "hang",
        {"type": "drift", "monitor": "churn", "min_columns": 2},
        [{"type": "webhook", "url": f"{receiver.base}/hook"}],
        monitors_root=monitor,
    )
    _trigger(monitor, table)
    assert get_alert("hang")["state"] == "TRIGGERED"
    assert deliver_notifications(timeout=120) == 0
    [note] = list_notifications("hang")
    assert note["status"] == "FAILED"
    assert note["attempts"] == 2
    assert "timed out" in note["error"] and "gave up after 2 attempts" in note["error"]


def test_an_smtp_server_refusing_is_retried_then_failed(
    db_uri, monitor, table, refusing_smtp_server
) -> None:  # type: ignore[no-untyped-def]
    create_alert(
        "smtp-refused",
        {"type": "drift", "monitor": "churn", "min_columns": 2},
        [{"type": "email", "to": ["a@example.com", "b@example.com"]}],
        monitors_root=monitor,
    )
    _trigger(monitor, table)
    assert deliver_notifications(timeout=120) == 0
    [note] = list_notifications("smtp-refused")
    assert note["status"] == "FAILED" and note["attempts"] == 3
    assert note["error"].startswith("SMTP refused the recipients (a@example.com: 550 5.7.1")
    assert note["error"].endswith("(gave up after 3 attempts)")
    assert refusing_smtp_server.messages() == []


def test_no_smtp_server_listening(db_uri, monitor, table, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("MODELYARD_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("MODELYARD_SMTP_PORT", str(port))
    create_alert(
        "smtp-down",
        {"type": "drift", "monitor": "churn", "min_columns": 2},
        [{"type": "email", "to": ["a@example.com"]}],
        monitors_root=monitor,
    )
    _trigger(monitor, table)
    assert deliver_notifications(timeout=120) == 0
    [note] = list_notifications("smtp-down")
    assert note["status"] == "FAILED"
    assert note["error"].startswith("ConnectionRefusedError")


def test_an_address_made_private_after_creation_is_refused_at_delivery(
    db_uri, monitor, table, receiver, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    create_alert(
        "ssrf",
        {"type": "drift", "monitor": "churn", "min_columns": 2},
        [{"type": "webhook", "url": f"{receiver.base}/hook"}],
        monitors_root=monitor,
    )
    monkeypatch.delenv("MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS")  # the rules of the delivering process
    table.add_day(1, shift=1.0)
    refresh_monitor("churn", root=monitor)
    service = service_for(db_uri)
    Dispatcher(service.store, db_uri).drain(120)
    [note] = list_notifications("ssrf")
    assert note["status"] == "FAILED"
    assert "non-public address" in note["error"]
    assert receiver.requests == []


def test_starttls_required_by_the_server(
    db_uri, monitor, table, starttls_smtp_server, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    create_alert(
        "tls",
        {"type": "drift", "monitor": "churn", "min_columns": 2},
        [{"type": "email", "to": ["oncall@example.com"]}],
        cooldown_seconds=0,
        monitors_root=monitor,
    )
    # without STARTTLS the server refuses the mail: retried, then failed with its answer
    table.add_day(1, shift=1.0)
    refresh_monitor("churn", root=monitor)
    assert deliver_notifications(timeout=120) == 0
    [plain] = list_notifications("tls")
    assert plain["status"] == "FAILED"
    assert plain["error"].startswith("SMTP 530") and "STARTTLS" in plain["error"]
    # with STARTTLS (the server's certificate verified against its CA file) it goes through
    monkeypatch.setenv("MODELYARD_SMTP_STARTTLS", "true")
    monkeypatch.setenv("MODELYARD_SMTP_CA_FILE", starttls_smtp_server.ca_file)
    for day, shift in [(2, 0.0), (3, 1.0)]:
        table.add_day(day, shift)
        refresh_monitor("churn", root=monitor)
    assert deliver_notifications(timeout=120) == 0
    statuses = [(n["status"], n["kind"]) for n in list_notifications("tls")]
    assert statuses[0] == ("DELIVERED", "email")
    subjects = [m["Subject"] for m in starttls_smtp_server.messages()]
    assert subjects[-1].startswith("[modelyard] tls TRIGGERED")
