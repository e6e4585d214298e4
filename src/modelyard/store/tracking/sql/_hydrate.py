"""Turn run ids into ``Run`` entities with a handful of bulk ``IN`` queries per chunk.

A search page can hold 50,000 runs; this issues seven queries per chunk of ids (runs, latest
metrics, params, tags, dataset inputs, model inputs, model outputs), never one per run.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, select

from modelyard.entities import (
    Dataset,
    DatasetInput,
    InputTag,
    LoggedModelInput,
    LoggedModelOutput,
    Metric,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunOutputs,
)
from modelyard.store.sql import schema as s
from modelyard.store.tracking.sql._base import chunked, in_list

__all__ = ["load_runs", "metric_value", "run_info_from_row"]


def metric_value(value: float | None, is_nan: bool) -> float:
    return math.nan if is_nan or value is None else float(value)


def run_info_from_row(row: Row[Any]) -> RunInfo:
    return RunInfo(
        run_id=row.run_uuid,
        experiment_id=str(row.experiment_id),
        run_name=row.name or "",
        user_id=row.user_id or "",
        status=row.status,
        start_time=row.start_time,
        end_time=row.end_time,
        artifact_uri=row.artifact_uri or "",
        lifecycle_stage=row.lifecycle_stage,
    )


def load_runs(conn: Connection, run_ids: Sequence[str], max_in: int) -> list[Run]:
    """Runs in the order of ``run_ids``; ids that name no run are skipped."""
    runs: dict[str, Run] = {}
    dialect = conn.dialect.name
    for chunk in chunked(list(dict.fromkeys(run_ids)), max_in):
        _load_chunk(conn, chunk, runs, dialect)
    return [runs[r] for r in run_ids if r in runs]


def _load_chunk(conn: Connection, ids: Sequence[str], out: dict[str, Run], dialect: str) -> None:
    found: dict[str, Run] = {}
    for row in conn.execute(select(s.runs).where(in_list(s.runs.c.run_uuid, ids, dialect))).all():
        found[row.run_uuid] = Run(
            info=run_info_from_row(row), data=RunData(), inputs=RunInputs(), outputs=RunOutputs()
        )
    if not found:
        return
    keys = list(found)
    # positional unpacking of plain tuples: attribute access per row dominates big pages
    lm = s.latest_metrics
    query = select(lm.c.run_uuid, lm.c.key, lm.c.value, lm.c.is_nan, lm.c.timestamp, lm.c.step)
    for run_id, key, raw, is_nan, timestamp, step in conn.execute(
        query.where(in_list(lm.c.run_uuid, keys, dialect))
    ).all():
        value = metric_value(raw, is_nan)
        data = found[run_id].data
        data.metrics[key] = value
        data.metric_objs.append(Metric(key, value, timestamp, step, run_id))
    for table, attr in ((s.params, "params"), (s.tags, "tags")):
        query = select(table.c.run_uuid, table.c.key, table.c.value)
        for run_id, key, value in conn.execute(
            query.where(in_list(table.c.run_uuid, keys, dialect))
        ).all():
            getattr(found[run_id].data, attr)[key] = value if value is not None else ""
    di = s.run_dataset_inputs
    for d in conn.execute(
        select(di).where(in_list(di.c.run_uuid, keys, dialect)).order_by(di.c.name)
    ):
        found[d.run_uuid].inputs.dataset_inputs.append(
            DatasetInput(
                dataset=Dataset(
                    name=d.name,
                    digest=d.digest,
                    source_type=d.source_type,
                    source=d.source,
                    schema=d.schema,
                    profile=d.profile,
                ),
                tags=tuple(InputTag(k, v) for k, v in json.loads(d.tags_json or "[]")),
            )
        )
    mi = s.run_model_inputs
    for m in conn.execute(
        select(mi).where(in_list(mi.c.run_uuid, keys, dialect)).order_by(mi.c.model_id)
    ):
        found[m.run_uuid].inputs.model_inputs.append(LoggedModelInput(model_id=m.model_id))
    mo = s.run_model_outputs
    for m in conn.execute(
        select(mo).where(in_list(mo.c.run_uuid, keys, dialect)).order_by(mo.c.model_id)
    ):
        found[m.run_uuid].outputs.model_outputs.append(
            LoggedModelOutput(model_id=m.model_id, step=m.step)
        )
    for run in found.values():
        run.data.metric_objs.sort(key=lambda metric: metric.key)
    out.update(found)
