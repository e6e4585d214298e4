"""execute_notebook runs a real kernel and shuts it down afterwards, also when a cell fails."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

from modelyard.automl.notebooks import execute_notebook


def _kernel_children() -> list[int]:
    """ipykernel processes whose parent is this test process."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == os.getpid() and b"ipykernel" in cmdline:
            found.append(int(entry.name))
    return found


def _notebook(tmp_path: Path, source: str) -> Path:
    path = tmp_path / "nb.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)]), path)
    return path


def test_runs_and_leaves_no_kernel(tmp_path: Path) -> None:
    nb = execute_notebook(_notebook(tmp_path, "print(6 * 7)"), timeout=120)
    assert nb.cells[0].outputs[0]["text"] == "42\n"
    assert nbformat.read(tmp_path / "nb.ipynb", as_version=4).cells[0].outputs  # written back
    assert _kernel_children() == []


def test_failing_cell_still_shuts_the_kernel_down(tmp_path: Path) -> None:
    import nbclient.exceptions

    with pytest.raises(nbclient.exceptions.CellExecutionError, match="ZeroDivisionError"):
        execute_notebook(_notebook(tmp_path, "1 / 0"), timeout=120)
    assert _kernel_children() == []
