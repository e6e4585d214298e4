"""The shadow dispatcher on its own: a bounded queue that drops (and counts) copies instead of
waiting, a real model behind it, answers handed over after the caller is done."""

from __future__ import annotations

import asyncio

import orjson
from serving_helpers import FEATURES, fit, row_dicts

from modelyard.serving._batcher import BatchConfig, MicroBatcher
from modelyard.serving._config import EndpointConfig, ServedModel
from modelyard.serving._predictor import load_predictor
from modelyard.serving._runtime import EndpointRuntime, Route, _table
from modelyard.serving._shadow import ShadowCopy, ShadowDispatcher


def _runtime(model_dir) -> EndpointRuntime:
    live = ServedModel.parse({"model_name": "m", "model_version": "1"})
    shadow = ServedModel.parse({"model_name": "m", "model_version": "2", "shadow": True})
    config = EndpointConfig.parse([live, shadow])
    predictor = load_predictor(str(model_dir))
    routes = [
        Route(live, "1", MicroBatcher(predictor), 0),
        Route(shadow, "2", MicroBatcher(predictor, BatchConfig(inline=False)), 0),
    ]
    ep = EndpointRuntime("ep", config)
    ep.table = _table(routes)
    return ep


def test_full_queue_drops_and_counts(model_dir):
    import pandas as pd

    rows = row_dicts(5, seed=9)
    want = fit().predict(pd.DataFrame(rows)[FEATURES]).tolist()
    ep = _runtime(model_dir)
    assert [r.served.name for r in ep.table.routes] == ["m-1"]
    assert [r.served.name for r in ep.table.shadows] == ["m-2"]
    answers: list[tuple[str, int, bytes]] = []
    drops: list[int] = []

    async def run() -> list[bool]:
        sd = ShadowDispatcher(
            ep,
            lambda route, copy, out, _s: answers.append((copy.request_id, out.status, out.body)),
            max_queue=2,
            on_drop=lambda: drops.append(1),
        )
        offered = [
            sd.offer(
                ShadowCopy(f"r{i}", orjson.dumps({"dataframe_records": [row]}), "application/json")
            )
            for i, row in enumerate(rows)
        ]  # no await in between: the consumer has not run, the queue holds 2
        await sd.aclose()
        return offered

    offered = asyncio.run(run())
    assert offered == [True, True, False, False, False]
    assert ep.shadow_dropped == 3 and len(drops) == 3
    assert ep.state()["shadow_dropped"] == 3
    assert [(rid, status) for rid, status, _ in answers] == [("r0", 200), ("r1", 200)]
    assert [orjson.loads(body)["predictions"][0] for *_, body in answers] == want[:2]


def test_bad_copy_is_answered_and_nothing_raises(model_dir):
    ep = _runtime(model_dir)
    answers: list[int] = []

    async def run() -> None:
        sd = ShadowDispatcher(ep, lambda r, c, out, s: answers.append(out.status))
        sd.offer(ShadowCopy("bad", b'{"dataframe_records": [{"age": 1}]}', "application/json"))
        sd.offer(ShadowCopy("worse", b"not json", "application/json"))
        await sd.aclose()

    asyncio.run(run())
    assert answers == [400, 400]


def test_no_shadow_routes_means_no_copies(model_dir):
    ep = _runtime(model_dir)
    assert ep.table is not None
    ep.table = _table(list(ep.table.routes))  # the live route only

    async def run() -> bool:
        sd = ShadowDispatcher(ep, lambda *a: None)
        return sd.offer(ShadowCopy("r", b"{}", "application/json"))

    assert asyncio.run(run()) is False
    assert ep.shadow_dropped == 0
