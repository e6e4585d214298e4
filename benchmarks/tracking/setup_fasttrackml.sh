#!/usr/bin/env bash
# Creates benchmarks/tracking/.venv-fml with FastTrackML 0.6.0 (the wheel ships one static Go
# binary, `fml`; nothing else is needed, hence --no-deps). Benchmark-only: never the project's
# .venv. bench_fasttrackml.py runs this when the binary is missing; FASTTRACKML_BIN overrides.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="${PYTHON:-python3.11}"
"$python" -m venv "$here/.venv-fml"
"$here/.venv-fml/bin/pip" install --quiet --no-deps "fasttrackml==0.6.0"
"$here/.venv-fml/bin/fml" --version
