"""Validation gates on evaluation results: :class:`MetricThreshold` and
:func:`validate_evaluation_results` (MLflow's names and rules).

A failed validation raises :class:`ModelValidationFailed` (MLflow's name
``ModelValidationFailedException`` is an alias) listing every failed threshold with the candidate
value and, for comparisons, the baseline value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from modelyard.errors import BadRequest, InvalidParameterValue

__all__ = [
    "MetricThreshold",
    "MetricValidationResult",
    "ModelValidationFailed",
    "ModelValidationFailedException",
    "validate_evaluation_results",
]


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class MetricThreshold:
    """Gate on one metric: an absolute ``threshold`` and/or a minimum change over a baseline."""

    def __init__(
        self,
        threshold: float | None = None,
        min_absolute_change: float | None = None,
        min_relative_change: float | None = None,
        greater_is_better: bool | None = None,
    ) -> None:
        def bad(msg: str) -> InvalidParameterValue:
            return InvalidParameterValue(f"Could not instantiate MetricThreshold class: {msg}")

        if threshold is not None and not _number(threshold):
            raise bad("`threshold` parameter must be a number.")
        if min_absolute_change is not None and (
            not _number(min_absolute_change) or min_absolute_change <= 0
        ):
            raise bad("`min_absolute_change` parameter must be a positive number.")
        if min_relative_change is not None:
            if not isinstance(min_relative_change, float):
                raise bad("`min_relative_change` parameter must be a floating point number.")
            if not 0 <= min_relative_change <= 1:
                raise bad("`min_relative_change` parameter must be between 0 and 1.")
        if greater_is_better is None:
            raise bad("`greater_is_better` parameter must be defined.")
        if not isinstance(greater_is_better, bool):
            raise bad("`greater_is_better` parameter must be a boolean.")
        if threshold is None and min_absolute_change is None and min_relative_change is None:
            raise bad("no threshold was specified.")
        self.threshold = threshold
        self.min_absolute_change = min_absolute_change
        self.min_relative_change = min_relative_change
        self.greater_is_better = greater_is_better

    def __str__(self) -> str:
        parts = []
        if self.threshold is not None:
            parts.append(f"Threshold: {self.threshold}.")
        if self.min_absolute_change is not None:
            parts.append(f"Minimum Absolute Change: {self.min_absolute_change}.")
        if self.min_relative_change is not None:
            parts.append(f"Minimum Relative Change: {self.min_relative_change}.")
        parts.append(
            "Greater value is better." if self.greater_is_better else "Lower value is better."
        )
        return " ".join(parts)

    def __repr__(self) -> str:
        return (
            f"MetricThreshold(threshold={self.threshold!r}, "
            f"min_absolute_change={self.min_absolute_change!r}, "
            f"min_relative_change={self.min_relative_change!r}, "
            f"greater_is_better={self.greater_is_better!r})"
        )


@dataclass
class MetricValidationResult:
    """The checks of one metric; ``failures`` holds one sentence per failed check."""

    metric_name: str
    candidate_value: float | None
    baseline_value: float | None
    threshold: MetricThreshold
    failures: list[str]

    @property
    def passed(self) -> bool:
        return not self.failures


class ModelValidationFailed(BadRequest):
    """The candidate did not pass its thresholds; ``results`` holds every metric's checks."""

    def __init__(self, message: str, results: list[MetricValidationResult] | None = None) -> None:
        super().__init__(message)
        self.results = list(results or [])

    @property
    def failed(self) -> list[MetricValidationResult]:
        return [r for r in self.results if not r.passed]


ModelValidationFailedException = ModelValidationFailed


def _check(
    name: str, gate: MetricThreshold, candidate: dict[str, float], baseline: dict[str, float] | None
) -> MetricValidationResult:
    cand = candidate.get(name)
    base = baseline.get(name) if baseline else None
    result = MetricValidationResult(name, cand, base, gate, [])
    if cand is None:
        result.failures.append(
            f"Metric validation failed: metric {name} was missing from the evaluation result of "
            "the candidate model."
        )
        return result
    better = (lambda a, b: a >= b) if gate.greater_is_better else (lambda a, b: a <= b)
    sign = 1.0 if gate.greater_is_better else -1.0
    if gate.threshold is not None and not better(cand, gate.threshold):
        result.failures.append(
            f"Metric {name} value threshold check failed: candidate model {name} = {cand}, "
            f"{name} threshold = {gate.threshold}."
        )
    wants_baseline = gate.min_absolute_change is not None or gate.min_relative_change is not None
    if not wants_baseline or baseline is None:
        return result
    if base is None:
        result.failures.append(
            f"Model comparison failed: metric {name} was missing from the evaluation result of "
            "the baseline model."
        )
        return result
    if gate.min_absolute_change is not None and not better(
        cand, base + sign * gate.min_absolute_change
    ):
        result.failures.append(
            f"Metric {name} minimum absolute change check failed: candidate model {name} = "
            f"{cand}, baseline model {name} = {base}, {name} minimum absolute change threshold "
            f"= {gate.min_absolute_change}."
        )
    if gate.min_relative_change is not None:
        step = gate.min_relative_change * abs(base) if base != 0 else 1e-10
        if not better(cand, base + sign * step):
            result.failures.append(
                f"Metric {name} minimum relative change check failed: candidate model {name} = "
                f"{cand}, baseline model {name} = {base}, {name} minimum relative change "
                f"threshold = {gate.min_relative_change}."
            )
    return result


def _metrics_of(result: Any, field: str) -> dict[str, float]:
    metrics = getattr(result, "metrics", result)
    if not isinstance(metrics, dict):
        raise InvalidParameterValue(
            f"validate_evaluation_results(): '{field}' must be an EvaluationResult (or a dict of "
            "metrics)"
        )
    return metrics


def validate_evaluation_results(
    validation_thresholds: dict[str, MetricThreshold],
    candidate_result: Any,
    baseline_result: Any = None,
) -> list[MetricValidationResult]:
    """Check every threshold; raise :class:`ModelValidationFailed` naming each failure.

    Returns the per-metric results when all pass (MLflow returns nothing; the list is extra).
    """
    if not isinstance(validation_thresholds, dict) or not all(
        isinstance(k, str) and isinstance(v, MetricThreshold)
        for k, v in validation_thresholds.items()
    ):
        raise InvalidParameterValue(
            "validation_thresholds must be a dictionary that maps strings to MetricThreshold "
            "objects."
        )
    candidate = _metrics_of(candidate_result, "candidate_result")
    baseline = None if baseline_result is None else _metrics_of(baseline_result, "baseline_result")
    results = [_check(n, g, candidate, baseline) for n, g in validation_thresholds.items()]
    failures = [f for r in results for f in r.failures]
    if failures:
        raise ModelValidationFailed("\n".join(failures), results)
    return results
