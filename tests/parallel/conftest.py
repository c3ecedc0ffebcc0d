from __future__ import annotations

import numpy as np
import pytest

from tests.parallel.steps import Locked
from workbench.persistence import FittedStateSaver, register_saver, unregister_saver


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 4))
    y = (X[:, 0] - X[:, 2] > 0).astype(int)
    return X, y


@pytest.fixture
def locked_saver():
    register_saver(Locked, FittedStateSaver())
    yield
    unregister_saver(Locked)
