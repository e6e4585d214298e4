"""The statistics against scipy's reference implementations."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from modelyard.monitoring._stats import adjust, chi2_homogeneity, compare_numeric, finite_sorted
from modelyard.monitoring.profiles import _numeric_profile


@pytest.mark.parametrize("shift", [0.0, 0.05, 0.1, 0.3])
def test_binned_ks_and_wasserstein_match_exact_values(shift):
    rng = np.random.default_rng(0)
    ref = rng.lognormal(0, 0.7, 50_000)
    cur = rng.lognormal(0, 0.7, 10_000) + shift
    prof = _numeric_profile("x", "float64", ref, 512)
    values, missing = finite_sorted(cur)
    assert missing == 0
    cmp = compare_numeric(prof.edges, prof.cum_counts, prof.count, values)
    exact = stats.ks_2samp(ref, cur)
    # evaluated at the reference quantiles only: never above the exact statistic, and at most
    # one quantile bin (1/512 of the reference) below it
    assert cmp.ks <= exact.statistic + 1e-12
    assert cmp.ks >= exact.statistic - 1.0 / 512 - 1e-3
    assert cmp.wasserstein == pytest.approx(
        stats.wasserstein_distance(ref, cur), rel=0.03, abs=2e-3
    )
    if shift >= 0.05:
        assert cmp.p_value == pytest.approx(exact.pvalue, rel=1.0, abs=1e-6)


def test_finite_sorted_drops_nan_and_inf():
    values, missing = finite_sorted(np.array([3.0, np.nan, -np.inf, 1.0, np.inf, 2.0]))
    assert values.tolist() == [1.0, 2.0, 3.0] and missing == 3


def test_chi2_matches_scipy():
    r, c = [500, 300, 200, 0], [90, 70, 30, 10]
    stat, p, dof = chi2_homogeneity(r, c)
    ref = stats.chi2_contingency(np.array([r, c]), correction=False)
    assert stat == pytest.approx(ref.statistic) and p == pytest.approx(ref.pvalue)
    assert dof == 3
    assert chi2_homogeneity([5], [7]) == (0.0, 1.0, 0)


def test_corrections_match_statsmodels():
    from statsmodels.stats.multitest import multipletests

    p = [0.01, 0.04, 0.03, 0.2, 0.0001, 0.5]
    for ours, theirs in (("holm", "holm"), ("bh", "fdr_bh"), ("bonferroni", "bonferroni")):
        assert adjust(p, ours) == pytest.approx(list(multipletests(p, method=theirs)[1]))
    assert adjust(p, "none") == p
