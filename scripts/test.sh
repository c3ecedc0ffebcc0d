#!/usr/bin/env bash
# Install everything the tests need into .venv, then lint, type-check and run the whole suite.
# Extra arguments go to pytest (bash scripts/test.sh -k pipeline).
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages, only when missing: PostgreSQL (storage tests start their own server) and
# Debian's Chromium (browser tests drive it through Python Playwright; never `playwright install`).
missing=()
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || missing+=(postgresql)
[ -x /usr/bin/chromium ] || missing+=(chromium)
# The JupyterLab extension (extension/) is built with npm while pip installs the package.
command -v npm >/dev/null || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[test,torch,dask]"
(cd extension && npm test --silent)  # the Lab panel's TypeScript unit tests (node's runner)
.venv/bin/python -m ipykernel install --sys-prefix --name python3 >/dev/null

.venv/bin/ruff format --check workbench tests bench conftest.py
.venv/bin/ruff check workbench tests bench conftest.py
.venv/bin/mypy
.venv/bin/pytest -n 2 "$@"
