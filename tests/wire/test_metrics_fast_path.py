import math

import pytest

from modelyard.errors import InvalidParameterValue
from modelyard.wire import WireArgs, metric_from_json, metrics_from_json


def _items(*dicts):
    return [WireArgs.from_json(d) for d in dicts]


def test_fast_and_generic_paths_agree():
    raw = [
        {"key": "loss", "value": 0.5, "timestamp": 10, "step": 3},
        {"key": "loss", "value": 1, "timestamp": 11},
        {"key": "acc", "value": "NaN", "timestamp": 12, "step": 1},
        {"key": "acc", "value": 0.9, "timestamp": 13, "step": 2, "datasetName": "train"},
    ]
    fast = metrics_from_json(_items(*raw), "r1")
    slow = [metric_from_json(WireArgs.from_json(d), "r1") for d in raw]
    assert fast == slow
    assert fast[1].value == 1.0
    assert fast[1].step == 0
    assert math.isnan(fast[2].value)
    assert fast[3].dataset_name == "train"
    assert all(m.run_id == "r1" for m in fast)


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"key": "k", "value": "abc", "timestamp": 1}, "value"),
        ({"key": "k", "value": 1.0}, "timestamp"),
        ({"value": 1.0, "timestamp": 1}, "key"),
        ({"key": "k", "value": True, "timestamp": 1}, "value"),
    ],
)
def test_bad_points_name_the_field(bad, field):
    with pytest.raises(InvalidParameterValue, match=field):
        metrics_from_json(_items({"key": "ok", "value": 1.0, "timestamp": 1}, bad))
