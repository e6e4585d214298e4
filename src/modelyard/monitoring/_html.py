"""Standalone HTML for a drift report: a verdict line, the column table, and for each drifted
column a small inline SVG bar chart (reference vs current share per bin). No JS, no plotting
library."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from modelyard.monitoring.report import ColumnDrift, DriftReport

__all__ = ["render_report", "svg_bars"]

_W, _H, _PAD = 360, 120, 18


def _fmt(x: Any, digits: int = 4) -> str:
    if x is None:
        return ""
    if isinstance(x, float):
        if x != 0 and (abs(x) < 1e-3 or abs(x) >= 1e5):
            return f"{x:.2e}"
        return f"{x:.{digits}g}"
    return escape(str(x))


def svg_bars(labels: list[str], reference: list[float], current: list[float]) -> str:
    """Grouped bars of two share vectors over the same bins."""
    n = len(labels)
    if n == 0:
        return ""
    top = max([*reference, *current, 1e-12])
    slot = (_W - 2 * _PAD) / n
    bar = max(slot / 2.5, 1.0)
    parts = [f'<svg width="{_W}" height="{_H + 30}" role="img" xmlns="http://www.w3.org/2000/svg">']
    for i, (r, c) in enumerate(zip(reference, current, strict=True)):
        x = _PAD + i * slot
        for j, (v, colour) in enumerate(((r, "#8aa1b1"), (c, "#d9534f"))):
            h = (_H - _PAD) * v / top
            parts.append(
                f'<rect x="{x + j * bar:.1f}" y="{_H - h:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}" fill="{colour}"><title>{escape(labels[i])}: '
                f"{'reference' if j == 0 else 'current'} {v:.2%}</title></rect>"
            )
    parts.append(
        f'<text x="{_PAD}" y="{_H + 14}" font-size="10">{escape(labels[0])}</text>'
        f'<text x="{_W - _PAD}" y="{_H + 14}" font-size="10" text-anchor="end">'
        f"{escape(labels[-1])}</text>"
        f'<text x="{_PAD}" y="12" font-size="10" fill="#8aa1b1">reference</text>'
        f'<text x="{_PAD + 70}" y="12" font-size="10" fill="#d9534f">current</text></svg>'
    )
    return "".join(parts)


def _plot(col: ColumnDrift) -> str:
    p = col.plot
    if not p:
        return ""
    return svg_bars(list(p["labels"]), list(p["reference"]), list(p["current"]))


def render_report(report: DriftReport) -> str:
    verdict = "drift detected" if report.dataset_drift else "no dataset drift"
    if report.target_column is not None:
        verdict += "; target " + ("drifted" if report.target_drift else "stable")
    rows = []
    heads = [
        "column",
        "kind",
        "drift",
        "method",
        "statistic",
        "p-value",
        "adjusted p",
        "effect",
        "missing ref",
        "missing cur",
        "unseen",
        "reasons / findings",
    ]
    for c in report.columns:
        name = escape(c.column) + (" (target)" if c.is_target else "")
        notes = "; ".join(escape(s) for s in [*c.reasons, *c.findings])
        unseen = ", ".join(escape(u) for u in c.unseen_categories[:5])
        effect = f"{_fmt(c.effect_size)} {escape(c.effect_name or '')}".strip()
        cls = ' class="drift"' if c.drift else ""
        rows.append(
            f"<tr{cls}><td>{name}</td><td>{escape(c.kind)}</td><td>{'yes' if c.drift else 'no'}"
            f"</td><td>{escape(c.method)}</td><td>{_fmt(c.statistic)}</td><td>{_fmt(c.p_value)}"
            f"</td><td>{_fmt(c.p_value_adjusted)}</td><td>{effect}</td>"
            f"<td>{c.missing_share_reference:.1%}</td><td>{c.missing_share_current:.1%}</td>"
            f"<td>{unseen}</td><td>{notes}</td></tr>"
        )
    plots = []
    for c in report.columns:
        if c.drift and c.plot:
            plots.append(
                f"<figure><figcaption>{escape(c.column)}: {escape(c.plot.get('title', ''))}"
                f"</figcaption>{_plot(c)}</figure>"
            )
    findings = "".join(f"<li>{escape(f)}</li>" for f in report.findings)
    params = ", ".join(f"{escape(k)}={escape(str(v))}" for k, v in report.parameters.items())
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Drift report</title><style>"
        "body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;font-size:13px}"
        "td,th{border:1px solid #ccc;padding:3px 6px}tr.drift{background:#fbe9e7}"
        "figure{display:inline-block;margin:.5em 1em .5em 0}figcaption{font-size:12px}"
        "</style></head><body>"
        f"<h1>Drift report</h1><p><b>{escape(verdict)}</b>: "
        f"{len(report.drifted_columns)} of {len(report.columns)} columns drifted "
        f"(reference {report.n_reference} rows, current {report.n_current} rows).</p>"
        f"<p style='font-size:12px'>{params}</p>"
        + (f"<ul>{findings}</ul>" if findings else "")
        + "<table><tr>"
        + "".join(f"<th>{h}</th>" for h in heads)
        + "</tr>"
        + "".join(rows)
        + "</table>"
        + ("<h2>Drifted columns</h2>" + "".join(plots) if plots else "")
        + "</body></html>"
    )
