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

from modelyard.flavors.autologging import _core
from modelyard.flavors.autologging._boosting import (
    IterationMetrics,
    log_importance,
    sklearn_fit_hook,
)
from modelyard.flavors.autologging._run_data import (
    active_run_id,
    example_and_signature,
    first_rows,
    fn_params,
    log_metrics,
    log_params,
)

__all__ = ["FLAVOR_NAME", "autolog"]

FLAVOR_NAME = "xgboost"
_UNLOGGED = {
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
_EXAMPLE_ATTR = "_modelyard_input_example"


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

    _core.patch_plain(FLAVOR_NAME, xgboost.DMatrix, "__init__", _remember_example)
    _core.patch(FLAVOR_NAME, xgboost, "train", _train_hook(True), method=False)
    _core.patch(FLAVOR_NAME, xgboost.sklearn, "train", _train_hook(False), method=False)
    fit_hook = sklearn_fit_hook(FLAVOR_NAME, _log_model, _model_format)
    for cls in _sklearn_classes():
        _core.patch(FLAVOR_NAME, cls, "fit", fit_hook, allow_children=True)


def _sklearn_classes() -> list[type]:
    import xgboost.sklearn

    base = xgboost.sklearn.XGBModel
    return [
        cls
        for cls in vars(xgboost.sklearn).values()
        if isinstance(cls, type) and issubclass(cls, base) and cls is not base
    ]


def _model_format(options: _core.Options) -> dict[str, Any]:
    return {"model_format": options.get("model_format", "ubj")}


def _log_model(model: Any, **kwargs: Any) -> Any:
    from modelyard.flavors.xgboost import log_model

    return log_model(model, **kwargs)


def _remember_example(original: Any, options: _core.Options) -> Any:
    def init(self: Any, data: Any, *args: Any, **kwargs: Any) -> None:
        original(self, data, *args, **kwargs)
        if _core.get_options(FLAVOR_NAME) is None:
            return
        try:
            setattr(self, _EXAMPLE_ATTR, first_rows(data))
        except Exception:
            setattr(self, _EXAMPLE_ATTR, None)

    init.__wrapped__ = original  # type: ignore[attr-defined]
    return init


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


def _train_hook(log_models: bool) -> _core.Hook:
    def hook(*args: Any, **kwargs: Any) -> Any:
        import xgboost

        options = _core.get_options(FLAVOR_NAME)
        assert options is not None
        run_id = active_run_id()
        booster_params = args[0] if args else kwargs.get("params") or {}
        log_params(run_id, dict(booster_params))
        train_fn = getattr(xgboost.training, "train", xgboost.train)
        call_params = fn_params(train_fn, args, kwargs, _UNLOGGED)
        log_params(run_id, call_params)
        metrics = IterationMetrics(options, run_id)
        kwargs = dict(kwargs)
        kwargs["callbacks"] = [*(kwargs.get("callbacks") or []), _callback(metrics)]
        dtrain = args[1] if len(args) > 1 else kwargs.get("dtrain")
        booster = yield args, kwargs
        metrics.flush()
        history = metrics.history
        if call_params.get("early_stopping_rounds") and history:
            best = int(booster.best_iteration)
            log_metrics(run_id, {"stopped_iteration": len(history) - 1, "best_iteration": best})
            if best < len(history):
                log_metrics(run_id, history[best], step=len(history))
        for kind in options.get("importance_types") or ["weight"]:
            try:
                log_importance(run_id, kind, booster.get_score(importance_type=kind))
            except Exception as exc:
                _core.report(options, "Feature importance %r not logged: %s", kind, exc)
        if log_models and options.get("log_models", True):
            example = getattr(dtrain, _EXAMPLE_ATTR, None)
            input_example, signature = example_and_signature(
                options, example, lambda data: booster.predict(xgboost.DMatrix(data))
            )
            _log_model(
                booster,
                name="model",
                signature=signature,
                input_example=input_example,
                registered_model_name=options.get("registered_model_name"),
                params=call_params,
                **_model_format(options),
            )

    return hook
