"""Runs as a pandas DataFrame with MLflow's columns."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from modelyard.entities import Run

__all__ = ["runs_to_frame"]

_BASE = ["run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time"]


def runs_to_frame(runs: list[Run]) -> pd.DataFrame:
    """Columns ``run_id, experiment_id, status, artifact_uri, start_time, end_time`` (UTC
    datetimes), then ``metrics.*``, ``params.*``, ``tags.*`` sorted by key."""
    import numpy as np
    import pandas as pd

    metric_keys = sorted({k for r in runs for k in r.data.metrics})
    param_keys = sorted({k for r in runs for k in r.data.params})
    tag_keys = sorted({k for r in runs for k in r.data.tags})
    columns: dict[str, list[object]] = {c: [] for c in _BASE}
    for r in runs:
        columns["run_id"].append(r.info.run_id)
        columns["experiment_id"].append(r.info.experiment_id)
        columns["status"].append(r.info.status)
        columns["artifact_uri"].append(r.info.artifact_uri)
        columns["start_time"].append(r.info.start_time)
        columns["end_time"].append(r.info.end_time)
    data: dict[str, object] = {
        "run_id": columns["run_id"],
        "experiment_id": columns["experiment_id"],
        "status": columns["status"],
        "artifact_uri": columns["artifact_uri"],
        "start_time": pd.to_datetime(
            pd.Series(columns["start_time"], dtype="float64"), unit="ms", utc=True
        ),
        "end_time": pd.to_datetime(
            pd.Series(columns["end_time"], dtype="float64"), unit="ms", utc=True
        ),
    }
    for k in metric_keys:
        data[f"metrics.{k}"] = np.array([r.data.metrics.get(k, np.nan) for r in runs], dtype=float)
    for k in param_keys:
        data[f"params.{k}"] = [r.data.params.get(k) for r in runs]
    for k in tag_keys:
        data[f"tags.{k}"] = [r.data.tags.get(k) for r in runs]
    return pd.DataFrame(data)
