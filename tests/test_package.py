"""The package as a whole: its version, and what a missing optional dependency says."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest
from sklearn.preprocessing import StandardScaler

import workbench
from workbench.parallel import ParallelTransform
from workbench.training import TorchStep


def test_version_is_the_one_written_in_pyproject():
    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    assert workbench.__version__ == tomllib.loads(pyproject.read_text())["project"]["version"]


def _module(n_features, n_outputs):
    raise AssertionError("never built without torch")


def test_torch_step_without_torch_names_the_extra_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # what an environment without torch has
    with pytest.raises(
        ImportError, match=r"TorchStep needs 'torch'.*pip install 'workbench\[torch\]'"
    ):
        TorchStep(module=_module).fit(np.zeros((4, 2)), np.zeros(4))


def test_dask_backend_without_dask_names_the_extra_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    X = np.arange(8.0).reshape(4, 2)
    step = ParallelTransform(StandardScaler(), backend="dask", chunk_size=2).fit(X)
    with pytest.raises(ImportError, match=r"backend='dask' needs 'distributed'.*\[dask\]"):
        step.transform(X)
