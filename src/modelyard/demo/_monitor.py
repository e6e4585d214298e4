"""Demo step: a monitor on the endpoint's inference table flags the shifted columns."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

__all__ = ["MonitorResult", "run_monitoring"]

MONITOR_NAME = "churn_endpoint"


@dataclass
class MonitorResult:
    drifted_columns: list[str]
    report_path: str
    rows_monitored: int


def _wait_for_rows(endpoint: str, wanted: int) -> Any:
    """The inference log is written off the request path: wait (bounded) until it has the rows."""
    from modelyard.serving import endpoints

    deadline = time.monotonic() + 120
    while True:
        table = endpoints.read_inference_table(endpoint)  # empty until the first append
        if len(table) >= wanted:
            return table
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"the inference table of {endpoint!r} has {len(table)} of {wanted} rows"
            )
        time.sleep(0.5)


def run_monitoring(
    reference: Any, endpoint: str, features: list[str], wanted_requests: int, echo: Any = print
) -> MonitorResult:
    from modelyard import monitoring
    from modelyard.errors import ResourceDoesNotExist
    from modelyard.serving import endpoints

    table = _wait_for_rows(endpoint, wanted_requests)
    try:
        monitoring.delete_monitor(MONITOR_NAME)
    except ResourceDoesNotExist:
        pass
    monitoring.create_monitor(
        MONITOR_NAME,
        table=str(endpoints.inference_table_path(endpoint)),
        profile="inference",
        granularities=["1 day"],
        feature_columns=features,
        baseline=reference[features],
    )
    result = monitoring.refresh_monitor(MONITOR_NAME)
    mon = monitoring.get_monitor(MONITOR_NAME)
    drift = mon.drift_metrics()
    base = drift[(drift["drift_type"] == "baseline") & (drift["slice_key"] == ":all")]
    latest = base[base["window_start"] == base["window_start"].max()]
    echo(
        f"  monitor {MONITOR_NAME!r} on the endpoint's inference table ({len(table)} requests "
        f"logged), {len(result['processed'])} window(s) refreshed; drift against the training data:"
    )
    shown = latest[["column_name", "method", "p_value_adjusted", "effect_size", "drift"]]
    echo(shown.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    drifted = sorted(latest.loc[latest["drift"].astype(bool), "column_name"].tolist())
    window = str(latest["window_start"].iloc[0].isoformat())
    path = mon.report_path(window)
    echo(f"  drifted: {', '.join(drifted) or 'none'}; HTML report: {path}")
    return MonitorResult(drifted, path, int(len(table)))
