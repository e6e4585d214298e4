#!/usr/bin/env bash
# Create .venv with modelyard and every extra, pinned by constraints.txt (reproducible).
# Usage: bash scripts/install.sh [extras]   (default extras: all,dev)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
extras=${1:-all,dev}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade "pip>=24" >/dev/null
.venv/bin/python -m pip install --quiet -c constraints.txt -e ".[${extras}]"
