from __future__ import annotations

import numpy as np
from sklearn.linear_model import LinearRegression
from sklearn.preprocessing import FunctionTransformer

from workbench import Hyperparam, Pipeline, Step, TrainOnly


class Subsample(Step):
    """Keeps every other row of X and y while fitting."""

    every = Hyperparam(2)

    def fit(self, X, y=None):
        return self

    def fit_resample(self, X, y):
        return X[:: self.every], y[:: self.every]


def test_train_only_acts_while_fitting_and_passes_through_in_eval():
    seen = []
    spy = FunctionTransformer(lambda X: (seen.append(len(X)), X + 100.0)[1])
    pipe = Pipeline([("noise", TrainOnly(spy)), ("model", LinearRegression())])
    X = np.arange(10.0).reshape(-1, 1)
    pipe.fit(X, 2 * X.ravel())
    assert pipe["model"].intercept_ < -150  # learned on shifted inputs
    assert pipe.predict(X).shape == (10,)
    assert seen == [10]  # predict did not call the noise
    np.testing.assert_allclose(pipe.train().predict(X), 2 * X.ravel())  # train mode: noise on


def test_resampler_changes_rows_of_x_and_y_only_while_fitting():
    X = np.arange(20.0).reshape(-1, 1)
    y = np.arange(20.0)
    pipe = Pipeline([("sub", TrainOnly(Subsample())), ("model", LinearRegression())])
    pipe.fit(X, y)
    assert pipe["model"].n_features_in_ == 1
    assert pipe.predict(X).shape == (20,)


def test_fit_leaves_the_tree_in_eval_mode():
    pipe = Pipeline([("noise", TrainOnly(FunctionTransformer())), ("model", LinearRegression())])
    pipe.fit(np.ones((4, 1)), np.ones(4))
    assert not pipe.training and not pipe["noise"].training


def test_wrapped_step_can_be_replaced_but_not_removed():
    import pytest

    from workbench.exceptions import StructureError

    pipe = Pipeline([("noise", TrainOnly(FunctionTransformer())), ("model", LinearRegression())])
    pipe.replace("noise__step", FunctionTransformer(np.negative))
    assert pipe["noise__step"].func is np.negative
    with pytest.raises(
        StructureError,
        match="TrainOnly holds a fixed set of steps \\('step'\\); replace one instead",
    ):
        pipe.remove("noise__step")
    with pytest.raises(StructureError, match="TrainOnly holds a fixed set of steps"):
        pipe.insert("noise__other", FunctionTransformer())
