"""Drift scenarios of the issue on generated data: reference 50,000 rows, current 10,000 rows,
20 numerical + 5 categorical columns + a binary target. Each scenario must be caught with no
false alarm, and no-drift data must stay under 1 % false alarms per column over many seeds."""

from __future__ import annotations

import numpy as np
import pytest
from tests.monitoring._data import TARGET, make_frame, move_mass

from modelyard.monitoring import detect_drift, profile

N_REF, N_CUR = 50_000, 10_000


@pytest.fixture(scope="module")
def reference():
    return make_frame(N_REF, seed=1)


@pytest.fixture(scope="module")
def ref_profile(reference):
    return profile(reference, target_column=TARGET)


def _check(report, drifted: set[str]) -> None:
    flagged = set(report.drifted_columns)
    assert flagged == drifted, report.to_frame()[["column", "drift", "p_value", "effect_size"]]


def test_no_drift_false_alarms_below_one_percent_per_column(ref_profile):
    alarms = checks = 0
    for seed in range(100, 116):
        report = detect_drift(ref_profile, make_frame(N_CUR, seed), target_column=TARGET)
        alarms += len(report.drifted_columns)
        checks += len(report)
        assert len(report) == 26
    assert alarms / checks <= 0.01, f"{alarms} false alarms in {checks} column checks"


@pytest.mark.parametrize("sigma", [0.1, 0.25, 0.5])
def test_mean_shift_is_caught(ref_profile, sigma):
    cur = make_frame(N_CUR, 200)
    cols = ["x00", "x01", "x02", "x03", "x04"]
    for c in cols:
        cur[c] = cur[c] + sigma * float(cur[c].std())
    report = detect_drift(ref_profile, cur, target_column=TARGET)
    _check(report, set(cols))
    assert report.dataset_drift and not report.target_drift
    for c in cols:
        assert report[c].method == "ks"
        assert report[c].effect_size == pytest.approx(sigma, rel=0.45)


def test_variance_change_is_caught(ref_profile):
    cur = make_frame(N_CUR, 201)
    cols = ["x00", "x05", "x10"]
    for c in cols:
        m = float(cur[c].mean())
        cur[c] = m + (cur[c] - m) * np.sqrt(1.5)
    _check(detect_drift(ref_profile, cur, target_column=TARGET), set(cols))


def test_categorical_proportion_change_is_caught(ref_profile):
    rng = np.random.default_rng(5)
    cur = make_frame(N_CUR, 202)
    cur["c1"] = move_mass("c1", 5, N_CUR, 0.08, rng)
    cur["c3"] = move_mass("c3", 12, N_CUR, 0.10, rng)
    report = detect_drift(ref_profile, cur, target_column=TARGET)
    _check(report, {"c1", "c3"})
    assert report["c1"].effect_name == "total_variation"
    assert report["c1"].effect_size == pytest.approx(0.08, abs=0.02)


def test_missing_value_spike_is_caught(ref_profile):
    rng = np.random.default_rng(6)
    cur = make_frame(N_CUR, 203)
    for c in ("x06", "x07"):
        cur.loc[rng.random(N_CUR) < 0.2, c] = np.nan
    cur.loc[rng.random(N_CUR) < 0.2, "c0"] = None
    report = detect_drift(ref_profile, cur, target_column=TARGET)
    _check(report, {"x06", "x07", "c0"})
    x06 = report["x06"]
    assert x06.missing_share_reference == 0.0
    assert x06.missing_share_current == pytest.approx(0.2, abs=0.02)
    assert any("missing share" in r for r in x06.reasons)
    assert any("missing share" in r for r in report["c0"].reasons)


def test_new_category_is_caught(ref_profile):
    rng = np.random.default_rng(7)
    cur = make_frame(N_CUR, 204)
    cur.loc[rng.random(N_CUR) < 0.05, "c2"] = "c2_NEW"
    report = detect_drift(ref_profile, cur, target_column=TARGET)
    _check(report, {"c2"})
    assert report["c2"].unseen_categories == ["c2_NEW"]
    assert report["c2"].unseen_share == pytest.approx(0.05, abs=0.01)


def test_target_only_change(ref_profile):
    report = detect_drift(
        ref_profile, make_frame(N_CUR, 205, target_rate=0.36), target_column=TARGET
    )
    _check(report, {TARGET})
    assert report.target_drift and not report.dataset_drift
    assert report.target.is_target and report.target.kind == "categorical"


def test_huge_samples_do_not_raise_an_alarm_storm():
    # 200,000 vs 200,000 rows: a 0.02 sigma shift and a 0.5 point share change are
    # "significant" for the tests but below the effect floors.
    ref = make_frame(200_000, 11)
    cur = make_frame(200_000, 12)
    for c in ("x00", "x03", "x05"):
        cur[c] = cur[c] + 0.02 * float(cur[c].std())
    p = np.array([0.5, 0.3, 0.2])
    rng = np.random.default_rng(3)
    ref["c0"] = np.array(["a", "b", "c"], dtype=object)[rng.choice(3, 200_000, p=p)]
    cur["c0"] = np.array(["a", "b", "c"], dtype=object)[
        rng.choice(3, 200_000, p=p + [0.0075, -0.0075, 0.0])
    ]
    report = detect_drift(ref, cur, target_column=TARGET)
    assert report["x00"].p_value < 1e-4  # the test alone would alarm
    assert report["c0"].p_value < 1e-4
    assert report.drifted_columns == []
    loose = detect_drift(
        ref, cur, target_column=TARGET, numerical_threshold=0.0, categorical_threshold=0.0
    )
    assert {"x00", "c0"} <= set(loose.drifted_columns)


def test_correction_keeps_the_seed_rule_available(ref_profile):
    # correction="none" at alpha=0.05 is the per-column p < 0.05 rule: more alarms.
    strict = loose = 0
    for seed in range(300, 306):
        cur = make_frame(N_CUR, seed)
        strict += len(detect_drift(ref_profile, cur, target_column=TARGET).drifted_columns)
        loose += len(
            detect_drift(
                ref_profile,
                cur,
                target_column=TARGET,
                correction="none",
                numerical_threshold=0.0,
                categorical_threshold=0.0,
                missing_threshold=0.0,
            ).drifted_columns
        )
    assert strict <= loose
    assert loose >= 1  # ~5 % of 156 checks


def test_profile_and_raw_reference_give_the_same_report(reference, ref_profile):
    cur = make_frame(N_CUR, 206)
    cur["x01"] = cur["x01"] * 1.1
    a = detect_drift(reference, cur, target_column=TARGET).to_dict()
    b = detect_drift(ref_profile, cur, target_column=TARGET).to_dict()
    assert a == b
    assert a["drifted_columns"] == ["x01"]


def test_pyarrow_tables_give_the_same_report(reference):
    import pyarrow as pa

    cur = make_frame(N_CUR, 207)
    cur.loc[cur.index[:2500], "x06"] = np.nan
    cur.loc[cur.index[:300], "c2"] = "c2_NEW"
    a = detect_drift(reference, cur, target_column=TARGET).to_dict()
    b = detect_drift(
        pa.Table.from_pandas(reference), pa.Table.from_pandas(cur), target_column=TARGET
    ).to_dict()
    assert a["columns"] == b["columns"]
    assert set(a["drifted_columns"]) == {"x06", "c2"}
