"""Inference tables: several worker processes append to one Delta table concurrently."""

from __future__ import annotations

import subprocess
import sys

from modelyard.serving._inference_log import read_inference_table

WRITER = """
import sys, time
from modelyard.serving._inference_log import InferenceLogger
lg = InferenceLogger(sys.argv[1], flush_interval_s=0.01)
for i in range(200):
    lg.log(f"{sys.argv[2]}-{i}", "ep", "ep-1", "m", "1", 200, 1.5, '{"inputs": [1]}', '{"predictions": [0]}')
    time.sleep(0.001)
lg.close()
assert lg.dropped == 0 and lg.written == 200
"""


def test_concurrent_writers_lose_nothing(tmp_path):
    table = tmp_path / "inference" / "ep"
    assert len(read_inference_table(table)) == 0  # no table yet: empty frame with the columns
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(table), name]) for name in "abc"]
    assert [p.wait(120) for p in procs] == [0, 0, 0]
    frame = read_inference_table(table)
    assert len(frame) == 600
    assert frame["request_id"].nunique() == 600
    assert set(frame["status_code"]) == {200}
    assert frame["request"].iloc[0] == '{"inputs": [1]}'
