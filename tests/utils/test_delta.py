"""``modelyard.utils.delta``: Delta tables read through pyarrow's own Parquet dataset."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
from deltalake import write_deltalake

from modelyard.utils.delta import delta_dataset, read_delta


def test_rows_and_schema_of_the_current_version(tmp_path: Path) -> None:
    path = tmp_path / "t"
    first = pd.DataFrame({"a": [1, 2], "t": pd.to_datetime(["2026-01-01", "2026-01-02"], utc=True)})
    write_deltalake(path, first)
    write_deltalake(
        path,
        pd.DataFrame({"a": [3], "t": first.t[:1], "extra": ["x"]}),
        mode="append",
        schema_mode="merge",
    )
    frame = read_delta(path).sort_values("a").reset_index(drop=True)
    assert frame["a"].tolist() == [1, 2, 3]
    assert str(frame["t"].dt.tz) == "UTC"
    assert frame["extra"].isna().tolist() == [True, True, False]  # older files: nulls
    write_deltalake(
        path, pd.DataFrame({"a": [9], "t": first.t[:1], "extra": ["y"]}), mode="overwrite"
    )
    assert read_delta(path, columns=["a"])["a"].tolist() == [9]  # only the current files


def test_partitioned_table_keeps_its_partition_values(tmp_path: Path) -> None:
    path = tmp_path / "p"
    write_deltalake(path, pd.DataFrame({"a": [1, 2], "day": ["d1", "d2"]}), partition_by=["day"])
    frame = read_delta(path).sort_values("a")
    assert frame["day"].tolist() == ["d1", "d2"]
    assert delta_dataset(path).count_rows() == 2


def test_a_process_that_read_a_table_exits_cleanly(tmp_path: Path) -> None:
    """deltalake's own reader aborts such a process at exit now and then (SIGABRT)."""
    path = tmp_path / "x"
    write_deltalake(path, pd.DataFrame({"a": range(100)}))
    code = f"from modelyard.utils.delta import read_delta; print(len(read_delta({str(path)!r})))"
    for _ in range(3):
        proc = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
        )
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip() == "100"
