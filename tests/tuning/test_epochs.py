"""Tuning epoch-trained pipelines: every epoch's validation score reaches the pruner."""

from __future__ import annotations

import numpy as np
import optuna
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import SGDClassifier
from sklearn.preprocessing import StandardScaler

from workbench import Pipeline
from workbench.tuning import Tuner

EPOCHS = 6


@pytest.fixture(autouse=True)
def _quiet_optuna():
    optuna.logging.set_verbosity(optuna.logging.WARNING)


@pytest.fixture(scope="module")
def data():
    return make_classification(n_samples=600, n_features=10, flip_y=0.1, random_state=0)


def sgd_pipeline():
    pipe = Pipeline([("scale", StandardScaler()), ("model", SGDClassifier(random_state=0))])
    return pipe.set_hyperparams_space(scale__with_mean=None, scale__with_std=None)


def epoch_tuner(pruner, name):
    return Tuner(
        sgd_pipeline(),
        scoring="accuracy",
        epochs={"epochs": EPOCHS, "batch_size": 50, "random_state": 0},
        pruner=pruner,
        sampler=optuna.samplers.RandomSampler(seed=0),
        storage=":memory:",
        study_name=name,
    )


@pytest.mark.parametrize(
    "pruner",
    [
        optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1),
        optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=2),
        optuna.pruners.HyperbandPruner(min_resource=1, max_resource=EPOCHS, reduction_factor=2),
    ],
    ids=["median", "successive_halving", "hyperband"],
)
def test_epoch_tuning_prunes_trials_by_their_epoch_scores(data, pruner):
    tuner = epoch_tuner(pruner, f"prune-{type(pruner).__name__}")
    tuner.optimize(*data, n_trials=12)
    frame = tuner.trials_dataframe()
    pruned = frame[frame["state"] == "pruned"]
    assert len(pruned) >= 1
    histories = tuner.histories()
    for trial in tuner.study.trials:
        history = histories[trial.number]
        # every epoch the trial ran was reported, with the History's own values
        reported = [trial.intermediate_values[epoch] for epoch in history["epoch"]]
        np.testing.assert_allclose(reported, history["valid_accuracy"])
        if trial.state.name == "PRUNED":
            assert len(history) < EPOCHS
        else:
            assert len(history) == EPOCHS
            assert trial.value == pytest.approx(history["valid_accuracy"].max())


def test_epoch_tuning_refits_the_best_pipeline_by_epochs(data):
    tuner = epoch_tuner(optuna.pruners.NopPruner(), "refit-epochs")
    tuner.optimize(*data, n_trials=3)
    best = tuner.best_pipeline_
    assert best["model"].get_params()["alpha"] == tuner.best_params_["model__alpha"]
    assert best.predict(data[0][:5]).shape == (5,)
    assert tuner.history(tuner.study.best_trial.number)["epoch"].tolist() == list(
        range(1, EPOCHS + 1)
    )


def test_epoch_tuning_with_an_unknown_monitor_fails_trials_with_a_hint(data):
    tuner = Tuner(
        sgd_pipeline(),
        scoring="accuracy",
        epochs={"epochs": 2, "batch_size": 100},
        monitor="valid_acc",
        storage=":memory:",
        study_name="monitor",
        refit=False,
    )
    tuner.optimize(*data, n_trials=1)
    error = tuner.trials_dataframe()["error"].iloc[0]
    assert "no column 'valid_acc'" in error and "Did you mean 'valid_accuracy'?" in error


def test_epoch_tuning_stores_its_setup_with_arrays_summarised(data):
    X, y = data
    tuner = Tuner(
        sgd_pipeline(),
        scoring="accuracy",
        epochs={"epochs": 2, "batch_size": 100, "validation_data": (X[:100], y[:100])},
        storage=":memory:",
        study_name="setup",
        refit=False,
    )
    tuner.optimize(X[100:], y[100:], n_trials=1)
    setup = tuner.study.user_attrs["workbench:setup"]
    assert setup["scoring"] == "accuracy"
    assert setup["evaluation"]["options"]["validation_data"] == [
        "ndarray of shape (100, 10)",
        "ndarray of shape (100,)",
    ]
