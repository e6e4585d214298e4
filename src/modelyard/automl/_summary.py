"""What an AutoML run returns: :class:`AutoMLSummary` and one :class:`TrialInfo` per trial.

Plain dataclasses, no I/O. Names follow Databricks AutoML's summary objects so scripts written
for ``databricks.automl`` read the same fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["AutoMLSummary", "TrialInfo"]


@dataclass
class TrialInfo:
    """One trained and evaluated model configuration (one tracked run)."""

    mlflow_run_id: str
    model_path: str
    metrics: dict[str, float]
    params: dict[str, Any]
    model_description: str
    duration: float
    notebook_path: str | None = None
    notebook_url: str | None = None
    framework: str = ""
    cv_score: float | None = None

    def load_model(self) -> Any:
        """Load this trial's model as a pyfunc model."""
        from modelyard import pyfunc

        return pyfunc.load_model(self.model_path)

    def __str__(self) -> str:
        shown = {k: round(v, 4) for k, v in sorted(self.metrics.items()) if k.startswith("val_")}
        return (
            f"TrialInfo(run_id={self.mlflow_run_id!r}, model={self.model_description!r}, "
            f"val_metrics={shown}, duration={self.duration:.2f}s)"
        )


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
    def metric_distribution(self) -> list[float]:
        key = f"val_{self.primary_metric_key or self.primary_metric}"
        return [t.metrics[key] for t in self.trials if key in t.metrics]

    def __str__(self) -> str:
        return (
            f"AutoMLSummary(problem_type={self.problem_type!r}, trials={len(self.trials)}, "
            f"primary_metric={self.primary_metric!r}, best_trial={self.best_trial})"
        )
