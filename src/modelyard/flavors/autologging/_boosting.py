"""What the XGBoost and LightGBM integrations share: the patches (``train``, the training-data
class and the scikit-learn API ``fit``), the ``train`` hook that logs params, per-iteration
metrics buffered into batches, the early-stopping metrics, feature importances as JSON artifacts
and the model, and the ``fit`` hook that logs the fitted estimator as the model. A
:class:`Library` says what each library does its own way."""

from __future__ import annotations

import functools
import inspect
import json
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelyard.flavors.autologging import _core
from modelyard.flavors.autologging._run_data import (
    active_run_id,
    example_and_signature,
    first_rows,
    fn_params,
    log_metric_steps,
    log_metrics,
    log_params,
)

__all__ = [
    "IterationMetrics",
    "Library",
    "clean_metric_names",
    "log_early_stopping",
    "log_importances",
    "patch",
]

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
            log_metric_steps(self.run_id, pending)
        except Exception as exc:
            self._fail(exc)

    def _fail(self, exc: Exception) -> None:
        if not self._failed:
            self._failed = True
            _core.report(self.options, "Per-iteration metrics not logged: %s", exc)


def _log_importance(run_id: str, importance_type: str, values: dict[str, Any]) -> None:
    """``feature_importance_<type>.json``: feature name to importance."""
    from modelyard.client import fluent

    with tempfile.TemporaryDirectory(prefix="modelyard-autolog-") as tmp:
        path = Path(tmp) / f"feature_importance_{importance_type}.json"
        path.write_text(json.dumps(values), encoding="utf-8")
        fluent._client().log_artifact(run_id, str(path))


def log_importances(
    options: _core.Options,
    run_id: str,
    kinds: Iterable[str],
    importance: Callable[[str], dict[str, Any]],
) -> None:
    """One ``feature_importance_<kind>.json`` per kind (``importance(kind)``: feature name to
    importance); a kind that fails is reported and skipped."""
    for kind in kinds:
        try:
            _log_importance(run_id, kind, importance(kind))
        except Exception as exc:
            _core.report(options, "Feature importance %r not logged: %s", kind, exc)


def log_early_stopping(
    run_id: str, history: list[dict[str, float]], stopped: int, best: int, best_index: int
) -> None:
    """``stopped_iteration`` and ``best_iteration``, and the values of ``history[best_index]``
    again at step ``len(history)`` (when there is such an iteration)."""
    log_metrics(run_id, {"stopped_iteration": stopped, "best_iteration": best})
    if 0 <= best_index < len(history):
        log_metrics(run_id, history[best_index], step=len(history))


@dataclass(frozen=True)
class Library:
    """What one boosting library's integration does its own way."""

    flavor: str
    data_arg: str
    """``train``'s training-data argument (its first rows become the input example)."""
    unlogged: frozenset[str]
    """``train``'s arguments not logged as params, as MLflow."""
    callback: Callable[[IterationMetrics], Any]
    """A ``train`` callback recording each iteration's metrics."""
    log_results: Callable[[_core.Options, str, Any, dict[str, Any], list[dict[str, float]]], None]
    """``(options, run_id, booster, train params, history)``: early-stopping metrics and feature
    importances of a trained booster."""
    predict: Callable[[Any], Callable[[Any], Any]]
    """The booster's predict function on input-example rows."""
    log_model: Callable[..., Any]
    model_kwargs: Callable[[_core.Options, dict[str, Any] | None], dict[str, Any]]
    """Extra ``log_model`` arguments, given the ``train`` call's params (None for ``fit``)."""


_EXAMPLE_ATTR = "_modelyard_input_example"


def patch(
    library: Library,
    module: Any,
    data_class: type,
    train_fn: Callable[..., Any],
    sklearn_classes: list[type],
) -> None:
    """Patch ``data_class.__init__`` (remembers the first rows), ``module.train`` and
    ``module.sklearn.train`` (the model logged only by the former: ``fit`` logs the estimator) and
    the ``fit`` of ``sklearn_classes``. ``train_fn`` is the unpatched ``train``."""
    flavor = library.flavor
    _core.patch_plain(flavor, data_class, "__init__", functools.partial(_remember_example, flavor))
    _core.patch(flavor, module, "train", _train_hook(library, train_fn, True), method=False)
    _core.patch(
        flavor, module.sklearn, "train", _train_hook(library, train_fn, False), method=False
    )
    fit_hook = _sklearn_fit_hook(library)
    for cls in sklearn_classes:
        _core.patch(flavor, cls, "fit", fit_hook, allow_children=True)


def _remember_example(flavor: str, original: Any) -> Any:
    """The training-data class's ``__init__`` that also keeps the data's first rows."""

    def init(self: Any, data: Any, *args: Any, **kwargs: Any) -> None:
        original(self, data, *args, **kwargs)
        if _core.get_options(flavor) is None:
            return
        try:
            setattr(self, _EXAMPLE_ATTR, first_rows(data))
        except Exception:
            setattr(self, _EXAMPLE_ATTR, None)

    init.__wrapped__ = original  # type: ignore[attr-defined]
    return init


def _log_model(
    library: Library,
    options: _core.Options,
    model: Any,
    example: Any,
    predict: Callable[[Any], Any],
    train_params: dict[str, Any] | None,
) -> None:
    input_example, signature = example_and_signature(options, example, predict)
    library.log_model(
        model,
        name="model",
        signature=signature,
        input_example=input_example,
        registered_model_name=options.registered_model_name,
        **library.model_kwargs(options, train_params),
    )


def _train_hook(library: Library, train_fn: Callable[..., Any], log_models: bool) -> _core.Hook:
    signature = inspect.signature(train_fn)
    # where a positional ``callbacks`` argument sits (None when it can only be given by name)
    callbacks_index = (
        list(signature.parameters).index("callbacks")
        if signature.parameters["callbacks"].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
        else None
    )

    def hook(*args: Any, **kwargs: Any) -> Any:
        options = _core.get_options(library.flavor)
        assert options is not None
        run_id = active_run_id()
        booster_params = args[0] if args else kwargs.get("params") or {}
        log_params(run_id, dict(booster_params))
        call_params = fn_params(signature, args, kwargs, library.unlogged)
        log_params(run_id, call_params)
        metrics = IterationMetrics(options, run_id)
        call_args, kwargs = list(args), dict(kwargs)
        if callbacks_index is not None and len(call_args) > callbacks_index:
            given = call_args[callbacks_index] or []
            call_args[callbacks_index] = [*given, library.callback(metrics)]
        else:
            kwargs["callbacks"] = [*(kwargs.get("callbacks") or []), library.callback(metrics)]
        train_data = call_args[1] if len(call_args) > 1 else kwargs.get(library.data_arg)
        booster = yield tuple(call_args), kwargs
        metrics.flush()
        library.log_results(options, run_id, booster, call_params, metrics.history)
        if log_models and options.log_models:
            example = getattr(train_data, _EXAMPLE_ATTR, None)
            _log_model(library, options, booster, example, library.predict(booster), call_params)

    return hook


def _sklearn_fit_hook(library: Library) -> _core.Hook:
    """The ``fit`` hook of the scikit-learn API classes: params and metrics come from the patched
    ``train`` inside ``fit``; after ``fit`` the estimator itself is logged as ``model``."""

    def hook(self: Any, *args: Any, **kwargs: Any) -> Any:
        options = _core.get_options(library.flavor)
        assert options is not None
        X = args[0] if args else kwargs.get("X")
        try:
            example = first_rows(X)
        except Exception:
            example = None
        yield (self, *args), kwargs
        if not options.log_models:
            return
        active_run_id()
        _log_model(library, options, self, example, self.predict, None)

    return hook
