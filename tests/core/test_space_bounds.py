"""A space a sampler cannot draw from (NaN or infinite bounds) is refused when it is made."""

from __future__ import annotations

import math

import optuna
import pytest
from sklearn.linear_model import LogisticRegression

from workbench import Pipeline, floats, ints
from workbench.exceptions import SpaceError


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (
            lambda: floats(math.nan, 1.0),
            r"The low of floats\(\) must be a finite number, but got nan",
        ),
        (
            lambda: floats(0.1, math.inf),
            r"The high of floats\(\) must be a finite number, but got inf",
        ),
        (
            lambda: floats(0.1, 1.0, step=math.nan),
            r"The step of floats\(\) must be a finite number",
        ),
        (lambda: ints(0, math.inf), r"The high of ints\(\) must be a finite number, but got inf"),
        (
            lambda: floats(3.0, 1.0),
            r"floats\(3.0, 1.0, log=False, step=None\): `low <= high` must hold",
        ),
        (lambda: floats("a", 1.0), r"The low of floats\(\) must be a number, but got 'a' \(str\)"),
    ],
)
def test_space_with_nan_or_infinite_bounds_is_refused(make, problem):
    with pytest.raises(SpaceError, match=problem):
        make()


def test_setting_a_space_with_infinite_bounds_changes_nothing():
    pipe = Pipeline([("model", LogisticRegression())])
    pipe.set_hyperparams_space(model__C=floats(0.01, 10.0, log=True))
    before = pipe.get_hyperparams_space()
    handmade = optuna.distributions.FloatDistribution(0.1, math.inf)  # past workbench.floats
    with pytest.raises(SpaceError, match=r"The space of 'model__C' is .*must be a finite number"):
        pipe.set_hyperparams_space(model__C=handmade)
    assert pipe.get_hyperparams_space() == before
