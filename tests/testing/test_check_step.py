from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression, SGDClassifier
from sklearn.preprocessing import FunctionTransformer, LabelEncoder, StandardScaler

from workbench import Choose, Hyperparam, Pipeline, Step, TrainOnly, floats
from workbench.exceptions import StepContractError
from workbench.parallel import ParallelTransform, ParallelUnion
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
X = rng.normal(size=(60, 4))
y = (X[:, 0] > 0).astype(int)
X3 = rng.normal(size=(10, 6, 4))


def linear_module(n_features, n_outputs):
    import torch

    return torch.nn.Linear(n_features, n_outputs)


# Every built-in step, with data it can be fitted on.
BUILTIN_STEPS = {
    "Pipeline": (Pipeline([("scale", StandardScaler()), ("model", LogisticRegression())]), X, y),
    "Choose": (Choose([("a", LogisticRegression()), ("b", LogisticRegression(C=2.0))]), X, y),
    "TrainOnly": (TrainOnly(FunctionTransformer(np.negative)), X, None),
    "ForEach": (ForEach(StandardScaler()), X3, None),
    "ForEach per sample": (ForEach(StandardScaler(), mode="per_sample"), X3, None),
    "Flatten": (Flatten(), X3, None),
    "TransformTarget": (
        TransformTarget(LinearRegression(), transformer=StandardScaler()),
        X,
        X[:, 0],
    ),
    "TransformTarget of labels": (
        TransformTarget(SGDClassifier(random_state=0), transformer=LabelEncoder()),
        X,
        np.array(["a", "b"])[y],
    ),
    "InputAsTarget": (InputAsTarget(), X, None),
    "NextValueTarget": (NextValueTarget(window=3), X[:, 0], None),
    "TorchStep": (
        TorchStep(module=linear_module, loss="mse", epochs=2, random_state=0),
        X,
        X[:, 1],
    ),
    "TorchStep classifier": (TorchStep(module=linear_module, epochs=1, random_state=0), X, y),
    "ParallelTransform": (
        ParallelTransform(StandardScaler(), n_jobs=2, backend="threading"),
        X,
        None,
    ),
    "ParallelUnion": (
        ParallelUnion(
            [("a", StandardScaler()), ("b", FunctionTransformer(np.negative))], n_jobs=2
        ),
        X,
        None,
    ),
}


def test_check_step_accepts_a_step_whose_values_lie_outside_its_default_space():
    from sklearn.decomposition import PCA

    pipe = Pipeline([("reduce", PCA(n_components=2))])  # PCA's space is a variance fraction
    check_step(pipe, X)
    assert pipe["reduce"].n_components == 2


@pytest.mark.parametrize("name", sorted(BUILTIN_STEPS))
def test_builtin_steps_pass_check_step(name):
    step, data, target = BUILTIN_STEPS[name]
    check_step(step, data, target)


class BadSpace(Step):
    rate = Hyperparam(0.5, space=floats(0.0, 1.0))

    def set_params(self, **params):  # silently clamps: breaks the round trip of sampled values
        if "rate" in params:
            params["rate"] = round(params["rate"], 1)
        return super().set_params(**params)


def test_check_step_names_the_broken_check():
    with pytest.raises(
        StepContractError,
        match="BadSpace fails the 'values sampled from the space' check: set_hyperparams\\(rate=.*was accepted",
    ):
        check_step(BadSpace())


class StuckInTrain(Step):
    def train(self, mode=True):
        return self


def test_check_step_catches_a_step_whose_modes_do_not_change():
    step = StuckInTrain()
    step._training = True
    with pytest.raises(StepContractError, match="'modes' check: eval\\(\\) did not put"):
        check_step(step)
