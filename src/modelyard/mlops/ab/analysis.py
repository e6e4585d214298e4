"""A/B and shadow analysis of a serving endpoint, from its inference table.

::

    from modelyard.mlops import ab

    result = ab.analyze_endpoint("churn", metric="accuracy", since="7d", min_samples=200)
    print(result)              # per-variant table, comparisons, verdict, winner
    result.winner              # VariantStats of the significant winner, or None

A *variant* is one served model at one version (a served model that was hot-reloaded to a new
version during the window shows up as two variants). The *control* is ``control=`` (a served
model name or variant), else the live served model with the largest traffic share in the
endpoint's config, else the live variant with the most requests. Every other variant is
compared with the control: independent samples for two live variants, paired on the same
request ids when one side is a shadow. Model-quality metrics are the monitors'
(:mod:`modelyard.monitoring.quality`); labels come from ``labels=``, a monitor (``monitor=``),
or, by default, every monitor whose table is this inference table.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelyard.errors import InvalidParameterValue, ResourceDoesNotExist
from modelyard.mlops.ab._frame import Frames, label_text, load_frames, parse_since, same_label
from modelyard.mlops.ab.result import ABResult, Comparison, VariantStats
from modelyard.mlops.ab.stats import RATE_TESTS, VALUE_TESTS, holm, paired_test, two_sample_test

__all__ = ["METRICS", "analyze_endpoint"]


@dataclass(frozen=True)
class _Metric:
    kind: str  # "rate" (0/1 per unit) or "value"
    higher_is_better: bool
    unit: str  # "requests" or "labelled records"
    default_test: str


METRICS: dict[str, _Metric] = {
    "accuracy": _Metric("rate", True, "labelled records", "ztest"),
    "error_rate": _Metric("rate", False, "requests", "ztest"),
    "latency_ms": _Metric("value", False, "requests", "mannwhitney"),
    "mae": _Metric("value", False, "labelled records", "welch"),
    "rmse": _Metric("value", False, "labelled records", "welch"),
}
_ALIASES = {"latency": "latency_ms", "errors": "error_rate"}
_PROBLEMS = ("classification", "regression")


def analyze_endpoint(
    endpoint_name_or_table: Any,
    metric: str | None = None,
    since: Any = None,
    min_samples: int = 100,
    *,
    control: str | None = None,
    test: str | None = None,
    alpha: float = 0.05,
    labels: Any = None,
    monitor: str | None = None,
    problem_type: str | None = None,
    home: str | Path | None = None,
    monitors_root: str | None = None,
) -> ABResult:
    """Compare the variants of an endpoint on ``metric`` (``accuracy``, ``error_rate``,
    ``latency_ms``, ``mae``, ``rmse``; default ``accuracy`` for classification, ``rmse`` for
    regression) over the rows since ``since`` (ISO time, ``"7d"``-style duration or datetime).

    ``endpoint_name_or_table``: an endpoint name (its inference table under the serving
    ``home``), a path to an inference table (Delta or Parquet) or a DataFrame of one.
    ``min_samples``: the units (requests or labelled records, pairs for a shadow) each side
    needs before a comparison is tested. ``test``: ``ztest`` / ``chi2`` for accuracy and error
    rate, ``welch`` / ``mannwhitney`` for latency and errors (paired forms for shadows)."""
    metric_name, spec, test_name = _check_options(metric, test, min_samples, alpha, problem_type)
    endpoint, source, config = _resolve_source(endpoint_name_or_table, home)
    cutoff = parse_since(since)
    label_data = _labels(labels, monitor, source, monitors_root)
    frames = load_frames(source, since=cutoff, labels=label_data)
    problem = problem_type or _infer_problem(frames)
    if metric_name is None:
        metric_name = "accuracy" if problem == "classification" else "rmse"
        spec = METRICS[metric_name]
        test_name = test_name or spec.default_test
    assert spec is not None and test_name is not None
    _check_fit(metric_name, problem, test_name, spec)
    variants = _variants(frames, problem, metric_name, test_name)
    control_key = _control(variants, control, config)
    for v in variants:
        v.role = "shadow" if v.shadow else ("control" if v.variant == control_key else "challenger")
    comps = [
        _compare(frames, metric_name, spec, test_name, control_key, v, variants, min_samples)
        for v in variants
        if control_key is not None and v.variant != control_key
    ]
    for c, adj in zip(comps, holm([c.p_value for c in comps]), strict=True):
        c.p_value_adjusted = adj
        _decide(c, spec, alpha)
    winner, verdict = _verdict(comps, variants, control_key, metric_name, spec, alpha, min_samples)
    return ABResult(
        endpoint=endpoint,
        table=frames.table,
        metric=metric_name,
        test=test_name,
        alpha=alpha,
        min_samples=min_samples,
        since=cutoff.isoformat() if cutoff else None,
        problem_type=problem,
        control=control_key,
        variants=variants,
        comparisons=comps,
        winner_variant=winner,
        verdict=verdict,
    )


# ------------------------------------------------------------------------------ options


def _check_options(
    metric: str | None, test: str | None, min_samples: Any, alpha: Any, problem: str | None
) -> tuple[str | None, _Metric | None, str | None]:
    if isinstance(min_samples, bool) or not isinstance(min_samples, int) or min_samples < 2:
        raise InvalidParameterValue(f"min_samples must be an integer >= 2, got {min_samples!r}.")
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha < 1:
        raise InvalidParameterValue(f"alpha must be a number between 0 and 1, got {alpha!r}.")
    if problem is not None and problem not in _PROBLEMS:
        raise InvalidParameterValue(
            f"problem_type must be one of {', '.join(_PROBLEMS)}, got {problem!r}."
        )
    if test is not None and test not in RATE_TESTS + VALUE_TESTS:
        raise InvalidParameterValue(
            f"Unknown test {test!r}: one of {', '.join(RATE_TESTS + VALUE_TESTS)}."
        )
    if metric is None:
        return None, None, test
    name = _ALIASES.get(metric, metric)
    spec = METRICS.get(name)
    if spec is None:
        raise InvalidParameterValue(
            f"Unknown metric {metric!r}: one of {', '.join(METRICS)} (F1 and ROC AUC are "
            "reported per variant but have no per-request test)."
        )
    return name, spec, test or spec.default_test


def _check_fit(metric: str, problem: str, test: str, spec: _Metric) -> None:
    if metric == "accuracy" and problem == "regression":
        raise InvalidParameterValue(
            "metric 'accuracy' needs a classification endpoint; use 'rmse' or 'mae' for a "
            "regression (or pass problem_type='classification')."
        )
    if metric in ("mae", "rmse") and problem == "classification":
        raise InvalidParameterValue(
            f"metric {metric!r} needs a regression endpoint; use 'accuracy' for a "
            "classification (or pass problem_type='regression')."
        )
    allowed = RATE_TESTS if spec.kind == "rate" else VALUE_TESTS
    if test not in allowed:
        raise InvalidParameterValue(
            f"test {test!r} does not apply to metric {metric!r}: use {' or '.join(allowed)}."
        )


def _resolve_source(
    source: Any, home: str | Path | None
) -> tuple[str | None, Any, dict[str, Any] | None]:
    """(endpoint name or None, table path or DataFrame, endpoint config row or None)."""
    import pandas as pd

    if isinstance(source, pd.DataFrame):
        return None, source, None
    if not isinstance(source, str | os.PathLike):
        raise InvalidParameterValue(
            "endpoint_name_or_table must be an endpoint name, a table path or a DataFrame; "
            f"got {type(source).__name__}."
        )
    text = os.fspath(source)
    if "/" not in text and os.sep not in text and not os.path.exists(text):
        from modelyard.serving import endpoints

        ep = endpoints.get_endpoint(text, home=home)  # ResourceDoesNotExist names it
        return text, endpoints.inference_table_path(text, home=home), ep.to_dict()
    if not os.path.exists(text):
        raise ResourceDoesNotExist(f"Inference table {text!r} does not exist.")
    return None, text, None


def _labels(labels: Any, monitor: str | None, source: Any, root: str | None) -> Any:
    if labels is not None:
        return labels
    from modelyard import monitoring

    if monitor is not None:
        mon = monitoring.get_monitor(monitor, root=root)
        if mon.label_col is None:
            raise InvalidParameterValue(f"Monitor {monitor!r} has no label_col: no labels.")
        return mon.labels()
    if not isinstance(source, str | os.PathLike):
        return None
    import pandas as pd

    here = os.path.abspath(source)
    found = [
        m.labels() for m in monitoring.list_monitors(root=root) if m.label_col and m.table == here
    ]
    found = [f for f in found if len(f)]
    return pd.concat(found, ignore_index=True) if found else None


def _infer_problem(frames: Frames) -> str:
    import pandas as pd

    preds = frames.records["prediction"]
    numeric = pd.to_numeric(preds, errors="coerce")
    if len(preds) and numeric.notna().all():
        values = numeric.to_numpy(dtype=float)
        if not all(math.isfinite(x) and float(x).is_integer() for x in values):
            return "regression"
    return "classification"


# ------------------------------------------------------------------------------ variants


def _quantiles(values: Any) -> dict[str, float]:
    import numpy as np

    arr = np.asarray(values, dtype=float)
    arr = arr[np.isfinite(arr)]
    if not arr.size:
        return {}
    qs = np.quantile(arr, [0.05, 0.25, 0.5, 0.75, 0.95])
    out = {
        f"p{int(q * 100)}": float(x) for q, x in zip((0.05, 0.25, 0.5, 0.75, 0.95), qs, strict=True)
    }
    out["mean"] = float(arr.mean())
    return out


def _pct(values: Any, q: float) -> float | None:
    import numpy as np

    arr = np.asarray(values, dtype=float)
    arr = arr[np.isfinite(arr)]
    return float(np.quantile(arr, q)) if arr.size else None


def _class_shares(preds: Any) -> dict[str, float]:
    from collections import Counter

    counts = Counter(
        "1" if p is True else "0" if p is False else label_text(p) for p in preds.tolist()
    )
    total = sum(counts.values())
    return {k: n / total for k, n in counts.most_common(20)} if total else {}


def _units(frames: Frames, metric: str, variant: str) -> Any:
    """The metric's per-unit values of a variant, indexed by request or record id."""
    import numpy as np
    import pandas as pd

    if metric in ("error_rate", "latency_ms"):
        req = frames.requests[frames.requests["variant"] == variant]
        if metric == "error_rate":
            return pd.Series(req["error"].astype(float).to_numpy(), index=req["request_id"])
        lat = pd.Series(req["latency_ms"].to_numpy(), index=req["request_id"])
        return lat[np.isfinite(lat.to_numpy(dtype=float))]
    rec = frames.records[(frames.records["variant"] == variant) & frames.records["label"].notna()]
    if metric == "accuracy":
        correct = [
            float(same_label(p, y)) for p, y in zip(rec["prediction"], rec["label"], strict=True)
        ]
        return pd.Series(correct, index=rec["record_id"], dtype=float)
    pred = pd.to_numeric(rec["prediction"], errors="coerce").to_numpy(dtype=float)
    y = pd.to_numeric(rec["label"], errors="coerce").to_numpy(dtype=float)
    err = pd.Series(pred - y, index=rec["record_id"])
    err = err[np.isfinite(err.to_numpy())]
    return err.abs() if metric == "mae" else err**2


def _aggregate(metric: str, test: str, values: Any) -> float | None:
    import numpy as np

    if not len(values):
        return None
    arr = np.asarray(values, dtype=float)
    if metric == "rmse":
        return float(np.sqrt(arr.mean()))
    if metric == "latency_ms" and test == "mannwhitney":
        return float(np.median(arr))
    return float(arr.mean())


def _quality(rec: Any, problem: str) -> dict[str, float | None]:
    import pandas as pd

    from modelyard.monitoring.quality import classification_metrics, regression_metrics

    rec = rec[rec["label"].notna() & rec["prediction"].map(lambda p: not isinstance(p, tuple))]
    if rec.empty:
        return {}
    if problem == "regression":
        y = pd.to_numeric(rec["label"], errors="coerce")
        p = pd.to_numeric(rec["prediction"], errors="coerce")
        ok = y.notna() & p.notna()
        return regression_metrics(y[ok].to_numpy(), p[ok].to_numpy())
    preds = rec["prediction"].tolist()
    if all(isinstance(p, int | float) and not isinstance(p, bool) for p in preds):
        import numpy as np

        arr: Any = np.asarray(preds, dtype=float)
    else:
        arr = [str(p) for p in preds]
    return classification_metrics(rec["label"].tolist(), arr)


def _variants(frames: Frames, problem: str, metric: str, test: str) -> list[VariantStats]:
    req, rec = frames.requests, frames.records
    live_total = int((~req["shadow"]).sum())
    out: list[VariantStats] = []
    keys = req.drop_duplicates("variant")[["variant", "shadow"]]
    order = sorted(zip(keys["variant"], keys["shadow"], strict=True), key=lambda t: (t[1], t[0]))
    for key, is_shadow in order:
        r = req[req["variant"] == key]
        first = r.iloc[0]
        vr = rec[rec["variant"] == key]
        lat = r["latency_ms"].to_numpy(dtype=float)
        dist = (
            _quantiles(vr["prediction"].map(_as_float))
            if problem == "regression"
            else _class_shares(vr["prediction"])
        )
        vals = _units(frames, metric, key)
        out.append(
            VariantStats(
                variant=key,
                served_model=str(first["served_model"]),
                model_name=str(first["model_name"]),
                model_version=str(first["model_version"]),
                shadow=bool(is_shadow),
                role="",
                requests=len(r),
                errors=int(r["error"].sum()),
                error_rate=float(r["error"].mean()) if len(r) else None,
                latency_p50_ms=_pct(lat, 0.5),
                latency_p95_ms=_pct(lat, 0.95),
                latency_p99_ms=_pct(lat, 0.99),
                traffic_share=None if is_shadow or not live_total else len(r) / live_total,
                records=len(vr),
                labelled=int(vr["label"].notna().sum()),
                prediction_distribution=dist,
                quality=_quality(vr, problem),
                metric_value=_aggregate(metric, test, vals),
                metric_n=len(vals),
            )
        )
    return out


def _as_float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _control(
    variants: list[VariantStats], control: str | None, config: dict[str, Any] | None
) -> str | None:
    def busiest(cands: list[VariantStats]) -> str | None:
        return max(cands, key=lambda v: v.requests).variant if cands else None

    if control is not None and variants:  # no rows at all: "not enough data", not an error
        picked = [v for v in variants if control in (v.variant, v.served_model)]
        if not picked:
            known = sorted({v.served_model for v in variants})
            raise InvalidParameterValue(
                f"control {control!r} is not a variant of the analysed rows "
                f"(served models: {', '.join(known) or 'none'})."
            )
        return busiest(picked)
    if control is not None:
        return None
    live = [v for v in variants if not v.shadow]
    if config is not None:
        served = [
            m for m in config.get("served_models", []) if not m.get("shadow") and m.get("name")
        ]
        for m in sorted(served, key=lambda m: -int(m.get("traffic_percentage", 0))):
            key = busiest([v for v in live if v.served_model == m["name"]])
            if key is not None:
                return key
    return busiest(live)


# ------------------------------------------------------------------------------ comparisons


def _compare(
    frames: Frames,
    metric: str,
    spec: _Metric,
    test: str,
    control: str,
    other: VariantStats,
    variants: list[VariantStats],
    min_samples: int,
) -> Comparison:
    ctrl = next(v for v in variants if v.variant == control)
    paired = other.shadow or ctrl.shadow
    a = _units(frames, metric, control)
    b = _units(frames, metric, other.variant)
    n_pairs: int | None = None
    if paired:
        common = a.index.intersection(b.index)
        a, b = a.loc[common], b.loc[common]
        n_pairs = len(common)
    agreement, mad = _agreement(frames, control, other.variant) if paired else (None, None)
    smallest = min(len(a), len(b))
    comp = Comparison(
        control=control,
        challenger=other.variant,
        metric=metric,
        test=test,
        paired=paired,
        n_control=len(a),
        n_challenger=len(b),
        n_pairs=n_pairs,
        control_value=_aggregate(metric, test, a),
        challenger_value=_aggregate(metric, test, b),
        difference=None,
        statistic=None,
        p_value=None,
        p_value_adjusted=None,
        significant=False,
        better=None,
        enough_data=smallest >= min_samples,
        agreement=agreement,
        mean_abs_difference=mad,
        verdict="",
    )
    if comp.control_value is not None and comp.challenger_value is not None:
        comp.difference = comp.challenger_value - comp.control_value
    if not comp.enough_data:
        what = "pairs" if paired else spec.unit
        comp.verdict = f"not enough data yet (n={smallest}, need {min_samples} {what})"
        return comp
    run = paired_test if paired else two_sample_test
    comp.statistic, comp.p_value = run(test, a.to_numpy(dtype=float), b.to_numpy(dtype=float))
    return comp


def _agreement(frames: Frames, control: str, other: str) -> tuple[float | None, float | None]:
    rec = frames.records
    a = rec[rec["variant"] == control].set_index("record_id")["prediction"]
    b = rec[rec["variant"] == other].set_index("record_id")["prediction"]
    a = a[~a.index.duplicated()]
    b = b[~b.index.duplicated()]
    common = a.index.intersection(b.index)
    if not len(common):
        return None, None
    pa, pb = a.loc[common].tolist(), b.loc[common].tolist()
    same = sum(same_label(x, y) for x, y in zip(pa, pb, strict=True))
    fa = [_as_float(x) for x in pa]
    fb = [_as_float(y) for y in pb]
    diffs = [abs(x - y) for x, y in zip(fa, fb, strict=True) if math.isfinite(x - y)]
    mad = sum(diffs) / len(diffs) if diffs else None
    return same / len(common), mad


def _decide(comp: Comparison, spec: _Metric, alpha: float) -> None:
    if not comp.enough_data or comp.p_value_adjusted is None:
        return
    comp.significant = comp.p_value_adjusted < alpha and bool(comp.difference)
    p = f"p={comp.p_value:.3g}, Holm-adjusted {comp.p_value_adjusted:.3g}"
    values = f"{_num(comp.challenger_value)} vs {_num(comp.control_value)}"
    if not comp.significant:
        comp.verdict = f"no significant difference ({values}; {p})"
        return
    challenger_better = (
        (comp.difference or 0.0) > 0 if spec.higher_is_better else (comp.difference or 0.0) < 0
    )
    comp.better = comp.challenger if challenger_better else comp.control
    side = "better" if challenger_better else "worse"
    comp.verdict = f"significantly {side} on {comp.metric} ({values}; {p})"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def _verdict(
    comps: list[Comparison],
    variants: list[VariantStats],
    control: str | None,
    metric: str,
    spec: _Metric,
    alpha: float,
    min_samples: int,
) -> tuple[str | None, str]:
    if control is None or not comps:
        n = variants[0].metric_n if variants else 0
        return None, (
            f"not enough data yet (n={n}, need {min_samples}): "
            + ("no requests logged" if not variants else "only one variant to compare")
        )
    short = [c for c in comps if not c.enough_data]
    if short:
        worst = min(short, key=lambda c: min(c.n_control, c.n_challenger))
        n = min(worst.n_control, worst.n_challenger)
        side = worst.challenger if worst.n_challenger <= worst.n_control else worst.control
        unit = "pairs" if worst.paired else spec.unit
        return None, (
            f"not enough data yet (n={n}, need {min_samples}): {side} has {n} {unit} for {metric}"
        )
    winners = [c for c in comps if c.significant and c.better == c.challenger]
    if winners:
        sign = 1.0 if spec.higher_is_better else -1.0
        best = max(winners, key=lambda c: sign * (c.challenger_value or 0.0))
        return best.challenger, (
            f"{best.challenger} beats the control {control} on {metric} "
            f"({_num(best.challenger_value)} vs {_num(best.control_value)}, "
            f"adjusted p={best.p_value_adjusted:.3g} < {alpha})"
        )
    if all(c.significant and c.better == control for c in comps):
        return control, f"the control {control} beats every challenger on {metric}"
    worse = [c.challenger for c in comps if c.significant and c.better == control]
    same = [c.challenger for c in comps if not c.significant]
    text = f"no challenger beats the control {control} on {metric} at alpha {alpha}"
    if worse:
        text += f"; significantly worse: {', '.join(worse)}"
    if same:
        text += f"; no significant difference: {', '.join(same)}"
    return None, text
