"""Tuner.extend: a kept trial trained for more epochs, as a new trial linked to the first."""

from __future__ import annotations

import optuna
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import SGDClassifier
from sklearn.preprocessing import StandardScaler

from workbench import Pipeline, store
from workbench.exceptions import TuningError
from workbench.tuning import Tuner, load_trial

EPOCHS = 3


@pytest.fixture(autouse=True)
def _quiet_optuna():
    optuna.logging.set_verbosity(optuna.logging.WARNING)


@pytest.fixture(scope="module")
def data():
    return make_classification(n_samples=300, n_features=8, flip_y=0.1, random_state=0)


def epoch_tuner(tmp_path, **options):
    pipe = Pipeline([("scale", StandardScaler()), ("model", SGDClassifier(random_state=0))])
    pipe.set_hyperparams_space(scale__with_mean=None, scale__with_std=None)
    return Tuner(
        pipe,
        scoring="accuracy",
        epochs={"epochs": EPOCHS, "batch_size": 30, "random_state": 0},
        storage=str(tmp_path / "journal.log"),
        study_name="ext",
        sampler=optuna.samplers.RandomSampler(seed=0),
        pruner=optuna.pruners.NopPruner(),
        **options,
    )


def test_extend_continues_the_epochs_as_a_new_linked_trial(tmp_path, data):
    tuner = epoch_tuner(tmp_path).optimize(*data, n_trials=3)
    best = tuner.study.best_trial.number
    before = tuner.history(best)
    number = tuner.extend(best, epochs=2)
    assert number == 3
    history = tuner.history(number)
    assert history["epoch"].tolist() == [1, 2, 3, 4, 5]
    assert history["valid_accuracy"].tolist()[:EPOCHS] == before["valid_accuracy"].tolist()
    new = tuner.study.trials[number]
    assert new.state.name == "COMPLETE" and new.params == tuner.study.trials[best].params
    assert new.value == max(history["valid_accuracy"])
    assert sorted(new.intermediate_values) == [1, 2, 3, 4, 5]
    record = store.open_store(str(tmp_path / "journal.log")).record("ext", number)
    assert record.extends == best
    assert store.open_store(str(tmp_path / "journal.log")).record("ext", best).extends is None


def test_the_extended_pipeline_is_the_kept_one_trained_further(tmp_path, data):
    tuner = epoch_tuner(tmp_path, keep="all").optimize(*data, n_trials=2)
    first = load_trial(tuner.study, 0)
    number = tuner.extend(0, epochs=1)
    extended = load_trial(tuner.study, number)
    assert (extended["model"].coef_ != first["model"].coef_).any()
    assert extended["model"].t_ > first["model"].t_  # more updates than the first trial's


def test_extend_with_data_given_and_without_any(tmp_path, data):
    tuner = epoch_tuner(tmp_path).optimize(*data, n_trials=1)
    fresh = epoch_tuner(tmp_path)  # another session: no optimize, so no data yet
    with pytest.raises(TuningError, match=r"extend needs the training data: pass X and y"):
        fresh.extend(0, epochs=1)
    assert fresh.extend(0, epochs=1, X=data[0], y=data[1]) == 1
    assert len(tuner.study.trials) == 2


def test_extend_errors(tmp_path, data):
    tuner = epoch_tuner(tmp_path, keep=1).optimize(*data, n_trials=3)
    best = tuner.study.best_trial.number
    other = next(n for n in range(3) if n != best)
    with pytest.raises(TuningError, match=r"epochs must be a positive integer, but got epochs=0"):
        tuner.extend(best, epochs=0)
    with pytest.raises(TuningError, match=r"has no trial 7; its trials are 0\.\.2"):
        tuner.extend(7, epochs=1)
    with pytest.raises(TuningError, match=rf"did not keep trial {other}"):
        tuner.extend(other, epochs=1)
    assert len(tuner.study.trials) == 3  # nothing recorded
    cv = Tuner(Pipeline([("model", SGDClassifier())]), cv=2, storage=":memory:")
    with pytest.raises(TuningError, match=r"scores trials by 'cv'. Tune with epochs="):
        cv.extend(0, epochs=1)
