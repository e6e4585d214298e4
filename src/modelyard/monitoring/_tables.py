"""Reading a monitored table (Delta or Parquet) window by window, flattening the serving
endpoints' inference table, and writing metrics files atomically."""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any

from modelyard.errors import InvalidParameterValue, ResourceDoesNotExist

__all__ = [
    "SERVING_COLUMNS",
    "flatten_serving",
    "is_serving_table",
    "open_dataset",
    "write_json_atomic",
    "write_parquet_atomic",
]

SERVING_COLUMNS = frozenset({"request_id", "timestamp", "request", "response", "model_version"})


def open_dataset(path: str) -> Any:
    """A pyarrow dataset over a Delta table directory or Parquet file(s)."""
    import pyarrow.dataset as ds

    if not os.path.exists(path):
        raise ResourceDoesNotExist(f"Monitored table {path!r} does not exist.")
    if os.path.isdir(os.path.join(path, "_delta_log")):
        from modelyard.utils.delta import delta_dataset

        return delta_dataset(path)
    try:
        return ds.dataset(path, format="parquet")
    except Exception as exc:  # pyarrow's errors name the file; re-raise in our tree
        raise InvalidParameterValue(f"Cannot read {path!r} as Parquet or Delta: {exc}") from None


def is_serving_table(names: list[str]) -> bool:
    return SERVING_COLUMNS <= set(names)


def _request_rows(body: Any) -> list[dict[str, Any]]:
    if isinstance(body, dict):
        if "dataframe_records" in body:
            return [dict(r) for r in body["dataframe_records"]]
        if "dataframe_split" in body:
            split = body["dataframe_split"]
            cols = split.get("columns") or []
            return [dict(zip(cols, row, strict=False)) for row in split.get("data", [])]
        for key in ("instances", "inputs"):
            if key in body:
                rows = body[key]
                if isinstance(rows, dict):  # columnar inputs
                    cols = list(rows)
                    n = len(next(iter(rows.values()), []))
                    return [{c: rows[c][i] for c in cols} for i in range(n)]
                return [r if isinstance(r, dict) else {"input": r} for r in rows]
    return []


def flatten_serving(table: Any, prediction_col: str) -> Any:
    """One row per scored record: ``request_id`` (``<id>:<i>`` when a request held several
    records), ``timestamp``, ``model_version``, the request's features and the prediction.
    Failed requests and shadow answers (``shadow`` true) are left out."""
    import pandas as pd

    raw = table.to_pandas()
    rows: list[dict[str, Any]] = []
    for rec in raw.itertuples(index=False):
        if getattr(rec, "status_code", 200) not in (200, None):
            continue
        if getattr(rec, "shadow", None) is True:  # a shadow model's copy: not served traffic
            continue
        try:
            body = json.loads(rec.request) if isinstance(rec.request, str) else {}
            resp = json.loads(rec.response) if isinstance(rec.response, str) else {}
        except ValueError:
            continue
        feats = _request_rows(body)
        preds = resp.get("predictions", []) if isinstance(resp, dict) else resp
        if not isinstance(preds, list):
            preds = [preds]
        many = len(feats) > 1
        for i, feat in enumerate(feats):
            pred = preds[i] if i < len(preds) else None
            if isinstance(pred, dict):
                pred = next(iter(pred.values()), None)
            row = dict(feat)
            row["request_id"] = f"{rec.request_id}:{i}" if many else rec.request_id
            row["timestamp"] = rec.timestamp
            row["model_version"] = rec.model_version
            row[prediction_col] = pred
            rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        frame = pd.DataFrame(columns=["request_id", "timestamp", "model_version", prediction_col])
    return frame


def write_parquet_atomic(frame: Any, path: str) -> None:
    """Write a frame as one Parquet file: to a temporary file beside it, then rename."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
    os.close(fd)
    try:
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_json_atomic(data: Any, path: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1, default=str)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
