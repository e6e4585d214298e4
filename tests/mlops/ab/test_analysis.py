"""The analysis on generated inference tables (fixed seeds): a clearly better challenger wins,
equal models give no winner, too few rows say "not enough data yet", shadows are compared on
the same requests, and bad options are refused naming the field."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest
from tests.mlops.ab._gen import T0, classification_table, regression_table

from modelyard.errors import InvalidParameterValue, ResourceDoesNotExist
from modelyard.mlops.ab import analyze_endpoint


def analyze(table, **options):
    """``churn-1`` is the control unless said otherwise (a bare table has no traffic config)."""
    options.setdefault("control", "churn-1")
    return analyze_endpoint(table, **options)


def test_clearly_better_challenger_wins():
    table, labels = classification_table(4000, 0.75, 0.85, seed=1)
    busiest = table[~table["shadow"]]["served_model"].value_counts().index[0]
    assert analyze_endpoint(table, labels=labels).control == f"{busiest}:v{busiest[-1]}"
    result = analyze(table, metric="accuracy", labels=labels)
    assert result.control == "churn-1:v1"
    comp = result.comparison("churn-2:v2")
    assert comp.enough_data and comp.significant and comp.p_value < 1e-6
    assert comp.better == "churn-2:v2"
    assert comp.challenger_value - comp.control_value == pytest.approx(0.1, abs=0.03)
    assert result.winner is not None and result.winner.model_version == "2"
    assert result.verdict.startswith("churn-2:v2 beats the control churn-1:v1 on accuracy")
    assert str(result).splitlines()[-1] == "Winner: churn-2:v2 (model 'churn' version 2)"
    assert result.to_dict()["winner"]["model_version"] == "2"


@pytest.mark.parametrize("seed", [2, 3, 4])
def test_equal_models_give_no_winner(seed):
    table, labels = classification_table(3000, 0.8, 0.8, seed=seed)
    result = analyze(table, metric="accuracy", labels=labels)
    comp = result.comparison("churn-2:v2")
    assert comp.enough_data and not comp.significant and comp.p_value > 0.05
    assert result.winner is None
    assert "no significant difference: churn-2:v2" in result.verdict


def test_too_few_rows_is_not_enough_data():
    table, labels = classification_table(120, 0.5, 0.99, seed=5)
    result = analyze(table, metric="accuracy", labels=labels, min_samples=100)
    comp = result.comparison("churn-2:v2")
    n = min(comp.n_control, comp.n_challenger)
    assert n < 100 and not comp.enough_data and comp.p_value is None and not comp.significant
    assert comp.verdict == f"not enough data yet (n={n}, need 100 labelled records)"
    assert result.winner is None
    assert result.verdict.startswith(f"not enough data yet (n={n}, need 100)")


def test_labels_arriving_later_change_the_answer():
    table, labels = classification_table(4000, 0.75, 0.85, seed=6)
    before = analyze(table, metric="accuracy")
    assert before.verdict.startswith("not enough data yet (n=0, need 100)")
    assert all(v.labelled == 0 and v.quality == {} for v in before.variants)
    some = dict(list(labels.items())[:150])
    mid = analyze(table, metric="accuracy", labels=some)
    assert sum(v.labelled for v in mid.variants) == 150 and mid.winner is None
    after = analyze(table, metric="accuracy", labels=pd.DataFrame(
        {"request_id": list(labels), "label": list(labels.values())}
    ))  # fmt: skip
    assert after.winner is not None and after.winner.variant == "churn-2:v2"


def test_error_rate_and_latency():
    table, _ = classification_table(4000, 0.8, 0.8, seed=7, error_b=0.05, latency_b=8.0)
    errors = analyze(table, metric="error_rate")
    ctrl, chal = errors.variant("churn-1:v1"), errors.variant("churn-2:v2")
    assert ctrl.errors == 0 and chal.errors > 50
    assert chal.error_rate == pytest.approx(chal.errors / chal.requests)
    assert errors.comparison("churn-2:v2").better == "churn-1:v1"
    assert errors.winner is not None and errors.winner.variant == "churn-1:v1"
    assert errors.verdict == "the control churn-1:v1 beats every challenger on error_rate"
    for test in ("mannwhitney", "welch"):
        lat = analyze(table, metric="latency", test=test)
        assert lat.metric == "latency_ms" and lat.test == test
        assert lat.comparison("churn-2:v2").better == "churn-1:v1"
        assert lat.variant("churn-2:v2").latency_p50_ms > lat.variant("churn-1:v1").latency_p50_ms
    chi2 = analyze(table, metric="error_rate", test="chi2")
    assert chi2.comparison("churn-2:v2").significant


def test_shadow_is_compared_on_the_same_requests():
    table, labels = classification_table(3000, 0.75, 0.75, seed=8, shadow_acc=0.9)
    result = analyze(table, metric="accuracy", labels=labels)
    shadow = result.variant("churn-3:v3")
    assert shadow.shadow and shadow.role == "shadow" and shadow.requests == 3000
    assert shadow.traffic_share is None
    comp = result.comparison("churn-3:v3")
    ctrl = result.variant("churn-1:v1")
    assert comp.paired and comp.n_pairs == ctrl.requests
    assert comp.test == "ztest" and comp.significant and comp.better == "churn-3:v3"
    # agreement: both right or both wrong; 0.75*0.9 + 0.25*0.1 = 0.7 expected
    assert comp.agreement == pytest.approx(0.7, abs=0.04)
    assert result.winner is not None and result.winner.variant == "churn-3:v3"
    # equal shadow: no winner
    table, labels = classification_table(3000, 0.8, 0.8, seed=9, shadow_acc=0.8)
    same = analyze(table, metric="accuracy", labels=labels)
    assert not same.comparison("churn-3:v3").significant and same.winner is None


def test_regression_metrics():
    table, labels = regression_table(3000, 5.0, 2.0, seed=10)
    result = analyze(table, labels=labels)
    assert result.problem_type == "regression" and result.metric == "rmse"
    a, b = result.variant("churn-1:v1"), result.variant("churn-2:v2")
    assert a.quality["rmse"] == pytest.approx(5.0, rel=0.1)
    assert b.quality["rmse"] == pytest.approx(2.0, rel=0.1)
    assert a.metric_value == pytest.approx(a.quality["rmse"])
    assert set(a.prediction_distribution) == {"p5", "p25", "p50", "p75", "p95", "mean"}
    assert result.winner is not None and result.winner.variant == "churn-2:v2"
    mae = analyze(table, metric="mae", labels=labels, test="mannwhitney")
    assert mae.variant("churn-2:v2").metric_value == pytest.approx(b.quality["mae"])
    assert mae.winner is not None and mae.winner.variant == "churn-2:v2"
    equal, labels = regression_table(3000, 3.0, 3.0, seed=11)
    assert analyze(equal, labels=labels).winner is None


def test_since_filters_rows():
    table, labels = classification_table(1000, 0.8, 0.8, seed=12)
    since = (T0 + timedelta(seconds=600)).isoformat()
    result = analyze(table, metric="error_rate", since=since)
    assert sum(v.requests for v in result.variants) == 400
    assert result.since == since
    old = analyze(table, metric="error_rate", since="1h")  # the rows are from 2026-11-03
    assert old.variants == [] and old.winner is None
    assert old.verdict.startswith("not enough data yet (n=0, need 100)")


def test_control_can_be_chosen():
    table, labels = classification_table(4000, 0.75, 0.85, seed=13)
    result = analyze(table, metric="accuracy", labels=labels, control="churn-2")
    assert result.control == "churn-2:v2"
    assert result.winner is not None and result.winner.variant == "churn-2:v2"
    assert "beats every challenger" in result.verdict


def test_bad_options_name_the_field(tmp_path):
    table, _ = classification_table(50, 0.8, 0.8, seed=14)
    cases = [
        ({"metric": "speed"}, "metric 'speed'"),
        ({"metric": "accuracy", "test": "welch"}, "does not apply to metric 'accuracy'"),
        ({"test": "anova"}, "Unknown test 'anova'"),
        ({"min_samples": 1}, "min_samples"),
        ({"alpha": 2}, "alpha"),
        ({"since": "yesterday-ish"}, "'since'"),
        ({"control": "nobody"}, "control 'nobody'"),
        ({"problem_type": "ranking"}, "problem_type"),
        ({"metric": "rmse"}, "needs a regression endpoint"),
        ({"labels": [1, 2]}, "labels"),
    ]
    for opts, text in cases:
        with pytest.raises(InvalidParameterValue, match=text):
            analyze(table, **opts)
    with pytest.raises(InvalidParameterValue, match="not a serving inference table"):
        analyze_endpoint(pd.DataFrame({"a": [1]}))
    with pytest.raises(ResourceDoesNotExist, match="no-such-endpoint"):
        analyze_endpoint("no-such-endpoint", home=tmp_path)
    with pytest.raises(ResourceDoesNotExist):
        analyze_endpoint(str(tmp_path / "missing" / "table"))


def test_reads_a_delta_table(tmp_path):
    import pyarrow as pa
    from deltalake import write_deltalake

    table, labels = classification_table(400, 0.8, 0.8, seed=15)
    path = tmp_path / "inference"
    write_deltalake(str(path), pa.Table.from_pandas(table, preserve_index=False))
    result = analyze(str(path), metric="error_rate", min_samples=10)
    assert result.table == str(path)
    assert sum(v.requests for v in result.variants) == 400
