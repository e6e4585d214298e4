from modelyard.client._batching import split_batches
from modelyard.entities import Metric, Param, RunTag


def test_a_typical_run_is_one_request():
    chunks = list(
        split_batches(
            [Metric(f"m{i}", 1.0, 0, 0) for i in range(10)],
            [Param(f"p{i}", "v") for i in range(10)],
            [RunTag(f"t{i}", "v") for i in range(5)],
        )
    )
    assert [(len(m), len(p), len(t)) for m, p, t in chunks] == [(10, 10, 5)]


def test_limits_are_respected_and_nothing_is_lost():
    metrics = [Metric("m", float(i), i, i) for i in range(2500)]
    params = [Param(f"p{i}", "v") for i in range(250)]
    tags = [RunTag(f"t{i}", "v") for i in range(120)]
    chunks = list(split_batches(metrics, params, tags))
    for m, p, t in chunks:
        assert len(p) <= 100
        assert len(t) <= 100
        assert len(m) <= 1000
        assert len(m) + len(p) + len(t) <= 1000
    assert sum(len(m) for m, _, _ in chunks) == 2500
    assert sum(len(p) for _, p, _ in chunks) == 250
    assert sum(len(t) for _, _, t in chunks) == 120
