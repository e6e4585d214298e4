"""Start-up time: ``modelyard --help`` vs ``mlflow --help``, ``import modelyard`` vs
``import mlflow``, the same commands in one run (best of ``--repeat``, the two alternating).

    .venv/bin/python benchmarks/cli/bench_startup.py [--repeat 7]

The anchor is the real mlflow 3.17.2 (``$MODELYARD_MLFLOW_PYTHON``, default ``.venv-mlflow``).
The test suite checks what keeps start-up fast without a clock (tests/test_public_api.py: the
modules ``--help`` and ``import modelyard`` load); this script measures the time.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from modelyard.testing.mlflow_client import mlflow_python_path

CASES = {
    "cli --help": (
        ["-c", "import sys; sys.argv=['mlflow','--help']; from mlflow.cli import cli; cli()"],
        [
            "-c",
            "import sys; sys.argv=['modelyard','--help']; from modelyard.cli.main import main; main()",
        ],
    ),
    "import": (["-c", "import mlflow"], ["-c", "import modelyard"]),
}


def _best(cmd: list[str], repeat: int) -> float:
    subprocess.run(cmd, capture_output=True, check=True)  # warm the bytecode cache
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    anchor = str(mlflow_python_path())
    print(f"{'case':<12} {'mlflow s':>10} {'modelyard s':>12} {'ratio':>8}")
    for name, (mlflow_args, modelyard_args) in CASES.items():
        theirs = _best([anchor, *mlflow_args], args.repeat)
        ours = _best([sys.executable, *modelyard_args], args.repeat)
        print(f"{name:<12} {theirs:>10.3f} {ours:>12.3f} {theirs / ours:>7.1f}x")


if __name__ == "__main__":
    main()
