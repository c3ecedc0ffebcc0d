from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression

from workbench import Hyperparam, Pipeline, Step


class Resource(Step):
    holds_resources = True
    log: list[str] = []
    fail = Hyperparam(False)

    def acquire_resources(self):
        self.log.append("acquire")

    def release_resources(self):
        self.log.append("release")

    def fit(self, X, y=None):
        if self.fail:
            raise RuntimeError("fit failed")
        return self

    def transform(self, X):
        return X


@pytest.fixture(autouse=True)
def clear_log():
    Resource.log = []


def test_setup_and_teardown_reach_the_whole_tree_once():
    pipe = Pipeline([("inner", Pipeline([("r", Resource())])), ("model", LinearRegression())])
    with pipe:
        assert pipe["inner__r"].is_set_up
        pipe.setup()
    assert Resource.log == ["acquire", "release"]
    assert not pipe["inner__r"].is_set_up


def test_teardown_runs_when_fitting_raises():
    pipe = Pipeline([("r", Resource(fail=True)), ("model", LinearRegression())])
    with pytest.raises(RuntimeError, match="fit failed"):
        pipe.fit(np.ones((3, 1)), np.ones(3))
    assert Resource.log == ["acquire", "release"]
    assert not pipe["r"].is_set_up and not pipe.training


def test_lazily_set_up_step_stays_set_up_for_predict_after_a_good_fit():
    pipe = Pipeline([("r", Resource()), ("model", LinearRegression())])
    pipe.fit(np.ones((3, 1)), np.ones(3)).predict(np.ones((2, 1)))
    assert Resource.log == ["acquire"] and pipe["r"].is_set_up
    pipe.teardown()
    assert Resource.log == ["acquire", "release"]
