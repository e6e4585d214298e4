"""Monitors on an inference table with the serving endpoints' layout (Delta), labels arriving
later, several daily windows, two model versions; a Parquet time-series table; bad input."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from modelyard.errors import InvalidParameterValue, ResourceAlreadyExists, ResourceDoesNotExist
from modelyard.monitoring import (
    create_monitor,
    delete_monitor,
    get_monitor,
    list_monitors,
    log_labels,
    profile,
    refresh_monitor,
)

DAY0 = pd.Timestamp("2026-11-01", tz="UTC")


def _features(n: int, rng: np.random.Generator, shift: float = 0.0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "age": rng.normal(45, 12, n).round(1),
            "monthly": rng.gamma(4.0, 15.0, n) * (1.0 + shift),
            "contract": rng.choice(["month", "year", "two-year"], n, p=[0.5, 0.3, 0.2]),
        }
    )


def _truth(f: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    logit = -2.0 + 0.03 * (f["monthly"] - 60) + (f["contract"] == "month") * 1.2
    return (rng.random(len(f)) < 1 / (1 + np.exp(-logit))).astype(int)


def _serving_rows(day: int, n: int, rng, shift: float = 0.0) -> tuple[pd.DataFrame, dict]:
    f = _features(n, rng, shift)
    y = _truth(f, rng)
    pred = np.where(rng.random(n) < 0.8, y, 1 - y)  # an 80 %-accurate model
    rows, truth = [], {}
    for i in range(n):
        rid = uuid.uuid4().hex
        version = "1" if i % 3 else "2"
        rows.append(
            {
                "request_id": rid,
                "timestamp": DAY0 + pd.Timedelta(days=day, minutes=int(i * 1440 / n)),
                "endpoint": "churn",
                "served_model": f"churn-{version}",
                "model_name": "churn",
                "model_version": version,
                "status_code": 200,
                "latency_ms": 3.0,
                "request": json.dumps({"dataframe_records": [f.iloc[i].to_dict()]}),
                "response": json.dumps({"predictions": [int(pred[i])]}),
            }
        )
        truth[rid] = (int(y[i]), int(pred[i]), version)
    return pd.DataFrame(rows), truth


def _append(path: str, frame: pd.DataFrame) -> None:
    import pyarrow as pa
    from deltalake import write_deltalake

    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.cast(table.schema.set(1, pa.field("timestamp", pa.timestamp("us", tz="UTC"))))
    write_deltalake(path, table, mode="append")


@pytest.fixture
def root(tmp_path):
    return str(tmp_path / "monitors")


def test_inference_monitor_with_late_labels(tmp_path, root):
    rng = np.random.default_rng(0)
    table = str(tmp_path / "inference")
    truth: dict = {}
    for day in range(3):
        rows, t = _serving_rows(day, 900, rng, shift=0.3 if day == 2 else 0.0)
        _append(table, rows)
        truth.update(t)
    # a batch request with several records
    batch = _features(3, rng)
    _append(
        table,
        pd.DataFrame(
            [
                {
                    "request_id": "batch-1",
                    "timestamp": DAY0 + pd.Timedelta(hours=5),
                    "endpoint": "churn",
                    "served_model": "churn-1",
                    "model_name": "churn",
                    "model_version": "1",
                    "status_code": 200,
                    "latency_ms": 4.0,
                    "request": json.dumps({"dataframe_split": batch.to_dict(orient="split")}),
                    "response": json.dumps({"predictions": [0, 1, 0]}),
                }
            ]
        ),
    )
    train = _features(20_000, np.random.default_rng(9))
    mon = create_monitor(
        "churn",
        table=table,
        profile="inference",
        granularities=["1 day"],
        model_name="churn",
        label_col="churn",
        problem_type="classification",
        slicing_exprs=["contract", "age > 50"],
        baseline=profile(train),
        root=root,
    )
    assert mon.prediction_col == "prediction" and mon.timestamp_col == "timestamp"
    assert [m.name for m in list_monitors(root=root)] == ["churn"]

    first = refresh_monitor("churn", root=root)
    assert len(first["processed"]) == 3 and first["unchanged"] == 0
    mon = get_monitor("churn", root=root)
    prof = mon.profile_metrics()
    day0_all = prof[(prof.slice_key == ":all") & (prof.window_start == DAY0)]
    assert set(day0_all.column_name) == {"age", "monthly", "contract", "prediction"}
    assert int(day0_all.set_index("column_name").loc["age", "count"]) == 903  # 900 + batch of 3
    assert set(prof.slice_key) == {":all", "contract", "age > 50"}

    drift = mon.drift_metrics()
    base = drift[(drift.drift_type == "baseline") & (drift.slice_key == ":all")]
    flagged = base[base.drift].groupby("window_start").column_name.apply(set).to_dict()
    assert flagged == {DAY0 + pd.Timedelta(days=2): {"monthly"}}
    cons = drift[(drift.drift_type == "consecutive") & (drift.slice_key == ":all")]
    assert set(cons.window_start) == {DAY0 + pd.Timedelta(days=1), DAY0 + pd.Timedelta(days=2)}
    assert set(cons[cons.drift].column_name) == {"monthly"}

    quality = mon.quality_metrics()
    assert (quality["count"] == 0).all()  # no labels yet
    html = Path(mon.report_path((DAY0 + pd.Timedelta(days=2)).isoformat())).read_text()
    assert "drift detected" in html and "monthly" in html and "<svg" in html
    with pytest.raises(ResourceDoesNotExist, match="no drift report"):
        mon.report_path("1999-01-01T00:00:00+00:00")

    # labels for the first two days arrive
    ids = [rid for rid, _ in truth.items()][:1800]
    assert log_labels("churn", ids, [truth[i][0] for i in ids], root=root) == 1800
    second = refresh_monitor("churn", root=root)
    assert sorted(second["processed"]) == [
        f"1 day|{(DAY0 + pd.Timedelta(days=d)).isoformat()}" for d in (0, 1)
    ]
    assert second["unchanged"] == 1
    quality = get_monitor("churn", root=root).quality_metrics()
    day0 = quality[(quality.window_start == DAY0) & (quality.slice_key == ":all")]
    by_version = day0.set_index("model_version")
    assert set(by_version.index) == {":all", "1", "2"}
    for version in ("1", "2"):
        day_ids = [i for i in ids[:900] if truth[i][2] == version]
        acc = np.mean([truth[i][0] == truth[i][1] for i in day_ids])
        assert by_version.loc[version, "accuracy"] == pytest.approx(acc)
        assert by_version.loc[version, "count"] == len(day_ids)
    assert 0.7 < by_version.loc[":all", "accuracy"] < 0.9
    assert 0 < by_version.loc[":all", "f1"] <= 1

    # new traffic: only the new window is processed
    rows, _ = _serving_rows(3, 300, rng)
    _append(table, rows)
    third = refresh_monitor("churn", root=root)
    assert third["processed"] == [f"1 day|{(DAY0 + pd.Timedelta(days=3)).isoformat()}"]
    assert third["unchanged"] == 3

    with pytest.raises(InvalidParameterValue, match="2 of 3 request ids are not in"):
        log_labels("churn", [ids[0], "nope-1", "nope-2"], [1, 0, 1], root=root)
    with pytest.raises(InvalidParameterValue, match="differ in length"):
        log_labels("churn", ids[:2], [1], root=root)
    with pytest.raises(ResourceAlreadyExists):
        create_monitor("churn", table=table, root=root, prediction_col="prediction")
    delete_monitor("churn", root=root)
    with pytest.raises(ResourceDoesNotExist):
        get_monitor("churn", root=root)


def _time_series(path: str, ts) -> None:
    rng = np.random.default_rng(1)
    n = len(ts)
    pd.DataFrame({"ts": ts, "x": rng.normal(size=n), "g": rng.choice(["a", "b"], n)}).to_parquet(
        path
    )


def test_time_series_monitor_on_parquet(tmp_path, root):
    path = str(tmp_path / "metrics.parquet")
    ts = pd.date_range("2026-01-01", periods=48 * 4, freq="30min", tz="UTC")
    _time_series(path, ts)
    create_monitor(
        "ts",
        table=path,
        profile="time_series",
        timestamp_col="ts",
        granularities=["1 day", "12 hours"],
        root=root,
    )
    res = refresh_monitor("ts", root=root)
    assert len(res["processed"]) == 4 + 8
    prof = get_monitor("ts", root=root).profile_metrics()
    daily = prof[(prof.granularity == "1 day") & (prof.column_name == "x")]
    assert list(daily["count"]) == [48, 48, 48, 48]
    assert refresh_monitor("ts", root=root) == {"processed": [], "unchanged": 12}


def test_snapshot_monitor(tmp_path, root):
    path = str(tmp_path / "snap.parquet")
    pd.DataFrame({"x": np.arange(500.0), "g": ["a", "b"] * 250}).to_parquet(path)
    create_monitor("snap", table=path, profile="snapshot", root=root)
    assert refresh_monitor("snap", root=root)["processed"] == ["snapshot|all"]
    assert refresh_monitor("snap", root=root)["processed"] == []
    pd.DataFrame({"x": np.arange(500.0) + 400, "g": ["a", "b"] * 250}).to_parquet(path)
    os.utime(path, (1e10, 1e10))
    assert refresh_monitor("snap", root=root)["processed"] == ["snapshot|all"]
    drift = get_monitor("snap", root=root).drift_metrics()
    assert set(drift[drift.drift].column_name) == {"x"}  # against the previous snapshot


def test_timestamp_with_mixed_types_is_an_error(tmp_path, root):
    path = str(tmp_path / "mixed.parquet")
    pd.DataFrame(
        {"ts": ["2026-01-01", "yesterday", "2026-01-02"], "x": [1.0, 2.0, 3.0]}
    ).to_parquet(path)
    create_monitor("m", table=path, profile="time_series", timestamp_col="ts", root=root)
    with pytest.raises(InvalidParameterValue, match="'ts' has values that are not timestamps"):
        refresh_monitor("m", root=root)
    path2 = str(tmp_path / "ints.parquet")
    pd.DataFrame({"ts": [1, 2, 3], "x": [1.0, 2.0, 3.0]}).to_parquet(path2)
    create_monitor("m2", table=path2, profile="time_series", timestamp_col="ts", root=root)
    with pytest.raises(InvalidParameterValue, match="'ts' holds int64 values"):
        refresh_monitor("m2", root=root)


def test_a_failing_window_leaves_no_partial_metrics(tmp_path, root):
    path = str(tmp_path / "t.parquet")
    ts = list(pd.date_range("2026-01-01", periods=20, freq="h", tz="UTC")) + list(
        pd.date_range("2026-01-02", periods=20, freq="h", tz="UTC")
    )
    x = [f"{v:.2f}" for v in np.linspace(0, 1, 20)] + ["oops"] * 20  # day 2 is not numbers
    pd.DataFrame({"ts": ts, "x": x}).to_parquet(path)
    base = profile(pd.DataFrame({"x": np.linspace(0, 1, 200)}))
    create_monitor(
        "fail", table=path, profile="time_series", timestamp_col="ts", baseline=base, root=root
    )
    with pytest.raises(InvalidParameterValue, match="Column 'x'"):
        refresh_monitor("fail", root=root)
    mon = get_monitor("fail", root=root)
    assert list(mon.windows) == ["1 day|2026-01-01T00:00:00+00:00"]
    entries = os.listdir(os.path.join(mon.directory, "windows", "1_day"))
    assert entries == ["2026-01-01T00_00_00_00_00"]  # no temporary or partial directory
    assert len(mon.profile_metrics()) == 1


def test_bad_definitions(tmp_path, root):
    path = str(tmp_path / "t.parquet")
    _time_series(path, pd.date_range("2026-01-01", periods=10, freq="h", tz="UTC"))
    with pytest.raises(InvalidParameterValue, match="granularity"):
        create_monitor(
            "b",
            table=path,
            profile="time_series",
            timestamp_col="ts",
            granularities=["fortnightly"],
            root=root,
        )
    with pytest.raises(InvalidParameterValue, match="profile must be one of"):
        create_monitor("b", table=path, profile="stream", root=root)
    with pytest.raises(InvalidParameterValue, match="'nope' is not in table"):
        create_monitor("b", table=path, profile="time_series", timestamp_col="nope", root=root)
    with pytest.raises(InvalidParameterValue, match="needs prediction_col"):
        create_monitor("b", table=path, profile="inference", timestamp_col="ts", root=root)
    with pytest.raises(InvalidParameterValue, match="Invalid monitor name"):
        create_monitor("../x", table=path, root=root)
    with pytest.raises(ResourceDoesNotExist, match="does not exist"):
        create_monitor("b", table=str(tmp_path / "none"), root=root)


def test_naive_timestamps_weeks_and_months(tmp_path, root):
    path = str(tmp_path / "naive.parquet")
    ts = pd.date_range("2026-01-01", "2026-03-31 23:00", freq="6h")  # no time zone: UTC
    pd.DataFrame({"ts": ts, "x": np.arange(len(ts), dtype=float)}).to_parquet(path)
    create_monitor(
        "cal",
        table=path,
        profile="time_series",
        timestamp_col="ts",
        granularities=["1 week", "1 month"],
        root=root,
    )
    refresh_monitor("cal", root=root)
    prof = get_monitor("cal", root=root).profile_metrics()
    months = prof[prof.granularity == "1 month"]
    assert [str(t)[:10] for t in months.window_start] == ["2026-01-01", "2026-02-01", "2026-03-01"]
    assert list(months["count"]) == [31 * 4, 28 * 4, 31 * 4]
    weeks = prof[prof.granularity == "1 week"]
    assert all(pd.Timestamp(t).weekday() == 0 for t in weeks.window_start)  # Mondays
    assert int(weeks["count"].sum()) == len(ts)


def test_one_refresh_at_a_time(tmp_path, root):
    import fcntl

    from modelyard.errors import InvalidState

    path = str(tmp_path / "t.parquet")
    _time_series(path, pd.date_range("2026-01-01", periods=10, freq="h", tz="UTC"))
    mon = create_monitor("lock", table=path, profile="time_series", timestamp_col="ts", root=root)
    with open(os.path.join(mon.directory, ".refresh.lock"), "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # another refresh is running
        with pytest.raises(InvalidState, match="being refreshed by another process"):
            refresh_monitor("lock", root=root)
    assert len(refresh_monitor("lock", root=root)["processed"]) == 1
