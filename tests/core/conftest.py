from __future__ import annotations

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from workbench import Choose, Pipeline


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 5))
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
                        ("linear", LogisticRegression()),
                        ("forest", RandomForestClassifier(n_estimators=5, random_state=0)),
                    ]
                ),
            ),
        ]
    )
