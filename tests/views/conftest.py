from __future__ import annotations

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.preprocessing import StandardScaler

from workbench import Choose, Pipeline


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 6))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    return X, y


@pytest.fixture
def nested():
    return Pipeline(
        [
            ("encoder", Pipeline([("scale", StandardScaler()), ("pca", PCA(n_components=3))])),
            (
                "model",
                Choose(
                    [
                        ("linear", LogisticRegression(C=0.5)),
                        ("forest", RandomForestClassifier(n_estimators=5, random_state=0)),
                    ]
                ),
            ),
        ]
    )


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
