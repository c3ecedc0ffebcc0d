"""Hyperparameters without a declared space are checked against scikit-learn's constraints."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from workbench import Pipeline
from workbench.exceptions import HyperparamError


@pytest.fixture
def pipe():
    return Pipeline(
        [("scale", StandardScaler()), ("model", Pipeline([("lr", LogisticRegression())]))]
    )


@pytest.mark.parametrize("value", ["many", math.nan, -5, 2.5])
def test_set_hyperparams_refuses_what_scikit_learn_refuses_naming_path_and_value(pipe, value):
    before = pipe.get_hyperparams()
    with pytest.raises(HyperparamError) as error:
        pipe.set_hyperparams(model__lr__max_iter=value)
    message = str(error.value)
    assert message.startswith(f"Cannot set 'model__lr__max_iter' to {value!r}: ")
    assert "must be an int in the range [0, inf)" in message
    assert "Nothing was changed" in message
    assert pipe.get_hyperparams() == before


def test_set_hyperparams_with_one_bad_value_changes_none_of_them(pipe):
    with pytest.raises(
        HyperparamError, match=r"'scale__with_mean' to 'yes'.*must be an instance of 'bool'"
    ):
        pipe.set_hyperparams({"model": {"lr": {"C": 3.0}}, "scale__with_mean": "yes"})
    assert pipe["model__lr"].C == 1.0


def test_set_hyperparams_accepts_what_scikit_learn_accepts(pipe, data):
    X, y = data
    pipe.set_hyperparams(model__lr__max_iter=50, model__lr__tol=1e-3, scale__with_mean=False)
    assert pipe["model__lr"].max_iter == 50 and pipe["model__lr"].tol == 1e-3
    assert np.isfinite(pipe.fit(X, y).score(X, y))


def test_set_hyperparams_refuses_an_unknown_option(pipe):
    with pytest.raises(HyperparamError, match=r"'model__lr__solver' to 'fastest'.*'lbfgs'"):
        pipe.set_hyperparams(model__lr__solver="fastest")
    assert pipe["model__lr"].solver == "lbfgs"
