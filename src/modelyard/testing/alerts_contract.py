"""Contract suite of :class:`~modelyard.store.alerts.base.AlertStore`.

Subclass :class:`AlertStoreContract` and give it an ``alert_store`` fixture returning a fresh,
empty store. Times are plain numbers the tests choose, so leases and retries are exercised
without waiting.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from modelyard.errors import InvalidParameterValue, ResourceAlreadyExists, ResourceDoesNotExist
from modelyard.store.alerts.base import AlertRule, AlertStore, Notification

__all__ = ["AlertStoreContract", "make_notification", "make_rule"]

T0 = 1_767_225_600_000


def make_rule(alert_id: str, name: str | None = None, monitor: str = "churn") -> AlertRule:
    return AlertRule(
        alert_id=alert_id,
        name=name or f"alert-{alert_id}",
        condition={"type": "drift", "monitor": monitor, "min_columns": 2},
        actions=[{"type": "slack", "url": "https://hooks.example.com/x"}],
        cooldown_seconds=600,
        enabled=True,
        state="OK",
        creation_timestamp=T0,
        last_updated_timestamp=T0,
        description="d",
        state_since=T0,
    )


def make_notification(nid: str, kind: str = "slack", now: int = T0) -> Notification:
    return Notification(
        notification_id=nid,
        alert_id="",
        event_id=None,
        kind=kind,
        target="https://hooks.example.com/x",
        payload={"text": f"message {nid}"},
        status="PENDING",
        attempts=0,
        created_time=now,
        next_attempt_time=now,
    )


def _trigger(store: AlertStore, rule: AlertRule, notes: list[Notification], now: int) -> bool:
    evidence: dict[str, Any] = {"drifted_columns": ["a", "b"]}
    return store.save_evaluation(
        rule, now, "TRIGGERED", {"last_window": "w1"}, [("OK", "TRIGGERED", "w1", evidence, notes)]
    )


class AlertStoreContract:
    @pytest.fixture
    def alert_store(self) -> AlertStore:  # pragma: no cover - overridden
        raise NotImplementedError

    def test_create_get_list_by_monitor(self, alert_store: AlertStore) -> None:
        alert_store.create_rule(make_rule("a1", monitor="churn"))
        alert_store.create_rule(make_rule("a2", monitor="fraud"))
        got = alert_store.get_rule("a1")
        assert got.condition == {"type": "drift", "monitor": "churn", "min_columns": 2}
        assert got.actions[0]["type"] == "slack"
        assert (got.cooldown_seconds, got.enabled, got.state, got.version) == (600, True, "OK", 0)
        assert alert_store.get_rule_by_name("alert-a2").alert_id == "a2"
        rows, more = alert_store.list_rules(10)
        assert [r.alert_id for r in rows] == ["a1", "a2"] and not more
        rows, more = alert_store.list_rules(1)
        assert len(rows) == 1 and more
        assert [r.alert_id for r in alert_store.list_rules(10, monitor="fraud")[0]] == ["a2"]

    def test_duplicate_name_and_missing(self, alert_store: AlertStore) -> None:
        alert_store.create_rule(make_rule("a1", name="same"))
        with pytest.raises(ResourceAlreadyExists, match="same"):
            alert_store.create_rule(make_rule("a2", name="same"))
        with pytest.raises(ResourceDoesNotExist):
            alert_store.get_rule("nope")
        with pytest.raises(ResourceDoesNotExist):
            alert_store.get_rule_by_name("nope")
        with pytest.raises(ResourceDoesNotExist):
            alert_store.delete_rule("nope")

    def test_update_keeps_state_unless_condition_changes(self, alert_store: AlertStore) -> None:
        rule = alert_store.create_rule(make_rule("a1"))
        assert _trigger(alert_store, rule, [], T0 + 5)
        got = alert_store.update_rule("a1", T0 + 10, cooldown_seconds=60, enabled=False)
        assert (got.state, got.cooldown_seconds, got.enabled) == ("TRIGGERED", 60, False)
        assert got.eval_state == {"last_window": "w1"}
        got = alert_store.update_rule(
            "a1", T0 + 20, condition={"type": "drift", "monitor": "fraud", "min_columns": 1}
        )
        assert (got.state, got.eval_state, got.state_since) == ("OK", {}, T0 + 20)
        assert [r.alert_id for r in alert_store.list_rules(10, monitor="fraud")[0]] == ["a1"]
        alert_store.create_rule(make_rule("a2", name="taken"))
        with pytest.raises(ResourceAlreadyExists):
            alert_store.update_rule("a1", T0 + 30, name="taken")
        with pytest.raises(InvalidParameterValue):
            alert_store.update_rule("a1", T0 + 30, state="OK")

    def test_save_evaluation_writes_events_and_notifications_once(
        self, alert_store: AlertStore
    ) -> None:
        rule = alert_store.create_rule(make_rule("a1"))
        notes = [make_notification("n1"), make_notification("n2", kind="email")]
        assert _trigger(alert_store, rule, notes, T0 + 5)
        # a second evaluator that read the same version loses: nothing is written twice
        assert not _trigger(alert_store, rule, [make_notification("n3")], T0 + 6)
        got = alert_store.get_rule("a1")
        assert (got.state, got.state_since, got.version) == ("TRIGGERED", T0 + 5, 1)
        events, _ = alert_store.list_events("a1", 10)
        assert len(events) == 1
        assert (events[0].from_state, events[0].to_state, events[0].window) == (
            "OK",
            "TRIGGERED",
            "w1",
        )
        assert events[0].evidence == {"drifted_columns": ["a", "b"]}
        rows, _ = alert_store.list_notifications("a1", 10)
        assert sorted(n.notification_id for n in rows) == ["n1", "n2"]
        assert {n.event_id for n in rows} == {events[0].event_id}
        assert alert_store.get_notification("n1").payload == {"text": "message n1"}
        assert [n.kind for n in alert_store.list_notifications(None, 10, kind="email")[0]] == [
            "email"
        ]

    def test_concurrent_evaluations_one_wins(self, alert_store: AlertStore) -> None:
        rule = alert_store.create_rule(make_rule("a1"))
        results: list[bool] = []
        barrier = threading.Barrier(4)

        def run(i: int) -> None:
            barrier.wait()
            results.append(_trigger(alert_store, rule, [make_notification(f"c{i}")], T0 + i))

        threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(results) == [False, False, False, True]
        assert len(alert_store.list_events("a1", 10)[0]) == 1
        assert len(alert_store.list_notifications("a1", 10)[0]) == 1

    def test_claim_lease_retry_and_finish(self, alert_store: AlertStore) -> None:
        rule = alert_store.create_rule(make_rule("a1"))
        _trigger(alert_store, rule, [make_notification("n1"), make_notification("n2")], T0)
        first = alert_store.claim_due(T0 + 1, 5_000, 10)
        assert sorted(n.notification_id for n in first) == ["n1", "n2"]
        assert {n.attempts for n in first} == {1}
        assert alert_store.claim_due(T0 + 2, 5_000, 10) == []  # leased
        alert_store.finish_notification(
            "n1", T0 + 3, status="FAILED", result="500", error="HTTP 500", retry_at=T0 + 100
        )
        alert_store.finish_notification("n2", T0 + 3, status="DELIVERED", result="200", error=None)
        n2 = alert_store.get_notification("n2")
        assert (n2.status, n2.result, n2.finished_time) == ("DELIVERED", "200", T0 + 3)
        n1 = alert_store.get_notification("n1")
        assert (n1.status, n1.error, n1.next_attempt_time) == ("PENDING", "HTTP 500", T0 + 100)
        again = alert_store.claim_due(T0 + 100, 5_000, 10)
        assert [(n.notification_id, n.attempts) for n in again] == [("n1", 2)]
        alert_store.finish_notification("n1", T0 + 101, status="FAILED", result=None, error="x")
        assert alert_store.get_notification("n1").status == "FAILED"
        # a finished row is not changed again (a late duplicate worker)
        alert_store.finish_notification(
            "n1", T0 + 102, status="DELIVERED", result="200", error=None
        )
        assert alert_store.get_notification("n1").status == "FAILED"
        assert alert_store.list_notifications("a1", 10, status="FAILED")[0][0].error == "x"

    def test_a_killed_claimer_leaves_the_row_due_after_the_lease(
        self, alert_store: AlertStore
    ) -> None:
        rule = alert_store.create_rule(make_rule("a1"))
        _trigger(alert_store, rule, [make_notification("n1")], T0)
        assert len(alert_store.claim_due(T0, 1_000, 10)) == 1
        assert alert_store.claim_due(T0 + 999, 1_000, 10) == []
        assert [n.attempts for n in alert_store.claim_due(T0 + 1_000, 1_000, 10)] == [2]

    def test_delete_removes_history(self, alert_store: AlertStore) -> None:
        rule = alert_store.create_rule(make_rule("a1"))
        _trigger(alert_store, rule, [make_notification("n1")], T0)
        alert_store.delete_rule("a1")
        with pytest.raises(ResourceDoesNotExist):
            alert_store.get_rule("a1")
        assert alert_store.list_events("a1", 10)[0] == []
        assert alert_store.list_notifications("a1", 10)[0] == []
