#!/usr/bin/env bash
# Install Workbench with every extra into .venv and open JupyterLab on example_notebooks/.
# Runs and studies go to the embedded store, .workbench/ beside the notebooks.
set -euo pipefail
cd "$(dirname "$0")/.."
stage() { echo "lab.sh: $*"; }  # one line per stage: the installs take minutes and print nothing
# The JupyterLab extension (extension/) is built with npm while pip installs the package.
if ! command -v npm >/dev/null; then
    stage "installing Node.js and npm from Debian (the extension is built with them)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi

[ -x .venv/bin/python ] || { stage "creating the virtual environment .venv"; python3 -m venv .venv; }
stage "upgrading pip"
.venv/bin/python -m pip install -q --upgrade pip
stage "installing Workbench with its extras and building the JupyterLab extension (a few minutes)"
.venv/bin/python -m pip install -q -e ".[torch,dask]"
stage "registering the kernel"
.venv/bin/python -m ipykernel install --sys-prefix --name python3 >/dev/null
# No news or update toast: this lab has no route to the internet.
mkdir -p .venv/share/jupyter/lab/settings
cat > .venv/share/jupyter/lab/settings/overrides.json <<'JSON'
{"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": false}}
JSON
stage "starting JupyterLab on example_notebooks/"
cd example_notebooks
exec ../.venv/bin/jupyter lab --ip 127.0.0.1 ${JUPYTER_ALLOW_ROOT:+--allow-root} "$@"
