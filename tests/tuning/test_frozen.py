"""Frozen steps are fixed: a tuner never samples them, and every trial keeps them fitted."""

from __future__ import annotations

import numpy as np
import optuna
import pytest
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.linear_model import SGDClassifier
from sklearn.preprocessing import StandardScaler

from workbench import Pipeline, categorical
from workbench.exceptions import TuningError
from workbench.tuning import Tuner


@pytest.fixture(autouse=True)
def _quiet_optuna():
    optuna.logging.set_verbosity(optuna.logging.WARNING)


@pytest.fixture(scope="module")
def digits():
    return load_digits(return_X_y=True)


@pytest.fixture
def pretrained(digits):
    """A pre-trained encoder, frozen, with a head that learns by mini-batch."""
    pipe = Pipeline(
        [
            ("encoder", Pipeline([("scale", StandardScaler()), ("pca", PCA(n_components=16))])),
            ("model", SGDClassifier(random_state=0)),
        ]
    )
    return pipe.fit(*digits).freeze("encoder")


def test_an_epoch_study_keeps_the_pretrained_encoder_and_tunes_the_head(pretrained, digits):
    components = pretrained["encoder__pca"].components_.copy()
    tuner = Tuner(
        pretrained,
        scoring="accuracy",
        epochs={"epochs": 3, "batch_size": 256, "random_state": 0},
        storage=":memory:",
        random_state=0,
    )
    assert tuner.space and all(path.startswith("model__") for path in tuner.space)
    tuner.optimize(*digits, n_trials=4)
    frame = tuner.trials_dataframe()
    assert frame["state"].tolist() == ["complete"] * 4
    assert not [column for column in frame.columns if column.startswith("encoder__")]
    best = tuner.best_pipeline_
    assert best.is_frozen("encoder")
    assert np.array_equal(best["encoder__pca"].components_, components)
    assert tuner.best_value_ > 0.8


def test_a_space_naming_a_frozen_step_is_refused(pretrained):
    with pytest.raises(
        TuningError,
        match=r"'encoder__pca__whiten' belongs to the frozen step 'encoder'.*"
        r"pipe\.unfreeze\('encoder'\)",
    ):
        Tuner(pretrained, holdout=0.2, space={"encoder__pca__whiten": categorical([True, False])})
