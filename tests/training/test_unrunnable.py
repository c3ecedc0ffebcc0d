"""fit_epochs on a pipeline that cannot run names the step and why, before touching any."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import SGDClassifier, SGDRegressor
from sklearn.preprocessing import StandardScaler

from workbench import Pipeline
from workbench.exceptions import TrainingError, WorkbenchError
from workbench.training import fit_epochs


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 4))
    return X, (X[:, 0] > 0).astype(int)


def test_a_classifier_in_the_middle_is_named_as_a_workbench_error(data):
    X, y = data
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            ("encoder", Pipeline([("head", SGDClassifier(random_state=0))])),
            ("model", SGDClassifier(random_state=0)),
        ]
    )
    with pytest.raises(
        TrainingError,
        match=r"Step 'encoder__head' \(SGDClassifier\) is followed by other steps, so it must "
        r"transform the data it passes on, but it has no transform method \(it has predict, "
        r"score: a final step\)\. Replace it with a transformer, or move it to the end",
    ) as raised:
        fit_epochs(pipe, X, y, epochs=2, batch_size=30, record=False)
    assert isinstance(raised.value, WorkbenchError)
    assert not hasattr(pipe["scale"], "mean_")  # nothing was touched


def test_a_frozen_fitted_classifier_in_the_middle_is_refused_too(data):
    X, y = data
    head = SGDRegressor(random_state=0).fit(X, y)
    pipe = Pipeline([("encoder", head), ("model", SGDClassifier(random_state=0))])
    pipe.freeze("encoder")
    coef = head.coef_.copy()
    with pytest.raises(TrainingError, match=r"Step 'encoder' \(SGDRegressor\) is followed by"):
        fit_epochs(pipe, X, y, epochs=1, batch_size=30, record=False)
    np.testing.assert_array_equal(pipe["encoder"].coef_, coef)
    assert not hasattr(pipe["model"], "coef_")
