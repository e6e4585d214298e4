"""LightGBM autologging with MLflow 3.17's names.

``autolog()`` patches ``lightgbm.train`` and the ``fit`` of ``LGBMClassifier``,
``LGBMRegressor``, ``LGBMRanker`` and ``LGBMModel``. A training call logs, into the active run or
one it starts (tag ``mlflow.autologging=lightgbm``):

* params: the booster ``params`` dict and ``train``'s other arguments by name (defaults
  included; ``train_set``, ``valid_sets``, ``valid_names``, ``feval``, ``init_model``,
  ``callbacks`` left out as MLflow does);
* metrics: ``<valid name>-<metric>`` for every validation set at every iteration (step =
  iteration); when the booster has a best iteration (early stopping), ``stopped_iteration``,
  ``best_iteration`` and the best iteration's values again at step ``len(iterations)``;
* artifacts: ``feature_importance_split.json`` and ``feature_importance_gain.json``;
* the model ``model`` (lightgbm flavor: the ``Booster`` from ``train``, the estimator from
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

FLAVOR_NAME = "lightgbm"
_UNLOGGED = frozenset(
    {
        "params",
        "train_set",
        "valid_sets",
        "valid_names",
        "fobj",
        "feval",
        "init_model",
        "learning_rates",
        "callbacks",
    }
)


def autolog(
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_models: bool = True,
    log_datasets: bool = True,
    disable: bool = False,
    exclusive: bool = False,
    disable_for_unsupported_versions: bool = False,
    silent: bool = False,
    registered_model_name: str | None = None,
    extra_tags: dict[str, Any] | None = None,
) -> None:
    """Enable (or, with ``disable=True``, undo) autologging of LightGBM training."""
    options = _core.configure(FLAVOR_NAME, dict(locals()))
    if options is None:
        return
    import lightgbm
    import lightgbm.sklearn

    train_fn = getattr(lightgbm.engine, "train", lightgbm.train)
    _boosting.patch(_LIBRARY, lightgbm, lightgbm.Dataset, train_fn, _sklearn_classes())


def _sklearn_classes() -> list[type]:
    import lightgbm.sklearn

    base = lightgbm.sklearn.LGBMModel
    return [
        cls
        for cls in vars(lightgbm.sklearn).values()
        if isinstance(cls, type)
        and issubclass(cls, base)
        and cls.__module__.split(".")[0] == "lightgbm"
    ]


def _log_model(model: Any, **kwargs: Any) -> Any:
    from modelyard.flavors.lightgbm import log_model

    return log_model(model, **kwargs)


def _callback(metrics: IterationMetrics) -> Any:
    def record(env: Any) -> None:
        try:
            values = {
                f"{data}-{name}": float(value)
                for data, name, value, *_ in env.evaluation_result_list
            }
        except Exception:
            values = {}
        metrics.record(int(env.iteration), values)

    return record


def _log_results(
    options: _core.Options,
    run_id: str,
    booster: Any,
    call_params: dict[str, Any],
    history: list[dict[str, float]],
) -> None:
    best = int(booster.best_iteration or 0)
    if best > 0:
        log_early_stopping(run_id, history, stopped=len(history), best=best, best_index=best - 1)

    def importance(kind: str) -> dict[str, Any]:
        values = booster.feature_importance(importance_type=kind).tolist()
        return dict(zip(booster.feature_name(), values, strict=True))

    log_importances(options, run_id, ("split", "gain"), importance)


_LIBRARY = _boosting.Library(
    flavor=FLAVOR_NAME,
    data_arg="train_set",
    unlogged=_UNLOGGED,
    callback=_callback,
    log_results=_log_results,
    predict=lambda booster: booster.predict,
    log_model=_log_model,
    model_kwargs=lambda options, train_params: {},
)
