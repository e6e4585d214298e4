"""Split a large log into requests that respect MLflow's per-request limits."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from modelyard.entities import Metric, Param, RunTag
from modelyard.services.validation import (
    MAX_ENTITIES_PER_BATCH,
    MAX_METRICS_PER_BATCH,
    MAX_PARAMS_PER_BATCH,
    MAX_TAGS_PER_BATCH,
)

__all__ = ["split_batches"]


def split_batches(
    metrics: Sequence[Metric], params: Sequence[Param], tags: Sequence[RunTag]
) -> Iterator[tuple[list[Metric], list[Param], list[RunTag]]]:
    """Chunks of at most 100 params, 100 tags and 1,000 values in total; as few as possible
    (a typical run's params, tags and metrics go in one request, so one transaction)."""
    m, p, t = list(metrics), list(params), list(tags)
    while m or p or t:
        chunk_p, p = p[:MAX_PARAMS_PER_BATCH], p[MAX_PARAMS_PER_BATCH:]
        chunk_t, t = t[:MAX_TAGS_PER_BATCH], t[MAX_TAGS_PER_BATCH:]
        room = min(MAX_METRICS_PER_BATCH, MAX_ENTITIES_PER_BATCH - len(chunk_p) - len(chunk_t))
        chunk_m, m = m[:room], m[room:]
        yield chunk_m, chunk_p, chunk_t
