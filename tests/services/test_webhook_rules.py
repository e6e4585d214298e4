"""Webhook rules: destination checks (default, switches, allow-list), events, and the check
repeated at delivery time, with a real receiver process and a real SQLite outbox."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from modelyard import errors
from modelyard.services.webhook_delivery import DeliveryWorker, sign
from modelyard.services.webhooks import (
    WebhookService,
    check_destination,
    event_from_wire,
    event_to_wire,
)
from modelyard.store.webhooks.sql import SqlWebhookStore

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))
from webhook_helpers import Receiver, wait_for


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS",
        "MLFLOW_WEBHOOK_ALLOWED_SCHEMES",
        "MODELYARD_WEBHOOK_ALLOWED_HOSTS",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://93.184.215.14/hook", "scheme"),  # plain http refused by default
        ("https://127.0.0.1/hook", "non-public"),
        ("https://localhost:8443/hook", "non-public"),
        ("https://10.1.2.3/hook", "non-public"),
        ("https://192.168.0.10/hook", "non-public"),
        ("https://169.254.169.254/latest/meta-data", "non-public"),  # cloud metadata
        ("https://[::1]/hook", "non-public"),
        ("https://[::ffff:127.0.0.1]/hook", "non-public"),  # IPv4-mapped loopback
        ("https://[fd00:ec2::254]/hook", "non-public"),  # AWS IPv6 metadata (ULA)
        ("https://100.64.0.1/hook", "non-public"),  # carrier-grade NAT
        ("https:///nohost", "hostname"),
        ("", "empty"),
    ],
)
def test_internal_or_non_https_destinations_are_refused(url: str, reason: str) -> None:
    with pytest.raises(errors.InvalidParameterValue, match=reason) as info:
        check_destination(url)
    assert "url" in info.value.message or "URL" in info.value.message


def test_public_https_address_is_accepted() -> None:
    assert check_destination(" https://93.184.215.14/hook ") == "https://93.184.215.14/hook"


def test_switches_lift_the_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_WEBHOOK_ALLOWED_SCHEMES", "http,https")
    with pytest.raises(errors.InvalidParameterValue, match="non-public"):
        check_destination("http://127.0.0.1:9/x")
    monkeypatch.setenv("MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS", "true")
    assert check_destination("http://127.0.0.1:9/x") == "http://127.0.0.1:9/x"
    monkeypatch.delenv("MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS")
    monkeypatch.setenv("MODELYARD_WEBHOOK_ALLOWED_HOSTS", "localhost")
    assert check_destination("http://localhost:9/x") == "http://localhost:9/x"
    with pytest.raises(errors.InvalidParameterValue, match="non-public"):
        check_destination("http://127.0.0.1:9/x")


def test_event_names_round_trip() -> None:
    assert event_to_wire("model_version_alias.deleted") == {
        "entity": "MODEL_VERSION_ALIAS",
        "action": "DELETED",
    }
    assert event_from_wire({"entity": "MODEL_VERSION_ALIAS", "action": "DELETED"}) == (
        "model_version_alias.deleted"
    )
    assert event_from_wire("model_version_stage.transitioned") == (
        "model_version_stage.transitioned"
    )
    with pytest.raises(errors.InvalidParameterValue, match="registered_model.deleted"):
        event_from_wire({"entity": "REGISTERED_MODEL", "action": "DELETED"})


def test_signature_matches_mlflow_format() -> None:
    # the value mlflow 3.17.2's own signer gives for the same input
    assert sign("k", "id", "1", "{}") == "v1,g7RitEqJvu8yMbDC6clEYxfin7F9RZIMzpsXDw051Xc="


def test_destination_checked_again_at_delivery(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_WEBHOOK_ALLOWED_SCHEMES", "http,https")
    monkeypatch.setenv("MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS", "true")
    monkeypatch.setenv("MODELYARD_WEBHOOK_BACKOFF_MS", "10")
    receiver = Receiver(tmp_path)
    try:
        store = SqlWebhookStore(f"sqlite:///{tmp_path / 'w.db'}")
        service = WebhookService(store)
        hook = service.create("recheck", receiver.url, ["model_version.created"], secret="k")
        worker = DeliveryWorker(store, poll_interval=0.05)
        service.emit("model_version.created", {"name": "m", "version": "1"})
        worker.run_once()
        ok = wait_for(lambda: store.list_deliveries(hook.webhook_id, 10, status="DELIVERED")[0])
        assert len(receiver.records()) == 1
        body = json.loads(receiver.records()[0]["body"])
        assert body["data"] == {"name": "m", "version": "1"}
        assert ok[0].attempts == 1
        # the switch goes away: the same, already stored URL is refused when delivering
        monkeypatch.delenv("MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS")
        service.emit("model_version.created", {"name": "m", "version": "2"})
        failed = wait_for(lambda: _drain(worker, store, hook.webhook_id))
        assert "non-public" in (failed[0].error or "")
        assert len(receiver.records()) == 1  # nothing reached the receiver
    finally:
        receiver.stop()


def _drain(worker: DeliveryWorker, store: SqlWebhookStore, webhook_id: str):  # type: ignore[no-untyped-def]
    worker.run_once()
    return store.list_deliveries(webhook_id, 10, status="FAILED")[0]


def test_disabled_webhook_gets_nothing_and_emit_without_subscribers_writes_nothing(
    tmp_path: Path,
) -> None:
    store = SqlWebhookStore(f"sqlite:///{tmp_path / 'w.db'}")
    service = WebhookService(store)
    assert service.emit("registered_model.created", {"name": "m"}) == []
    with pytest.raises(errors.InvalidParameterValue, match="events"):
        service.create("x", "https://93.184.215.14/h", [])
    with pytest.raises(errors.InvalidParameterValue, match="Unknown webhook event"):
        service.emit("registered_model.exploded", {})
