"""Batch inference: score a CSV / Parquet / Delta input with a model, chunk by chunk.

::

    from modelyard.batch import predict

    predict("models:/churn/Production", "new_customers.parquet", "churn_predictions",
            prediction_col="churn_prediction", mode="append")

The input is streamed in chunks of ``chunk_rows`` (pyarrow record batches), so memory stays
bounded by the chunk size whatever the input size. Each output row is the input row plus the
prediction column(s) and a ``prediction_date`` column (UTC, one timestamp per run). Reading
the next chunk overlaps with predicting the current one (one reader thread).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from modelyard.batch._io import count_rows, guess_format, read_batches, write_batches

__all__ = ["BatchResult", "predict"]


@dataclass(slots=True)
class BatchResult:
    rows: int
    seconds: float
    output: str
    output_format: str

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else float("inf")


def predict(
    model_uri: str | Any,
    input: str,
    output: str,
    *,
    mode: str = "overwrite",
    chunk_rows: int = 100_000,
    prediction_col: str = "prediction",
    timestamp_col: str | None = "prediction_date",
    input_format: str | None = None,
    output_format: str | None = None,
    feature_cols: list[str] | None = None,
    progress: bool = True,
) -> BatchResult:
    """Score ``input`` with ``model_uri`` (a URI, or a loaded model) and write ``output``.

    ``mode`` is ``append`` or ``overwrite``. ``feature_cols`` selects the columns given to the
    model (default: all; the model's signature picks what it needs)."""
    import pyarrow as pa

    from modelyard.errors import InvalidParameterValue

    if chunk_rows <= 0:
        raise InvalidParameterValue("chunk_rows must be a positive number")
    start = time.perf_counter()
    model = _load(model_uri)
    in_fmt = input_format or guess_format(input)
    out_fmt = output_format or guess_format(output, output=True)
    total = count_rows(input, in_fmt)
    stamp = pa.scalar(int(time.time() * 1_000_000), pa.timestamp("us", tz="UTC"))
    batches = _prefetch(read_batches(input, in_fmt, chunk_rows))
    if feature_cols is None:
        feature_cols = _signature_columns(model)

    def scored() -> Iterator[Any]:
        for batch in batches:
            yield _score_batch(model, batch, prediction_col, timestamp_col, stamp, feature_cols)

    bar = _progress(total, progress)
    stream = _counting(scored(), bar)
    first = next(stream, None)
    if first is None:
        raise InvalidParameterValue(f"Input {input!r} has no rows")

    def chained() -> Iterator[Any]:
        yield first
        yield from stream

    try:
        write_batches(output, out_fmt, first.schema, chained(), mode)
    finally:
        bar.close()
    return BatchResult(bar.n, time.perf_counter() - start, output, out_fmt)


def _load(model_uri: Any) -> Any:
    if not isinstance(model_uri, str):
        return model_uri
    from modelyard.pyfunc import load_model

    return load_model(model_uri)


def _score_batch(
    model: Any,
    batch: Any,
    prediction_col: str,
    timestamp_col: str | None,
    stamp: Any,
    feature_cols: list[str] | None,
) -> Any:
    import numpy as np
    import pyarrow as pa

    if feature_cols:
        present = [c for c in feature_cols if c in batch.schema.names]
        frame = batch.select(present).to_pandas()
    else:
        frame = batch.to_pandas()
    predictions = model.predict(frame)
    out = batch
    for name in (prediction_col, timestamp_col):  # re-scoring replaces the old columns
        if name and name in out.schema.names:
            out = out.drop_columns([name])
    for name, values in _prediction_columns(predictions, prediction_col):
        arr = np.asarray(values)
        if len(arr) != batch.num_rows:
            from modelyard.errors import InvalidState

            raise InvalidState(
                f"The model returned {len(arr)} predictions for a chunk of {batch.num_rows} rows"
            )
        out = out.append_column(name, pa.array(arr) if arr.ndim == 1 else pa.array(list(arr)))
    if timestamp_col:
        out = out.append_column(timestamp_col, pa.array([stamp.value] * batch.num_rows, stamp.type))
    return out


def _signature_columns(model: Any) -> list[str] | None:
    """The input names of the model's column signature (other columns are not sent)."""
    meta = getattr(model, "metadata", None)
    inputs = getattr(getattr(meta, "signature", None), "inputs", None)
    try:
        if inputs is not None and inputs.has_input_names() and not inputs.is_tensor_spec():
            return list(inputs.input_names())
    except AttributeError:
        return None
    return None


def _prediction_columns(predictions: Any, col: str) -> list[tuple[str, Any]]:
    import pandas as pd

    if isinstance(predictions, pd.DataFrame):
        if predictions.shape[1] == 1:
            return [(col, predictions.iloc[:, 0].to_numpy())]
        return [(f"{col}_{c}", predictions[c].to_numpy()) for c in predictions.columns]
    if isinstance(predictions, pd.Series):
        return [(col, predictions.to_numpy())]
    return [(col, predictions)]


def _prefetch(source: Iterator[Any], depth: int = 2) -> Iterator[Any]:
    """Read ahead in a thread so I/O overlaps with prediction (``depth`` chunks in memory)."""
    q: queue.Queue[Any] = queue.Queue(maxsize=depth)
    done = object()
    failure: list[BaseException] = []

    def run() -> None:
        try:
            for item in source:
                q.put(item)
        except BaseException as exc:  # handed to the consumer
            failure.append(exc)
        finally:
            q.put(done)

    threading.Thread(target=run, name="batch-reader", daemon=True).start()
    while True:
        item = q.get()
        if item is done:
            break
        yield item
    if failure:
        raise failure[0]


class _NoBar:
    n = 0

    def update(self, k: int) -> None:
        self.n += k

    def close(self) -> None:
        pass


def _progress(total: int | None, enabled: bool) -> Any:
    if not enabled:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, unit="rows", unit_scale=True, desc="predict")


def _counting(batches: Iterator[Any], bar: Any) -> Iterator[Any]:
    for batch in batches:
        bar.update(batch.num_rows)
        yield batch
