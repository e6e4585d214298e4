"""Contract suite of :class:`~modelyard.store.webhooks.base.WebhookStore`.

Subclass :class:`WebhookStoreContract` and give it a ``webhook_store`` fixture returning a fresh,
empty store; every implementation passes the same tests. Times are plain numbers the tests
choose, so leases and retries are exercised without waiting.
"""

from __future__ import annotations

import pytest

from modelyard.errors import ResourceDoesNotExist
from modelyard.store.webhooks.base import Webhook, WebhookStore

__all__ = ["WebhookStoreContract", "make_webhook"]

T0 = 1_767_225_600_000


def make_webhook(
    webhook_id: str,
    events: tuple[str, ...] = ("model_version.created",),
    status: str = "ACTIVE",
    created: int = T0,
) -> Webhook:
    return Webhook(
        webhook_id=webhook_id,
        name=f"hook-{webhook_id}",
        url="https://hooks.example.com/in",
        events=events,
        status=status,
        creation_timestamp=created,
        last_updated_timestamp=created,
        description="d",
        secret="s3cret",
    )


class WebhookStoreContract:
    @pytest.fixture
    def webhook_store(self) -> WebhookStore:  # pragma: no cover - subclasses provide it
        raise NotImplementedError

    def test_create_get_and_secret_round_trip(self, webhook_store: WebhookStore) -> None:
        webhook_store.create_webhook(make_webhook("a"))
        got = webhook_store.get_webhook("a")
        assert got == make_webhook("a")
        assert got.secret == "s3cret"
        with pytest.raises(ResourceDoesNotExist, match="zzz"):
            webhook_store.get_webhook("zzz")

    def test_list_newest_first_with_paging(self, webhook_store: WebhookStore) -> None:
        for i in range(5):
            webhook_store.create_webhook(make_webhook(f"w{i}", created=T0 + i))
        first, more = webhook_store.list_webhooks(2, 0)
        assert [w.webhook_id for w in first] == ["w4", "w3"] and more
        rest, more = webhook_store.list_webhooks(10, 2)
        assert [w.webhook_id for w in rest] == ["w2", "w1", "w0"] and not more

    def test_update_fields_and_clear(self, webhook_store: WebhookStore) -> None:
        webhook_store.create_webhook(make_webhook("a"))
        up = webhook_store.update_webhook(
            "a",
            T0 + 5,
            name="renamed",
            events=["model_version_tag.set"],
            status="DISABLED",
            description="",
            secret="",
        )
        assert (up.name, up.events, up.status, up.description, up.secret) == (
            "renamed",
            ("model_version_tag.set",),
            "DISABLED",
            None,
            None,
        )
        assert up.last_updated_timestamp == T0 + 5
        assert up.url == "https://hooks.example.com/in"
        with pytest.raises(ResourceDoesNotExist):
            webhook_store.update_webhook("nope", T0, name="x")

    def test_delete_hides_webhook_but_keeps_history(self, webhook_store: WebhookStore) -> None:
        webhook_store.create_webhook(make_webhook("a"))
        [d] = webhook_store.enqueue("model_version.created", '{"x": 1}', T0)
        webhook_store.delete_webhook("a", T0 + 1)
        with pytest.raises(ResourceDoesNotExist):
            webhook_store.get_webhook("a")
        assert webhook_store.list_webhooks(10, 0) == ([], False)
        assert webhook_store.get_delivery(d.delivery_id).webhook_id == "a"
        assert webhook_store.enqueue("model_version.created", "{}", T0 + 2) == []
        with pytest.raises(ResourceDoesNotExist):
            webhook_store.delete_webhook("a", T0 + 3)

    def test_enqueue_only_active_subscribers(self, webhook_store: WebhookStore) -> None:
        webhook_store.create_webhook(make_webhook("a", ("model_version.created",)))
        webhook_store.create_webhook(
            make_webhook("b", ("model_version.created", "model_version_tag.set"))
        )
        webhook_store.create_webhook(make_webhook("c", ("model_version.created",), "DISABLED"))
        queued = webhook_store.enqueue("model_version.created", '{"n": 1}', T0)
        assert sorted(d.webhook_id for d in queued) == ["a", "b"]
        assert len({d.delivery_id for d in queued}) == 2
        assert [d.webhook_id for d in webhook_store.enqueue("model_version_tag.set", "{}", T0)] == [
            "b"
        ]
        assert webhook_store.enqueue("registered_model.created", "{}", T0) == []
        stored = webhook_store.get_delivery(queued[0].delivery_id)
        assert (stored.status, stored.attempts, stored.payload) == ("PENDING", 0, '{"n": 1}')

    def test_claim_is_exclusive_and_leased(self, webhook_store: WebhookStore) -> None:
        webhook_store.create_webhook(make_webhook("a"))
        [d] = webhook_store.enqueue("model_version.created", "{}", T0)
        assert webhook_store.claim_due(T0 - 1, 1000, 10) == []  # not due yet
        [c] = webhook_store.claim_due(T0, 1000, 10)
        assert (c.delivery_id, c.attempts, c.next_attempt_time) == (d.delivery_id, 1, T0 + 1000)
        assert webhook_store.claim_due(T0 + 999, 1000, 10) == []  # leased
        [again] = webhook_store.claim_due(T0 + 1000, 1000, 10)  # the lease ran out: crash case
        assert again.attempts == 2

    def test_finish_states(self, webhook_store: WebhookStore) -> None:
        webhook_store.create_webhook(make_webhook("a"))
        (d1,) = webhook_store.enqueue("model_version.created", "{}", T0)
        (d2,) = webhook_store.enqueue("model_version.created", "{}", T0 + 1)
        webhook_store.claim_due(T0 + 1, 500, 10)
        webhook_store.finish_delivery(
            d1.delivery_id,
            T0 + 2,
            delivered=False,
            response_status=500,
            error="HTTP 500",
            retry_at=T0 + 100,
        )
        webhook_store.finish_delivery(
            d2.delivery_id, T0 + 2, delivered=True, response_status=200, error=None, retry_at=None
        )
        r1 = webhook_store.get_delivery(d1.delivery_id)
        r2 = webhook_store.get_delivery(d2.delivery_id)
        assert (r1.status, r1.response_status, r1.error, r1.next_attempt_time) == (
            "PENDING",
            500,
            "HTTP 500",
            T0 + 100,
        )
        assert (r2.status, r2.delivered_time, r2.response_status) == ("DELIVERED", T0 + 2, 200)
        [c] = webhook_store.claim_due(T0 + 100, 500, 10)
        webhook_store.finish_delivery(
            c.delivery_id,
            T0 + 101,
            delivered=False,
            response_status=None,
            error="timeout",
            retry_at=None,
        )
        r1 = webhook_store.get_delivery(d1.delivery_id)
        assert (r1.status, r1.attempts, r1.error) == ("FAILED", 2, "timeout")
        # a finished delivery is never changed again (a late duplicate worker)
        webhook_store.finish_delivery(
            d2.delivery_id,
            T0 + 200,
            delivered=False,
            response_status=500,
            error="late",
            retry_at=None,
        )
        assert webhook_store.get_delivery(d2.delivery_id).status == "DELIVERED"
        assert webhook_store.claim_due(T0 + 10_000, 500, 10) == []

    def test_list_deliveries(self, webhook_store: WebhookStore) -> None:
        webhook_store.create_webhook(make_webhook("a"))
        webhook_store.create_webhook(make_webhook("b"))
        for i in range(3):
            webhook_store.enqueue("model_version.created", str(i), T0 + i)
        rows, more = webhook_store.list_deliveries("a", 2)
        assert [r.payload for r in rows] == ["2", "1"] and more
        assert len(webhook_store.list_deliveries(None, 100)[0]) == 6
        assert webhook_store.list_deliveries("a", 10, status="DELIVERED") == ([], False)
        with pytest.raises(ResourceDoesNotExist):
            webhook_store.get_delivery("missing")
