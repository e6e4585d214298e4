"""What an AutoML run returns: :class:`AutoMLSummary` and one :class:`TrialInfo` per trial.

Plain dataclasses, no I/O. Field names, types and the printed form follow Databricks AutoML's
summary objects, so scripts written for ``databricks.automl`` read the same fields:
``TrialInfo.duration`` is a string in minutes, ``model_path`` the run's model URI
``runs:/<run_id>/model``, ``params`` a dict of strings, ``AutoMLSummary.metric_distribution`` a
string. A few extras (``framework``, ``cv_score``, ``duration_seconds``, ``model_uri``) are
modelyard's own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["AutoMLSummary", "TrialInfo", "format_minutes"]


def format_minutes(seconds: float) -> str:
    """A duration as Databricks prints it: minutes, as a string (``"0.25"``)."""
    return f"{seconds / 60.0:.3f}"


@dataclass
class TrialInfo:
    """One trained and evaluated model configuration (one tracked run)."""

    mlflow_run_id: str
    model_path: str
    metrics: dict[str, float]
    params: dict[str, str]
    model_description: str
    duration: str
    preprocessors: str = ""
    evaluation_metric_score: float | None = None
    notebook_path: str | None = None
    notebook_url: str | None = None
    artifact_uri: str | None = None
    framework: str = ""
    cv_score: float | None = None
    duration_seconds: float = 0.0
    model_uri: str | None = None
    evaluation_metric: str = ""

    def load_model(self) -> Any:
        """Load this trial's model as a pyfunc model."""
        from modelyard import pyfunc

        return pyfunc.load_model(self.model_path)

    def __str__(self) -> str:
        score = (
            "n/a" if self.evaluation_metric_score is None else f"{self.evaluation_metric_score:.3f}"
        )
        lines = [
            f"Model: {self.model_description}",
            f"Model path: {self.model_path}",
            f"Preprocessors: {self.preprocessors}",
            f"Training duration: {self.duration} minutes",
            f"Evaluation metric score: {score}",
            f"Evaluation metric: {self.evaluation_metric}",
        ]
        return "\n".join(lines)


@dataclass
class AutoMLSummary:
    """The outcome of ``automl.classify``, ``automl.regress`` or ``automl.forecast``."""

    experiment: Any
    trials: list[TrialInfo]
    best_trial: TrialInfo
    primary_metric: str
    problem_type: str
    primary_metric_key: str = ""
    parent_run_id: str | None = None
    experiment_dir: str | None = None
    data_exploration_notebook_path: str | None = None
    best_trial_notebook_path: str | None = None
    output_table_name: str | None = None
    semantic_type_conversions: dict[str, str] = field(default_factory=dict)
    dropped_columns: dict[str, str] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)

    @property
    def metric_values(self) -> list[float]:
        """The primary metric of every trial on the validation split (modelyard's extra)."""
        key = f"val_{self.primary_metric_key or self.primary_metric}"
        return [t.metrics[key] for t in self.trials if key in t.metrics]

    @property
    def metric_distribution(self) -> str:
        """The spread of the primary validation metric over the trials, as a string."""
        values = self.metric_values
        if not values:
            return "no trial has a validation score"
        import statistics  # 20-30 ms of imports: only when a summary is printed

        q = statistics.quantiles(values, n=4, method="inclusive") if len(values) > 1 else values * 3
        return (
            f"min: {min(values):.3f}, 25%: {q[0]:.3f}, median: {q[1]:.3f}, "
            f"75%: {q[2]:.3f}, max: {max(values):.3f}"
        )

    def __str__(self) -> str:
        exp_id = getattr(self.experiment, "experiment_id", self.experiment)
        best = str(self.best_trial).replace("\n", "\n\t\t")
        return (
            "Overall summary:\n"
            f"\t\tExperiment ID: {exp_id}\n"
            f"\t\tNumber of trials: {len(self.trials)}\n"
            f"\t\tEvaluation metric distribution: {self.metric_distribution}\n"
            "\t\tBest trial:\n"
            f"\t\t{best}"
        )
