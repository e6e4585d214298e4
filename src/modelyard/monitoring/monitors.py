"""Monitors: drift, data-quality and model-quality metrics per time window of a table.

A monitor watches a Delta or Parquet table (the serving endpoints' inference table is
recognised and flattened: one row per scored record, features from the request, the
prediction from the response). ``refresh_monitor`` splits the rows into windows per
granularity, and for every window whose rows or labels changed since the last refresh writes:

- **profile metrics**: per slice and column, counts, missing, mean/std/min/max/quartiles or
  distinct count and top value;
- **drift metrics**: per slice and column, :func:`detect_drift` against the baseline profile
  (``drift_type="baseline"``) and against the previous window (``"consecutive"``);
- **model-quality metrics** (inference profile with labels): per slice and model version,
  accuracy/precision/recall/F1/ROC AUC or RMSE/MAE/R²/MAPE.

A monitor lives in ``<root>/<name>/`` (``root``: argument, ``MODELYARD_MONITORS_ROOT`` or
``./modelyard-monitors``): ``monitor.json`` and ``windows/<granularity>/<start>/`` with the three
Parquet files. A window's files are written into a temporary directory that is renamed into
place, so a refresh never leaves a partly written window. Labels that arrive later
(:func:`log_labels`) are joined by request id at the next refresh.

Memory: a table with a stored timestamp is read window by window; the serving layout, text
timestamps and snapshots are scanned ``batch_rows`` rows at a time with each window's rows
spilled to a scratch directory (:mod:`modelyard.monitoring._spill`), so a refresh holds one
batch or one window, never the whole table.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import uuid
import warnings
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from modelyard.errors import (
    InvalidParameterValue,
    InvalidState,
    ResourceAlreadyExists,
    ResourceDoesNotExist,
)
from modelyard.monitoring._tables import (
    is_serving_table,
    open_dataset,
    write_json_atomic,
    write_parquet_atomic,
)
from modelyard.monitoring._windows import parse_granularity
from modelyard.monitoring.profiles import Profile
from modelyard.monitoring.profiles import profile as profile_data

__all__ = [
    "Monitor",
    "create_monitor",
    "delete_monitor",
    "get_monitor",
    "list_monitors",
    "log_labels",
    "refresh_monitor",
]

PROFILE_TYPES = ("inference", "time_series", "snapshot")
PROBLEM_TYPES = ("classification", "regression")
ROOT_ENV = "MODELYARD_MONITORS_ROOT"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


def _root(root: str | None) -> str:
    return os.path.abspath(root or os.environ.get(ROOT_ENV) or "modelyard-monitors")


def _now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class Monitor:
    """A monitor's definition and the state of its windows."""

    name: str
    table: str
    profile: str
    timestamp_col: str | None
    granularities: list[str]
    directory: str
    model_name: str | None = None
    prediction_col: str | None = None
    label_col: str | None = None
    problem_type: str | None = None
    slicing_exprs: list[str] = field(default_factory=list)
    feature_columns: list[str] | None = None
    request_id_col: str = "request_id"
    model_version_col: str = "model_version"
    drift_options: dict[str, Any] = field(default_factory=dict)
    has_baseline: bool = False
    baseline_version: str | None = None  # the model version whose stored baseline is used
    engine: str = "local"  # "local" (Delta/Parquet files) | "spark" (a Spark table or view)
    created_at: str = ""
    last_refresh: str | None = None
    windows: dict[str, dict[str, Any]] = field(default_factory=dict)

    # -- metrics tables -------------------------------------------------------------------
    def _read(self, kind: str) -> Any:
        import pandas as pd

        pattern = os.path.join(self.directory, "windows", "*", "*", f"{kind}.parquet")
        files = sorted(f for f in glob.glob(pattern) if ".tmp-" not in f and ".old-" not in f)
        frames = [pd.read_parquet(f) for f in files]
        frames = [f for f in frames if len(f)]
        if not frames:
            return pd.DataFrame()
        with warnings.catch_warnings():  # all-None metric columns (no labels yet) are fine
            warnings.simplefilter("ignore", FutureWarning)
            return pd.concat(frames, ignore_index=True)

    def profile_metrics(self) -> Any:
        return self._read("profile_metrics")

    def drift_metrics(self) -> Any:
        return self._read("drift_metrics")

    def quality_metrics(self) -> Any:
        return self._read("quality_metrics")

    def report_path(self, window: str, granularity: str | None = None) -> str:
        """The HTML drift report of a window (baseline drift, else against the previous
        window), by the window's key ``"<granularity>|<start>"`` or its start (ISO text)."""
        from modelyard.monitoring._refresh import window_dir

        if "|" in window:
            granularity, window = window.split("|", 1)
        gran = granularity or (self.granularities[0] if self.granularities else "snapshot")
        if self.profile == "snapshot":
            gran, window = "snapshot", "all"
        path = os.path.join(window_dir(self.directory, gran, window), "report.html")
        if not os.path.isfile(path):
            raise ResourceDoesNotExist(
                f"Monitor {self.name!r} has no drift report for window {gran}|{window}."
            )
        return path

    def labels(self) -> Any:
        """The ground-truth labels logged with :func:`log_labels`: a DataFrame
        ``request_id, label`` with the latest label per request id (empty when none)."""
        import pandas as pd

        files = sorted(glob.glob(os.path.join(self.directory, "labels", "*.parquet")))
        if not files:
            return pd.DataFrame({"request_id": pd.Series(dtype=str), "label": []})
        frame = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
        latest = frame.drop_duplicates("request_id", keep="last")
        return latest[["request_id", "label"]].reset_index(drop=True)

    def baseline(self) -> Profile | None:
        path = os.path.join(self.directory, "baseline.json")
        if not os.path.isfile(path):
            return None
        with open(path, encoding="utf-8") as fh:
            return Profile.from_json(fh.read())


def _save(mon: Monitor) -> None:
    write_json_atomic(asdict(mon), os.path.join(mon.directory, "monitor.json"))


def _load(path: str) -> Monitor:
    import json

    with open(path, encoding="utf-8") as fh:
        return Monitor(**json.load(fh))


def get_monitor(name: str, *, root: str | None = None) -> Monitor:
    path = os.path.join(_root(root), str(name), "monitor.json")
    if not _NAME.match(str(name)) or not os.path.isfile(path):
        raise ResourceDoesNotExist(f"Monitor {name!r} does not exist.")
    return _load(path)


def list_monitors(*, root: str | None = None) -> list[Monitor]:
    files = sorted(glob.glob(os.path.join(_root(root), "*", "monitor.json")))
    return [_load(f) for f in files]


def delete_monitor(name: str, *, root: str | None = None) -> None:
    mon = get_monitor(name, root=root)
    shutil.rmtree(mon.directory)


def _baseline_profile(
    baseline: Any, model_name: str | None, client: Any
) -> tuple[Profile | None, str | None]:
    """The monitor's baseline profile and the model version it came from (if one did)."""
    if baseline is False:
        return None, None
    if baseline is None:
        if model_name is None:
            return None, None
        from modelyard.monitoring.baseline import find_baseline

        try:
            found = find_baseline(model_name, client=client)
        except ResourceDoesNotExist as exc:
            raise InvalidParameterValue(
                f"baseline: not given and none found for model_name {model_name!r} ({exc}). "
                "Pass baseline= (a Profile, data to profile or a version), store one with "
                "monitoring.log_baseline, or pass baseline=False to monitor without one."
            ) from None
        return found.profile, found.version
    if baseline is True:
        raise InvalidParameterValue(
            "baseline=True is not a baseline: give a Profile, data, a version, None or False."
        )
    if isinstance(baseline, Profile):
        return baseline, None
    if isinstance(baseline, (int, str)) and not hasattr(baseline, "columns"):
        if model_name is None:
            raise InvalidParameterValue("baseline=<version> needs model_name.")
        from modelyard.monitoring.baseline import find_baseline

        found = find_baseline(model_name, baseline, client=client)
        return found.profile, found.version
    return profile_data(baseline), None


def create_monitor(
    name: str,
    *,
    table: str,
    profile: str = "inference",
    timestamp_col: str | None = None,
    granularities: list[str] | tuple[str, ...] = ("1 day",),
    model_name: str | None = None,
    prediction_col: str | None = None,
    label_col: str | None = None,
    problem_type: str | None = None,
    slicing_exprs: list[str] | None = None,
    baseline: Any = None,
    feature_columns: list[str] | None = None,
    request_id_col: str = "request_id",
    model_version_col: str = "model_version",
    drift_options: dict[str, Any] | None = None,
    root: str | None = None,
    client: Any = None,
    spark: Any = None,
) -> Monitor:
    """Create a monitor on ``table`` (a Delta table directory or Parquet file/directory), or
    on a Spark table: a table name with ``spark=<SparkSession>``, or a Spark DataFrame
    (registered as a temporary view of its session). A Spark monitor's refresh runs as Spark
    aggregations (:mod:`modelyard.monitoring._spark`).

    ``baseline``: a :class:`Profile`, a DataFrame/Table to profile, or a version of
    ``model_name`` whose baseline was stored with :func:`log_baseline`. When it is not given
    and ``model_name`` is, the baseline is the one :func:`find_baseline` picks (the Production
    version's, else the newest version's; an error naming ``baseline`` when no version has
    one); ``baseline=False``: no baseline. The version used is kept as ``baseline_version``.
    """
    if not _NAME.match(str(name)):
        raise InvalidParameterValue(
            f"Invalid monitor name {name!r}: letters, digits, '_', '.', '-' (at most 128)."
        )
    if profile not in PROFILE_TYPES:
        raise InvalidParameterValue(
            f"profile must be one of {', '.join(PROFILE_TYPES)}, got {profile!r}."
        )
    if problem_type is not None and problem_type not in PROBLEM_TYPES:
        raise InvalidParameterValue(
            f"problem_type must be one of {', '.join(PROBLEM_TYPES)}, got {problem_type!r}."
        )
    grans = [parse_granularity(g).text for g in granularities]
    if not grans and profile != "snapshot":
        raise InvalidParameterValue("granularities must name at least one window size.")
    directory = os.path.join(_root(root), str(name))
    if os.path.exists(os.path.join(directory, "monitor.json")):
        raise ResourceAlreadyExists(f"Monitor {name!r} already exists.")
    from modelyard.monitoring._spark import is_spark_frame

    engine = "spark" if spark is not None or is_spark_frame(table) else "local"
    if engine == "spark":
        from modelyard.monitoring._spark import register_table

        table, names = register_table(table, spark, str(name))
        serving = False
    else:
        names = list(open_dataset(str(table)).schema.names)
        serving = is_serving_table(names)
    if serving and prediction_col is None:
        prediction_col = "prediction"
    if profile != "snapshot" and timestamp_col is None:
        if "timestamp" not in names:
            raise InvalidParameterValue(f"A {profile} monitor needs timestamp_col.")
        timestamp_col = "timestamp"
    if profile == "inference":
        if prediction_col is None:
            raise InvalidParameterValue("An inference monitor needs prediction_col.")
        if label_col is not None and problem_type is None:
            raise InvalidParameterValue("label_col needs problem_type (classification/regression).")
    must = [c for c in (timestamp_col,) if c]
    if not serving:
        must += [c for c in (prediction_col,) if c]
        must += list(feature_columns or [])
    for col in must:
        if col not in names:
            raise InvalidParameterValue(
                f"Column {col!r} is not in table {table!r} (columns: {', '.join(names[:20])})."
            )
    base, base_version = _baseline_profile(baseline, model_name, client)
    mon = Monitor(
        name=str(name),
        table=os.path.abspath(str(table)) if engine == "local" else str(table),
        profile=profile,
        timestamp_col=timestamp_col if profile != "snapshot" else None,
        granularities=grans if profile != "snapshot" else [],
        directory=directory,
        model_name=model_name,
        prediction_col=prediction_col,
        label_col=label_col,
        problem_type=problem_type,
        slicing_exprs=list(slicing_exprs or []),
        feature_columns=list(feature_columns) if feature_columns else None,
        request_id_col=request_id_col,
        model_version_col=model_version_col,
        drift_options=dict(drift_options or {}),
        has_baseline=base is not None,
        baseline_version=base_version,
        engine=engine,
        created_at=_now(),
    )
    os.makedirs(directory, exist_ok=True)
    if base is not None:
        write_json_atomic(base.to_dict(), os.path.join(directory, "baseline.json"))
    _save(mon)
    return mon


def refresh_monitor(
    name: str,
    *,
    root: str | None = None,
    spark: Any = None,
    batch_rows: int | None = None,
) -> dict[str, Any]:
    """Process every window whose rows or labels changed since the last refresh (a Spark
    monitor with ``spark`` or the active SparkSession).

    ``batch_rows`` (default 200,000): for the tables that cannot be read window by window (the
    serving endpoints' inference table, a timestamp stored as text, snapshots), how many rows
    of the table are read at once; each window's rows are spilled to a scratch directory of the
    monitor and processed one window at a time. The metrics do not depend on it.

    Returns ``{"processed": [window keys], "unchanged": n}``. Then the refresh hooks run
    (:mod:`modelyard.monitoring.hooks`: the alert rules on this monitor are evaluated)."""
    import fcntl

    from modelyard.monitoring._refresh import DEFAULT_BATCH_ROWS, refresh

    if batch_rows is None:
        batch_rows = DEFAULT_BATCH_ROWS
    if isinstance(batch_rows, bool) or not isinstance(batch_rows, int) or batch_rows < 1:
        raise InvalidParameterValue(f"batch_rows must be a positive integer, got {batch_rows!r}.")
    mon = get_monitor(name, root=root)
    with open(os.path.join(mon.directory, ".refresh.lock"), "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InvalidState(f"Monitor {name!r} is being refreshed by another process.") from None
        mon = get_monitor(name, root=root)  # the state as the last refresh left it
        if mon.engine == "spark":
            from modelyard.monitoring._spark import refresh as spark_refresh

            result = spark_refresh(mon, _save, spark)
        else:
            result = refresh(mon, _save, batch_rows=batch_rows)
        mon.last_refresh = _now()
        _save(mon)
    from modelyard.monitoring.hooks import refreshed

    refreshed(mon, result)  # alerts on the new windows (never fails the refresh)
    return result


def log_labels(
    monitor: str,
    request_ids: Any,
    labels: Any,
    *,
    root: str | None = None,
) -> int:
    """Record ground-truth labels for rows of the monitored table, by request id. They are
    joined at the next refresh (a later label for the same id replaces an earlier one).
    Every id must be in the table. Returns the number of labels stored."""
    import pandas as pd

    from modelyard.monitoring._refresh import request_ids as table_request_ids

    mon = get_monitor(monitor, root=root)
    if mon.label_col is None:
        raise InvalidParameterValue(f"Monitor {monitor!r} has no label_col.")
    if mon.engine == "spark":
        raise InvalidParameterValue(
            f"Monitor {monitor!r} is on a Spark table: its labels are read from the table's "
            f"column {mon.label_col!r}, not logged."
        )
    ids = [str(i) for i in list(request_ids)]
    values = list(labels)
    if len(ids) != len(values):
        raise InvalidParameterValue(
            f"request_ids and labels differ in length ({len(ids)} vs {len(values)})."
        )
    if not ids:
        return 0
    known = table_request_ids(mon)
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise InvalidParameterValue(
            f"{len(unknown)} of {len(ids)} request ids are not in the monitored table "
            f"{mon.table!r} (e.g. {', '.join(map(repr, unknown[:5]))})."
        )
    frame = pd.DataFrame({"request_id": ids, "label": values, "logged_at": _now()})
    path = os.path.join(
        mon.directory, "labels", f"{_now()[:19].replace(':', '')}-{uuid.uuid4().hex[:8]}.parquet"
    )
    write_parquet_atomic(frame, path)
    return len(ids)
