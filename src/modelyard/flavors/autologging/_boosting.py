"""What the XGBoost and LightGBM integrations share: per-iteration metrics buffered into
batches, the early-stopping metrics, feature importances as JSON artifacts, and the
scikit-learn-API ``fit`` hook that logs the fitted estimator as the model."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from modelyard.flavors.autologging import _core
from modelyard.flavors.autologging._run_data import (
    active_run_id,
    example_and_signature,
    first_rows,
    log_metrics,
)

__all__ = ["IterationMetrics", "clean_metric_names", "log_importance", "sklearn_fit_hook"]

_FLUSH_EVERY = 1000


def clean_metric_names(values: dict[str, float]) -> dict[str, float]:
    """MLflow's rule: ``@`` is not allowed in a metric name and becomes ``_at_``
    (``valid-ndcg@3`` -> ``valid-ndcg_at_3``)."""
    return {k.replace("@", "_at_"): v for k, v in values.items()}


class IterationMetrics:
    """Collects ``{data}-{metric}`` values per iteration (step = iteration) and logs them in
    batches; never raises into the training loop (a failure is reported once)."""

    def __init__(self, options: _core.Options, run_id: str) -> None:
        self.options = options
        self.run_id = run_id
        self.history: list[dict[str, float]] = []
        self._pending: list[tuple[int, dict[str, float]]] = []
        self._failed = False

    def record(self, step: int, values: dict[str, float]) -> None:
        try:
            values = clean_metric_names(values)
            self.history.append(values)
            self._pending.append((step, values))
            if sum(len(v) for _, v in self._pending) >= _FLUSH_EVERY:
                self.flush()
        except Exception as exc:
            self._fail(exc)

    def flush(self) -> None:
        pending, self._pending = self._pending, []
        try:
            for step, values in pending:
                if values:
                    log_metrics(self.run_id, values, step=step)
        except Exception as exc:
            self._fail(exc)

    def _fail(self, exc: Exception) -> None:
        if not self._failed:
            self._failed = True
            _core.report(self.options, "Per-iteration metrics not logged: %s", exc)


def log_importance(run_id: str, importance_type: str, values: dict[str, Any]) -> None:
    """``feature_importance_<type>.json``: feature name to importance."""
    from modelyard.client import fluent

    with tempfile.TemporaryDirectory(prefix="modelyard-autolog-") as tmp:
        path = Path(tmp) / f"feature_importance_{importance_type}.json"
        path.write_text(json.dumps(values), encoding="utf-8")
        fluent._client().log_artifact(run_id, str(path))


def sklearn_fit_hook(
    flavor: str, log_model: Callable[..., Any], extra: Callable[[_core.Options], dict[str, Any]]
) -> _core.Hook:
    """The ``fit`` hook of the scikit-learn API classes: params and metrics come from the patched
    ``train`` inside ``fit``; after ``fit`` the estimator itself is logged as ``model``."""

    def hook(self: Any, *args: Any, **kwargs: Any) -> Any:
        options = _core.get_options(flavor)
        assert options is not None
        X = args[0] if args else kwargs.get("X")
        try:
            example = first_rows(X)
        except Exception:
            example = None
        yield (self, *args), kwargs
        if not options.get("log_models", True):
            return
        active_run_id()
        input_example, signature = example_and_signature(options, example, self.predict)
        log_model(
            self,
            name="model",
            signature=signature,
            input_example=input_example,
            registered_model_name=options.get("registered_model_name"),
            **extra(options),
        )

    return hook
