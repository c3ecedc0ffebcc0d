"""Every step of workbench.training keeps the Workbench step contract."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression, SGDClassifier
from sklearn.preprocessing import LabelEncoder, StandardScaler

from workbench.testing import check_step
from workbench.training import (
    Flatten,
    ForEach,
    InputAsTarget,
    NextValueTarget,
    TorchStep,
    TransformTarget,
)

rng = np.random.default_rng(0)
X = rng.normal(size=(60, 4)).astype("float32")
y = (X[:, 0] > 0).astype(int)
X3 = rng.normal(size=(20, 5, 3))


def linear(n_features, n_outputs):
    import torch

    return torch.nn.Linear(n_features, n_outputs)


STEPS = {
    "ForEach": lambda: (ForEach(StandardScaler()), X3, None),
    "Flatten": lambda: (Flatten(), X3, None),
    "TransformTarget": lambda: (
        TransformTarget(SGDClassifier(random_state=0), transformer=LabelEncoder()),
        X,
        np.array(["a", "b"])[y],
    ),
    "InputAsTarget": lambda: (InputAsTarget(), X, None),
    "NextValueTarget": lambda: (NextValueTarget(window=2), X[:, 0], None),
    "TorchStep": lambda: (TorchStep(module=linear, epochs=1, random_state=0), X, y),
}


@pytest.mark.parametrize("name", sorted(STEPS))
def test_training_steps_pass_check_step(name):
    if name == "TorchStep":
        pytest.importorskip("torch", reason="TorchStep needs the torch extra")
    step, data, target = STEPS[name]()
    check_step(step, data, target)


def test_transform_target_over_a_regressor_passes_check_step():
    step = TransformTarget(LinearRegression(), transformer=StandardScaler())
    check_step(step, X, X[:, 0] * 100.0)
