"""The significance tests against values computed by hand or by scipy directly."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from modelyard.errors import InvalidParameterValue
from modelyard.mlops.ab.stats import holm, paired_test, two_sample_test


def test_two_proportion_ztest_by_hand():
    a = [1] * 80 + [0] * 20  # 0.80
    b = [1] * 90 + [0] * 10  # 0.90
    z, p = two_sample_test("ztest", a, b)
    pooled = 170 / 200
    want_z = (0.9 - 0.8) / math.sqrt(pooled * (1 - pooled) * (2 / 100))
    assert z == pytest.approx(want_z)
    assert p == pytest.approx(2 * sps.norm.sf(want_z))
    assert two_sample_test("ztest", [1] * 50, [1] * 60) == (0.0, 1.0)  # no variance


def test_chi2_matches_scipy_with_yates():
    a = [1] * 30 + [0] * 70
    b = [1] * 45 + [0] * 55
    stat, p = two_sample_test("chi2", a, b)
    want = sps.chi2_contingency([[30, 70], [45, 55]], correction=True)
    assert (stat, p) == pytest.approx((want.statistic, want.pvalue))


def test_continuous_tests_match_scipy():
    rng = np.random.default_rng(0)
    a, b = rng.normal(10, 2, 300), rng.normal(10.5, 3, 250)
    t, p = two_sample_test("welch", a, b)
    want = sps.ttest_ind(b, a, equal_var=False)
    assert (t, p) == pytest.approx((want.statistic, want.pvalue))
    u, p = two_sample_test("mannwhitney", a, b)
    want = sps.mannwhitneyu(b, a, alternative="two-sided")
    assert (u, p) == pytest.approx((want.statistic, want.pvalue))
    assert two_sample_test("welch", [3.0] * 10, [3.0] * 10) == (0.0, 1.0)


def test_paired_tests():
    # McNemar exact: 3 pairs only the control right, 15 only the challenger right
    a = [1] * 3 + [0] * 15 + [1] * 50
    b = [0] * 3 + [1] * 15 + [1] * 50
    stat, p = paired_test("ztest", a, b)
    assert stat == 12.0
    assert p == pytest.approx(sps.binomtest(15, 18).pvalue)
    assert paired_test("chi2", [1, 0, 1], [1, 0, 1]) == (0.0, 1.0)
    rng = np.random.default_rng(1)
    x = rng.normal(5, 1, 200)
    y = x + rng.normal(0.2, 0.5, 200)
    t, p = paired_test("welch", x, y)
    want = sps.ttest_rel(y, x)
    assert (t, p) == pytest.approx((want.statistic, want.pvalue))
    w, p = paired_test("mannwhitney", x, y)
    want = sps.wilcoxon(y - x)
    assert (w, p) == pytest.approx((want.statistic, want.pvalue))
    steps = np.arange(20.0)
    assert paired_test("welch", steps, steps + 1.0) == (math.inf, 0.0)  # a constant shift


def test_holm():
    assert holm([0.01, 0.04, None, 0.03]) == pytest.approx([0.03, 0.06, None, 0.06])
    assert holm([]) == []
    assert holm([0.5]) == [0.5]


def test_unknown_test():
    with pytest.raises(InvalidParameterValue, match="anova"):
        two_sample_test("anova", [1.0, 2.0], [3.0, 4.0])
    with pytest.raises(InvalidParameterValue, match="anova"):
        paired_test("anova", [1.0, 2.0], [3.0, 4.0])
