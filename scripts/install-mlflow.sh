#!/usr/bin/env bash
# The real mlflow client (pinned 3.17.2) in its own venv, .venv-mlflow, so that it can never
# clash with modelyard's dependencies. Compatibility and interop tests run it by subprocess
# (modelyard.testing.mlflow_client locates it). .venv-mlflow is git-ignored: running this script
# leaves `git status` clean. With MODELYARD_MLFLOW_PYTHON set, that interpreter is checked
# instead and nothing is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=3.17.2
check() {
  "$1" -c "
import importlib.metadata as m, sys
import mlflow, sklearn, xgboost, lightgbm
sys.exit(0 if m.version('mlflow') == '$VERSION' else 1)
" 2>/dev/null
}
if [ -n "${MODELYARD_MLFLOW_PYTHON:-}" ]; then
  if ! check "$MODELYARD_MLFLOW_PYTHON"; then
    echo "MODELYARD_MLFLOW_PYTHON=$MODELYARD_MLFLOW_PYTHON lacks mlflow==$VERSION (with scikit-learn, xgboost, lightgbm)" >&2
    exit 1
  fi
  exit 0
fi
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
if [ ! -x .venv-mlflow/bin/python ] || ! check .venv-mlflow/bin/python; then
  rm -rf .venv-mlflow  # a stale venv, or a symlink to one (only the link is removed)
  "$PY" -m venv .venv-mlflow
  .venv-mlflow/bin/python -m pip install --quiet --upgrade "pip>=24" >/dev/null
  .venv-mlflow/bin/python -m pip install --quiet -c constraints-mlflow.txt "mlflow==$VERSION" scikit-learn xgboost lightgbm
fi
