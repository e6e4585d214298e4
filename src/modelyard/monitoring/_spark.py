"""Monitors on Spark tables: windows, profiles, drift and quality by Spark aggregations.

Only small aggregates reach the driver: per window and slice, one aggregation of counts,
missing values, moments and extremes; ``percentile_approx`` for the quantile edges of the
window's own profile; one grouped count of the bin of every value against each reference
sketch's edges; one grouped count per categorical column; a confusion table (or per-score
counts, for ROC AUC) per model version. The drift tests then run on those aggregates through
the same code as the local path (:class:`SparkColumns` is a :class:`ColumnSource`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from modelyard.errors import InvalidParameterValue, ResourceDoesNotExist
from modelyard.monitoring._columns import (
    CATEGORICAL,
    DATETIME,
    NUMERICAL,
    ColumnSource,
    NotNumeric,
    label_of,
)
from modelyard.monitoring._refresh import (
    _ALL,
    _MAX_SLICE_VALUES,
    PlanWindow,
    _Engine,
    _process,
    _recover,
    _slug,
    features_of,
    run_plan,
)
from modelyard.monitoring._stats import NumericSummary
from modelyard.monitoring._windows import Granularity, parse_granularity
from modelyard.monitoring.profiles import (
    DEFAULT_CATEGORICAL_MAX_UNIQUE,
    DEFAULT_MAX_CATEGORIES,
    DEFAULT_QUANTILES,
    ColumnProfile,
    Profile,
    _categorical_profile,
)
from modelyard.monitoring.quality import metrics_from_confusion

if TYPE_CHECKING:
    from modelyard.monitoring.monitors import Monitor

__all__ = [
    "PERCENTILE_ACCURACY",
    "SparkColumns",
    "is_spark_frame",
    "refresh",
    "register_table",
    "session",
    "spark_profile",
]

# percentile_approx's accuracy: quantile edges are exact for windows of up to about this many
# rows, and within rank n / PERCENTILE_ACCURACY of the exact order statistic beyond.
PERCENTILE_ACCURACY = 100_000
_WINDOW = "__modelyard_window"


def is_spark_frame(obj: Any) -> bool:
    return type(obj).__module__.startswith("pyspark.sql") and hasattr(obj, "sparkSession")


def session(spark: Any = None) -> Any:
    """``spark`` or the active SparkSession; a clear error when there is none."""
    if spark is not None:
        return spark
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise InvalidParameterValue("A Spark monitor needs pyspark installed.") from None
    active = SparkSession.getActiveSession()
    if active is None:
        raise InvalidParameterValue(
            "A Spark monitor needs spark=<SparkSession> or an active SparkSession."
        )
    return active


def frame(spark: Any, table: str) -> Any:
    try:
        return spark.table(table)
    except Exception as exc:  # AnalysisException: table or view not found
        raise ResourceDoesNotExist(f"Spark table {table!r} does not exist: {exc}") from None


def register_table(table: Any, spark: Any, monitor: str) -> tuple[str, list[str]]:
    """The Spark table name to store in the monitor, and its columns. A DataFrame is
    registered as the temporary view ``modelyard_monitor_<name>`` (it lives as long as the
    session; give a table name to refresh from another session)."""
    if is_spark_frame(table):
        view = f"modelyard_monitor_{_slug(monitor)}"
        table.createOrReplaceTempView(view)
        return view, list(table.columns)
    if not isinstance(table, str) or not table:
        raise InvalidParameterValue("table must be a Spark table name or a Spark DataFrame.")
    return table, list(frame(session(spark), table).columns)


# -- column summaries -------------------------------------------------------------------------
def _storage_kind(dtype: Any) -> str:
    from pyspark.sql import types as T

    if isinstance(dtype, T.BooleanType):
        return CATEGORICAL
    if isinstance(dtype, T.NumericType):
        return NUMERICAL
    if isinstance(dtype, (T.DateType, T.TimestampType, T.TimestampNTZType)):
        return DATETIME
    return CATEGORICAL


def _below(x: Any) -> Callable[[Any], Any]:
    """``e -> e < x`` for ``filter`` (one parameter: Spark reads two as element and index)."""
    return lambda e: e < x


class SparkColumns(ColumnSource):
    """A Spark DataFrame (one window's slice) seen through aggregations, with caches."""

    def __init__(self, df: Any, n_rows: int, role: str = "current") -> None:
        self.df = df
        self.role = role
        self.names = list(df.columns)
        self.n_rows = int(n_rows)
        self.dtypes = {f.name: f.dataType for f in df.schema.fields}
        self._labels: dict[str, tuple[dict[str, int], int]] = {}
        self._summaries: dict[tuple[str, tuple[float, ...]], tuple[int, int, Any]] = {}
        self._checked: set[str] = set()

    def storage_kind(self, name: str) -> str:
        return _storage_kind(self.dtypes[name])

    def number(self, name: str) -> Any:
        """The column as double (timestamps in nanoseconds); raises :class:`NotNumeric`."""
        from pyspark.sql import functions as F
        from pyspark.sql import types as T

        dtype = self.dtypes[name]
        col = F.col(name)
        if isinstance(dtype, T.BooleanType):
            raise NotNumeric(["True/False"])
        if isinstance(dtype, T.NumericType):
            return col.cast("double")
        if isinstance(dtype, (T.TimestampType, T.TimestampNTZType, T.DateType)):
            return (F.unix_micros(col.cast("timestamp")) * 1000).cast("double")
        x = col.cast("double")
        if name not in self._checked:
            bad = self.df.where(col.isNotNull() & x.isNull()).select(col).limit(3).collect()
            if bad:
                raise NotNumeric([repr(r[0]) for r in bad])
            self._checked.add(name)
        return x

    @staticmethod
    def finite(x: Any) -> Any:
        from pyspark.sql import functions as F

        return x.isNotNull() & ~F.isnan(x) & (F.abs(x) != F.lit(float("inf")))

    def prefetch(self, requests: list[tuple[str, list[float]]]) -> None:
        """Compute the numeric summaries of ``(column, edges)`` pairs: one aggregation and one
        grouped count of bin indexes for all of them."""
        import numpy as np
        from pyspark.sql import functions as F

        todo = []
        for name, edges in requests:
            key = (name, tuple(float(e) for e in edges))
            if key not in self._summaries and key not in todo:
                todo.append(key)
        if not todo:
            return
        xs = [self.number(name) for name, _ in todo]
        aggs = []
        bins = []
        for j, ((_, key_edges), x) in enumerate(zip(todo, xs, strict=True)):
            edges = list(key_edges)
            fin = self.finite(x)
            aggs.append(F.count(F.when(fin, 1)).alias(f"n{j}"))
            if not edges:
                continue
            lo, hi = F.lit(edges[0]), F.lit(edges[-1])
            aggs += [
                F.count(F.when(fin & (x < lo), 1)).alias(f"bl{j}"),
                F.sum(F.when(fin & (x < lo), x)).alias(f"bs{j}"),
                F.count(F.when(fin & (x > hi), 1)).alias(f"al{j}"),
                F.sum(F.when(fin & (x > hi), x)).alias(f"as{j}"),
                F.min(F.when(fin, x)).alias(f"mn{j}"),
                F.max(F.when(fin, x)).alias(f"mx{j}"),
            ]
            arr = F.array(*[F.lit(float(e)) for e in edges])
            idx = F.size(F.filter(arr, _below(x)))
            bins.append(F.when(fin, F.struct(F.lit(j).alias("k"), idx.alias("b"))))
        row = self.df.agg(*aggs).collect()[0].asDict()
        counts: dict[tuple[int, int], int] = {}
        if bins:
            exploded = self.df.select(F.explode(F.array(*bins)).alias("s")).where("s is not null")
            for r in exploded.groupBy("s.k", "s.b").count().collect():
                counts[(int(r["k"]), int(r["b"]))] = int(r["count"])
        for j, key in enumerate(todo):
            edges = list(key[1])
            n = int(row[f"n{j}"])
            missing = self.n_rows - n
            summary = None
            if n and edges:
                per_bin = np.array([counts.get((j, b), 0) for b in range(len(edges))])
                summary = NumericSummary(
                    count=n,
                    cum=np.cumsum(per_bin).astype(np.int64),
                    below=int(row[f"bl{j}"]),
                    below_sum=float(row[f"bs{j}"] or 0.0),
                    above=int(row[f"al{j}"]),
                    above_sum=float(row[f"as{j}"] or 0.0),
                    min=float(row[f"mn{j}"]),
                    max=float(row[f"mx{j}"]),
                )
            self._summaries[key] = (self.n_rows, missing, summary)

    def numeric_summary(self, name: str, edges: Any) -> tuple[int, int, NumericSummary | None]:
        key = (name, tuple(float(e) for e in edges))
        if key not in self._summaries:
            self.prefetch([(name, list(key[1]))])
        return self._summaries[key]

    def labels(self, name: str) -> tuple[dict[str, int], int]:
        if name not in self._labels:
            out: dict[str, int] = {}
            missing = 0
            for r in self.df.groupBy(name).count().collect():
                v, c = r[0], int(r["count"])
                if v is None or (isinstance(v, float) and v != v):
                    missing += c
                    continue
                key = label_of(v)
                out[key] = out.get(key, 0) + c
            self._labels[name] = (out, missing)
        return self._labels[name]


def spark_profile(
    src: SparkColumns,
    columns: list[str],
    numerical_columns: list[str],
    categorical_columns: list[str],
    *,
    also: list[tuple[str, list[float]]] | None = None,
    quantiles: int = DEFAULT_QUANTILES,
    max_categories: int = DEFAULT_MAX_CATEGORIES,
    categorical_max_unique: int = DEFAULT_CATEGORICAL_MAX_UNIQUE,
) -> Profile:
    """The :class:`Profile` of ``src`` by aggregations, as :func:`profile` would compute it
    (quantile edges from ``percentile_approx``; counts at the edges exact). ``also``: more
    ``(column, edges)`` summaries to compute in the same jobs (the drift tests' references)."""
    import numpy as np
    from pyspark.sql import functions as F

    kinds: dict[str, str] = {}
    skipped: dict[str, str] = {}
    guess = []
    for name in columns:
        if name in numerical_columns:
            kinds[name] = NUMERICAL
        elif name in categorical_columns:
            kinds[name] = CATEGORICAL
        else:
            kind = src.storage_kind(name)
            if kind == DATETIME:
                skipped[name] = "date/time column (pass it in numerical_columns to test it)"
                continue
            kinds[name] = kind
            if kind == NUMERICAL:
                guess.append(name)
    numeric = [c for c, k in kinds.items() if k == NUMERICAL]
    xs: dict[str, Any] = {}
    for name in numeric:
        try:
            xs[name] = src.number(name)
        except NotNumeric as exc:
            raise InvalidParameterValue(
                f"Column {name!r} of the {src.role} data was given as numerical but holds "
                f"non-numeric values ({', '.join(exc.examples)})."
            ) from None
    stats: dict[str, Any] = {}
    if numeric:
        aggs = []
        for j, name in enumerate(numeric):
            x = F.when(src.finite(xs[name]), xs[name])
            aggs += [
                F.count(x).alias(f"n{j}"),
                F.avg(x).alias(f"mean{j}"),
                F.stddev_pop(x).alias(f"std{j}"),
                F.min(x).alias(f"min{j}"),
                F.max(x).alias(f"max{j}"),
            ]
            if name in guess:
                aggs.append(F.count_distinct(x).alias(f"d{j}"))
        stats = src.df.agg(*aggs).collect()[0].asDict()
        for j, name in enumerate(numeric):
            distinct = stats.get(f"d{j}")
            if name in guess and distinct and int(distinct) <= categorical_max_unique:
                kinds[name] = CATEGORICAL
    numeric_idx = {name: j for j, name in enumerate(numeric)}
    numeric = [c for c in numeric if kinds[c] == NUMERICAL]
    edges: dict[str, list[float]] = {}
    big = []
    for name in numeric:
        n = int(stats[f"n{numeric_idx[name]}"])
        if n == 0:
            edges[name] = []
        elif n <= quantiles + 1:
            x = xs[name]
            vals = src.df.where(src.finite(x)).select(x.alias("v")).distinct().collect()
            edges[name] = sorted(float(r["v"]) for r in vals)
        else:
            big.append(name)
    if big:
        levels = np.linspace(0.0, 1.0, quantiles + 1).tolist()
        aggs = [
            F.percentile_approx(
                F.when(src.finite(xs[c]), xs[c]), levels, PERCENTILE_ACCURACY
            ).alias(f"q{j}")
            for j, c in enumerate(big)
        ]
        row = src.df.agg(*aggs).collect()[0]
        for j, c in enumerate(big):
            edges[c] = np.unique(np.asarray(row[f"q{j}"], dtype=np.float64)).tolist()
    src.prefetch([(c, edges[c]) for c in numeric] + list(also or []))
    out: dict[str, ColumnProfile] = {}
    for name, kind in kinds.items():
        dtype = src.dtypes[name].simpleString()
        if kind == NUMERICAL:
            j = numeric_idx[name]
            _, missing, summary = src.numeric_summary(name, edges[name])
            prof = ColumnProfile(
                name=name, kind=NUMERICAL, dtype=dtype, count=int(stats[f"n{j}"]), missing=missing
            )
            if summary is not None:
                prof.edges = edges[name]
                prof.cum_counts = [int(v) for v in summary.cum]
                prof.mean = float(stats[f"mean{j}"])
                prof.std = float(stats[f"std{j}"])
                prof.min = float(stats[f"min{j}"])
                prof.max = float(stats[f"max{j}"])
            out[name] = prof
        else:
            counts, missing = src.labels(name)
            out[name] = _categorical_profile(name, dtype, counts, missing, max_categories)
    return Profile(n_rows=src.n_rows, columns=out, skipped=skipped)


# -- windows ----------------------------------------------------------------------------------
def _timestamps(spark: Any, df: Any, col: str) -> Any:
    """The timestamp column as a Spark timestamp (text and dates without a zone read as UTC);
    a clear error when values are not timestamps."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    dtype = df.schema[col].dataType
    if isinstance(dtype, T.TimestampType):
        return F.col(col)
    if isinstance(dtype, T.NumericType) or isinstance(dtype, T.BooleanType):
        raise InvalidParameterValue(
            f"Timestamp column {col!r} holds {dtype.simpleString()} values, not timestamps."
        )
    tz = spark.conf.get("spark.sql.session.timeZone")
    ts = F.to_utc_timestamp(F.col(col).cast("timestamp"), tz)
    bad = df.where(F.col(col).isNotNull() & ts.isNull()).select(col).limit(3).collect()
    if bad:
        examples = ", ".join(repr(r[0]) for r in bad)
        raise InvalidParameterValue(
            f"Timestamp column {col!r} has values that are not timestamps ({examples})."
        )
    return ts


def _window_key(spark: Any, ts: Any, g: Granularity) -> Any:
    """An integer per row naming its window (epoch seconds, days or months), in UTC."""
    from pyspark.sql import functions as F

    secs = F.unix_micros(ts) / F.lit(1_000_000)
    if g.unit in ("min", "h", "D"):
        step = g.count * {"min": 60, "h": 3600, "D": 86400}[g.unit]
        return F.floor(secs / F.lit(step)) * F.lit(step)
    if g.unit == "W":
        day = F.floor(secs / F.lit(86400))
        monday = day - F.pmod(day + F.lit(3), F.lit(7))
        if g.count == 1:
            return monday
        weeks = F.floor((monday - F.lit(4)) / F.lit(7))
        return F.lit(4) + F.floor(weeks / F.lit(g.count)) * F.lit(g.count * 7)
    utc = F.to_utc_timestamp(ts, spark.conf.get("spark.sql.session.timeZone"))
    months = F.year(utc) * 12 + F.month(utc) - 1
    return F.floor(months / F.lit(g.count)) * F.lit(g.count)


def _window_start(key: int, g: Granularity) -> Any:
    import pandas as pd

    if g.unit in ("min", "h", "D"):
        return pd.Timestamp(int(key), unit="s", tz="UTC")
    if g.unit == "W":
        return pd.Timestamp(int(key) * 86400, unit="s", tz="UTC")
    return pd.Timestamp(year=int(key) // 12, month=int(key) % 12 + 1, day=1, tz="UTC")


def _slices(df: Any, exprs: list[str]) -> list[tuple[str, str, Any]]:
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    out = [(_ALL, _ALL, df)]
    for expr in exprs:
        if expr in df.columns:
            keyed = F.col(expr).cast("string")
            top = (
                df.groupBy(keyed.alias("v"))
                .count()
                .orderBy(F.desc("count"), F.asc("v"))
                .limit(_MAX_SLICE_VALUES)
                .collect()
            )
            for r in top:
                value = r["v"]
                sub = df.where(keyed.isNull() if value is None else keyed == F.lit(value))
                out.append((expr, str(value), sub))
            continue
        try:
            cond = F.expr(expr)
            dtype = df.select(cond.alias("c")).schema["c"].dataType
        except Exception as exc:
            raise InvalidParameterValue(f"Slicing expression {expr!r} failed: {exc}") from None
        if not isinstance(dtype, T.BooleanType):
            raise InvalidParameterValue(
                f"Slicing expression {expr!r} must be a column name or a boolean expression."
            )
        # like pandas: a row where the condition is null (a missing value) is in "false"
        out += [
            (expr, "true", df.where(F.coalesce(cond, F.lit(False)))),
            (expr, "false", df.where(~F.coalesce(cond, F.lit(False)))),
        ]
    return out


# -- model quality ----------------------------------------------------------------------------
def _quality_rows(mon: Monitor, sub: Any, base: dict[str, Any]) -> list[dict[str, Any]]:
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    label, pred = mon.label_col, mon.prediction_col
    if not (label and pred and mon.problem_type):
        return []
    if label not in sub.columns or pred not in sub.columns:
        return []

    def present(c: str) -> Any:
        col = F.col(c)
        if isinstance(sub.schema[c].dataType, (T.FloatType, T.DoubleType)):
            return col.isNotNull() & ~F.isnan(col)
        return col.isNotNull()

    labelled = sub.where(present(label) & present(pred))
    has_versions = mon.model_version_col in labelled.columns
    version = F.col(mon.model_version_col).cast("string") if has_versions else F.lit(_ALL)
    versions: list[str] = []
    if has_versions:
        versions = sorted(
            str(r[0]) for r in labelled.select(version).distinct().collect() if r[0] is not None
        )
    groups = [(_ALL, labelled), *[(v, labelled.where(version == F.lit(v))) for v in versions]]
    rows = []
    for name, g in groups:
        if mon.problem_type == "classification":
            m = _classification(g, label, pred, sub.schema[pred].dataType)
        else:
            m = _regression(g, label, pred)
        rows.append({**base, "model_version": name, "problem_type": mon.problem_type, **m})
    return rows


def _classification(g: Any, label: str, pred: str, pred_type: Any) -> dict[str, float | None]:
    from pyspark.sql import Window
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    p = F.col(pred)
    y_labels = {label_of(r[0]) for r in g.select(label).distinct().collect()}
    is_score = False
    if isinstance(pred_type, (T.FloatType, T.DoubleType)) and y_labels <= {"0", "1"}:
        r = g.agg(
            F.count(F.when((p < 0) | (p > 1), 1)).alias("out"),
            F.count(F.when(~p.isin(0.0, 1.0), 1)).alias("between"),
            F.count(F.lit(1)).alias("n"),
        ).collect()[0]
        is_score = int(r["n"]) > 0 and int(r["out"]) == 0 and int(r["between"]) > 0
    shown = F.when(p >= 0.5, F.lit(1)).otherwise(F.lit(0)) if is_score else p
    confusion: dict[tuple[str, str], int] = {}
    for r in g.groupBy(F.col(label).alias("y"), shown.alias("p")).count().collect():
        key = (label_of(r["y"]), label_of(r["p"]))
        confusion[key] = confusion.get(key, 0) + int(r["count"])
    auc = None
    if is_score:
        classes = sorted({k for pair in confusion for k in pair})
        positive = "1" if "1" in classes else classes[-1]
        y_num = F.col(label).cast("double")
        pos = F.when(y_num == F.lit(float(positive)), 1).otherwise(0)
        per = g.groupBy(p.alias("s")).agg(F.sum(pos).alias("pos"), F.count(F.lit(1)).alias("n"))
        per = per.withColumn("neg", F.col("n") - F.col("pos"))
        before = (
            Window.partitionBy(F.lit(1)).orderBy("s").rowsBetween(Window.unboundedPreceding, -1)
        )
        per = per.withColumn("below", F.coalesce(F.sum("neg").over(before), F.lit(0)))
        r = per.agg(
            F.sum(F.col("pos") * (F.col("below") + F.col("neg") * 0.5)).alias("wins"),
            F.sum("pos").alias("P"),
            F.sum("neg").alias("N"),
        ).collect()[0]
        if r["P"] and r["N"]:
            auc = float(r["wins"]) / (float(r["P"]) * float(r["N"]))
    return metrics_from_confusion(confusion, auc)


def _regression(g: Any, label: str, pred: str) -> dict[str, float | None]:
    import math

    from pyspark.sql import functions as F

    y, p = F.col(label).cast("double"), F.col(pred).cast("double")
    err = p - y
    r = g.agg(
        F.count(F.lit(1)).alias("n"),
        F.sum(err * err).alias("sse"),
        F.sum(F.abs(err)).alias("sae"),
        F.avg(y).alias("ym"),
        F.sum(F.when(y != 0, F.abs(err / y))).alias("ape"),
        F.count(F.when(y != 0, 1)).alias("nz"),
    ).collect()[0]
    n = int(r["n"])
    if n == 0:
        return {"count": 0.0, "rmse": None, "mae": None, "r2": None, "mape": None}
    ss_tot = float(g.agg(F.sum((y - F.lit(r["ym"])) ** 2)).collect()[0][0])
    sse = float(r["sse"])
    return {
        "count": float(n),
        "rmse": math.sqrt(sse / n),
        "mae": float(r["sae"]) / n,
        "r2": 1 - sse / ss_tot if ss_tot > 0 else None,
        "mape": float(r["ape"]) / int(r["nz"]) if int(r["nz"]) else None,
    }


# -- one refresh ------------------------------------------------------------------------------
class _SparkEngine(_Engine):
    """A window's slices, profiles and quality by Spark aggregations (slices are DataFrames,
    what the drift tests read of them a :class:`SparkColumns`)."""

    def slices(self, window: Any, exprs: list[str]) -> list[tuple[str, str, Any]]:
        return _slices(window, exprs)

    def current(self, sub: Any) -> Any:
        n = sub.count()
        return SparkColumns(sub, n) if n else None

    def profile(
        self,
        cur: Any,
        cols: list[str],
        num: list[str],
        cat: list[str],
        refs: list[Profile],
    ) -> Profile:
        also = [
            (c.name, c.edges)
            for r in refs
            for c in r.columns.values()
            if c.kind == NUMERICAL and c.name in cols and c.edges
        ]
        return spark_profile(cur, cols, num, cat, also=also)

    def quality_rows(self, mon: Monitor, cur: Any, base: dict[str, Any]) -> list[dict[str, Any]]:
        return _quality_rows(mon, cur.df, base)


def refresh(mon: Monitor, save: Callable[[Monitor], None], spark: Any = None) -> dict[str, Any]:
    """:func:`modelyard.monitoring._refresh.refresh` for a monitor on a Spark table."""
    from pyspark.sql import functions as F

    _recover(mon.directory)
    spark = session(spark)
    df = frame(spark, mon.table)
    names = list(df.columns)
    features = features_of(mon, names)
    if mon.label_col and mon.label_col not in names:  # no label column: no labels yet
        df = df.withColumn(mon.label_col, F.lit(None).cast("double"))
    # NaN is missing, as in pandas (Spark would order it above every number in comparisons)
    df = df.select(
        *[
            F.nanvl(F.col(f.name), F.lit(None)).alias(f.name)
            if f.dataType.typeName() in ("double", "float")
            else F.col(f.name)
            for f in df.schema.fields
        ]
    )
    baseline = mon.baseline()
    labels = F.count(F.col(mon.label_col)) if mon.label_col else F.lit(0)

    plan: list[tuple[str, list[PlanWindow]]] = []
    if mon.profile == "snapshot":
        r = df.agg(F.count(F.lit(1)).alias("rows"), labels.alias("labels")).collect()[0]
        sig = {"rows": int(r["rows"]), "labels": int(r["labels"])}
        plan.append(("snapshot", [("all", None, None, sig, df)]))
    else:
        assert mon.timestamp_col is not None
        ts = _timestamps(spark, df, mon.timestamp_col)
        for text in mon.granularities:
            g = parse_granularity(text)
            keyed = df.where(ts.isNotNull()).withColumn(_WINDOW, _window_key(spark, ts, g))
            counts = (
                keyed.groupBy(_WINDOW)
                .agg(F.count(F.lit(1)).alias("rows"), labels.alias("labels"))
                .orderBy(_WINDOW)
                .collect()
            )
            wins: list[PlanWindow] = []
            for r in counts:
                start = _window_start(int(r[_WINDOW]), g)
                sub = keyed.where(F.col(_WINDOW) == F.lit(r[_WINDOW])).drop(_WINDOW)
                sig = {"rows": int(r["rows"]), "labels": int(r["labels"])}
                wins.append((start.isoformat(), start, g.end(start), sig, sub))
            plan.append((text, wins))

    def process(
        sub: Any, start: Any, end: Any, base: dict[str, Any], previous: dict[str, Profile]
    ) -> Any:
        window = sub.cache()
        try:
            return _process(mon, window, base, features, baseline, previous, _SparkEngine())
        finally:
            window.unpersist()

    return run_plan(mon, save, plan, process)
