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

import inspect
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

FLAVOR_NAME = "lightgbm"
_UNLOGGED = {
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
_EXAMPLE_ATTR = "_modelyard_input_example"


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

    _core.patch_plain(FLAVOR_NAME, lightgbm.Dataset, "__init__", _remember_example)
    _core.patch(FLAVOR_NAME, lightgbm, "train", _train_hook(True), method=False)
    _core.patch(FLAVOR_NAME, lightgbm.sklearn, "train", _train_hook(False), method=False)
    fit_hook = sklearn_fit_hook(FLAVOR_NAME, _log_model, lambda options: {})
    for cls in _sklearn_classes():
        _core.patch(FLAVOR_NAME, cls, "fit", fit_hook, allow_children=True)


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


def _train_hook(log_models: bool) -> _core.Hook:
    def hook(*args: Any, **kwargs: Any) -> Any:
        import lightgbm

        options = _core.get_options(FLAVOR_NAME)
        assert options is not None
        run_id = active_run_id()
        booster_params = args[0] if args else kwargs.get("params") or {}
        log_params(run_id, dict(booster_params))
        train_fn = getattr(lightgbm.engine, "train", lightgbm.train)
        call_params = fn_params(train_fn, args, kwargs, _UNLOGGED)
        log_params(run_id, call_params)
        metrics = IterationMetrics(options, run_id)
        names = list(inspect.signature(train_fn).parameters)
        call_args, kwargs = list(args), dict(kwargs)
        index = names.index("callbacks")
        if len(call_args) > index:
            call_args[index] = [*(call_args[index] or []), _callback(metrics)]
        else:
            kwargs["callbacks"] = [*(kwargs.get("callbacks") or []), _callback(metrics)]
        train_set = call_args[1] if len(call_args) > 1 else kwargs.get("train_set")
        booster = yield tuple(call_args), kwargs
        metrics.flush()
        history = metrics.history
        best = int(booster.best_iteration or 0)
        if best > 0:
            log_metrics(run_id, {"stopped_iteration": len(history), "best_iteration": best})
            if 0 < best <= len(history):
                log_metrics(run_id, history[best - 1], step=len(history))
        for kind in ("split", "gain"):
            try:
                values = booster.feature_importance(importance_type=kind).tolist()
                log_importance(run_id, kind, dict(zip(booster.feature_name(), values, strict=True)))
            except Exception as exc:
                _core.report(options, "Feature importance %r not logged: %s", kind, exc)
        if log_models and options.get("log_models", True):
            example = getattr(train_set, _EXAMPLE_ATTR, None)
            input_example, signature = example_and_signature(options, example, booster.predict)
            _log_model(
                booster,
                name="model",
                signature=signature,
                input_example=input_example,
                registered_model_name=options.get("registered_model_name"),
            )

    return hook
