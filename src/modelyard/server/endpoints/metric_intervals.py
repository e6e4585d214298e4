"""``GET /mlflow/metrics/get-history-bulk-interval``: one metric of up to 100 runs, downsampled.

MLflow's UI endpoint (also under ``/ajax-api``). Fields: ``run_ids`` (repeated, 1..100),
``metric_key``, ``start_step`` and ``end_step`` (both or neither, ``start <= end``) and
``max_results`` (points per run, 1..2500, default 2500). Each run is sampled on its own by
the store's :meth:`~modelyard.store.tracking.base.RunStore.sample_metric_history`: at most
``max_results`` points evenly spaced by position, the first and the last always kept, so a
1,000,000-point history answers with 2,500 points read by one SQL query. Points carry
``run_id`` and are ordered by run (as given), then step.
"""

from __future__ import annotations

from typing import Any

from modelyard.errors import InvalidParameterValue
from modelyard.server.routing import Call, Endpoint
from modelyard.wire import metric_to_json

__all__ = ["ENDPOINTS", "MAX_RESULTS_PER_RUN", "MAX_RUNS", "get_metric_history_bulk_interval"]

MAX_RUNS = 100
MAX_RESULTS_PER_RUN = 2500


def _int(call: Call, name: str) -> int | None:
    raw = call.args.get_raw(name)
    if raw is None or raw == "":
        return None
    if isinstance(raw, list):
        raw = raw[-1]
    if isinstance(raw, bool):
        raise InvalidParameterValue(f"Invalid value {raw!r} for parameter '{name}'.")
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise InvalidParameterValue(
            f"Invalid value {raw!r} for parameter '{name}': expected an integer."
        ) from None


def get_metric_history_bulk_interval(call: Call) -> dict[str, Any]:
    a = call.args
    run_ids = a.str_list("run_ids")
    if not run_ids:
        raise InvalidParameterValue("Missing value for required parameter 'run_ids'.")
    if len(run_ids) > MAX_RUNS:
        raise InvalidParameterValue(
            f"GetMetricHistoryBulkInterval request must specify at most {MAX_RUNS} run_ids. "
            f"Received {len(run_ids)} run_ids."
        )
    key = a.str("metric_key")
    if not key:
        raise InvalidParameterValue("Missing value for required parameter 'metric_key'.")
    limit = _int(call, "max_results")
    if limit is None:
        limit = MAX_RESULTS_PER_RUN
    if not 1 <= limit <= MAX_RESULTS_PER_RUN:
        raise InvalidParameterValue(f"max_results must be between 1 and {MAX_RESULTS_PER_RUN}.")
    start, end = _int(call, "start_step"), _int(call, "end_step")
    if (start is None) != (end is None):
        raise InvalidParameterValue(
            "If either start step or end step are specified, both must be specified."
        )
    if start is not None and end is not None and start > end:
        raise InvalidParameterValue(
            "end_step must be greater than start_step. "
            f"Found start_step={start} and end_step={end}."
        )
    points: list[dict[str, Any]] = []
    for run_id in dict.fromkeys(run_ids):
        call.tracking.get_run(run_id)  # 404 for an unknown run
        for m in call.tracking.sample_metric_history(run_id, key, limit, start, end):
            out = metric_to_json(m)
            out["run_id"] = run_id
            points.append(out)
    return {"metrics": points} if points else {}


ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", "/mlflow/metrics/get-history-bulk-interval", get_metric_history_bulk_interval),
]
