"""The inference table as the A/B analysis sees it: one row per request and one per scored
record, each tagged with its variant (served model and version, live or shadow), and the late
labels joined by record id.

Record ids follow the monitors' convention (``modelyard.monitoring``): a request with one
record keeps its ``request_id``; a request with several records gets ``<request_id>:<i>``, so
labels logged with :func:`modelyard.monitoring.log_labels` line up with both.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from modelyard.errors import InvalidParameterValue, ResourceDoesNotExist

__all__ = ["Frames", "label_text", "load_frames", "parse_since", "same_label", "variant_key"]

_REQUIRED = ("request_id", "timestamp", "served_model", "model_version", "status_code", "response")
_DURATION = re.compile(
    r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?|d|days?|w|weeks?)\s*$"
)
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def variant_key(served_model: str, version: Any) -> str:
    return f"{served_model}:v{version}"


def same_label(a: Any, b: Any) -> bool:
    """Class labels compared as the monitors compare them (``1``, ``1.0``, ``"1"`` are equal)."""
    return label_text(a) == label_text(b)


def label_text(value: Any) -> str:
    """The text a class label is compared and counted by (integral floats print as integers)."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def parse_since(since: Any, now: datetime | None = None) -> datetime | None:
    """``None``; a datetime (naive = UTC); ISO 8601 text; or a duration back from now
    (``"30m"``, ``"2 hours"``, ``"7d"``; also a ``timedelta``)."""
    if since is None or since == "":
        return None
    now = now or datetime.now(UTC)
    if isinstance(since, timedelta):
        return now - since
    if isinstance(since, datetime):
        return since if since.tzinfo else since.replace(tzinfo=UTC)
    if isinstance(since, str):
        m = _DURATION.match(since.lower())
        if m:
            return now - timedelta(seconds=float(m.group(1)) * _UNIT_S[m.group(2)[0]])
        try:
            when = datetime.fromisoformat(since.strip())
        except ValueError:
            pass
        else:
            return when if when.tzinfo else when.replace(tzinfo=UTC)
    raise InvalidParameterValue(
        f"Invalid 'since' {since!r}: an ISO 8601 time (2026-11-03T00:00:00Z) or a duration "
        "back from now such as '30m', '2h', '7d'."
    )


@dataclass
class Frames:
    """``requests``: request_id, timestamp, variant, served_model, model_name, model_version,
    shadow, status_code, latency_ms, error. ``records`` (successful rows only): record_id,
    request_id, variant, shadow, prediction, label (``None`` until labelled)."""

    requests: Any
    records: Any
    table: str


def _read_table(source: Any) -> tuple[Any, str]:
    import pandas as pd

    if isinstance(source, pd.DataFrame):
        return source.copy(), "<DataFrame>"
    path = Path(source)
    if not path.exists():
        raise ResourceDoesNotExist(f"Inference table {str(path)!r} does not exist.")
    if (path / "_delta_log").is_dir():
        from modelyard.utils.delta import read_delta

        frame = read_delta(path)
    else:
        frame = pd.read_parquet(path)
    return frame, os.path.abspath(path)


def _predictions(response: Any) -> list[Any]:
    import orjson

    if not isinstance(response, str) or not response:
        return []
    try:
        body = orjson.loads(response)
    except orjson.JSONDecodeError:
        return []
    preds = body.get("predictions", []) if isinstance(body, dict) else body
    if not isinstance(preds, list):
        preds = [preds]
    out = []
    for p in preds:
        if isinstance(p, dict):  # a model returning named outputs: the first, as monitors do
            p = next(iter(p.values()), None)
        out.append(tuple(p) if isinstance(p, list) else p)
    return out


def load_frames(source: Any, *, since: datetime | None, labels: Any) -> Frames:
    """Read ``source`` (a Delta/Parquet path or a DataFrame of the inference table's shape)."""
    import numpy as np
    import pandas as pd

    raw, where = _read_table(source)
    missing = [c for c in _REQUIRED if c not in raw.columns]
    if missing:
        raise InvalidParameterValue(
            f"{where!r} is not a serving inference table: columns {missing} are missing."
        )
    raw["timestamp"] = pd.to_datetime(raw["timestamp"], utc=True)
    if since is not None:
        raw = raw[raw["timestamp"] >= pd.Timestamp(since)]
    shadow = raw["shadow"].eq(True) if "shadow" in raw.columns else pd.Series(False, raw.index)
    status = pd.to_numeric(raw["status_code"], errors="coerce").fillna(0).astype(int)
    model_name = raw["model_name"] if "model_name" in raw.columns else raw["served_model"]
    latency = (
        pd.to_numeric(raw["latency_ms"], errors="coerce")
        if "latency_ms" in raw.columns
        else pd.Series(np.nan, raw.index)
    )
    requests = pd.DataFrame(
        {
            "request_id": raw["request_id"].astype(str).to_numpy(),
            "timestamp": raw["timestamp"].to_numpy(),
            "served_model": raw["served_model"].astype(str).to_numpy(),
            "model_name": model_name.astype(str).to_numpy(),
            "model_version": raw["model_version"].astype(str).to_numpy(),
            "shadow": shadow.to_numpy(dtype=bool),
            "status_code": status.to_numpy(),
            "latency_ms": latency.to_numpy(dtype=float),
        }
    )
    requests["variant"] = [
        variant_key(s, v)
        for s, v in zip(requests["served_model"], requests["model_version"], strict=True)
    ]
    requests["error"] = requests["status_code"] != 200
    rec_rows: list[tuple[str, str, str, bool, Any]] = []
    ok = (requests["status_code"] == 200).to_numpy()
    for i, (rid, variant, is_shadow, resp) in enumerate(
        zip(
            requests["request_id"],
            requests["variant"],
            requests["shadow"],
            raw["response"],
            strict=True,
        )
    ):
        if not ok[i]:
            continue
        preds = _predictions(resp)
        many = len(preds) > 1
        for j, p in enumerate(preds):
            rec_rows.append((f"{rid}:{j}" if many else rid, rid, variant, bool(is_shadow), p))
    records = pd.DataFrame(
        rec_rows, columns=["record_id", "request_id", "variant", "shadow", "prediction"]
    )
    records["label"] = _join(records["record_id"], labels)
    return Frames(requests, records, where)


def _join(ids: Any, labels: Any) -> Any:
    """The label of each record id (``None`` when there is none)."""
    import pandas as pd

    if labels is None:
        return pd.Series([None] * len(ids), index=ids.index, dtype=object)
    if isinstance(labels, dict):
        table = pd.Series(labels, dtype=object)
        table.index = table.index.astype(str)
    elif isinstance(labels, pd.DataFrame):
        if not {"request_id", "label"} <= set(labels.columns):
            raise InvalidParameterValue(
                "labels must have the columns 'request_id' and 'label' "
                f"(got {list(labels.columns)[:10]})."
            )
        latest = labels.drop_duplicates("request_id", keep="last")
        table = pd.Series(
            latest["label"].to_numpy(dtype=object), index=latest["request_id"].astype(str)
        )
    else:
        raise InvalidParameterValue(
            "labels must be a DataFrame with 'request_id' and 'label' or a dict "
            f"{{request_id: label}}; got {type(labels).__name__}."
        )
    joined = ids.map(table)
    return joined.astype(object).where(joined.notna(), None)
