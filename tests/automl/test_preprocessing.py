"""The featurizer on the shapes that broke it: integer regression targets and rare categories."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from modelyard.automl.preprocessing import AutoFeaturizer, detect_column_types


def _frame(n: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "zip": rng.choice([f"z{i}" for i in range(150)], n),  # most categories are rare
            "sqft": rng.integers(500, 4000, n),
        }
    )


@pytest.mark.parametrize("problem_type", ["regression", None])
def test_integer_regression_target_is_not_stratified(problem_type):
    X = _frame()
    y = (100_000 + 50 * X["sqft"] + np.arange(len(X))).to_numpy()  # distinct integer prices
    plan = detect_column_types(X)
    assert plan.categorical_high == ["zip"]
    f = AutoFeaturizer(plan, problem_type=problem_type)
    out = f.fit_transform(X, y)
    # sqft, and a target-encoded and a frequency column for zip
    assert out.shape == (len(X), 3)
    assert np.isfinite(out).all()
    np.testing.assert_allclose(f.transform(X.head(5)), f.transform(X).copy()[:5])


def test_classification_with_a_rare_class_uses_plain_folds():
    X = _frame()
    y = np.array([0] * 150 + [1] * 147 + [2] * 3)  # class 2 cannot fill 5 stratified folds
    f = AutoFeaturizer(detect_column_types(X), problem_type="classification")
    out = f.fit_transform(X, y)
    # three classes: one target-encoded column per class for zip
    assert out.shape[0] == len(X) and out.shape[1] == 3 + 1 + 1
