"""The result of :func:`modelyard.monitoring.detect_drift`: one :class:`ColumnDrift` per column
and a dataset-level verdict, convertible to a dict, a pandas frame and HTML, and loggable to a
run through the public client."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from modelyard.errors import InvalidParameterValue

__all__ = ["ColumnDrift", "DriftReport"]

_FRAME_FIELDS = (
    "column",
    "kind",
    "is_target",
    "drift",
    "method",
    "statistic",
    "p_value",
    "p_value_adjusted",
    "effect_name",
    "effect_size",
    "missing_share_reference",
    "missing_share_current",
    "missing_p_value",
    "unseen_share",
    "unseen_categories",
    "reasons",
    "findings",
)


@dataclass
class ColumnDrift:
    """Drift of one column. ``statistic``/``p_value`` are the value test's (KS for numbers,
    chi-square over categories + missing + unseen bins for categories); ``p_value_adjusted`` is
    the smallest corrected p-value over the column's tests; ``reasons`` says why ``drift``."""

    column: str
    kind: str
    method: str
    drift: bool
    statistic: float | None = None
    p_value: float | None = None
    p_value_adjusted: float | None = None
    effect_size: float | None = None
    effect_name: str | None = None
    missing_share_reference: float = 0.0
    missing_share_current: float = 0.0
    missing_p_value: float | None = None
    unseen_categories: list[str] = field(default_factory=list)
    unseen_share: float = 0.0
    reasons: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    is_target: bool = False
    plot: dict[str, Any] = field(default_factory=dict, repr=False)

    def to_dict(self, *, plot: bool = False) -> dict[str, Any]:
        d = asdict(self)
        if not plot:
            d.pop("plot")
        return d


@dataclass
class DriftReport:
    """Per-column drift results and the dataset verdict.

    ``dataset_drift`` is about the feature columns (the target is reported apart as
    ``target_drift``); iterate the report for every :class:`ColumnDrift`, target included.
    """

    columns: list[ColumnDrift]
    dataset_drift: bool
    target_column: str | None
    n_reference: int
    n_current: int
    parameters: dict[str, Any]
    findings: list[str] = field(default_factory=list)

    def __iter__(self) -> Iterator[ColumnDrift]:
        return iter(self.columns)

    def __len__(self) -> int:
        return len(self.columns)

    def __getitem__(self, name: str) -> ColumnDrift:
        for c in self.columns:
            if c.column == name:
                return c
        raise KeyError(name)

    @property
    def features(self) -> list[ColumnDrift]:
        return [c for c in self.columns if not c.is_target]

    @property
    def target(self) -> ColumnDrift | None:
        for c in self.columns:
            if c.is_target:
                return c
        return None

    @property
    def target_drift(self) -> bool:
        t = self.target
        return bool(t is not None and t.drift)

    @property
    def drifted_columns(self) -> list[str]:
        """Every drifted column, target included, in table order."""
        return [c.column for c in self.columns if c.drift]

    @property
    def share_drifted(self) -> float:
        feats = self.features
        return sum(c.drift for c in feats) / len(feats) if feats else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset_drift": self.dataset_drift,
            "target_column": self.target_column,
            "target_drift": self.target_drift,
            "drifted_columns": self.drifted_columns,
            "share_drifted": self.share_drifted,
            "n_reference": self.n_reference,
            "n_current": self.n_current,
            "parameters": dict(self.parameters),
            "findings": list(self.findings),
            "columns": [c.to_dict() for c in self.columns],
        }

    def to_frame(self) -> Any:
        """One row per column (pandas DataFrame), in table order."""
        import pandas as pd

        rows = [{k: getattr(c, k) for k in _FRAME_FIELDS} for c in self.columns]
        return pd.DataFrame(rows, columns=list(_FRAME_FIELDS))

    def to_html(self) -> str:
        """A standalone HTML page: the verdict, the column table, one small plot per drift."""
        from modelyard.monitoring._html import render_report

        return render_report(self)

    def save_html(self, path: str) -> str:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(self.to_html())
        return path

    def log_to_run(
        self, run_id: str | None = None, *, client: Any = None, artifact_path: str = "drift"
    ) -> str:
        """Log the verdict as metrics and tags, and ``report.json`` / ``report.html`` as
        artifacts under ``artifact_path``, to ``run_id`` or the active run. Returns the run id."""
        from modelyard.client import MlflowClient
        from modelyard.entities import Metric, RunTag
        from modelyard.utils.time import now_ms

        if run_id is None:
            from modelyard.client.fluent import active_run

            run = active_run()
            if run is None:
                raise InvalidParameterValue(
                    "log_to_run needs a run_id or an active run (modelyard.start_run())."
                )
            run_id = run.info.run_id
        client = client or MlflowClient()
        ts = now_ms()
        metrics = [
            Metric("drift.dataset_drift", float(self.dataset_drift), ts),
            Metric("drift.n_drifted_columns", float(len(self.drifted_columns)), ts),
            Metric("drift.share_drifted_columns", float(self.share_drifted), ts),
        ]
        for c in self.columns:
            key = _metric_key(c.column)
            metrics.append(Metric(f"drift.{key}.drift", float(c.drift), ts))
            if c.effect_size is not None:
                metrics.append(Metric(f"drift.{key}.{c.effect_name}", float(c.effect_size), ts))
            metrics.append(Metric(f"drift.{key}.missing_share", float(c.missing_share_current), ts))
        drifted = ",".join(self.drifted_columns)
        tags = [
            RunTag("modelyard.monitoring.dataset_drift", str(self.dataset_drift).lower()),
            RunTag("modelyard.monitoring.drifted_columns", drifted[:5000]),
        ]
        for start in range(0, len(metrics), 1000):
            client.log_batch(run_id, metrics=metrics[start : start + 1000])
        client.log_batch(run_id, tags=tags)
        client.log_dict(run_id, self.to_dict(), f"{artifact_path}/report.json")
        client.log_text(run_id, self.to_html(), f"{artifact_path}/report.html")
        return str(run_id)


def _metric_key(column: str) -> str:
    key = re.sub(r"[^A-Za-z0-9_\-. /]", "_", column).strip() or "_"
    return key[:200]
