"""Monitors on Spark tables (local[2]): the same table monitored through Spark and through the
local path gives the same windows, drift flags, verdicts and metrics; drift injected into known
columns of known windows is found by both."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from modelyard.errors import InvalidParameterValue
from modelyard.monitoring import (
    create_monitor,
    get_monitor,
    log_labels,
    refresh_monitor,
)
from modelyard.monitoring.hooks import add_refresh_listener, remove_refresh_listener

pytestmark = [pytest.mark.spark, pytest.mark.timeout(1200)]

DAY0 = pd.Timestamp("2026-11-02", tz="UTC")  # a Monday
N = 700  # rows a day: more than the 513 quantile edges, so percentile_approx is used
FLOATS = ["mean", "stddev", "min", "max", "p25", "median", "p75", "top_share"]
DRIFT_FLOATS = [
    "statistic",
    "p_value",
    "p_value_adjusted",
    "effect_size",
    "missing_share_reference",
    "missing_share_current",
    "unseen_share",
]
QUALITY_FLOATS = ["count", "accuracy", "precision", "recall", "f1", "roc_auc"]


@pytest.fixture(scope="module")
def spark(spark):  # the local session of tests/conftest.py
    # windows are UTC whatever the session's zone: run in one 5:30 away from it
    spark.conf.set("spark.sql.session.timeZone", "Asia/Kolkata")
    return spark


def _day(day: int, rng: np.random.Generator) -> pd.DataFrame:
    n = N
    monthly = rng.gamma(4.0, 15.0, n)
    contract = rng.choice(["month", "year", "two-year"], n, p=[0.5, 0.3, 0.2])
    age = rng.normal(45, 12, n).round(1)
    if day == 2:  # drift in a numeric column
        monthly = monthly * 1.6
    if day == 3:  # drift in a categorical column, and missing ages
        contract = rng.choice(["month", "year", "two-year"], n, p=[0.15, 0.35, 0.5])
        age[rng.random(n) < 0.2] = np.nan
    logit = -2.0 + 0.03 * (monthly - 60) + (contract == "month") * 1.2
    label = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    score = np.clip(1 / (1 + np.exp(-logit)) + rng.normal(0, 0.1, n), 0.0, 1.0).round(3)
    return pd.DataFrame(
        {
            "timestamp": DAY0
            + pd.to_timedelta(day * 86400 + np.sort(rng.integers(0, 86400, n)), "s"),
            "model_version": np.where(rng.random(n) < 0.7, "1", "2"),
            "age": age,
            "monthly": monthly,
            "contract": contract,
            "tier": rng.integers(1, 4, n),  # few distinct numbers: read as categories
            "score": score,
            "label": label,
        }
    )


@pytest.fixture(scope="module")
def tables(tmp_path_factory, spark):
    rng = np.random.default_rng(7)
    base = pd.concat([_day(0, rng), _day(0, rng)], ignore_index=True)
    frame = pd.concat([_day(d, rng) for d in range(5)], ignore_index=True)
    path = tmp_path_factory.mktemp("spark-mon") / "scored.parquet"
    frame.to_parquet(path)
    sdf = spark.createDataFrame(frame).repartition(3)
    return base.drop(columns=["timestamp", "model_version", "label"]), str(path), sdf


def _monitors(tables, spark, root, **kw):
    base, path, sdf = tables
    common = dict(
        profile="inference",
        timestamp_col="timestamp",
        granularities=["1 day", "1 week"],
        prediction_col="score",
        label_col="label",
        problem_type="classification",
        slicing_exprs=["contract", "age > 50"],
        baseline=base,
        root=str(root),
        **kw,
    )
    local = create_monitor("local", table=path, **common)
    remote = create_monitor("spark", table=sdf, **common)
    return local, remote


def _sorted(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return frame.sort_values(keys).reset_index(drop=True)


def _values(frame: pd.DataFrame, col: str) -> list:
    s = frame[col].astype(object)
    return s.where(s.notna(), None).tolist()


def _assert_close(a: pd.DataFrame, b: pd.DataFrame, cols: list[str], rtol: float) -> None:
    for c in cols:
        x = pd.to_numeric(a[c], errors="coerce").to_numpy(dtype=float)
        y = pd.to_numeric(b[c], errors="coerce").to_numpy(dtype=float)
        np.testing.assert_allclose(x, y, rtol=rtol, atol=1e-12, equal_nan=True, err_msg=c)


def test_spark_and_local_monitors_agree(tables, spark, tmp_path):
    local, remote = _monitors(tables, spark, tmp_path)
    assert remote.engine == "spark" and remote.table == "modelyard_monitor_spark"
    seen: list[tuple[str, int]] = []

    def hook(mon, result):
        seen.append((mon.name, len(result["processed"])))

    add_refresh_listener(hook)
    try:
        r_local = refresh_monitor("local", root=str(tmp_path))
        r_spark = refresh_monitor("spark", root=str(tmp_path), spark=spark)
    finally:
        remove_refresh_listener(hook)
    assert r_spark == r_local
    assert len(r_spark["processed"]) == 5 + 1  # five days, one week (Mon 2 Nov to Sun 8 Nov)
    assert r_spark["processed"][0] == "1 day|2026-11-02T00:00:00+00:00"
    assert seen == [("local", 6), ("spark", 6)]

    loc, spk = get_monitor("local", root=str(tmp_path)), get_monitor("spark", root=str(tmp_path))
    pkeys = ["granularity", "window_start", "slice_key", "slice_value", "column_name"]
    lp, sp = _sorted(loc.profile_metrics(), pkeys), _sorted(spk.profile_metrics(), pkeys)
    assert list(lp.columns) == list(sp.columns)
    assert len(lp) == len(sp) > 0
    for c in [*pkeys, "kind", "count", "num_nulls", "distinct_count", "top_value"]:
        assert _values(lp, c) == _values(sp, c), c
    # quantile edges come from percentile_approx: exact at this size (rows < its accuracy)
    _assert_close(lp, sp, FLOATS, 1e-9)

    dkeys = ["granularity", "window_start", "drift_type", "slice_key", "slice_value", "column_name"]
    ld, sd = _sorted(loc.drift_metrics(), dkeys), _sorted(spk.drift_metrics(), dkeys)
    assert list(ld.columns) == list(sd.columns)
    assert len(ld) == len(sd) > 0
    for c in [*dkeys, "drift", "method", "effect_name", "reasons"]:
        assert _values(ld, c) == _values(sd, c), c
    _assert_close(ld, sd, DRIFT_FLOATS, 1e-7)

    # the injected drift, and only it, on the whole of each daily window against the baseline
    whole = sd[
        (sd.slice_key == ":all") & (sd.drift_type == "baseline") & (sd.granularity == "1 day")
    ]
    flagged = {
        ((pd.Timestamp(r.window_start).tz_convert("UTC") - DAY0).days, r.column_name)
        for r in whole.itertuples()
        if r.drift
    }
    assert (2, "monthly") in flagged
    assert (3, "contract") in flagged and (3, "age") in flagged
    assert not {c for d, c in flagged if d in (0, 1, 4)} - {"score"}

    qkeys = ["granularity", "window_start", "slice_key", "slice_value", "model_version"]
    lq, sq = _sorted(loc.quality_metrics(), qkeys), _sorted(spk.quality_metrics(), qkeys)
    assert list(lq.columns) == list(sq.columns)
    assert len(lq) == len(sq) > 0
    for c in qkeys:
        assert _values(lq, c) == _values(sq, c), c
    _assert_close(lq, sq, QUALITY_FLOATS, 1e-9)
    assert sq["roc_auc"].notna().all() and (sq["roc_auc"] > 0.5).all()

    assert refresh_monitor("spark", root=str(tmp_path)) == {"processed": [], "unchanged": 6}


def test_regression_monitor_on_a_spark_table_name(tables, spark, tmp_path):
    base, path, sdf = tables
    sdf.createOrReplaceTempView("scored_regression")
    common = dict(
        profile="time_series",
        timestamp_col="timestamp",
        granularities=["1 day"],
        prediction_col="score",
        label_col="label",
        problem_type="regression",
        feature_columns=["monthly", "contract"],
        root=str(tmp_path),
    )
    create_monitor("local", table=path, **common)
    create_monitor("spark", table="scored_regression", spark=spark, **common)
    assert refresh_monitor("local", root=str(tmp_path)) == refresh_monitor(
        "spark", root=str(tmp_path)
    )
    loc, spk = get_monitor("local", root=str(tmp_path)), get_monitor("spark", root=str(tmp_path))
    keys = ["window_start", "model_version"]
    lq, sq = _sorted(loc.quality_metrics(), keys), _sorted(spk.quality_metrics(), keys)
    assert lq[keys].values.tolist() == sq[keys].values.tolist()
    _assert_close(lq, sq, ["count", "rmse", "mae", "r2", "mape"], 1e-9)
    dkeys = ["window_start", "column_name"]
    ld, sd = _sorted(loc.drift_metrics(), dkeys), _sorted(spk.drift_metrics(), dkeys)
    assert set(sd.drift_type) == {"consecutive"}  # no baseline: against the day before
    assert ld["drift"].tolist() == sd["drift"].tolist()
    _assert_close(ld, sd, DRIFT_FLOATS, 1e-7)
    day2 = sd[(sd.column_name == "monthly") & sd.window_start.eq(sd.window_start.unique()[2])]
    assert day2["drift"].tolist() == [True]


def test_spark_monitor_bad_input(tables, spark, tmp_path):
    with pytest.raises(InvalidParameterValue, match="timestamp_col"):
        create_monitor(
            "m1", table=tables[2].drop("timestamp"), prediction_col="score", root=str(tmp_path)
        )
    with pytest.raises(Exception, match="does not exist"):
        create_monitor("m2", table="no_such_table", spark=spark, prediction_col="score")
    create_monitor(
        "m3",
        table=tables[2],
        timestamp_col="timestamp",
        prediction_col="score",
        label_col="label",
        problem_type="classification",
        slicing_exprs=["monthly + 1"],
        root=str(tmp_path),
    )
    with pytest.raises(InvalidParameterValue, match="boolean expression"):
        refresh_monitor("m3", root=str(tmp_path), spark=spark)
    with pytest.raises(InvalidParameterValue, match="Spark table"):
        log_labels("m3", ["a"], [1], root=str(tmp_path))
