"""Model-quality and endpoint conditions on real tables: a monitor with labels (accuracy per
window), an inference table in the serving layout (Delta: latency and status codes); and the
``monitor.alert`` event through the webhook outbox."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
from tests.mlops.alerts.conftest import DAY0

from modelyard.mlops.alerts import (
    create_alert,
    deliver_notifications,
    evaluate_alerts,
    get_alert,
    get_alert_history,
)
from modelyard.monitoring import create_monitor, refresh_monitor


def _labelled_day(folder: Path, day: int, accuracy: float, n: int = 400) -> None:
    rng = np.random.default_rng(day)
    label = rng.integers(0, 2, n)
    right = rng.random(n) < accuracy
    pd.DataFrame(
        {
            "request_id": [uuid.uuid4().hex for _ in range(n)],
            "ts": DAY0 + pd.Timedelta(days=day) + pd.to_timedelta(rng.uniform(0, 86_000, n), "s"),
            "x": rng.normal(0, 1, n),
            "prediction": np.where(right, label, 1 - label),
            "label": label,
        }
    ).to_parquet(folder / f"day-{day}.parquet")


def test_accuracy_below_threshold_for_two_windows(tmp_path: Path, db_uri: str) -> None:
    folder = tmp_path / "labelled"
    folder.mkdir()
    _labelled_day(folder, 0, 0.9)
    root = str(tmp_path / "monitors")
    create_monitor(
        "quality",
        table=str(folder),
        timestamp_col="ts",
        prediction_col="prediction",
        label_col="label",
        problem_type="classification",
        root=root,
    )
    create_alert(
        "accuracy-low",
        {
            "type": "quality",
            "monitor": "quality",
            "metric": "accuracy",
            "operator": "below",
            "threshold": 0.7,
            "windows": 2,
        },
        monitors_root=root,
    )
    states = []
    for day, acc in [(1, 0.5), (2, 0.9), (3, 0.5), (4, 0.5), (5, 0.95)]:
        _labelled_day(folder, day, acc)
        refresh_monitor("quality", root=root)
        states.append(get_alert("accuracy-low")["state"])
    assert states == ["OK", "OK", "OK", "TRIGGERED", "RESOLVED"]
    trigger = get_alert_history("accuracy-low")[1]
    assert trigger["window"] == "1 day|2026-11-06T00:00:00+00:00"
    assert 0.4 < trigger["evidence"]["accuracy"] < 0.6
    assert trigger["evidence"]["labelled_rows"] == 400.0


def _serving_rows(start: pd.Timestamp, n: int, latency: float, errors: int) -> pd.DataFrame:
    rng = np.random.default_rng(int(start.timestamp()) % 1000)
    status = np.full(n, 200, dtype="int32")
    status[:errors] = 500
    return pd.DataFrame(
        {
            "request_id": [uuid.uuid4().hex for _ in range(n)],
            "timestamp": start + pd.to_timedelta(rng.integers(0, 3_500_000, n), "ms"),
            "endpoint": "churn",
            "served_model": "churn-1",
            "model_name": "churn",
            "model_version": "1",
            "status_code": status,
            "latency_ms": rng.uniform(0.5, 1.0, n) * latency,
            "request": json.dumps({"dataframe_records": [{"x": 1.0}]}),
            "response": json.dumps({"predictions": [1]}),
        }
    )


def _append(path: Path, frame: pd.DataFrame) -> None:
    import pyarrow as pa
    from deltalake import write_deltalake

    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.cast(table.schema.set(1, pa.field("timestamp", pa.timestamp("us", tz="UTC"))))
    write_deltalake(str(path), table, mode="append")


def test_endpoint_latency_and_error_rate(tmp_path: Path, db_uri: str) -> None:
    home = tmp_path / "serving"
    table = home / "inference" / "churn"
    hour = pd.Timestamp("2026-11-02T10:00:00", tz="UTC")
    create_alert(
        "p99",
        {
            "type": "endpoint",
            "endpoint": "churn",
            "metric": "p99_latency_ms",
            "threshold": 250,
            "min_requests": 50,
        },
        cooldown_seconds=0,
    )
    create_alert(
        "errors",
        {
            "type": "endpoint",
            "table": str(table),
            "metric": "error_rate",
            "threshold": 0.05,
            "window_minutes": 60,
        },
        cooldown_seconds=0,
    )
    # nothing logged yet: nothing to judge
    assert [r["windows_judged"] for r in evaluate_alerts(serving_home=str(home))] == [0, 0]
    _append(table, _serving_rows(hour, 200, latency=100, errors=2))
    _append(table, _serving_rows(hour + pd.Timedelta(hours=1), 200, latency=400, errors=30))
    _append(table, _serving_rows(hour + pd.Timedelta(hours=2), 10, latency=900, errors=0))
    out = {r["alert"]: r for r in evaluate_alerts(serving_home=str(home))}
    # the 10-request window is below min_requests for p99 and judged for the error rate
    assert out["p99"]["windows_judged"] == 2 and out["p99"]["state"] == "TRIGGERED"
    assert out["errors"]["windows_judged"] == 3 and out["errors"]["state"] == "RESOLVED"
    [p99] = get_alert_history("p99")
    assert p99["window"] == "60m|2026-11-02T11:00:00+00:00"
    assert 250 < p99["evidence"]["p99_latency_ms"] <= 400
    assert p99["evidence"]["requests"] == 200
    errors = get_alert_history("errors")
    assert [e["to_state"] for e in reversed(errors)] == ["TRIGGERED", "RESOLVED"]
    assert errors[1]["evidence"]["error_rate"] == 0.15
    # the same windows again: nothing new; more rows in the last window: judged again
    assert [r["windows_judged"] for r in evaluate_alerts(serving_home=str(home))] == [0, 0]
    _append(table, _serving_rows(hour + pd.Timedelta(hours=2), 100, latency=900, errors=0))
    out = {r["alert"]: r for r in evaluate_alerts(serving_home=str(home))}
    assert out["p99"]["windows_judged"] == 1 and out["p99"]["state"] == "TRIGGERED"


def test_monitor_alert_event_through_the_webhook_outbox(
    db_uri: str,
    monitor: str,
    table,
    receiver,  # type: ignore[no-untyped-def]
) -> None:
    from modelyard.services.webhook_delivery import DeliveryWorker
    from modelyard.services.webhooks import WebhookService
    from modelyard.store.webhooks import get_webhook_store

    store = get_webhook_store(db_uri)
    WebhookService(store).create("ops", f"{receiver.base}/events", ["monitor.alert"])
    create_alert(
        "evented",
        {"type": "drift", "monitor": "churn", "min_columns": 2},
        monitors_root=monitor,
    )
    table.add_day(1, shift=1.0)
    refresh_monitor("churn", root=monitor)
    deliver_notifications(timeout=120)
    worker = DeliveryWorker(store)
    for _ in range(50):
        worker.run_once()
        if receiver.bodies("/events"):
            break
    [event] = receiver.bodies("/events")
    assert (event["entity"], event["action"]) == ("monitor", "alert")
    assert event["data"]["alert"] == "evented" and event["data"]["state"] == "TRIGGERED"
    assert event["data"]["evidence"]["drifted_columns"] == ["a", "b"]


def test_the_endpoint_path_follows_the_serving_layout(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from modelyard.mlops.alerts.conditions import windows_of
    from modelyard.serving.endpoints import inference_table_path

    home = tmp_path / "serving-home"
    monkeypatch.setenv("MODELYARD_SERVING_HOME", str(home))
    cond = {
        "type": "endpoint",
        "endpoint": "churn",
        "metric": "error_rate",
        "threshold": 0.1,
        "operator": "above",
        "window_minutes": 60,
        "min_requests": 1,
    }
    assert windows_of(cond) == []  # nothing logged, and nothing created by looking
    assert not home.exists()
    hour = pd.Timestamp("2026-11-02T10:00:00", tz="UTC")
    _append(inference_table_path("churn"), _serving_rows(hour, 20, latency=5, errors=4))
    [window] = windows_of(cond)
    assert (window.value, window.breach, window.evidence["requests"]) == (0.2, True, 20)
