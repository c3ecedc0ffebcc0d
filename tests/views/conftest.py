from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import SGDClassifier
from sklearn.preprocessing import StandardScaler

from workbench import Pipeline


@pytest.fixture
def incremental():
    return Pipeline(
        [("scale", StandardScaler()), ("model", SGDClassifier(loss="log_loss", random_state=0))]
    )


@pytest.fixture
def blobs():
    """Two separable classes, 300 rows of 4 features: enough epochs of mini-batches to draw."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    return X, y
