"""One refresh of a monitor: read the table, join late labels, split into windows, and for each
changed window compute and atomically commit its profile, drift and quality metrics."""

from __future__ import annotations

import glob
import json
import os
import shutil
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from modelyard.errors import InvalidParameterValue
from modelyard.monitoring._columns import NUMERICAL
from modelyard.monitoring._tables import (
    flatten_serving,
    is_serving_table,
    open_dataset,
    write_json_atomic,
    write_parquet_atomic,
)
from modelyard.monitoring._windows import parse_granularity
from modelyard.monitoring.drift import detect_drift
from modelyard.monitoring.profiles import Profile
from modelyard.monitoring.profiles import profile as profile_data
from modelyard.monitoring.quality import classification_metrics, regression_metrics

if TYPE_CHECKING:
    from modelyard.monitoring.monitors import Monitor

__all__ = ["DEFAULT_BATCH_ROWS", "refresh", "request_ids", "window_dir"]

_SERVING_META = {
    "endpoint",
    "served_model",
    "model_name",
    "status_code",
    "latency_ms",
    "request",
    "response",
}
_ALL = ":all"
_MAX_SLICE_VALUES = 20
_DRIFT_FIELDS = (
    "drift",
    "method",
    "statistic",
    "p_value",
    "p_value_adjusted",
    "effect_name",
    "effect_size",
    "missing_share_reference",
    "missing_share_current",
    "unseen_share",
)


_SERVING_READ = (
    "request_id",
    "timestamp",
    "model_version",
    "request",
    "response",
    "status_code",
    "shadow",
)
DEFAULT_BATCH_ROWS = 200_000


def _source(mon: Monitor, ds: Any) -> tuple[list[str] | None, Callable[[Any], Any]]:
    """The columns to scan (the used ones for the serving layout; ``None``: all) and how a
    batch of them becomes a pandas frame (flattened, for the serving layout)."""
    names = list(ds.schema.names)
    if is_serving_table(names):
        pred = mon.prediction_col or "prediction"
        cols = [c for c in _SERVING_READ if c in names]
        return cols, lambda t: flatten_serving(t.select(cols), pred)
    return None, lambda t: t.to_pandas()


def request_ids(mon: Monitor, *, batch_rows: int = DEFAULT_BATCH_ROWS) -> set[str]:
    """Every request id of the monitored table (the flattened ids for the serving layout),
    read ``batch_rows`` rows at a time."""
    from modelyard.monitoring._spill import iter_frames, scan

    ds = open_dataset(mon.table)
    names = list(ds.schema.names)
    if not is_serving_table(names) and mon.request_id_col not in names:
        raise InvalidParameterValue(
            f"Column {mon.request_id_col!r} (request ids) is not in table {mon.table!r}."
        )
    if not is_serving_table(names):
        out: set[str] = set()
        for batch in scan(ds, batch_rows, [mon.request_id_col]):
            out.update(str(v) for v in batch.column(0).to_pylist())
        return out
    columns, to_frame = _source(mon, ds)
    ids: set[str] = set()
    for frame in iter_frames(ds, batch_rows, to_frame, columns):
        ids.update(frame[mon.request_id_col].astype(str))
    return ids


def _join_labels(mon: Monitor, frame: Any, labels: Any = None) -> Any:
    labels = mon.labels() if labels is None else labels
    if labels.empty:
        return frame
    latest = labels.set_index("request_id")["label"]
    ids = frame[mon.request_id_col].astype(str)
    joined = ids.map(latest)
    if mon.label_col in frame.columns:
        joined = joined.where(joined.notna(), frame[mon.label_col])
    frame = frame.copy()
    frame[mon.label_col] = joined
    return frame


def _kind_of(v: Any) -> str:
    import numbers

    if isinstance(v, str):
        return "text"
    if isinstance(v, bool) or isinstance(v, numbers.Number):
        return type(v).__name__
    if hasattr(v, "year") and hasattr(v, "month"):
        return "datetime"
    return type(v).__name__


def timestamps(frame: Any, col: str) -> Any:
    """The column as tz-aware UTC timestamps; mixed or unparseable values are an error."""
    import pandas as pd

    if col not in frame.columns:
        raise InvalidParameterValue(f"Timestamp column {col!r} is not in the monitored table.")
    s = frame[col]
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        ts = pd.to_datetime(s, utc=True)
    elif s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
        present = s.dropna()
        kinds = sorted({_kind_of(v) for v in present.head(100_000)})
        if len(kinds) > 1:
            raise InvalidParameterValue(
                f"Timestamp column {col!r} mixes value types ({', '.join(kinds)})."
            )
        ts = pd.to_datetime(s, utc=True, errors="coerce", format="mixed")
        bad = ts.isna() & s.notna()
        if bool(bad.any()):
            examples = ", ".join(repr(v) for v in s[bad].head(3).tolist())
            raise InvalidParameterValue(
                f"Timestamp column {col!r} has values that are not timestamps ({examples})."
            )
    else:
        raise InvalidParameterValue(
            f"Timestamp column {col!r} holds {s.dtype} values, not timestamps."
        )
    return ts


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in text)


def _slices(frame: Any, exprs: list[str]) -> list[tuple[str, str, Any]]:
    import pandas as pd

    out = [(_ALL, _ALL, frame)]
    for expr in exprs:
        if expr in frame.columns:
            top = frame[expr].astype(str).value_counts().head(_MAX_SLICE_VALUES)
            keyed = frame[expr].astype(str)
            out += [(expr, str(v), frame[keyed == v]) for v in top.index]
            continue
        try:
            mask = frame.eval(expr)
        except Exception as exc:
            raise InvalidParameterValue(f"Slicing expression {expr!r} failed: {exc}") from None
        if not isinstance(mask, pd.Series) or not pd.api.types.is_bool_dtype(mask.dtype):
            raise InvalidParameterValue(
                f"Slicing expression {expr!r} must be a column name or a boolean expression."
            )
        out += [(expr, "true", frame[mask]), (expr, "false", frame[~mask])]
    return out


def _quantile(col: Any, q: float) -> float | None:
    import numpy as np

    if not col.count or not col.edges:
        return None
    cum = np.asarray(col.cum_counts)
    i = int(np.searchsorted(cum, q * col.count, side="left"))
    return float(col.edges[min(i, len(col.edges) - 1)])


def _profile_rows(prof: Profile, base: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for c in prof.columns.values():
        row = {
            **base,
            "column_name": c.name,
            "kind": c.kind,
            "count": c.count,
            "num_nulls": c.missing,
            "mean": c.mean,
            "stddev": c.std,
            "min": c.min,
            "max": c.max,
            "p25": None,
            "median": None,
            "p75": None,
            "distinct_count": None,
            "top_value": None,
            "top_share": None,
        }
        if c.kind == NUMERICAL:
            row.update(p25=_quantile(c, 0.25), median=_quantile(c, 0.5), p75=_quantile(c, 0.75))
        elif c.categories:
            top, n = next(iter(c.categories.items()))
            row.update(
                distinct_count=len(c.categories) + (1 if c.truncated else 0),
                top_value=top,
                top_share=n / c.rows if c.rows else None,
            )
        rows.append(row)
    return rows


def _drift_rows(report: Any, base: dict[str, Any], drift_type: str) -> list[dict[str, Any]]:
    return [
        {
            **base,
            "drift_type": drift_type,
            "column_name": c.column,
            **{k: getattr(c, k) for k in _DRIFT_FIELDS},
            "reasons": "; ".join(c.reasons),
        }
        for c in report
    ]


def _quality_rows(mon: Monitor, sub: Any, base: dict[str, Any]) -> list[dict[str, Any]]:
    import pandas as pd

    if not (mon.label_col and mon.prediction_col and mon.problem_type):
        return []
    if mon.label_col not in sub.columns or mon.prediction_col not in sub.columns:
        return []
    labelled = sub[sub[mon.label_col].notna() & sub[mon.prediction_col].notna()]
    groups: list[tuple[str, Any]] = [(_ALL, labelled)]
    if mon.model_version_col in labelled.columns:
        for v, g in labelled.groupby(labelled[mon.model_version_col].astype(str)):
            groups.append((str(v), g))
    rows = []
    for version, g in groups:
        y, p = g[mon.label_col].to_numpy(), g[mon.prediction_col].to_numpy()
        if mon.problem_type == "classification":
            m = classification_metrics(y, p)
        else:
            m = regression_metrics(
                pd.to_numeric(g[mon.label_col]), pd.to_numeric(g[mon.prediction_col])
            )
        rows.append({**base, "model_version": version, "problem_type": mon.problem_type, **m})
    return rows


def _commit(
    wdir: str, files: dict[str, Any], profiles: dict[str, Any], texts: dict[str, str]
) -> None:
    """Write a window's files into a temporary directory, then rename it into place."""
    import pandas as pd

    tmp = f"{wdir}.tmp-{uuid.uuid4().hex[:8]}"
    os.makedirs(tmp)
    try:
        for name, rows in files.items():
            write_parquet_atomic(pd.DataFrame(rows), os.path.join(tmp, f"{name}.parquet"))
        write_json_atomic(profiles, os.path.join(tmp, "profiles.json"))
        for name, text in texts.items():
            with open(os.path.join(tmp, name), "w", encoding="utf-8") as fh:
                fh.write(text)
        if os.path.isdir(wdir):
            old = f"{wdir}.old-{uuid.uuid4().hex[:8]}"
            os.rename(wdir, old)
            os.rename(tmp, wdir)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, wdir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _recover(directory: str) -> None:
    """Undo what a refresh that died half-way left: temporary and replaced window dirs."""
    for tmp in glob.glob(os.path.join(directory, "windows", "*", "*.tmp-*")):
        shutil.rmtree(tmp, ignore_errors=True)
    for scratch in glob.glob(os.path.join(directory, ".scratch-*")):
        shutil.rmtree(scratch, ignore_errors=True)
    for old in glob.glob(os.path.join(directory, "windows", "*", "*.old-*")):
        target = old.rsplit(".old-", 1)[0]
        if os.path.isdir(target):
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(old, target)


def _table_mtime(path: str) -> float:
    if os.path.isfile(path):
        return os.path.getmtime(path)
    latest = os.path.getmtime(path)
    for dirpath, _, names in os.walk(path):
        for n in names:
            latest = max(latest, os.path.getmtime(os.path.join(dirpath, n)))
    return latest


def _read_profiles(wdir: str) -> dict[str, Profile]:
    path = os.path.join(wdir, "profiles.json")
    if not os.path.isfile(path):
        return {}
    with open(path, encoding="utf-8") as fh:
        return {k: Profile.from_dict(v) for k, v in json.load(fh).items()}


class _Engine:
    """The engine-dependent part of processing a window: this one on pandas frames,
    :class:`modelyard.monitoring._spark._SparkEngine` by Spark aggregations."""

    def slices(self, window: Any, exprs: list[str]) -> list[tuple[str, str, Any]]:
        return _slices(window, exprs)

    def current(self, sub: Any) -> Any:
        """What the profile and the drift tests read of a slice; ``None`` when it is empty."""
        return sub if len(sub) else None

    def profile(
        self,
        cur: Any,
        cols: list[str],
        num: list[str],
        cat: list[str],
        refs: list[Profile],
    ) -> Profile:
        """``refs``: the profiles the slice's drift is tested against next."""
        return profile_data(cur, columns=cols, numerical_columns=num, categorical_columns=cat)

    def quality_rows(self, mon: Monitor, cur: Any, base: dict[str, Any]) -> list[dict[str, Any]]:
        return _quality_rows(mon, cur, base)


def _process(
    mon: Monitor,
    window: Any,
    base: dict[str, Any],
    features: list[str],
    baseline: Profile | None,
    previous: dict[str, Profile],
    engine: _Engine,
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, Profile], dict[str, str]]:
    texts: dict[str, str] = {}
    files: dict[str, list[dict[str, Any]]] = {
        "profile_metrics": [],
        "drift_metrics": [],
        "quality_metrics": [],
    }
    profiles: dict[str, Profile] = {}
    opts = dict(mon.drift_options)
    for skey, sval, sub in engine.slices(window, mon.slicing_exprs):
        cur = engine.current(sub)
        if cur is None:
            continue
        row = {**base, "slice_key": skey, "slice_value": sval}
        cols = [c for c in features if c in sub.columns]
        num = [c for c in cols if baseline and c in baseline and baseline[c].kind == NUMERICAL]
        cat = [c for c in cols if baseline and c in baseline and baseline[c].kind != NUMERICAL]
        sid = f"{skey}={sval}"
        prev = previous.get(sid)
        refs = [r for r in (baseline, prev) if r is not None]
        prof = engine.profile(cur, cols, num, cat, refs)
        profiles[sid] = prof
        files["profile_metrics"] += _profile_rows(prof, row)
        if baseline is not None:
            bcols = [c for c in baseline.columns if c in features]
            if bcols:
                rep = detect_drift(baseline, cur, columns=bcols, **opts)
                files["drift_metrics"] += _drift_rows(rep, row, "baseline")
                if skey == _ALL:
                    texts["report.html"] = rep.to_html()
        if prev is not None:
            pcols = [c for c in cols if c in prev.columns]
            if pcols:
                rep = detect_drift(prev, cur, columns=pcols, **opts)
                files["drift_metrics"] += _drift_rows(rep, row, "consecutive")
                if skey == _ALL and "report.html" not in texts:
                    texts["report.html"] = rep.to_html()
        files["quality_metrics"] += engine.quality_rows(mon, cur, row)
    return files, profiles, texts


# One window of a refresh plan: (start text, start, end, signature, what to read its rows by).
PlanWindow = tuple[str, Any, Any, dict[str, Any], Any]
Processor = Callable[[Any, Any, Any, dict[str, Any], dict[str, Profile]], Any]


def run_plan(
    mon: Monitor,
    save: Callable[[Monitor], None],
    plan: list[tuple[str, list[PlanWindow]]],
    process: Processor,
) -> dict[str, Any]:
    """Process the windows of ``plan`` (per granularity, in order) whose signature (rows,
    labels, ...) changed since the last refresh: ``process(item, start, end, base, previous)``
    gives a window's files, profiles and texts, committed here one window at a time."""
    processed, unchanged = [], 0
    for gran, wins in plan:
        previous: dict[str, Profile] = {}
        for start_text, start, end, sig, item in wins:
            key = f"{gran}|{start_text}"
            wdir = window_dir(mon.directory, gran, start_text)
            state = mon.windows.get(key, {})
            same = {k: state.get(k) for k in sig} == sig and os.path.isdir(wdir)
            if same:
                unchanged += 1
                previous = _read_profiles(wdir)
                continue
            if mon.profile == "snapshot":  # a snapshot drifts against the one before
                previous = _read_profiles(wdir)
            base = {
                "granularity": gran,
                "window_start": None if start is None else start.to_pydatetime(),
                "window_end": None if end is None else end.to_pydatetime(),
            }
            files, profiles, texts = process(item, start, end, base, previous)
            _commit(wdir, files, {k: p.to_dict() for k, p in profiles.items()}, texts)
            mon.windows[key] = {**sig, "processed_at": datetime.now(UTC).isoformat()}
            save(mon)
            processed.append(key)
            previous = profiles
    return {"processed": processed, "unchanged": unchanged}


def features_of(mon: Monitor, columns: list[str]) -> list[str]:
    """The monitored columns: ``feature_columns`` (with the prediction), or every column but
    the timestamp, request id, model version, label and serving metadata."""
    excluded = {
        mon.timestamp_col,
        mon.request_id_col,
        mon.model_version_col,
        mon.label_col,
        *_SERVING_META,
    }
    feats = mon.feature_columns or [c for c in columns if c not in excluded]
    if mon.feature_columns and mon.prediction_col and mon.prediction_col not in feats:
        feats = [*feats, mon.prediction_col]
    return feats


def window_dir(directory: str, granularity: str, start_text: str) -> str:
    return os.path.join(directory, "windows", _slug(granularity), _slug(start_text))


def _with_labels(mon: Monitor, frame: Any, labels: Any = None) -> Any:
    """``frame`` with the label column (``labels``: ``mon.labels()``, read once by callers that
    join batch by batch)."""
    if not mon.label_col:
        return frame
    if mon.request_id_col not in frame.columns and mon.label_col not in frame.columns:
        raise InvalidParameterValue(
            f"Column {mon.request_id_col!r} (request ids) is not in the monitored table."
        )
    if mon.request_id_col in frame.columns:
        frame = _join_labels(mon, frame, labels)
    if mon.label_col not in frame.columns:  # no label has arrived yet
        frame = frame.assign(**{mon.label_col: None})
    return frame


def _window_reader(mon: Monitor, ds: Any, columns: list[str]) -> Callable[[Any, Any], Any] | None:
    """Read one window's rows with a filter on the timestamp column (bounded memory), when the
    column is stored as a timestamp; ``None`` when the whole table has to be read."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if mon.timestamp_col is None or mon.timestamp_col not in ds.schema.names:
        return None
    ftype = ds.schema.field(mon.timestamp_col).type
    if not pa.types.is_timestamp(ftype):
        return None

    def scalar(t: Any) -> Any:
        t = t.tz_convert("UTC")
        if ftype.tz is None:
            t = t.tz_localize(None)
        return pa.scalar(t.to_pydatetime(), type=ftype)

    def read(start: Any, end: Any) -> Any:
        col = pc.field(mon.timestamp_col)
        flt = (col >= scalar(start)) & (col < scalar(end))
        table = ds.to_table(columns=columns, filter=flt)
        # text as pandas categoricals: one copy of each distinct string, not one per row
        return _with_labels(mon, table.to_pandas(strings_to_categorical=True))

    return read


def refresh(
    mon: Monitor, save: Callable[[Monitor], None], *, batch_rows: int = DEFAULT_BATCH_ROWS
) -> dict[str, Any]:
    _recover(mon.directory)
    ds = open_dataset(mon.table)
    names = list(ds.schema.names)

    reader = None
    if not is_serving_table(names) and mon.profile != "snapshot":
        features = features_of(mon, names)
        keep = [mon.timestamp_col, mon.model_version_col, *features]
        if mon.label_col:  # request ids only to join labels
            keep += [mon.request_id_col, mon.label_col]
        read_cols = [c for c in dict.fromkeys(keep) if c and c in names]
        reader = _window_reader(mon, ds, read_cols)
    if reader is None:  # the table is scanned in batches, its windows spilled to disk
        return _refresh_batched(mon, save, ds, batch_rows)
    # only the columns that say which rows fall in which window
    wanted = [mon.timestamp_col]
    if mon.label_col:
        wanted += [mon.request_id_col, mon.label_col]
    index = _with_labels(
        mon, ds.to_table(columns=[c for c in wanted if c and c in names]).to_pandas()
    )
    baseline = mon.baseline()

    # Per window only the row counts are kept: the index is a few columns, and the rows
    # themselves are read window by window.
    has_labels = bool(mon.label_col) and mon.label_col in index.columns
    labelled = index[mon.label_col].notna().to_numpy() if has_labels else None

    def signature(pos: Any) -> dict[str, Any]:
        labels = 0 if labelled is None else int(labelled[pos].sum())
        return {"rows": int(len(pos)), "labels": labels}

    assert mon.timestamp_col is not None
    ts = timestamps(index, mon.timestamp_col)
    valid = ts.notna().to_numpy()
    index = index.iloc[:0]
    ts = ts[valid]
    positions_of_valid = valid.nonzero()[0]
    plan: list[tuple[str, list[PlanWindow]]] = []
    for text in mon.granularities:
        g = parse_granularity(text)
        codes, uniques = ts.pipe(g.starts).factorize(sort=True)
        order = codes.argsort(kind="stable")
        bounds = codes[order].searchsorted(range(len(uniques) + 1))
        wins: list[PlanWindow] = []
        for i, start in enumerate(uniques):
            pos = positions_of_valid[order[bounds[i] : bounds[i + 1]]]
            wins.append((start.isoformat(), start, g.end(start), signature(pos), None))
        plan.append((text, wins))
    del ts

    def process(
        _: Any, start: Any, end: Any, base: dict[str, Any], previous: dict[str, Profile]
    ) -> Any:
        window = reader(start, end)
        return _process(mon, window, base, features, baseline, previous, _Engine())

    return run_plan(mon, save, plan, process)


def _refresh_batched(
    mon: Monitor, save: Callable[[Monitor], None], ds: Any, batch_rows: int
) -> dict[str, Any]:
    """A refresh that scans the table ``batch_rows`` rows at a time: each batch becomes a frame
    (flattened for the serving layout), gets its labels, and its rows are appended to per-window
    files in a scratch directory of the monitor; each window that changed is then read back
    alone, with the columns and dtypes of the whole table as one frame, and processed. Memory:
    one batch while scanning, one window's rows while processing."""
    import tempfile

    from modelyard.monitoring._spill import ColumnTypes, WindowSpill, iter_frames

    columns, to_frame = _source(mon, ds)
    labels = mon.labels() if mon.label_col else None
    grans = [parse_granularity(t) for t in mon.granularities]
    snapshot = mon.profile == "snapshot"
    scratch = tempfile.mkdtemp(prefix=".scratch-", dir=mon.directory)
    try:
        spill = WindowSpill(scratch)
        types = ColumnTypes()
        # per granularity: window start text -> [start, rows, labelled rows]
        counts: list[dict[str, list[Any]]] = [{} for _ in grans]
        total = [0, 0]

        def take(frame: Any) -> None:
            columns = list(frame.columns)
            frame = _with_labels(mon, frame, labels)
            types.add(frame, columns)
            has = bool(mon.label_col) and mon.label_col in frame.columns
            labelled = frame[mon.label_col].notna().to_numpy() if has else None

            def n_labels(pos: Any) -> int:
                return 0 if labelled is None else int(labelled[pos].sum())

            if snapshot:
                spill.append((0, "all"), frame)
                total[0] += len(frame)
                total[1] += 0 if labelled is None else int(labelled.sum())
                return
            assert mon.timestamp_col is not None
            ts = timestamps(frame, mon.timestamp_col)
            valid = ts.notna().to_numpy()
            ts = ts[valid]
            positions_of_valid = valid.nonzero()[0]
            for gi, g in enumerate(grans):
                codes, uniques = ts.pipe(g.starts).factorize(sort=True)
                order = codes.argsort(kind="stable")
                bounds = codes[order].searchsorted(range(len(uniques) + 1))
                for i, start in enumerate(uniques):
                    pos = positions_of_valid[order[bounds[i] : bounds[i + 1]]]
                    text = start.isoformat()
                    spill.append((gi, text), frame.iloc[pos])
                    c = counts[gi].setdefault(text, [start, 0, 0])
                    c[1] += len(pos)
                    c[2] += n_labels(pos)

        seen = False
        for frame in iter_frames(ds, batch_rows, to_frame, columns):
            if len(frame):  # a batch of failed requests only flattens to nothing
                take(frame)
                seen = True
        if not seen:  # an empty table: its columns, no rows
            take(to_frame(ds.schema.empty_table()))

        features = features_of(mon, types.order)
        baseline = mon.baseline()
        plan: list[tuple[str, list[PlanWindow]]]
        if snapshot:
            sig = {"rows": total[0], "labels": total[1], "table_mtime": _table_mtime(mon.table)}
            plan = [("snapshot", [("all", None, None, sig, (0, "all"))])]
        else:
            plan = []
            for gi, text in enumerate(mon.granularities):
                wins: list[PlanWindow] = []
                for start_text, (start, rows, n_lab) in sorted(
                    counts[gi].items(), key=lambda kv: kv[1][0]
                ):
                    sig = {"rows": int(rows), "labels": int(n_lab)}
                    end = grans[gi].end(start)
                    wins.append((start_text, start, end, sig, (gi, start_text)))
                plan.append((text, wins))

        def process(
            key: Any, start: Any, end: Any, base: dict[str, Any], previous: dict[str, Profile]
        ) -> Any:
            window = spill.read(key, types)
            spill.drop(key)
            return _process(mon, window, base, features, baseline, previous, _Engine())

        return run_plan(mon, save, plan, process)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
