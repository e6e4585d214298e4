"""Writing what autologging found: params, metrics and tags in MLflow's batch sizes, and the
input example and signature of a logged model."""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Iterable, Set
from typing import Any

from modelyard.flavors.autologging._core import Options, report

__all__ = [
    "INPUT_EXAMPLE_ROWS",
    "MAX_PARAM_VALUE",
    "active_run_id",
    "example_and_signature",
    "first_rows",
    "fn_params",
    "log_metric_steps",
    "log_metrics",
    "log_params",
    "set_tags",
]

INPUT_EXAMPLE_ROWS = 5
MAX_PARAM_VALUE = 6000  # MLflow's autologging cuts longer param values to this length


def _client() -> Any:
    from modelyard.client import fluent

    return fluent._client()


def active_run_id() -> str:
    from modelyard.client import fluent

    run = fluent.active_run()
    if run is None:
        raise RuntimeError("no active run to autolog into")
    return run.info.run_id


def log_params(run_id: str, params: dict[str, Any]) -> None:
    from modelyard.entities import Param

    items = [Param(str(k), str(v)[:MAX_PARAM_VALUE]) for k, v in params.items()]
    _client().log_batch(run_id, params=items)  # split into requests of MLflow's size


def log_metrics(
    run_id: str, metrics: dict[str, Any], step: int = 0, model_id: str | None = None
) -> None:
    log_metric_steps(run_id, [(step, metrics)], model_id=model_id)


def log_metric_steps(
    run_id: str, steps: Iterable[tuple[int, dict[str, Any]]], model_id: str | None = None
) -> None:
    """The ``(step, {key: value})`` pairs in as few requests as MLflow's batch size allows."""
    from modelyard.entities import Metric
    from modelyard.utils.time import now_ms

    ts = now_ms()
    points = [
        Metric(str(key), float(value), ts, int(step), model_id=model_id)
        for step, metrics in steps
        for key, value in metrics.items()
    ]
    _client().log_batch(run_id, metrics=points)


def set_tags(run_id: str, tags: dict[str, Any]) -> None:
    from modelyard.entities import RunTag

    _client().log_batch(run_id, tags=[RunTag(str(k), str(v)) for k, v in tags.items()])


def first_rows(data: Any, rows: int = INPUT_EXAMPLE_ROWS) -> Any:
    """A copy of the first rows of a training set (training must not change the example)."""
    return copy.deepcopy(data[:rows])


def example_and_signature(
    options: Options, example: Any, predict: Callable[[Any], Any]
) -> tuple[Any, Any]:
    """``(input_example, signature)`` for ``log_model`` as the options ask: the signature is
    inferred from the first rows and the model's output on them."""
    from modelyard.models.signature import infer_signature

    signature: Any = False
    if options.log_model_signatures and example is not None:
        try:
            signature = infer_signature(example, predict(copy.deepcopy(example)))
        except Exception as exc:
            report(options, "Failed to infer the model signature: %s", exc)
            signature = None
    input_example = example if options.log_input_examples else None
    if signature is None and input_example is None:
        signature = False
    return input_example, signature


def fn_params(
    signature: inspect.Signature, args: tuple[Any, ...], kwargs: dict[str, Any], unlogged: Set[str]
) -> dict[str, Any]:
    """The arguments of a call to a function of ``signature`` by name, defaults included, minus
    ``unlogged``."""
    params = [p for p in signature.parameters.values() if p.name != "self"]
    values: dict[str, Any] = {p.name: v for p, v in zip(params, args, strict=False)}
    values.update(kwargs)
    for p in params[len(args) :]:
        if p.name not in kwargs and p.default is not inspect.Parameter.empty:
            values[p.name] = p.default
    return {k: v for k, v in values.items() if k not in unlogged}
