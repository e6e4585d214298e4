#!/usr/bin/env bash
# Install everything (pinned) and run the whole test suite. This is the README's test command
# and what CI runs. PostgreSQL must be reachable at 127.0.0.1:5432 (trust auth, database test).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh all,dev
bash scripts/install-mlflow.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/lint-imports --no-cache   # the layer contract (pyproject.toml [tool.importlinter])
.venv/bin/mypy                      # types (pyproject.toml [tool.mypy])
.venv/bin/python -m pytest -n 2 --dist loadfile -q -p no:cacheprovider "$@"
