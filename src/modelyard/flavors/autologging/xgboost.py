"""XGBoost autologging with MLflow 3.17's names.

``autolog()`` patches ``xgboost.train`` and the ``fit`` of the scikit-learn API classes
(``XGBClassifier``, ``XGBRegressor``, ``XGBRanker``, ``XGBRF*``). A training call logs, into the
active run or one it starts (tag ``mlflow.autologging=xgboost``):

* params: the booster ``params`` dict and ``train``'s other arguments by name (defaults
  included; ``dtrain``, ``evals``, ``obj``, ``custom_metric`` ... left out as MLflow does);
* metrics: ``<eval name>-<metric>`` for every ``evals`` entry at every iteration (step =
  iteration); with ``early_stopping_rounds``, ``stopped_iteration`` and ``best_iteration`` and
  the best iteration's values again at step ``len(iterations)``;
* artifacts: ``feature_importance_<type>.json`` per ``importance_types`` (default ``weight``);
* the model ``model`` (xgboost flavor: the ``Booster`` from ``train``, the estimator from
  ``fit``), signature from the first 5 training rows.
"""

from __future__ import annotations

from typing import Any

from modelyard.flavors.autologging import _boosting, _core
from modelyard.flavors.autologging._boosting import (
    IterationMetrics,
    log_early_stopping,
    log_importances,
)

__all__ = ["FLAVOR_NAME", "autolog"]

FLAVOR_NAME = "xgboost"
_UNLOGGED = frozenset(
    {
        "params",
        "dtrain",
        "evals",
        "obj",
        "feval",
        "evals_result",
        "xgb_model",
        "callbacks",
        "learning_rates",
    }
)


def autolog(
    importance_types: list[str] | None = None,
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_models: bool = True,
    log_datasets: bool = True,
    disable: bool = False,
    exclusive: bool = False,
    disable_for_unsupported_versions: bool = False,
    silent: bool = False,
    registered_model_name: str | None = None,
    model_format: str = "ubj",
    extra_tags: dict[str, Any] | None = None,
) -> None:
    """Enable (or, with ``disable=True``, undo) autologging of XGBoost training."""
    options = _core.configure(FLAVOR_NAME, dict(locals()))
    if options is None:
        return
    import xgboost
    import xgboost.sklearn

    train_fn = getattr(xgboost.training, "train", xgboost.train)
    _boosting.patch(_LIBRARY, xgboost, xgboost.DMatrix, train_fn, _sklearn_classes())


def _sklearn_classes() -> list[type]:
    import xgboost.sklearn

    base = xgboost.sklearn.XGBModel
    return [
        cls
        for cls in vars(xgboost.sklearn).values()
        if isinstance(cls, type) and issubclass(cls, base) and cls is not base
    ]


def _model_kwargs(options: _core.Options, train_params: dict[str, Any] | None) -> dict[str, Any]:
    """The model format; for a ``train`` call also its params."""
    model_format = {"model_format": options.get("model_format")}
    return model_format if train_params is None else {"params": train_params, **model_format}


def _log_model(model: Any, **kwargs: Any) -> Any:
    from modelyard.flavors.xgboost import log_model

    return log_model(model, **kwargs)


def _callback(metrics: IterationMetrics) -> Any:
    import xgboost

    class _Record(xgboost.callback.TrainingCallback):
        def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
            try:
                values = {
                    f"{data}-{name}": float(history[-1])
                    for data, by_metric in evals_log.items()
                    for name, history in by_metric.items()
                }
            except Exception:
                values = {}
            metrics.record(epoch, values)
            return False

    return _Record()


def _log_results(
    options: _core.Options,
    run_id: str,
    booster: Any,
    call_params: dict[str, Any],
    history: list[dict[str, float]],
) -> None:
    if call_params.get("early_stopping_rounds") and history:
        best = int(booster.best_iteration)
        log_early_stopping(run_id, history, stopped=len(history) - 1, best=best, best_index=best)
    log_importances(
        options,
        run_id,
        options.get("importance_types") or ["weight"],
        lambda kind: booster.get_score(importance_type=kind),
    )


def _predict(booster: Any) -> Any:
    import xgboost

    return lambda data: booster.predict(xgboost.DMatrix(data))


_LIBRARY = _boosting.Library(
    flavor=FLAVOR_NAME,
    data_arg="dtrain",
    unlogged=_UNLOGGED,
    callback=_callback,
    log_results=_log_results,
    predict=_predict,
    log_model=_log_model,
    model_kwargs=_model_kwargs,
)
