#!/usr/bin/env bash
# Install everything the tests need into .venv, then lint, type-check and run the whole suite.
# Extra arguments go to pytest (bash scripts/test.sh -k pipeline).
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages: PostgreSQL (storage tests start their own server), only when missing.
if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[test,torch,dask]"
.venv/bin/python -m ipykernel install --sys-prefix --name python3 >/dev/null

.venv/bin/ruff format --check workbench tests bench conftest.py
.venv/bin/ruff check workbench tests bench conftest.py
.venv/bin/mypy
.venv/bin/pytest -n 2 "$@"
