"""``detect_drift``: compare a current table with a reference table (or its profile).

The decision rule (documented in docs/monitoring.md):

1. Every column gets its tests. A numerical column: a two-sample KS test on the finite values
   against the reference's quantile sketch, and, when either side has missing values, a
   two-proportion test on the missing share. A categorical column: one chi-square test over the
   reference's categories plus a "missing" bin and an "unseen" bin (rare reference categories
   pooled so that no expected count is tiny).
2. All tests of all columns form one family; their p-values are corrected together (Holm by
   default, which keeps the chance of any false alarm in the report at ``alpha``).
3. A test that is significant after correction raises a drift only when its effect is also large
   enough to matter: normalised Wasserstein distance (distance / reference std) at least
   ``numerical_threshold`` for values, a change of missing share of at least
   ``missing_threshold``, total variation at least ``categorical_threshold`` for categories.
   This floor is what keeps a million-row window from flagging irrelevant differences.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from modelyard.errors import InvalidParameterValue
from modelyard.monitoring._columns import (
    CATEGORICAL,
    NUMERICAL,
    ColumnSource,
    NotNumeric,
    as_table,
)
from modelyard.monitoring._stats import (
    CORRECTIONS,
    adjust,
    chi2_homogeneity,
    compare_summary,
    proportion_test,
)
from modelyard.monitoring.profiles import (
    DEFAULT_CATEGORICAL_MAX_UNIQUE,
    DEFAULT_MAX_CATEGORIES,
    DEFAULT_QUANTILES,
    ColumnProfile,
    Profile,
    profile,
)
from modelyard.monitoring.report import ColumnDrift, DriftReport

__all__ = ["detect_drift"]

_PLOT_BINS = 20
_PLOT_CATEGORIES = 10
_MIN_EXPECTED = 5.0
MISSING = "(missing)"
UNSEEN = "(unseen)"
OTHER = "(other)"


@dataclass
class _Test:
    column: str
    component: str  # "values" | "missing"
    p_value: float
    effect: float
    threshold: float
    reason: str
    adjusted: float = 1.0


@dataclass
class _Pending:
    result: ColumnDrift
    tests: list[_Test] = field(default_factory=list)


def _share(k: int, n: int) -> float:
    return k / n if n else 0.0


def _numeric_plot(prof: ColumnProfile, cmp: Any) -> dict[str, Any]:
    """Shares per bin between about 20 reference quantiles (the outer bins are open-ended)."""
    import numpy as np

    e = np.asarray(prof.edges)
    k = e.size
    cuts = np.unique(np.linspace(0, k - 1, min(_PLOT_BINS, k - 1) + 1).round().astype(int))[1:-1]
    if cuts.size == 0:
        cuts = np.array([k - 1])
    rc = np.append(np.asarray(prof.cum_counts, dtype=np.float64)[cuts], prof.count)
    cc = np.append(np.asarray(cmp.cur_cum, dtype=np.float64)[cuts], cmp.cur_count)
    rs = np.diff(np.concatenate([[0.0], rc])) / prof.count
    cs = np.diff(np.concatenate([[0.0], cc])) / cmp.cur_count
    labels = [f"≤{e[i]:.4g}" for i in cuts] + [f">{e[cuts[-1]]:.4g}"]
    return {
        "title": "share of rows per reference-quantile bin",
        "labels": labels,
        "reference": rs.tolist(),
        "current": cs.tolist(),
    }


def _numeric(
    prof: ColumnProfile, table: ColumnSource, is_target: bool, params: dict[str, Any]
) -> _Pending:
    name = prof.name
    base = ColumnDrift(column=name, kind=NUMERICAL, method="ks", drift=False, is_target=is_target)
    pending = _Pending(base)
    try:
        n_cur, cur_missing, summary = table.numeric_summary(name, prof.edges)
    except NotNumeric as exc:
        base.method = "schema"
        base.drift = True
        base.reasons.append(
            f"type changed: numbers in the reference ({prof.dtype}), "
            f"non-numeric values in the current data ({', '.join(exc.examples)})"
        )
        return pending
    base.missing_share_reference = _share(prof.missing, prof.rows)
    base.missing_share_current = _share(cur_missing, n_cur)
    if prof.count == 0:
        base.findings.append("all values are missing in the reference")
    if n_cur == cur_missing:
        base.findings.append("all values are missing in the current data")
    if prof.std == 0.0:
        base.findings.append(f"constant in the reference (always {prof.min:.6g})")
    cmp = compare_summary(prof.edges, prof.cum_counts, prof.count, summary)
    if cmp is None:
        base.method = "missing-share"
    else:
        scale = prof.std if prof.std else 1.0
        w = cmp.wasserstein / scale
        base.statistic = cmp.ks
        base.p_value = cmp.p_value
        base.effect_size = w
        base.effect_name = "wasserstein_norm"
        pending.tests.append(
            _Test(
                name,
                "values",
                cmp.p_value,
                w,
                params["numerical_threshold"],
                f"distribution shift (KS {cmp.ks:.3f}, normalised Wasserstein {w:.3f})",
            )
        )
        base.plot = _numeric_plot(prof, cmp)
        if (
            prof.min is not None
            and prof.max is not None
            and (cmp.cur_min < prof.min or cmp.cur_max > prof.max)
        ):
            out = cmp.cur_below + cmp.cur_above
            if out:
                base.findings.append(
                    f"{_share(out, cmp.cur_count):.2%} of current values outside the "
                    f"reference range [{prof.min:.6g}, {prof.max:.6g}]"
                )
    if prof.missing or cur_missing:
        _, p = proportion_test(prof.missing, prof.rows, cur_missing, n_cur)
        base.missing_p_value = p
        delta = abs(base.missing_share_current - base.missing_share_reference)
        pending.tests.append(
            _Test(
                name,
                "missing",
                p,
                delta,
                params["missing_threshold"],
                f"missing share {base.missing_share_reference:.1%} -> "
                f"{base.missing_share_current:.1%}",
            )
        )
    return pending


def _categorical(
    prof: ColumnProfile, table: ColumnSource, is_target: bool, params: dict[str, Any]
) -> _Pending:
    name = prof.name
    base = ColumnDrift(
        column=name, kind=CATEGORICAL, method="chi2", drift=False, is_target=is_target
    )
    pending = _Pending(base)
    counts, cur_missing = table.labels(name)
    n_cur = sum(counts.values()) + cur_missing
    n_ref = prof.rows
    base.missing_share_reference = _share(prof.missing, n_ref)
    base.missing_share_current = _share(cur_missing, n_cur)
    if prof.count == 0:
        base.findings.append("all values are missing in the reference")
    if n_cur and cur_missing == n_cur:
        base.findings.append("all values are missing in the current data")
    if len(prof.categories) == 1 and not prof.other:
        base.findings.append(f"constant in the reference (always {next(iter(prof.categories))!r})")
    unseen = {k: v for k, v in counts.items() if k not in prof.categories}
    cur_other = 0
    if prof.truncated:  # a label beyond the kept categories may be a rare reference one
        cur_other, unseen = sum(unseen.values()), {}
    unseen_total = sum(unseen.values())
    base.unseen_categories = sorted(unseen, key=lambda k: -unseen[k])[:20]
    base.unseen_share = _share(unseen_total, n_cur)
    if unseen:
        base.findings.append(
            f"{len(unseen)} categories not in the reference ({base.unseen_share:.2%} of rows)"
        )
    # Test bins: frequent reference categories, pooled rare ones, missing, unseen.
    small = min(n_ref, n_cur)
    ref_bins: list[float] = []
    cur_bins: list[float] = []
    pooled_r, pooled_c = float(prof.other), float(cur_other)
    for label, rc in prof.categories.items():
        if small * rc / n_ref < _MIN_EXPECTED:
            pooled_r += rc
            pooled_c += counts.get(label, 0)
        else:
            ref_bins.append(rc)
            cur_bins.append(counts.get(label, 0))
    ref_bins += [pooled_r, float(prof.missing), 0.0]
    cur_bins += [pooled_c, float(cur_missing), float(unseen_total)]
    stat, p, _ = chi2_homogeneity(ref_bins, cur_bins)
    tv = 0.5 * sum(abs(r / n_ref - c / n_cur) for r, c in zip(ref_bins, cur_bins, strict=True))
    base.statistic, base.p_value = stat, p
    base.effect_size, base.effect_name = tv, "total_variation"
    if prof.missing or cur_missing:
        base.missing_p_value = proportion_test(prof.missing, n_ref, cur_missing, n_cur)[1]
    reason = f"category shares changed (total variation {tv:.3f})"
    if base.missing_share_current - base.missing_share_reference >= params["missing_threshold"]:
        reason += (
            f"; missing share {base.missing_share_reference:.1%} -> "
            f"{base.missing_share_current:.1%}"
        )
    if base.unseen_share >= params["missing_threshold"]:
        reason += f"; unseen categories {base.unseen_share:.1%}"
    pending.tests.append(_Test(name, "values", p, tv, params["categorical_threshold"], reason))
    top = list(prof.categories)[:_PLOT_CATEGORIES]
    rest_r = n_ref - prof.missing - sum(prof.categories[k] for k in top)
    rest_c = n_cur - cur_missing - unseen_total - sum(counts.get(k, 0) for k in top)
    base.plot = {
        "title": "share of rows per category",
        "labels": [*top, OTHER, MISSING, UNSEEN],
        "reference": [prof.categories[k] / n_ref for k in top]
        + [rest_r / n_ref, prof.missing / n_ref, 0.0],
        "current": [counts.get(k, 0) / n_cur for k in top]
        + [rest_c / n_cur, cur_missing / n_cur, unseen_total / n_cur],
    }
    return pending


def _check_number(name: str, value: Any, low: float, high: float | None = None) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InvalidParameterValue(f"{name} must be a number, got {value!r}.") from None
    if not (v >= low and (high is None or v <= high)):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise InvalidParameterValue(f"{name} must be {bound}, got {value!r}.")
    return v


def _reference_profile(
    reference: Any,
    columns: Iterable[str] | None,
    numerical_columns: Iterable[str] | None,
    categorical_columns: Iterable[str] | None,
    target_column: str | None,
    quantiles: int,
    max_categories: int,
    categorical_max_unique: int,
) -> Profile:
    if isinstance(reference, Profile):
        prof = reference
        wanted = [str(c) for c in columns] if columns is not None else None
        for group, kind in ((numerical_columns, NUMERICAL), (categorical_columns, CATEGORICAL)):
            for c in group or []:
                if str(c) in prof.columns and prof.columns[str(c)].kind != kind:
                    raise InvalidParameterValue(
                        f"Column {str(c)!r} is {prof.columns[str(c)].kind} in the profile, "
                        f"not {kind}."
                    )
        if wanted is None and (numerical_columns or categorical_columns):
            wanted = [str(c) for c in [*(numerical_columns or []), *(categorical_columns or [])]]
        if wanted is not None:
            if target_column is not None and str(target_column) not in wanted:
                wanted.append(str(target_column))
            missing = [c for c in wanted if c not in prof.columns]
            if missing:
                raise InvalidParameterValue(
                    f"Column {missing[0]!r} is not in the reference profile."
                )
            prof = Profile(
                n_rows=prof.n_rows,
                columns={c: prof.columns[c] for c in wanted},
                target_column=prof.target_column,
                skipped=dict(prof.skipped),
            )
        if target_column is not None and str(target_column) not in prof.columns:
            raise InvalidParameterValue(
                f"Target column {str(target_column)!r} is not in the reference profile."
            )
        return prof
    return profile(
        reference,
        columns=columns,
        numerical_columns=numerical_columns,
        categorical_columns=categorical_columns,
        target_column=target_column,
        quantiles=quantiles,
        max_categories=max_categories,
        categorical_max_unique=categorical_max_unique,
    )


def detect_drift(
    reference: Any,
    current: Any,
    *,
    columns: Iterable[str] | None = None,
    numerical_columns: Iterable[str] | None = None,
    categorical_columns: Iterable[str] | None = None,
    target_column: str | None = None,
    alpha: float = 0.05,
    correction: str = "holm",
    numerical_threshold: float = 0.05,
    categorical_threshold: float = 0.02,
    missing_threshold: float = 0.01,
    drift_share: float | None = None,
    quantiles: int = DEFAULT_QUANTILES,
    max_categories: int = DEFAULT_MAX_CATEGORIES,
    categorical_max_unique: int = DEFAULT_CATEGORICAL_MAX_UNIQUE,
) -> DriftReport:
    """Test every column of ``current`` for drift from ``reference``.

    ``reference`` is a pandas DataFrame, a pyarrow Table or a :class:`Profile` of one;
    ``current`` a DataFrame or Table. ``columns`` limits the columns (default: every column of
    the reference); ``numerical_columns`` / ``categorical_columns`` fix kinds that would
    otherwise be inferred (numbers with more than ``categorical_max_unique`` distinct values are
    numerical; text, booleans, categoricals and low-cardinality numbers are categorical; dates
    are skipped unless listed as numerical). ``target_column`` is tested too and reported apart.

    Decision rule: all tests are corrected together (``correction``: ``holm``, ``bh``,
    ``bonferroni`` or ``none``) at level ``alpha``, and a significant test flags drift only if
    its effect reaches the column kind's threshold. ``dataset_drift`` is true when the share of
    drifted feature columns is at least ``drift_share`` (default: any drifted feature).
    """
    alpha = _check_number("alpha", alpha, 0.0, 1.0)
    if correction not in CORRECTIONS:
        raise InvalidParameterValue(
            f"correction must be one of {', '.join(CORRECTIONS)}, got {correction!r}."
        )
    params: dict[str, Any] = {
        "alpha": alpha,
        "correction": correction,
        "numerical_threshold": _check_number("numerical_threshold", numerical_threshold, 0.0),
        "categorical_threshold": _check_number(
            "categorical_threshold", categorical_threshold, 0.0, 1.0
        ),
        "missing_threshold": _check_number("missing_threshold", missing_threshold, 0.0, 1.0),
        "drift_share": None
        if drift_share is None
        else _check_number("drift_share", drift_share, 0.0, 1.0),
    }
    prof = _reference_profile(
        reference,
        columns,
        numerical_columns,
        categorical_columns,
        target_column,
        int(quantiles),
        int(max_categories),
        int(categorical_max_unique),
    )
    target = str(target_column) if target_column is not None else None
    cur = as_table(current, "current")
    if cur.n_rows == 0:
        raise InvalidParameterValue("The current data has no rows.")
    findings = [f"column {c!r} skipped: {why}" for c, why in prof.skipped.items()]
    if columns is None and not (numerical_columns or categorical_columns):
        extra = [c for c in cur.names if c not in prof.columns and c not in prof.skipped]
        findings += [f"column {c!r} is only in the current data" for c in extra]
    pendings: list[_Pending] = []
    for name, cprof in prof.columns.items():
        is_target = name == target
        if name not in cur.names:
            missing_col = ColumnDrift(
                column=name,
                kind=cprof.kind,
                method="schema",
                drift=True,
                is_target=is_target,
                missing_share_reference=_share(cprof.missing, cprof.rows),
                missing_share_current=1.0,
                reasons=["column missing from the current data"],
            )
            pendings.append(_Pending(missing_col))
            continue
        if cprof.kind == NUMERICAL:
            pendings.append(_numeric(cprof, cur, is_target, params))
        else:
            pendings.append(_categorical(cprof, cur, is_target, params))
    tests = [t for p in pendings for t in p.tests]
    for t, adj in zip(tests, adjust([t.p_value for t in tests], correction), strict=True):
        t.adjusted = adj
    for p in pendings:
        res = p.result
        if p.tests:
            res.p_value_adjusted = min(t.adjusted for t in p.tests)
        for t in p.tests:
            if t.adjusted < alpha and t.effect >= t.threshold:
                res.drift = True
                res.reasons.append(t.reason)
    results = [p.result for p in pendings]
    feats = [r for r in results if not r.is_target]
    n_drift = sum(r.drift for r in feats)
    if params["drift_share"] is None:
        dataset_drift = n_drift > 0
    else:
        dataset_drift = bool(feats) and n_drift / len(feats) >= params["drift_share"]
    return DriftReport(
        columns=results,
        dataset_drift=dataset_drift,
        target_column=target,
        n_reference=prof.n_rows,
        n_current=cur.n_rows,
        parameters=params,
        findings=findings,
    )
