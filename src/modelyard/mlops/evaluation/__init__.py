"""Model evaluation with MLflow's default evaluator names (``modelyard.models.evaluate``).

- :mod:`.api` — :func:`evaluate`: resolve the model, predict once, compute, log.
- :mod:`.result` — :class:`EvaluationResult` and :class:`EvaluationArtifact`.
- :mod:`.classifier`, :mod:`.regressor` — the built-in metrics (vectorised numpy).
- :mod:`.plots` — the standard plots (matplotlib, Agg backend).
"""

from modelyard.mlops.evaluation.api import evaluate
from modelyard.mlops.evaluation.result import EvaluationArtifact, EvaluationResult

__all__ = ["EvaluationArtifact", "EvaluationResult", "evaluate"]
