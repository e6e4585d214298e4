"""The child runs of a ``GridSearchCV``/``RandomizedSearchCV`` fit, rebuilt from its
``cv_results_`` as MLflow does (the search's candidates are not observed while they train)."""

from __future__ import annotations

import numbers
import tempfile
from pathlib import Path
from typing import Any

from modelyard.flavors.autologging._core import AUTOLOGGING_TAG, Options
from modelyard.flavors.autologging._run_data import log_metrics, log_params

__all__ = ["log_child_runs", "log_cv_results"]


def _rank_column(columns: list[str]) -> str | None:
    if "rank_test_score" in columns:
        return "rank_test_score"
    return next((c for c in columns if c.startswith("rank_test_")), None)


def log_child_runs(
    options: Options,
    parent_run_id: str,
    search: Any,
    max_tuning_runs: int | None,
    best_params: dict[str, Any] | None,
    best_model_id: str | None,
) -> list[str]:
    """Create one finished child run per candidate among the best ``max_tuning_runs`` (all of
    them for None); return their ids, best first."""
    import pandas as pd

    from modelyard.client import fluent
    from modelyard.flavors.autologging.sklearn import _is_search, estimator_tags
    from modelyard.utils.time import now_ms

    client = fluent._client()
    parent = client.get_run(parent_run_id)
    results = pd.DataFrame.from_dict(search.cv_results_)
    if max_tuning_runs is not None:
        rank = _rank_column(list(results.columns))
        if rank is not None:
            results = results.nsmallest(max_tuning_runs, rank)
        else:
            results = results.head(max_tuning_runs)
    seed = search.estimator
    base_params = seed.get_params(deep=not _is_search(seed))
    tags = {
        **fluent._default_tags(),
        AUTOLOGGING_TAG: options.flavor,
        "mlflow.parentRunId": parent_run_id,
        **estimator_tags(seed),
    }
    end_time = now_ms()
    ids = []
    for _, row in results.iterrows():
        child = client.create_run(
            parent.info.experiment_id, start_time=parent.info.start_time, tags=tags
        )
        child_id = child.info.run_id
        candidate = dict(row.get("params", {}) or {})
        log_params(child_id, {**base_params, **candidate})
        metrics = {
            str(k): v
            for k, v in row.items()
            if not str(k).startswith(("param", "split")) and isinstance(v, numbers.Number)
        }
        is_best = best_params is not None and candidate.items() <= best_params.items()
        log_metrics(child_id, metrics, model_id=best_model_id if is_best else None)
        client.set_terminated(child_id, "FINISHED", end_time)
        ids.append(child_id)
    return ids


def log_cv_results(run_id: str, search: Any) -> None:
    """``cv_results.csv``: the search's ``cv_results_`` table, as an artifact of the parent."""
    import pandas as pd

    from modelyard.client import fluent

    with tempfile.TemporaryDirectory(prefix="modelyard-autolog-") as tmp:
        path = Path(tmp) / "cv_results.csv"
        pd.DataFrame.from_dict(search.cv_results_).to_csv(path, index=False)
        fluent._client().log_artifact(run_id, str(path))
