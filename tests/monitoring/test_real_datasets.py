"""Drift on real public datasets that ship inside installed packages (scikit-learn and
statsmodels; nothing is downloaded): random halves do not drift, real and injected shifts do."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.datasets as smd
from sklearn import datasets as skd

from modelyard.monitoring import detect_drift


def _sk(loader) -> pd.DataFrame:
    bunch = loader(as_frame=True)
    return bunch.frame


DATASETS = {
    "breast_cancer": lambda: _sk(skd.load_breast_cancer),
    "wine": lambda: _sk(skd.load_wine),
    "diabetes": lambda: _sk(skd.load_diabetes),
    "digits": lambda: _sk(skd.load_digits),
    "randhie": lambda: smd.randhie.load_pandas().data,
    "fair": lambda: smd.fair.load_pandas().data,
    "star98": lambda: smd.star98.load_pandas().data,
    "anes96": lambda: smd.anes96.load_pandas().data,
}


def _halves(df: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    idx = np.random.default_rng(seed).permutation(len(df))
    cut = len(df) // 2
    return df.iloc[idx[:cut]].reset_index(drop=True), df.iloc[idx[cut:]].reset_index(drop=True)


def test_random_halves_do_not_drift():
    alarms = checks = 0
    for name, load in DATASETS.items():
        df = load()
        for seed in range(5):
            ref, cur = _halves(df, seed)
            report = detect_drift(ref, cur)
            alarms += len(report.drifted_columns)
            checks += len(report)
            assert len(report) == df.shape[1], name
    assert checks > 800
    assert alarms / checks <= 0.01, f"{alarms} false alarms in {checks} column checks"


@pytest.mark.parametrize("name", ["breast_cancer", "randhie", "anes96", "star98", "wine"])
def test_injected_shift_and_missing_spike_are_caught(name):
    df = DATASETS[name]()
    ref, cur = _halves(df, 0)
    report0 = detect_drift(ref, cur)
    numerical = [c.column for c in report0 if c.kind == "numerical"]
    shifted, holed = numerical[0], numerical[1]
    cur[shifted] = cur[shifted] + 0.5 * float(ref[shifted].std())
    cur.loc[np.random.default_rng(1).random(len(cur)) < 0.2, holed] = np.nan
    report = detect_drift(ref, cur)
    assert set(report.drifted_columns) == {shifted, holed}, report.to_frame()


def test_selection_by_target_is_target_and_feature_drift():
    # Breast cancer: current traffic is mostly malignant cases (target 0).
    df = DATASETS["breast_cancer"]()
    ref, rest = _halves(df, 3)
    malignant = rest[rest["target"] == 0]
    benign = rest[rest["target"] == 1].iloc[:30]
    cur = pd.concat([malignant, benign], ignore_index=True)
    report = detect_drift(ref, cur, target_column="target")
    assert report.target_drift and report.dataset_drift
    assert "mean radius" in report.drifted_columns
    assert report.target.kind == "categorical"


def test_natural_shift_between_groups():
    # fair: reference is younger women, current older ones; age and years married drift.
    df = DATASETS["fair"]()
    ref = df[df["age"] < 32].reset_index(drop=True)
    cur = df[df["age"] >= 32].reset_index(drop=True)
    report = detect_drift(ref, cur)
    assert {"age", "yrs_married", "children"} <= set(report.drifted_columns)
    assert report["age"].unseen_categories  # ages never seen in the reference
