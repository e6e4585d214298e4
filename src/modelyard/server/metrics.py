"""Request counters and latencies per route, exposed as Prometheus text at ``/metrics``.

Updated from the event loop only (the dispatcher records after each response), so plain dicts
suffice. With several uvicorn workers each process reports its own numbers.
"""

from __future__ import annotations

from bisect import bisect_left

__all__ = ["RequestMetrics"]

_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class RequestMetrics:
    def __init__(self) -> None:
        self.counts: dict[tuple[str, str, int], int] = {}
        self.latency: dict[tuple[str, str], list[float]] = {}  # buckets..., sum, count

    def record(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        self.counts[key] = self.counts.get(key, 0) + 1
        lat = self.latency.get((method, route))
        if lat is None:
            lat = self.latency[(method, route)] = [0.0] * (len(_BUCKETS) + 2)
        bucket = bisect_left(_BUCKETS, seconds)
        if bucket < len(_BUCKETS):
            lat[bucket] += 1
        lat[-2] += seconds
        lat[-1] += 1

    def render(self) -> str:
        lines = [
            "# HELP modelyard_http_requests_total HTTP requests by method, route and status.",
            "# TYPE modelyard_http_requests_total counter",
        ]
        for (method, route, status), n in sorted(self.counts.items()):
            lines.append(
                f'modelyard_http_requests_total{{method="{method}",route="{_escape(route)}",'
                f'status="{status}"}} {n}'
            )
        lines += [
            "# HELP modelyard_http_request_duration_seconds Request latency by method and route.",
            "# TYPE modelyard_http_request_duration_seconds histogram",
        ]
        for (method, route), lat in sorted(self.latency.items()):
            labels = f'method="{method}",route="{_escape(route)}"'
            cumulative = 0.0
            for bound, hits in zip(_BUCKETS, lat, strict=False):
                cumulative += hits
                lines.append(
                    f'modelyard_http_request_duration_seconds_bucket{{{labels},le="{bound}"}} '
                    f"{int(cumulative)}"
                )
            lines.append(
                f'modelyard_http_request_duration_seconds_bucket{{{labels},le="+Inf"}} {int(lat[-1])}'
            )
            lines.append(f"modelyard_http_request_duration_seconds_sum{{{labels}}} {lat[-2]:.6f}")
            lines.append(
                f"modelyard_http_request_duration_seconds_count{{{labels}}} {int(lat[-1])}"
            )
        return "\n".join(lines) + "\n"
