"""Prometheus metrics in the text exposition format, without a client library.

Each worker process keeps its own counters and labels them with ``worker`` (its pid), so a
scrape that reaches any worker returns valid series; sum over ``worker`` in PromQL.
"""

from __future__ import annotations

import os
import threading
from bisect import bisect_left

__all__ = ["Metrics"]

_LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)
_BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)

_Labels = tuple[tuple[str, str], ...]


class _Histogram:
    __slots__ = ("buckets", "counts", "sum", "total")

    def __init__(self, buckets: tuple[float, ...]) -> None:
        self.buckets = buckets
        self.counts = [0] * (len(buckets) + 1)
        self.sum = 0.0
        self.total = 0

    def observe(self, value: float) -> None:
        self.counts[bisect_left(self.buckets, value)] += 1
        self.sum += value
        self.total += 1


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[_Labels, int] = {}
        self._latency: dict[_Labels, _Histogram] = {}
        self._batch_rows: dict[_Labels, _Histogram] = {}
        self._gauges: dict[tuple[str, _Labels], float] = {}
        self._counters: dict[tuple[str, _Labels], int] = {}
        self._worker = str(os.getpid())

    def observe_request(self, labels: dict[str, str], status: int, seconds: float) -> None:
        key = tuple(sorted(labels.items()))
        with self._lock:
            ckey = (*key, ("status", str(status)))
            self._requests[ckey] = self._requests.get(ckey, 0) + 1
            hist = self._latency.get(key)
            if hist is None:
                hist = self._latency[key] = _Histogram(_LATENCY_BUCKETS)
            hist.observe(seconds)

    def observe_batch(self, labels: dict[str, str], rows: int) -> None:
        key = tuple(sorted(labels.items()))
        with self._lock:
            hist = self._batch_rows.get(key)
            if hist is None:
                hist = self._batch_rows[key] = _Histogram(_BATCH_BUCKETS)
            hist.observe(rows)

    def inc(self, name: str, labels: dict[str, str], by: int = 1) -> None:
        """Add to a plain counter (rendered as ``# TYPE <name> counter``)."""
        key = (name, tuple(sorted(labels.items())))
        with self._lock:
            self._counters[key] = self._counters.get(key, 0) + by

    def set_gauge(self, name: str, labels: dict[str, str], value: float) -> None:
        with self._lock:
            self._gauges[(name, tuple(sorted(labels.items())))] = value

    def render(self) -> str:
        lines: list[str] = []
        with self._lock:
            lines += [
                "# HELP modelyard_requests_total Scoring requests by outcome.",
                "# TYPE modelyard_requests_total counter",
            ]
            for key, n in sorted(self._requests.items()):
                lines.append(f"modelyard_requests_total{self._fmt(key)} {n}")
            self._render_hist(
                lines, "modelyard_request_latency_seconds", "Request latency.", self._latency
            )
            self._render_hist(
                lines, "modelyard_predict_batch_rows", "Rows per predict call.", self._batch_rows
            )
            for name in sorted({name for name, _ in self._counters}):
                lines.append(f"# TYPE {name} counter")
                for (cname, key), n in sorted(self._counters.items()):
                    if cname == name:
                        lines.append(f"{name}{self._fmt(key)} {n}")
            names = sorted({name for name, _ in self._gauges})
            for name in names:
                lines.append(f"# TYPE {name} gauge")
                for (gname, key), value in sorted(self._gauges.items()):
                    if gname == name:
                        lines.append(f"{name}{self._fmt(key)} {value:g}")
        return "\n".join(lines) + "\n"

    def _render_hist(
        self, lines: list[str], name: str, help_: str, hists: dict[_Labels, _Histogram]
    ) -> None:
        lines += [f"# HELP {name} {help_}", f"# TYPE {name} histogram"]
        for key, hist in sorted(hists.items()):
            cumulative = 0
            for bound, count in zip((*hist.buckets, "+Inf"), hist.counts, strict=True):
                cumulative += count
                le = bound if isinstance(bound, str) else f"{bound:g}"
                lines.append(f"{name}_bucket{self._fmt((*key, ('le', le)))} {cumulative}")
            lines.append(f"{name}_sum{self._fmt(key)} {hist.sum:.6f}")
            lines.append(f"{name}_count{self._fmt(key)} {hist.total}")

    def _fmt(self, key: _Labels) -> str:
        items = (*key, ("worker", self._worker))
        body = ",".join(f'{k}="{_escape(v)}"' for k, v in items)
        return "{" + body + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
