"""Errors raised while sampling a trial's hyperparameters are recorded on that trial."""

from __future__ import annotations

import optuna
import pytest
from sklearn.linear_model import LogisticRegression

from workbench import Pipeline, floats
from workbench.exceptions import TuningError
from workbench.tuning import Tuner, trials_frame

from .helpers import classification_data


class BrokenSampler(optuna.samplers.RandomSampler):
    """A sampler that fails on every draw, as one fed bad bounds would."""

    def sample_independent(self, study, trial, param_name, param_distribution):
        raise OverflowError("cannot convert float infinity to integer")


def test_sampling_error_is_recorded_on_its_trial():
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    X, y = classification_data()
    pipe = Pipeline([("model", LogisticRegression())])
    pipe.set_hyperparams_space(model__C=floats(0.01, 10.0, log=True))
    tuner = Tuner(pipe, sampler=BrokenSampler(seed=0), storage=":memory:", fresh=True)
    with pytest.raises(TuningError, match="OverflowError: cannot convert float infinity"):
        tuner.optimize(X, y, n_trials=3)
    frame = trials_frame(tuner.study)
    assert list(frame["state"]) == ["fail"] * len(frame)
    assert all(
        error == "OverflowError: cannot convert float infinity to integer"
        for error in frame["error"]
    )
