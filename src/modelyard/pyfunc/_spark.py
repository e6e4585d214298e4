"""``spark_udf``: a model as a Spark pandas UDF (Arrow batches), for distributed inference.

::

    predict = spark_udf(spark, "models:/churn/Production", result_type="double")
    df.withColumn("churn_prediction", predict(*[col(c) for c in feature_cols]))

The driver downloads the model once. Executors load it once per Python worker process (a
module-level cache; Spark reuses Python workers) and score one Arrow batch per ``predict`` call.
Columns passed positionally are named after the model signature's inputs (without a
signature, ``"0"``, ``"1"``, ... as strings, like MLflow); a single struct column is used with its
own field names. ``params`` go to every ``predict`` call (e.g. ``{"predict_method":
"predict_proba"}`` with ``result_type="array<double>"`` for an sklearn classifier's probabilities).

Worker interpreter: Spark starts its Python workers with ``PYSPARK_PYTHON`` (default
``python3`` on the PATH, which may lack modelyard). When neither ``PYSPARK_PYTHON`` nor
``spark.pyspark.python`` is set, a local-mode session's workers are pointed at the driver's own
interpreter (``sys.executable``); on a cluster that cannot be guessed, so ``spark_udf`` raises an
error asking for ``PYSPARK_PYTHON``.

``result_type`` is a Spark type or DDL string:
a scalar (``double``, ``float``, ``long``, ``int``, ``boolean``, ``string``), an ``array<...>``
(one list per row, e.g. class probabilities) or a ``struct<...>`` (fields taken by name from a
DataFrame prediction, or by position from a 2-D one).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from typing import Any

__all__ = ["spark_udf"]

_cache: dict[str, Any] = {}
_cache_lock = threading.Lock()


def _load_cached(local_path: str) -> Any:
    """The model at ``local_path``, loaded once per process."""
    model = _cache.get(local_path)
    if model is None:
        with _cache_lock:
            model = _cache.get(local_path)
            if model is None:
                from modelyard.pyfunc import load_model

                model = _cache[local_path] = load_model(local_path)
    return model


def _input_names(model: Any) -> list[str] | None:
    inputs = getattr(getattr(model.metadata, "signature", None), "inputs", None)
    if inputs is None or inputs.is_tensor_spec() or not inputs.has_input_names():
        return None
    return list(inputs.input_names())


def spark_udf(
    spark: Any,
    model_uri: str,
    result_type: Any = "double",
    env_manager: str | None = None,
    params: dict[str, Any] | None = None,
    **_ignored: Any,
) -> Any:
    """A Spark UDF that applies the model at ``model_uri`` to its argument columns."""
    from pyspark.sql.functions import pandas_udf
    from pyspark.sql.types import DataType, _parse_datatype_string

    from modelyard.client.model_uris import download_model
    from modelyard.errors import InvalidParameterValue

    if env_manager not in (None, "local"):
        raise InvalidParameterValue(
            f"env_manager={env_manager!r} is not supported: the model runs in the executors' "
            "Python environment ('local')"
        )
    rtype = (
        result_type if isinstance(result_type, DataType) else _parse_datatype_string(result_type)
    )
    _ensure_worker_python(spark)
    local_dir = os.path.abspath(download_model(model_uri))
    names = _input_names(_load_cached(local_dir))  # fail fast on the driver
    ship = _ship_if_cluster(spark, local_dir)

    def predict(batches: Iterator[tuple[Any, ...]]) -> Iterator[Any]:
        model = _load_cached(_executor_path(local_dir, ship))
        for args in batches:
            frame = _frame(args, names)
            out = model.predict(frame, params=params) if params else model.predict(frame)
            yield _to_result(out, rtype, len(frame))

    import warnings

    with warnings.catch_warnings():  # the explicit UDF type works for any argument shape
        warnings.simplefilter("ignore", UserWarning)
        return pandas_udf(predict, returnType=rtype, functionType=_scalar_iter())  # type: ignore[call-overload]


def _ensure_worker_python(spark: Any) -> None:
    """Make the session's Python workers run an interpreter that has modelyard (module doc)."""
    from modelyard.errors import InvalidParameterValue

    sc = spark.sparkContext
    if os.environ.get("PYSPARK_PYTHON") or sc.getConf().get("spark.pyspark.python"):
        return  # the user chose the workers' interpreter
    if getattr(sc, "pythonExec", "python3") not in ("python3", "python", sys.executable):
        return  # set on the context some other way
    if (sc.master or "").startswith("local"):
        sc.pythonExec = sys.executable  # the workers run on this machine: use this interpreter
        return
    raise InvalidParameterValue(
        "PYSPARK_PYTHON is not set, so Spark's executors would run 'python3' from their PATH, "
        "which may not have modelyard installed. Set PYSPARK_PYTHON (or the "
        "spark.pyspark.python conf) to the executors' Python that has modelyard and the "
        "model's requirements before creating the Spark session."
    )


def _scalar_iter() -> int:
    from pyspark.rdd import PythonEvalType

    return PythonEvalType.SQL_SCALAR_PANDAS_ITER_UDF


def _ship_if_cluster(spark: Any, local_dir: str) -> bool:
    """Outside local mode, send the model directory to the executors with ``addFile``."""
    master = spark.sparkContext.master or ""
    if master.startswith("local"):
        return False
    spark.sparkContext.addFile(local_dir, recursive=True)
    return True


def _executor_path(local_dir: str, shipped: bool) -> str:
    if not shipped:
        return local_dir
    from pyspark import SparkFiles

    return SparkFiles.get(os.path.basename(local_dir.rstrip("/")))


def _frame(args: Any, names: list[str] | None) -> Any:
    import pandas as pd

    if not isinstance(args, tuple):
        args = (args,)
    if len(args) == 1 and isinstance(args[0], pd.DataFrame):
        return args[0]
    if names is not None and len(names) == len(args):
        return pd.DataFrame({n: s.to_numpy() for n, s in zip(names, args, strict=True)})
    if names is not None:
        from modelyard.errors import InvalidParameterValue

        raise InvalidParameterValue(
            f"The model expects {len(names)} input columns {names}, the UDF got {len(args)}"
        )
    return pd.DataFrame({str(i): s.to_numpy() for i, s in enumerate(args)})


def _to_result(out: Any, rtype: Any, n: int) -> Any:
    import numpy as np
    import pandas as pd
    from pyspark.sql.types import ArrayType, StructType

    if isinstance(rtype, StructType):
        fields = [f.name for f in rtype.fields]
        if isinstance(out, pd.DataFrame):
            missing = [f for f in fields if f not in out.columns]
            if not missing:
                return out[fields].reset_index(drop=True)
            out = out.to_numpy()
        arr = np.asarray(out)
        if arr.ndim == 1:
            arr = arr.reshape(-1, 1)
        return pd.DataFrame({f: arr[:, i] for i, f in enumerate(fields)})
    if isinstance(rtype, ArrayType):
        arr = out.to_numpy() if isinstance(out, pd.DataFrame | pd.Series) else np.asarray(out)
        if arr.ndim == 1:
            return pd.Series([[x] for x in arr.tolist()])
        return pd.Series([list(row) for row in arr.tolist()])
    if isinstance(out, pd.DataFrame):
        out = out.iloc[:, 0]
    arr = out.to_numpy() if isinstance(out, pd.Series) else np.asarray(out)
    if arr.ndim == 2:
        arr = arr[:, 0]
    series = pd.Series(arr)
    kind = rtype.typeName()
    if kind in ("double", "float"):
        return series.astype("float64" if kind == "double" else "float32")
    if kind in ("long", "integer", "short", "byte"):
        return series.astype({"long": "int64", "integer": "int32"}.get(kind, "int64"))
    if kind == "boolean":
        return series.astype(bool)
    if kind == "string":
        return series.astype(str)
    return series
