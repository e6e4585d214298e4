"""The windows a condition is judged on: per window, whether it breaches, with the evidence.

Monitor conditions read the monitor's metrics tables (``drift_metrics``, ``quality_metrics``)
and take a window's signature from the monitor's window state (when it was processed), so a
window re-processed with more rows or labels is judged again. Endpoint conditions read the
``timestamp``, ``status_code`` and ``latency_ms`` columns of the endpoint's inference table and
cut them into ``window_minutes`` windows aligned to the epoch; a window's signature is its
request count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from modelyard.errors import InvalidParameterValue

__all__ = ["MonitorTables", "Window", "describe", "windows_of"]


@dataclass(frozen=True)
class Window:
    key: str  # "<granularity>|<start>" (monitors) or "<n>m|<start>" (endpoints)
    start: str  # ISO text in UTC, sortable
    signature: str
    breach: bool
    value: float | None
    evidence: dict[str, Any] = field(default_factory=dict)


class MonitorTables:
    """A monitor whose metrics tables are read at most once: the rules of one evaluation on
    the same monitor share it (each table read is every window's Parquet file)."""

    def __init__(self, monitor: Any) -> None:
        self._monitor = monitor
        self._tables: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._monitor, name)

    def _table(self, kind: str) -> Any:
        if kind not in self._tables:
            self._tables[kind] = getattr(self._monitor, kind)()
        return self._tables[kind]

    def drift_metrics(self) -> Any:
        return self._table("drift_metrics")

    def quality_metrics(self) -> Any:
        return self._table("quality_metrics")


def describe(condition: dict[str, Any]) -> str:
    """One line saying what the condition watches."""
    kind = condition["type"]
    if kind == "drift":
        return (
            f"drift on at least {condition['min_columns']} column(s) of monitor "
            f"{condition['monitor']!r}"
        )
    op = "<" if condition["operator"] == "below" else ">"
    where = (
        f"monitor {condition['monitor']!r}"
        if kind == "quality"
        else f"endpoint {condition.get('endpoint') or condition.get('table')!r}"
    )
    return f"{condition['metric']} {op} {condition['threshold']:g} on {where}"


def _iso(value: Any) -> str:
    import pandas as pd

    return str(pd.Timestamp(value).tz_convert("UTC").isoformat())


def _crosses(value: float, condition: dict[str, Any]) -> bool:
    if condition["operator"] == "below":
        return value < float(condition["threshold"])
    return value > float(condition["threshold"])


def _monitor_windows(mon: Any, condition: dict[str, Any]) -> tuple[str, list[tuple[str, str]]]:
    gran = condition.get("granularity") or (
        mon.granularities[0] if mon.granularities else "snapshot"
    )
    if mon.profile == "snapshot":
        gran = "snapshot"
    elif gran not in mon.granularities:
        raise InvalidParameterValue(
            f"'condition.granularity' {gran!r} is not a granularity of monitor {mon.name!r} "
            f"({', '.join(mon.granularities)})."
        )
    keys = []
    for key, state in mon.windows.items():
        g, start = key.split("|", 1)
        if g == gran:
            keys.append((start, str(state.get("processed_at", ""))))
    return gran, sorted(keys)


def _slice(frame: Any, condition: dict[str, Any], gran: str) -> Any:
    if frame.empty:
        return frame
    keep = (frame["slice_key"] == condition["slice_key"]) & (
        frame["slice_value"] == condition["slice_value"]
    )
    if gran != "snapshot":
        keep &= frame["granularity"] == gran
    return frame[keep]


def _start_of(frame: Any, gran: str) -> Any:
    if gran == "snapshot":
        return frame.assign(_start="all")
    return frame.assign(_start=frame["window_start"].map(_iso))


def _drift(mon: Any, condition: dict[str, Any]) -> list[Window]:
    gran, keys = _monitor_windows(mon, condition)
    frame = _slice(mon.drift_metrics(), condition, gran)
    by_start: dict[str, Any] = {}
    if not frame.empty:
        frame = frame[frame["drift_type"] == condition["drift_type"]]
        if condition.get("columns"):
            frame = frame[frame["column_name"].isin(condition["columns"])]
        frame = _start_of(frame, gran)
        by_start = {s: g for s, g in frame.groupby("_start")}
    out = []
    for start, signature in keys:
        rows = by_start.get(start)
        drifted: list[str] = []
        effects: dict[str, float] = {}
        if rows is not None:
            hit = rows[rows["drift"].astype(bool)]
            drifted = sorted(str(c) for c in hit["column_name"])
            effects = {
                str(r.column_name): round(float(r.effect_size), 6)
                for r in hit.itertuples()
                if r.effect_size is not None and not math.isnan(float(r.effect_size))
            }
        out.append(
            Window(
                key=f"{gran}|{start}",
                start=start,
                signature=signature,
                breach=len(drifted) >= int(condition["min_columns"]),
                value=float(len(drifted)),
                evidence={"drifted_columns": drifted, "effect_sizes": effects},
            )
        )
    return out


def _quality(mon: Any, condition: dict[str, Any]) -> list[Window]:
    gran, keys = _monitor_windows(mon, condition)
    frame = _slice(mon.quality_metrics(), condition, gran)
    metric = condition["metric"]
    by_start: dict[str, Any] = {}
    if not frame.empty and metric in frame.columns:
        frame = frame[frame["model_version"].astype(str) == condition["model_version"]]
        frame = _start_of(frame, gran)
        by_start = {s: g for s, g in frame.groupby("_start")}
    out = []
    for start, signature in keys:
        rows = by_start.get(start)
        if rows is None or rows[metric].isna().all():
            continue  # no labelled rows in that window yet: nothing to judge
        value = float(rows[metric].iloc[0])
        count = float(rows["count"].iloc[0]) if "count" in rows.columns else None
        out.append(
            Window(
                key=f"{gran}|{start}",
                start=start,
                signature=signature,
                breach=_crosses(value, condition),
                value=value,
                evidence={metric: value, "labelled_rows": count},
            )
        )
    return out


def _inference_table(condition: dict[str, Any], serving_home: str | None) -> str:
    """The table path: ``<serving home>/inference/<endpoint>``, the layout of
    :func:`modelyard.serving.endpoints.inference_table_path`, computed here without opening
    the serving store (which would create its folder and database as a side effect)."""
    import os
    from pathlib import Path

    if condition.get("table"):
        return str(condition["table"])
    home = serving_home or os.environ.get("MODELYARD_SERVING_HOME") or "modelyard-serving"
    return str(Path(home).resolve() / "inference" / str(condition["endpoint"]))


def _endpoint(condition: dict[str, Any], serving_home: str | None) -> list[Window]:
    import os

    import numpy as np
    import pandas as pd

    path = _inference_table(condition, serving_home)
    if not os.path.isdir(os.path.join(path, "_delta_log")):
        return []  # nothing logged yet
    from modelyard.utils.delta import delta_dataset

    table = delta_dataset(path).to_table(columns=["timestamp", "status_code", "latency_ms"])
    frame = table.to_pandas()
    if frame.empty:
        return []
    minutes = int(condition["window_minutes"])
    ts = pd.to_datetime(frame["timestamp"], utc=True)
    frame = frame.assign(_start=ts.dt.floor(f"{minutes}min"))
    out = []
    for start, rows in frame.groupby("_start", sort=True):
        n = len(rows)
        if n < int(condition["min_requests"]):
            continue
        errors = int((rows["status_code"] >= 500).sum())
        p99 = float(np.quantile(rows["latency_ms"].to_numpy(dtype=float), 0.99))
        value = p99 if condition["metric"] == "p99_latency_ms" else errors / n
        text = _iso(start)
        out.append(
            Window(
                key=f"{minutes}m|{text}",
                start=text,
                signature=str(n),
                breach=_crosses(value, condition),
                value=value,
                evidence={
                    "requests": n,
                    "errors": errors,
                    "error_rate": errors / n,
                    "p99_latency_ms": p99,
                },
            )
        )
    return out


def windows_of(
    condition: dict[str, Any],
    *,
    monitor: Any = None,
    monitors_root: str | None = None,
    serving_home: str | None = None,
) -> list[Window]:
    """The judged windows of ``condition``, oldest first."""
    if condition["type"] == "endpoint":
        return _endpoint(condition, serving_home)
    if monitor is None:
        from modelyard.monitoring import get_monitor

        monitor = get_monitor(condition["monitor"], root=monitors_root)
    if condition["type"] == "drift":
        return _drift(monitor, condition)
    return _quality(monitor, condition)
