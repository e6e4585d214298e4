"""Significance tests of the A/B analysis (scipy, imported when a test runs).

Independent samples (two live variants): for rates (0/1 outcomes such as "correct" or
"failed") the two-proportion z-test (``"ztest"``) or the chi-square test of the 2×2 table with
Yates' correction (``"chi2"``); for continuous values (latency, absolute or squared error)
Welch's t-test (``"welch"``) or the Mann–Whitney U test (``"mannwhitney"``).

Paired samples (a shadow variant against another variant on the same request ids): McNemar's
exact test on the discordant pairs for rates, and the paired t-test (``"welch"`` asked) or the
Wilcoxon signed-rank test (``"mannwhitney"`` asked) for continuous values. Every test is
two-sided and returns ``(statistic, p_value)``.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

from modelyard.errors import InvalidParameterValue

__all__ = [
    "RATE_TESTS",
    "VALUE_TESTS",
    "holm",
    "paired_test",
    "two_sample_test",
]

RATE_TESTS = ("ztest", "chi2")
VALUE_TESTS = ("welch", "mannwhitney")


def _two_proportions(a: Any, b: Any) -> tuple[float, float]:
    from scipy.stats import norm

    n1, n2 = len(a), len(b)
    x1, x2 = float(sum(a)), float(sum(b))
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    diff = x2 / n2 - x1 / n1
    if se == 0.0:  # both all 0 or all 1: no evidence of a difference
        return 0.0, 1.0
    z = diff / se
    return z, float(2 * norm.sf(abs(z)))


def _chi2(a: Any, b: Any) -> tuple[float, float]:
    from scipy.stats import chi2_contingency

    x1, x2 = int(sum(a)), int(sum(b))
    table = [[x1, len(a) - x1], [x2, len(b) - x2]]
    if min(x1 + x2, len(a) + len(b) - x1 - x2) == 0:
        return 0.0, 1.0
    res = chi2_contingency(table, correction=True)
    return float(res.statistic), float(res.pvalue)


def _constant_pair(a: Any, b: Any) -> bool:
    import numpy as np

    both = np.concatenate([np.asarray(a, dtype=float), np.asarray(b, dtype=float)])
    return bool(np.all(both == both[0]))


def two_sample_test(test: str, a: Any, b: Any) -> tuple[float, float]:
    """``a``: the control's values, ``b``: the challenger's (0/1 for the rate tests)."""
    with warnings.catch_warnings():  # scipy's precision notes on near-constant samples
        warnings.simplefilter("ignore", RuntimeWarning)
        return _two_sample(test, a, b)


def _two_sample(test: str, a: Any, b: Any) -> tuple[float, float]:
    if test == "ztest":
        return _two_proportions(a, b)
    if test == "chi2":
        return _chi2(a, b)
    if _constant_pair(a, b):
        return 0.0, 1.0
    if test == "welch":
        from scipy.stats import ttest_ind

        res = ttest_ind(b, a, equal_var=False)
        return float(res.statistic), float(res.pvalue)
    if test == "mannwhitney":
        from scipy.stats import mannwhitneyu

        res = mannwhitneyu(b, a, alternative="two-sided")
        return float(res.statistic), float(res.pvalue)
    raise InvalidParameterValue(
        f"Unknown test {test!r}: one of {', '.join(RATE_TESTS + VALUE_TESTS)}."
    )


def paired_test(test: str, a: Any, b: Any) -> tuple[float, float]:
    """``a[i]`` and ``b[i]`` belong to the same request (control, then challenger)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return _paired(test, a, b)


def _paired(test: str, a: Any, b: Any) -> tuple[float, float]:
    import numpy as np

    x = np.asarray(a, dtype=float)
    y = np.asarray(b, dtype=float)
    if test in RATE_TESTS:  # McNemar, exact: discordant pairs are a fair coin under H0
        from scipy.stats import binomtest

        only_b = int(np.sum((y == 1) & (x == 0)))
        only_a = int(np.sum((x == 1) & (y == 0)))
        if only_a + only_b == 0:
            return 0.0, 1.0
        return float(only_b - only_a), float(binomtest(only_b, only_a + only_b).pvalue)
    diff = y - x
    if not np.any(diff):
        return 0.0, 1.0
    if test == "welch":
        from scipy.stats import ttest_rel

        if np.all(diff == diff[0]):  # a constant non-zero shift: certain
            return math.copysign(math.inf, float(diff[0])), 0.0
        res = ttest_rel(y, x)
        return float(res.statistic), float(res.pvalue)
    if test == "mannwhitney":
        from scipy.stats import wilcoxon

        res = wilcoxon(diff[diff != 0])
        return float(res.statistic), float(res.pvalue)
    raise InvalidParameterValue(
        f"Unknown test {test!r}: one of {', '.join(RATE_TESTS + VALUE_TESTS)}."
    )


def holm(p_values: list[float | None]) -> list[float | None]:
    """Holm's step-down adjustment (``None`` entries are skipped and stay ``None``)."""
    present = sorted((p, i) for i, p in enumerate(p_values) if p is not None)
    out: list[float | None] = [None] * len(p_values)
    m = len(present)
    running = 0.0
    for rank, (p, i) in enumerate(present):
        running = max(running, min(1.0, (m - rank) * p))
        out[i] = running
    return out
