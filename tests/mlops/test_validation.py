"""``MetricThreshold`` and ``validate_evaluation_results``: MLflow's rules, every failure listed."""

from __future__ import annotations

import pytest

from modelyard import errors
from modelyard.mlops import ModelValidationFailed
from modelyard.models import (
    EvaluationResult,
    MetricThreshold,
    ModelValidationFailedException,
    validate_evaluation_results,
)


def _result(**metrics: float) -> EvaluationResult:
    return EvaluationResult(metrics=dict(metrics))


def test_passing_thresholds_return_each_result():
    out = validate_evaluation_results(
        {
            "accuracy_score": MetricThreshold(
                threshold=0.8, min_absolute_change=0.01, greater_is_better=True
            ),
            "log_loss": MetricThreshold(
                threshold=0.5, min_relative_change=0.1, greater_is_better=False
            ),
        },
        _result(accuracy_score=0.9, log_loss=0.3),
        _result(accuracy_score=0.85, log_loss=0.4),
    )
    assert [(r.metric_name, r.passed) for r in out] == [
        ("accuracy_score", True),
        ("log_loss", True),
    ]


def test_every_failure_is_listed_with_both_values():
    thresholds = {
        "accuracy_score": MetricThreshold(
            threshold=0.95, min_absolute_change=0.1, greater_is_better=True
        ),
        "log_loss": MetricThreshold(min_relative_change=0.5, greater_is_better=False),
        "f1_score": MetricThreshold(threshold=0.5, greater_is_better=True),
        "recall_score": MetricThreshold(threshold=0.5, greater_is_better=True),
    }
    with pytest.raises(ModelValidationFailedException) as info:
        validate_evaluation_results(
            thresholds,
            _result(accuracy_score=0.9, log_loss=0.35, recall_score=0.7),
            _result(accuracy_score=0.85, log_loss=0.4),
        )
    err = info.value
    assert isinstance(err, errors.ModelyardError)
    assert err.error_code == "BAD_REQUEST"
    text = str(err)
    assert (
        "Metric accuracy_score value threshold check failed: candidate model "
        "accuracy_score = 0.9, accuracy_score threshold = 0.95."
    ) in text
    assert (
        "candidate model accuracy_score = 0.9, baseline model accuracy_score = 0.85, "
        "accuracy_score minimum absolute change threshold = 0.1."
    ) in text
    assert (
        "candidate model log_loss = 0.35, baseline model log_loss = 0.4, log_loss minimum "
        "relative change threshold = 0.5."
    ) in text
    assert "metric f1_score was missing from the evaluation result of the candidate model" in text
    assert "recall_score" not in text
    assert sorted(r.metric_name for r in err.failed) == ["accuracy_score", "f1_score", "log_loss"]
    assert ModelValidationFailed is ModelValidationFailedException


def test_missing_baseline_metric_fails_comparison():
    with pytest.raises(
        ModelValidationFailed, match="missing from the evaluation result of the baseline model"
    ):
        validate_evaluation_results(
            {"r2_score": MetricThreshold(min_absolute_change=0.01, greater_is_better=True)},
            _result(r2_score=0.5),
            _result(mae=3.0),
        )


def test_relative_change_uses_magnitude_of_negative_baseline():
    gate = {"r2_score": MetricThreshold(min_relative_change=0.5, greater_is_better=True)}
    validate_evaluation_results(gate, _result(r2_score=-0.4), _result(r2_score=-1.0))
    with pytest.raises(ModelValidationFailed):
        validate_evaluation_results(gate, _result(r2_score=-0.6), _result(r2_score=-1.0))


def test_zero_baseline_needs_strict_improvement():
    gate = {"m": MetricThreshold(min_relative_change=0.2, greater_is_better=True)}
    with pytest.raises(ModelValidationFailed):
        validate_evaluation_results(gate, _result(m=0.0), _result(m=0.0))
    validate_evaluation_results(gate, _result(m=0.001), _result(m=0.0))


def test_without_baseline_only_absolute_thresholds_apply():
    gate = {"m": MetricThreshold(threshold=0.5, min_absolute_change=1.0, greater_is_better=True)}
    validate_evaluation_results(gate, _result(m=0.6))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"threshold": "high", "greater_is_better": True}, "threshold"),
        ({"min_absolute_change": -1, "greater_is_better": True}, "min_absolute_change"),
        ({"min_relative_change": 1, "greater_is_better": True}, "min_relative_change"),
        ({"min_relative_change": 1.5, "greater_is_better": True}, "min_relative_change"),
        ({"threshold": 0.5}, "greater_is_better"),
        ({"threshold": 0.5, "greater_is_better": "yes"}, "greater_is_better"),
        ({"greater_is_better": True}, "no threshold"),
    ],
)
def test_bad_thresholds_name_the_field(kwargs, field):
    with pytest.raises(errors.InvalidParameterValue, match=field):
        MetricThreshold(**kwargs)


def test_bad_threshold_mapping():
    with pytest.raises(errors.InvalidParameterValue, match="validation_thresholds"):
        validate_evaluation_results({"m": 0.5}, _result(m=1.0))  # type: ignore[dict-item]
    with pytest.raises(errors.InvalidParameterValue, match="candidate_result"):
        validate_evaluation_results(
            {"m": MetricThreshold(threshold=0.5, greater_is_better=True)}, 3.0
        )


def test_str_of_threshold():
    gate = MetricThreshold(threshold=0.8, min_relative_change=0.05, greater_is_better=False)
    assert str(gate) == "Threshold: 0.8. Minimum Relative Change: 0.05. Lower value is better."


def test_gate_on_real_evaluations(tracking):
    import pandas as pd
    from sklearn.datasets import make_classification
    from sklearn.dummy import DummyClassifier
    from sklearn.linear_model import LogisticRegression

    from modelyard.models import evaluate

    x, y = make_classification(n_samples=400, n_features=4, random_state=7)
    data = pd.DataFrame(x, columns=list("abcd")).assign(y=y)
    feats = data[list("abcd")]
    good = evaluate(LogisticRegression().fit(feats, y), data, targets="y", model_type="classifier")
    weak = evaluate(
        DummyClassifier(strategy="prior").fit(feats, y), data, targets="y", model_type="classifier"
    )
    gate = {
        "roc_auc": MetricThreshold(threshold=0.7, min_absolute_change=0.05, greater_is_better=True)
    }
    validate_evaluation_results(gate, good, weak)
    with pytest.raises(ModelValidationFailed, match="roc_auc") as info:
        validate_evaluation_results(gate, weak, good)
    assert len(info.value.failed[0].failures) == 2
