#!/usr/bin/env bash
# The real mlflow client (pinned 3.17.2) in its own venv, .venv-mlflow, so that it can never
# clash with modelyard's dependencies. Compatibility and interop tests run it by subprocess.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
if [ ! -x .venv-mlflow/bin/python ] || ! .venv-mlflow/bin/python -c "import mlflow, sklearn, xgboost" 2>/dev/null; then
  rm -rf .venv-mlflow
  "$PY" -m venv .venv-mlflow
  .venv-mlflow/bin/python -m pip install --quiet --upgrade "pip>=24" >/dev/null
  .venv-mlflow/bin/python -m pip install --quiet -c constraints-mlflow.txt mlflow==3.17.2 scikit-learn xgboost lightgbm
fi
