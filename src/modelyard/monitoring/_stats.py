"""The statistics behind drift: a binned two-sample KS test and Wasserstein distance against a
quantile sketch, a chi-square test of homogeneity, a two-proportion test for missing values, and
the multiple-testing corrections. Vectorised numpy; scipy is used only for the two survival
functions (Kolmogorov and chi-square)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = [
    "CORRECTIONS",
    "NumericComparison",
    "NumericSummary",
    "adjust",
    "chi2_homogeneity",
    "compare_numeric",
    "compare_summary",
    "finite_sorted",
    "proportion_test",
    "summarise_sorted",
]

CORRECTIONS = ("holm", "bh", "bonferroni", "none")


@dataclass
class NumericComparison:
    ks: float  # max |F_ref - F_cur| over the sketch's edges
    p_value: float
    wasserstein: float  # in the column's units
    cur_count: int
    cur_cum: Any  # current counts at or below each edge (numpy int64)
    cur_below: int  # current values below the first edge
    cur_above: int  # current values above the last edge
    cur_min: float
    cur_max: float


def _kolmogorov_sf(lam: float) -> float:
    from scipy.special import kolmogorov

    return float(min(1.0, max(0.0, kolmogorov(lam))))


def finite_sorted(values: Any) -> tuple[Any, int]:
    """The finite values of ``values`` sorted (a view into one sorted copy), and how many
    values were missing (NaN) or infinite."""
    import numpy as np

    s = np.sort(values)
    lo = int(np.searchsorted(s, -np.inf, side="right"))
    hi = int(np.searchsorted(s, np.inf, side="left"))
    return s[lo:hi], int(values.size - (hi - lo))


@dataclass
class NumericSummary:
    """What the drift tests need of a current numeric column, against one reference sketch:
    the finite values' count, the counts at or below each edge, the count and sum of the
    values below the first edge and above the last, and the extremes. Computed from sorted
    values here, or by aggregations where the rows live elsewhere (Spark)."""

    count: int
    cum: Any  # counts at or below each edge (numpy int64)
    below: int
    below_sum: float
    above: int
    above_sum: float
    min: float
    max: float


def summarise_sorted(values: Any, edges: Any) -> NumericSummary | None:
    """The :class:`NumericSummary` of sorted finite ``values`` against ``edges``."""
    import numpy as np

    n = int(values.size)
    if n == 0 or len(edges) == 0:
        return None
    e = np.asarray(edges, dtype=np.float64)
    cum = np.searchsorted(values, e, side="right")
    below = int(np.searchsorted(values, e[0], side="left"))
    above_from = int(cum[-1])
    return NumericSummary(
        count=n,
        cum=cum,
        below=below,
        below_sum=float(values[:below].sum()),
        above=n - above_from,
        above_sum=float(values[above_from:].sum()),
        min=float(values[0]),
        max=float(values[-1]),
    )


def compare_summary(
    edges: Any, ref_cum: Any, ref_count: int, cur: NumericSummary | None
) -> NumericComparison | None:
    """Compare a current column's summary with the reference sketch.

    Both empirical CDFs are evaluated exactly at every edge (the reference's quantiles): the
    reference's from its stored counts, the current's from its counts at the same edges. The KS
    statistic is the largest gap at those points; between edges it is not looked at, which can
    only lower it, by at most the reference mass of one quantile bin.
    """
    import numpy as np

    if cur is None or ref_count == 0 or len(edges) == 0:
        return None
    n = cur.count
    e = np.asarray(edges, dtype=np.float64)
    rc = np.asarray(ref_cum, dtype=np.float64)
    fr = rc / ref_count
    fc = np.asarray(cur.cum, dtype=np.float64) / n
    d = np.abs(fr - fc)
    ks = float(d.max())
    ne = ref_count * n / (ref_count + n)
    sq = math.sqrt(ne)
    p = _kolmogorov_sf((sq + 0.12 + 0.11 / sq) * ks) if ks > 0 else 1.0
    # Wasserstein-1 = integral of |F_ref - F_cur|: trapezoids between edges, exact tails.
    inner = float(np.sum(0.5 * (d[:-1] + d[1:]) * np.diff(e))) if e.size > 1 else 0.0
    tail_lo = (cur.below * e[0] - cur.below_sum) / n if cur.below else 0.0
    tail_hi = (cur.above_sum - cur.above * e[-1]) / n
    return NumericComparison(
        ks=ks,
        p_value=p,
        wasserstein=inner + tail_lo + tail_hi,
        cur_count=n,
        cur_cum=cur.cum,
        cur_below=cur.below,
        cur_above=cur.above,
        cur_min=cur.min,
        cur_max=cur.max,
    )


def compare_numeric(
    edges: Any, ref_cum: Any, ref_count: int, values: Any
) -> NumericComparison | None:
    """Compare the sorted finite current ``values`` with the reference sketch
    (:func:`compare_summary` of :func:`summarise_sorted`)."""
    return compare_summary(edges, ref_cum, ref_count, summarise_sorted(values, edges))


def chi2_homogeneity(ref_counts: Any, cur_counts: Any) -> tuple[float, float, int]:
    """Chi-square test that two count vectors over the same bins come from one distribution.

    Bins empty on both sides are dropped. Returns ``(statistic, p_value, degrees_of_freedom)``.
    """
    import numpy as np
    from scipy.special import chdtrc

    r = np.asarray(ref_counts, dtype=np.float64)
    c = np.asarray(cur_counts, dtype=np.float64)
    keep = (r + c) > 0
    r, c = r[keep], c[keep]
    nr, nc = r.sum(), c.sum()
    dof = int(r.size - 1)
    if dof < 1 or nr == 0 or nc == 0:
        return 0.0, 1.0, max(dof, 0)
    tot = r + c
    er = tot * (nr / (nr + nc))
    ec = tot * (nc / (nr + nc))
    stat = float(np.sum((r - er) ** 2 / er) + np.sum((c - ec) ** 2 / ec))
    return stat, float(chdtrc(dof, stat)), dof


def proportion_test(k1: int, n1: int, k2: int, n2: int) -> tuple[float, float]:
    """Two-sided test that two proportions ``k1/n1`` and ``k2/n2`` are equal (chi-square, 1 dof)."""
    stat, p, _ = chi2_homogeneity([k1, n1 - k1], [k2, n2 - k2])
    return stat, p


def adjust(p_values: list[float], method: str) -> list[float]:
    """Adjusted p-values for a family of tests (Holm, Benjamini-Hochberg, Bonferroni, none)."""
    m = len(p_values)
    if m == 0 or method == "none":
        return list(p_values)
    if method == "bonferroni":
        return [min(1.0, p * m) for p in p_values]
    order = sorted(range(m), key=lambda i: p_values[i])
    out = [1.0] * m
    if method == "holm":
        running = 0.0
        for rank, i in enumerate(order):
            running = max(running, min(1.0, (m - rank) * p_values[i]))
            out[i] = running
        return out
    if method == "bh":
        running = 1.0
        for rank in range(m - 1, -1, -1):
            i = order[rank]
            running = min(running, p_values[i] * m / (rank + 1))
            out[i] = min(1.0, running)
        return out
    raise ValueError(method)
