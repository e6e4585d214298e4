"""Generated inference tables (the serving endpoints' Delta layout) with a fixed seed."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

__all__ = ["classification_table", "regression_table"]

T0 = datetime(2026, 11, 3, tzinfo=UTC)


def _row(rid, ts, served, version, status, latency, pred, shadow=False):
    response = json.dumps({"predictions": [pred]}) if status == 200 else '{"error_code": "X"}'
    return {
        "request_id": rid,
        "timestamp": ts,
        "endpoint": "ep",
        "served_model": served,
        "model_name": "churn",
        "model_version": version,
        "status_code": status,
        "latency_ms": latency,
        "request": "" if shadow else '{"dataframe_records": [{"x": 1}]}',
        "response": response,
        "shadow": shadow,
    }


def classification_table(
    n: int,
    acc_a: float,
    acc_b: float,
    *,
    seed: int = 0,
    shadow_acc: float | None = None,
    error_b: float = 0.0,
    latency_b: float = 5.0,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """``n`` requests split 50/50 between ``churn-1`` (v1, accuracy ``acc_a``) and ``churn-2``
    (v2, ``acc_b``); with ``shadow_acc`` a shadow ``churn-3`` (v3) answers every request too.
    Returns the table and the true label of every request id."""
    rng = np.random.default_rng(seed)
    rows, labels = [], {}
    for i in range(n):
        rid = uuid.UUID(int=int(rng.integers(0, 2**63)) * 2 + i).hex
        y = int(rng.integers(0, 2))
        labels[rid] = y
        ts = T0 + timedelta(seconds=i)
        b = rng.random() < 0.5
        acc, served, version = (acc_b, "churn-2", "2") if b else (acc_a, "churn-1", "1")
        failed = b and rng.random() < error_b
        pred = y if rng.random() < acc else 1 - y
        latency = float(rng.gamma(4.0, (latency_b if b else 5.0) / 4.0))
        rows.append(_row(rid, ts, served, version, 500 if failed else 200, latency, pred))
        if shadow_acc is not None:
            spred = y if rng.random() < shadow_acc else 1 - y
            srow = _row(rid, ts, "churn-3", "3", 200, float(rng.gamma(4.0, 2.0)), spred, True)
            rows.append(srow)
    return pd.DataFrame(rows), labels


def regression_table(
    n: int, noise_a: float, noise_b: float, *, seed: int = 0
) -> tuple[pd.DataFrame, dict[str, float]]:
    rng = np.random.default_rng(seed)
    rows, labels = [], {}
    for i in range(n):
        rid = f"r{i:06d}"
        y = float(rng.normal(50, 10))
        labels[rid] = y
        b = rng.random() < 0.5
        noise, served, version = (noise_b, "churn-2", "2") if b else (noise_a, "churn-1", "1")
        pred = y + float(rng.normal(0, noise))
        rows.append(_row(rid, T0 + timedelta(seconds=i), served, version, 200, 3.0, pred))
    return pd.DataFrame(rows), labels
