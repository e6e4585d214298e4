#!/usr/bin/env bash
# Creates benchmarks/monitoring/.venv with the anchors of the drift benchmark (Evidently 0.7,
# NannyML 0.13, scipy) and modelyard itself. Benchmark-only: never the project's .venv.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
python="${PYTHON:-python3.11}"
"$python" -m venv "$here/.venv"
pip="$here/.venv/bin/pip"
"$pip" install --quiet --upgrade pip
# Same numpy/pandas/scipy/pyarrow as the project (constraints.txt): a fair comparison, and
# Evidently 0.7 does not import with pandas 3.
pins=$(grep -E '^(numpy|pandas|scipy|pyarrow)==' "$root/constraints.txt")
# shellcheck disable=SC2086
"$pip" install --quiet "evidently>=0.7,<0.8" psutil $pins
# NannyML 0.13 pins older pandas/numpy ranges; install it on its own so a failure is visible
# and does not block the other anchors.
if ! "$pip" install --quiet "nannyml>=0.13,<0.14" $pins; then
    echo "nannyml 0.13 could not be installed with $("$python" --version)" >&2
fi
"$pip" install --quiet --no-deps -e "$root"
"$here/.venv/bin/python" -c "import evidently, scipy; print('evidently', evidently.__version__)"
"$here/.venv/bin/python" -c "import nannyml; print('nannyml', nannyml.__version__)" || true
