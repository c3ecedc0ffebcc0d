#!/usr/bin/env bash
# The GPU checks of TorchStep (issue 14), in one short run on a machine with an NVIDIA GPU:
# the torch tests (the CUDA ones run there, the rest too) and bench/torch_step.py --device cuda.
#
#   bench/gpu_check.sh --download   # where a package registry is reachable: fetch the wheels
#                                   # the GPU machine lacks into bench/gpu-wheels/ (git-ignored)
#   bench/gpu_check.sh              # on the GPU machine, from the checkout's root, with
#                                   # bench/gpu-wheels/ carried along (or WHEELS=<folder>)
#
# The GPU machine has python3 with torch, numpy, scikit-learn, pandas, scipy, joblib, pytest and
# hypothesis, but no optuna, skops, sqlalchemy, alembic, colorlog, mako, greenlet, prettytable,
# wcwidth (see ENVIRONMENT.md): those come as cp312 manylinux wheels, installed with --target
# into a scratch folder put on PYTHONPATH. Each part has its own time limit; the whole run stays
# under five minutes.
set -uo pipefail

cd "$(dirname "$0")/.."
WHEELS="${WHEELS:-bench/gpu-wheels}"
PYTHON="${PYTHON:-python3}"
NEEDED=(optuna skops sqlalchemy alembic colorlog mako greenlet prettytable wcwidth markupsafe)

if [[ "${1:-}" == "--download" ]]; then
    mkdir -p "$WHEELS"
    pins=()
    for name in "${NEEDED[@]}"; do  # the versions of the venv this checkout is tested with
        version=$("$PYTHON" -c "from importlib.metadata import version; print(version('$name'))")
        pins+=("$name==$version")
    done
    exec "$PYTHON" -m pip download --no-deps --only-binary=:all: --python-version 3.12 \
        --implementation cp --abi cp312 --platform manylinux_2_28_x86_64 \
        --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
        -d "$WHEELS" "${pins[@]}"
fi

started=$SECONDS
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
DEPS="$(mktemp -d)/deps"
if compgen -G "$WHEELS/*.whl" > /dev/null; then
    "$PYTHON" -m pip install --quiet --no-deps --no-index --target "$DEPS" "$WHEELS"/*.whl \
        || { echo "installing the wheels of $WHEELS failed"; exit 1; }
fi
export PYTHONPATH="$PWD:$DEPS${PYTHONPATH:+:$PYTHONPATH}"
"$PYTHON" - <<'EOF' || exit 1
import importlib, sys
missing = []
for name in ("torch", "numpy", "sklearn", "pandas", "optuna", "skops", "tqdm", "pytest"):
    try:
        importlib.import_module(name)
    except ImportError as error:
        missing.append(f"{name} ({error})")
if missing:
    sys.exit("missing: " + ", ".join(missing) + ". Carry their wheels (bench/gpu_check.sh --download).")
import torch
print(f"python {sys.version.split()[0]}, torch {torch.__version__}, CUDA {torch.version.cuda}, "
      f"GPU: {torch.cuda.is_available() and torch.cuda.get_device_name(0)}")
if not torch.cuda.is_available():
    sys.exit("torch sees no GPU here: the CUDA tests would only skip.")
EOF

status=0
echo "== torch tests ($((SECONDS - started)) s)"
timeout 150 "$PYTHON" -m pytest -q -p no:cacheprovider -rs \
    tests/training/test_torch.py tests/persistence/test_torch_saver.py || status=1
echo "== bench/torch_step.py --device cuda ($((SECONDS - started)) s)"
timeout 120 "$PYTHON" bench/torch_step.py --device cuda --repeats 3 || status=1
echo "== done in $((SECONDS - started)) s, status $status"
exit $status
