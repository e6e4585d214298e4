"""A refresh reads the serving endpoints' inference table (and the other tables it cannot read
window by window) in batches of ``batch_rows`` rows: the metrics are the same whatever the batch
size, down to batches of a few rows that split windows, requests with several records, features
that appear late, change type or go missing."""

from __future__ import annotations

import glob
import json
import os

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from deltalake import write_deltalake

from modelyard.errors import InvalidParameterValue
from modelyard.monitoring import (
    create_monitor,
    get_monitor,
    log_labels,
    profile,
    refresh_monitor,
)

DAY0 = pd.Timestamp("2026-11-01", tz="UTC")
SCHEMA = pa.schema(
    [
        ("request_id", pa.string()),
        ("timestamp", pa.timestamp("us", tz="UTC")),
        ("endpoint", pa.string()),
        ("served_model", pa.string()),
        ("model_name", pa.string()),
        ("model_version", pa.string()),
        ("status_code", pa.int32()),
        ("latency_ms", pa.float64()),
        ("request", pa.string()),
        ("response", pa.string()),
        ("shadow", pa.bool_()),
    ]
)


def _requests(day: int, n: int, seed: int) -> list[dict]:
    """``n`` requests on ``day``: mostly one record, some batches of three in the split and
    instances formats; ``tenure`` only from day 1 on; ``score`` an int or a float; ``plan``
    sometimes null; a few failed requests and shadow copies."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        k = 3 if i % 11 == 0 else 1
        recs = []
        for _ in range(k):
            rec = {
                "age": round(float(rng.normal(45 + 4 * day, 10)), 1),
                "score": int(rng.integers(0, 5)) if rng.random() < 0.5 else float(rng.random()),
                "plan": None if rng.random() < 0.1 else str(rng.choice(["a", "b", "c"])),
                # an integer or null: a batch of nulls alone would read as objects
                "visits": None if rng.random() < 0.4 else int(rng.integers(0, 30)),
            }
            if day >= 1:
                rec["tenure"] = int(rng.integers(0, 72))
            recs.append(rec)
        if k == 1:
            body = {"dataframe_records": recs}
        elif i % 2:
            cols = list(recs[0])
            body = {
                "dataframe_split": {"columns": cols, "data": [[r[c] for c in cols] for r in recs]}
            }
        else:
            body = {"instances": recs}
        preds = [int(r["age"] > 47) for r in recs]
        version = "1" if i % 3 else "2"
        status = 500 if i % 37 == 5 else 200
        ts = DAY0 + pd.Timedelta(days=day, seconds=int(i * 86_000 / n))
        row = {
            "request_id": f"d{day}-s{seed}-{i}",
            "timestamp": ts.to_pydatetime(),
            "endpoint": "churn",
            "served_model": f"churn-{version}",
            "model_name": "churn",
            "model_version": version,
            "status_code": status,
            "latency_ms": 2.0,
            "request": json.dumps(body),
            "response": json.dumps({"predictions": preds}) if status == 200 else "{}",
            "shadow": False,
        }
        rows.append(row)
        if i % 13 == 0:  # a shadow model's answer to the same request
            rows.append({**row, "served_model": "shadow", "request": "", "shadow": True})
    return rows


def _append(path: str, rows: list[dict]) -> None:
    write_deltalake(path, pa.Table.from_pylist(rows, schema=SCHEMA), mode="append")


@pytest.fixture
def table(tmp_path):
    path = str(tmp_path / "inference")
    for day in range(3):  # several commits per day: several files
        for part in range(2):
            _append(path, _requests(day, 60, seed=10 * day + part))
    return path


def _settings(table: str, root: str) -> dict:
    base = profile(pd.DataFrame({"age": np.random.default_rng(1).normal(45, 10, 2000)}))
    return {
        "table": table,
        "granularities": ["1 day", "6 hours"],
        "model_name": "churn",
        "label_col": "churn",
        "problem_type": "classification",
        "slicing_exprs": ["plan", "age > 50"],
        "baseline": base,
        "root": root,
    }


def _tables(name: str, root: str) -> dict[str, pd.DataFrame]:
    mon = get_monitor(name, root=root)
    out = {k: getattr(mon, k)() for k in ("profile_metrics", "drift_metrics", "quality_metrics")}
    windows = {
        k: {s: v for s, v in w.items() if s != "processed_at"} for k, w in mon.windows.items()
    }
    out["windows"] = pd.DataFrame(windows).T.sort_index()
    return out


def _same(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    for k in a:
        pd.testing.assert_frame_equal(a[k], b[k], check_exact=True, obj=k)


def test_small_batches_give_the_same_metrics(table, tmp_path):
    root = str(tmp_path / "monitors")
    settings = _settings(table, root)
    create_monitor("whole", **settings)
    create_monitor("batched", **settings)
    create_monitor("batched3", **settings)
    first = refresh_monitor("whole", root=root, batch_rows=10**9)
    assert first == refresh_monitor("batched", root=root, batch_rows=7)
    assert first == refresh_monitor("batched3", root=root, batch_rows=3)
    assert len(first["processed"]) == 3 + 12  # 3 days, 4 six-hour windows a day
    whole = _tables("whole", root)
    _same(whole, _tables("batched", root))
    _same(whole, _tables("batched3", root))

    prof = whole["profile_metrics"]
    day = prof[(prof.granularity == "1 day") & (prof.slice_key == ":all")]
    assert set(day[day.window_start == DAY0].column_name) == {
        "age",
        "score",
        "plan",
        "visits",
        "prediction",
        "tenure",
    }
    kinds = day.drop_duplicates("column_name").set_index("column_name")["kind"]
    assert kinds["visits"] == kinds["age"] == "numerical"
    tenure0 = day[(day.window_start == DAY0) & (day.column_name == "tenure")].iloc[0]
    assert tenure0["count"] == 0  # the column appears on day 1: missing on day 0
    # rows: 2 x 60 requests a day, 1 in 11 with three records, failed requests left out
    served = sum((3 if i % 11 == 0 else 1) for i in range(60) if i % 37 != 5) * 2
    assert whole["windows"].loc["1 day|" + DAY0.isoformat(), "rows"] == served

    # the HTML reports and stored profiles are the same files too
    for a in sorted(glob.glob(os.path.join(root, "whole", "windows", "*", "*", "*.json"))):
        b = a.replace(os.sep + "whole" + os.sep, os.sep + "batched3" + os.sep)
        with open(a) as fa, open(b) as fb:
            assert json.load(fa) == json.load(fb)

    # labels (by flattened request id) and more traffic: the same windows reprocessed
    ids = ["d0-s0-1", "d0-s0-2", "d0-s0-0:0", "d0-s0-0:2", "d1-s10-4", "d2-s20-7"]
    for name in ("whole", "batched"):
        assert log_labels(name, ids, [1, 0, 1, 1, 0, 1], root=root) == 6
    _append(table, _requests(2, 30, seed=99))
    again = refresh_monitor("whole", root=root, batch_rows=10**9)
    assert again == refresh_monitor("batched", root=root, batch_rows=5)
    assert again["unchanged"] > 0
    _same(_tables("whole", root), _tables("batched", root))
    quality = get_monitor("batched", root=root).quality_metrics()
    q = quality[
        (quality.granularity == "1 day")
        & (quality.model_version == ":all")
        & (quality.slice_key == ":all")
    ]
    assert q["count"].sum() == 6
    assert not glob.glob(os.path.join(root, "*", ".scratch-*"))  # the spilled rows are gone


def test_text_timestamps_and_snapshots_in_batches(tmp_path):
    rng = np.random.default_rng(3)
    n = 500
    frame = pd.DataFrame(
        {
            "ts": [
                (DAY0 + pd.Timedelta(minutes=int(m))).isoformat() for m in rng.integers(0, 4320, n)
            ],
            "x": rng.normal(0, 1, n),
            "k": rng.integers(0, 4, n).astype(float),
            "c": rng.choice(["u", "v"], n),
            "prediction": rng.integers(0, 2, n),
        }
    )
    frame.loc[frame.index[::7], "k"] = np.nan  # an int-like column with nulls in some batches
    frame["flag"] = pd.array(rng.random(n) < 0.5, dtype=object)
    frame.loc[frame.index[::9], "flag"] = None  # booleans with nulls in some batches
    path = str(tmp_path / "scored.parquet")
    pa_table = pa.Table.from_pandas(frame, preserve_index=False)
    import pyarrow.parquet as pq

    pq.write_table(pa_table, path, row_group_size=64)
    root = str(tmp_path / "m")
    for name in ("ts-whole", "ts-batched"):
        create_monitor(name, table=path, timestamp_col="ts", prediction_col="prediction", root=root)
    for name in ("snap-whole", "snap-batched"):
        create_monitor(name, table=path, profile="snapshot", root=root)
    assert refresh_monitor("ts-whole", root=root, batch_rows=10**9) == refresh_monitor(
        "ts-batched", root=root, batch_rows=10
    )
    _same(_tables("ts-whole", root), _tables("ts-batched", root))
    refresh_monitor("snap-whole", root=root, batch_rows=10**9)
    refresh_monitor("snap-batched", root=root, batch_rows=33)
    _same(_tables("snap-whole", root), _tables("snap-batched", root))


def test_batch_rows_must_be_a_positive_integer(table, tmp_path):
    root = str(tmp_path / "monitors")
    create_monitor("m", **_settings(table, root))
    for bad in (0, -5, 2.5, "10", True):
        with pytest.raises(InvalidParameterValue, match="batch_rows"):
            refresh_monitor("m", root=root, batch_rows=bad)
