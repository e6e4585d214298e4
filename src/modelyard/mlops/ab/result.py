"""The result of an A/B analysis: per-variant statistics, the comparisons against the control,
the verdict and the winner."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["ABResult", "Comparison", "VariantStats"]


@dataclass
class VariantStats:
    """One served model version behind the endpoint, live or shadow, in the analysed window."""

    variant: str  # "<served model>:v<version>"
    served_model: str
    model_name: str
    model_version: str
    shadow: bool
    role: str  # "control", "challenger" or "shadow"
    requests: int
    errors: int
    error_rate: float | None
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    latency_p99_ms: float | None
    #: share of the live requests this variant answered (``None`` for a shadow)
    traffic_share: float | None
    records: int
    labelled: int
    #: class shares (classification) or quantiles p5/p25/p50/p75/p95 and mean (regression)
    prediction_distribution: dict[str, float] = field(default_factory=dict)
    #: the monitors' model-quality metrics over the labelled records (empty without labels)
    quality: dict[str, float | None] = field(default_factory=dict)
    metric_value: float | None = None
    metric_n: int = 0


@dataclass
class Comparison:
    """The control against one other variant on the chosen metric."""

    control: str
    challenger: str
    metric: str
    test: str
    paired: bool
    n_control: int
    n_challenger: int
    n_pairs: int | None
    control_value: float | None
    challenger_value: float | None
    difference: float | None  # challenger - control
    statistic: float | None
    p_value: float | None
    p_value_adjusted: float | None  # Holm, over the comparisons of this analysis
    significant: bool
    better: str | None  # the variant that is significantly better, else None
    enough_data: bool
    #: paired comparisons: share of records on which both gave the same class (classification)
    agreement: float | None
    #: paired comparisons, regression: mean |challenger - control| prediction
    mean_abs_difference: float | None
    verdict: str


def _clean(value: Any) -> Any:
    """JSON-safe: NaN and infinities become ``None``; numpy scalars become Python numbers."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _fmt(value: float | None, spec: str = ".4g") -> str:
    return "-" if value is None else format(value, spec)


@dataclass
class ABResult:
    endpoint: str | None
    table: str
    metric: str
    test: str
    alpha: float
    min_samples: int
    since: str | None
    problem_type: str
    control: str | None
    variants: list[VariantStats]
    comparisons: list[Comparison]
    winner_variant: str | None
    verdict: str

    @property
    def winner(self) -> VariantStats | None:
        """The variant that won (significantly), or ``None``."""
        return self.variant(self.winner_variant) if self.winner_variant else None

    def variant(self, key: str) -> VariantStats:
        for v in self.variants:
            if v.variant == key:
                return v
        raise KeyError(key)

    def comparison(self, challenger: str) -> Comparison:
        for c in self.comparisons:
            if c.challenger == challenger:
                return c
        raise KeyError(challenger)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-safe data (non-finite numbers as ``None``)."""
        out = asdict(self)
        winner = self.winner
        out["winner"] = (
            None
            if winner is None
            else {
                "variant": winner.variant,
                "served_model": winner.served_model,
                "model_name": winner.model_name,
                "model_version": winner.model_version,
            }
        )
        cleaned: dict[str, Any] = _clean(out)
        return cleaned

    def to_frame(self) -> Any:
        """One row per variant: its statistics, quality metrics (``quality_<name>``) and the
        comparison against the control (``p_value``, ``significant``, ...)."""
        import pandas as pd

        rows = []
        for v in self.variants:
            row = {k: val for k, val in asdict(v).items() if k not in ("quality",)}
            for name, value in v.quality.items():
                row[f"quality_{name}"] = value
            comp = next((c for c in self.comparisons if c.challenger == v.variant), None)
            for key in (
                "test",
                "paired",
                "difference",
                "p_value",
                "p_value_adjusted",
                "significant",
                "agreement",
                "verdict",
            ):
                row[key] = getattr(comp, key) if comp is not None else None
            row["winner"] = v.variant == self.winner_variant
            rows.append(row)
        return pd.DataFrame(rows)

    def __str__(self) -> str:
        title = (
            f"A/B analysis of {'endpoint ' + repr(self.endpoint) if self.endpoint else self.table}"
        )
        lines = [
            f"{title}: metric {self.metric} ({self.test} test, alpha {self.alpha}, "
            f"at least {self.min_samples} per variant"
            + (f", since {self.since}" if self.since else "")
            + ")",
        ]
        head: tuple[str, ...] = (
            "variant",
            "role",
            "requests",
            "err %",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "labelled",
            self.metric,
        )
        rows = [
            (
                v.variant,
                v.role,
                str(v.requests),
                _fmt(None if v.error_rate is None else 100 * v.error_rate, ".2f"),
                _fmt(v.latency_p50_ms, ".1f"),
                _fmt(v.latency_p95_ms, ".1f"),
                _fmt(v.latency_p99_ms, ".1f"),
                str(v.labelled),
                _fmt(v.metric_value),
            )
            for v in self.variants
        ]
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
        lines.append("  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)))
        lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
        for v in self.variants:
            if v.quality:
                q = ", ".join(f"{k} {_fmt(val)}" for k, val in v.quality.items() if k != "count")
                lines.append(f"quality {v.variant}: {q}")
        for c in self.comparisons:
            kind = "paired on the same requests" if c.paired else "independent samples"
            line = f"{c.challenger} vs {c.control} ({kind}): {c.verdict}"
            if c.agreement is not None:
                line += f"; predictions agree on {100 * c.agreement:.1f}% of {c.n_pairs} records"
            lines.append(line)
        lines.append(f"Verdict: {self.verdict}")
        w = self.winner
        lines.append(
            f"Winner: {w.variant} (model {w.model_name!r} version {w.model_version})"
            if w
            else "Winner: none"
        )
        return "\n".join(lines)
