"""The micro-batcher in-process, with a real sklearn model: grouping, splitting, isolation of
bad requests, and the off switch."""

from __future__ import annotations

import asyncio

import pandas as pd
import pytest
from serving_helpers import FEATURES, fit, row_dicts

from modelyard.errors import InvalidParameterValue
from modelyard.serving._batcher import BatchConfig, MicroBatcher
from modelyard.serving._predictor import load_predictor
from modelyard.serving._protocol import parse_json


def _run(model_dir, config: BatchConfig, bodies: list[bytes]) -> tuple[list, list[int]]:
    rows_per_call: list[int] = []

    async def main() -> list:
        batcher = MicroBatcher(
            load_predictor(str(model_dir)), config, lambda _n, rows: rows_per_call.append(rows)
        )
        try:
            return await asyncio.gather(
                *(batcher.submit(parse_json(b)) for b in bodies), return_exceptions=True
            )
        finally:
            await batcher.aclose()

    return asyncio.run(main()), rows_per_call


def _bodies(rows: list[dict]) -> list[bytes]:
    import orjson

    return [orjson.dumps({"dataframe_records": [r]}) for r in rows]


@pytest.mark.parametrize(
    "config",
    [
        BatchConfig(),
        BatchConfig(inline=False),
        BatchConfig(max_wait_ms=5, max_batch_rows=16),
    ],
    ids=["inline", "thread", "wait"],
)
def test_groups_and_splits(model_dir, config):
    rows = row_dicts(64, seed=11)
    want = fit().predict(pd.DataFrame(rows)[FEATURES]).tolist()
    results, calls = _run(model_dir, config, _bodies(rows))
    assert [r.tolist() for r in results] == [[w] for w in want]
    assert sum(calls) == 64
    assert max(calls) > 1  # concurrent requests shared predict calls
    assert max(calls) <= config.max_batch_rows


def test_bad_request_does_not_fail_its_batch(model_dir):
    rows = row_dicts(20, seed=12)
    bodies = _bodies(rows)
    bodies.insert(5, b'{"dataframe_records": [{"age": "old"}]}')
    results, _ = _run(model_dir, BatchConfig(), bodies)
    assert isinstance(results[5], InvalidParameterValue)
    good = [r for i, r in enumerate(results) if i != 5]
    want = fit().predict(pd.DataFrame(rows)[FEATURES]).tolist()
    assert [r.tolist() for r in good] == [[w] for w in want]


def test_off_switch(model_dir):
    rows = row_dicts(10, seed=13)
    results, calls = _run(model_dir, BatchConfig(enabled=False), _bodies(rows))
    assert calls == [1] * 10
    assert len(results) == 10
