"""BackgroundStudy: a study run off the main thread, driven without any widget."""

from __future__ import annotations

import threading

import pytest
from sklearn.base import ClassifierMixin
from sklearn.linear_model import LogisticRegression

from workbench import Callback, Hyperparam, Pipeline, Step, floats
from workbench.exceptions import TuningError
from workbench.tuning import BackgroundStudy

from .helpers import classification_data, wait_for

LOG_C = {"model__C": floats(1e-3, 1e2, log=True)}


class Held(ClassifierMixin, Step):
    """A classifier whose fit waits until the test opens ``Held.gate``."""

    gate = threading.Event()
    C = Hyperparam(1.0, space=floats(0.01, 10.0, log=True))

    def fit(self, X, y):
        assert type(self).gate.wait(30), "the test never opened the gate"
        self.model_ = LogisticRegression(C=self.C).fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict(self, X):
        return self.model_.predict(X)


class Failing(ClassifierMixin, Step):
    C = Hyperparam(1.0, space=floats(0.01, 10.0, log=True))

    def fit(self, X, y):
        raise ValueError("this model never fits")


class Trials(Callback):
    def __init__(self):
        self.ended = []
        self.threads = set()

    def on_trial_end(self, **data):
        self.ended.append((data["trial"], data["state"]))
        self.threads.add(threading.current_thread())


@pytest.fixture
def storage(tmp_path):
    return str(tmp_path / "journal.log")


def _logistic():
    return Pipeline([("model", LogisticRegression(max_iter=200))])


def test_a_study_runs_its_budget_in_a_background_thread(storage):
    heard, states = Trials(), []
    study = BackgroundStudy(_logistic(), *classification_data(), n_trials=3, cv=2,
                            space=LOG_C, storage=storage)  # fmt: skip
    study.add_callback(heard).observe(lambda s: states.append(s.state))
    assert study.state == "idle" and study.budget_text == "3 trials"
    assert study.start() is study
    assert study.wait(60)
    assert study.state == "finished" and study.error is None
    assert study.trials_done == 3 and not study.budget_left()
    assert heard.ended == [(0, "complete"), (1, "complete"), (2, "complete")]
    assert threading.main_thread() not in heard.threads
    assert states == ["running", "finished"]
    assert not hasattr(study.tuner, "best_pipeline_")  # refit is off: apply, then fit


def test_stop_lets_the_running_trial_finish_and_resume_runs_the_rest(storage):
    Held.gate.clear()
    study = BackgroundStudy(Pipeline([("model", Held())]), *classification_data(), n_trials=3,
                            holdout=0.25, storage=storage)  # fmt: skip
    study.start()
    wait_for(lambda: study.stored_trials(), what="the first trial to start")
    assert study.stop() is study and study.state == "stopping"
    Held.gate.set()
    assert study.wait(30)
    assert study.state == "stopped" and study.trials_done == 1 and study.budget_left()
    assert [t.state.name for t in study.stored_trials()] == ["COMPLETE"]
    study.resume().wait(60)
    assert study.state == "finished" and study.trials_done == 3
    assert len(study.stored_trials()) == 3


def test_the_budget_is_checked_before_anything_runs():
    with pytest.raises(TuningError, match=r"n_trials must be None or an integer >= 1, but got 0"):
        BackgroundStudy(_logistic(), *classification_data(), n_trials=0)
    with pytest.raises(
        TuningError, match=r"timeout must be None or a number of seconds > 0, but got -1"
    ):
        BackgroundStudy(_logistic(), *classification_data(), timeout=-1)


def test_start_while_running_and_resume_when_nothing_is_left_are_refused(storage):
    Held.gate.clear()
    study = BackgroundStudy(Pipeline([("model", Held())]), *classification_data(), n_trials=1,
                            holdout=0.25, storage=storage)  # fmt: skip
    with pytest.raises(TuningError, match=r"Nothing to resume: the study is idle"):
        study.resume()
    study.start()
    try:
        with pytest.raises(TuningError, match=r"already running; press Stop"):
            study.start()
        with pytest.raises(TuningError, match=r"The study is running; there is nothing to resume"):
            study.resume()
        with pytest.raises(TuningError, match=r"The study is running: stop it, then extend"):
            study.extend()
    finally:
        Held.gate.set()
        study.wait(30)
    with pytest.raises(TuningError, match=r"the study is finished, not stopped.*another 1 trials"):
        study.resume()


def test_an_error_that_ends_the_study_is_its_state(storage):
    study = BackgroundStudy(Pipeline([("model", Failing())]), *classification_data(),
                            n_trials=5, holdout=0.25, storage=storage)  # fmt: skip
    study.start().wait(60)
    assert study.state == "error"
    assert study.error.startswith("TuningError: The study") and "never fits" in study.error


def test_apply_sets_the_best_or_a_chosen_trial_and_says_what_changed(storage):
    pipe = _logistic()
    study = BackgroundStudy(pipe, *classification_data(), n_trials=3, cv=2, space=LOG_C,
                            storage=storage, random_state=0)  # fmt: skip
    with pytest.raises(
        TuningError, match=r"No trial of .* has completed yet, so there is no best"
    ):
        study.apply()
    study.start().wait(60)
    best = study.tuner.study.best_trial
    assert study.apply() == {"model__C": (1.0, best.params["model__C"])}
    assert pipe.get_hyperparams()["model__C"] == best.params["model__C"]
    assert study.apply() == {}
    first = study.stored_trials()[0].params["model__C"]
    study.apply(0)
    assert pipe.get_hyperparams()["model__C"] == first
    with pytest.raises(TuningError, match=r"has no trial 9; its trials: 0..2"):
        study.apply(9)


def test_apply_refuses_a_failed_trial_and_leaves_the_pipeline(storage):
    pipe = Pipeline([("model", Failing())])
    study = BackgroundStudy(pipe, *classification_data(), n_trials=1, holdout=0.25,
                            storage=storage)  # fmt: skip
    study.start().wait(60)
    with pytest.raises(TuningError, match=r"Trial 0 is fail \(ValueError: this model never"):
        study.apply(0)
    assert pipe.get_hyperparams()["model__C"] == 1.0


def test_a_space_edited_before_start_starts_another_study_with_the_callbacks(storage):
    pipe = _logistic().set_hyperparams_space({"model__C": floats(0.5, 0.6)})
    heard = Trials()
    study = BackgroundStudy(pipe, *classification_data(), n_trials=2, cv=2, storage=storage)
    study.add_callback(heard)
    first = study.tuner
    pipe.set_hyperparams_space({"model__C": floats(5.0, 6.0)})
    study.start().wait(60)
    assert study.tuner is not first
    # nothing ran in the first space: the same study, no second version
    assert study.tuner.study_name == first.study_name
    assert all(5.0 <= t.params["model__C"] <= 6.0 for t in study.stored_trials())
    assert heard.ended == [(0, "complete"), (1, "complete")]


def test_without_a_budget_it_runs_until_stopped(storage):
    study = BackgroundStudy(_logistic(), *classification_data(), cv=2, space=LOG_C,
                            storage=storage)  # fmt: skip
    assert study.budget_text == "trials until Stop"
    study.start()
    wait_for(lambda: study.trials_done >= 2, what="two trials")
    study.stop()
    assert study.wait(30)
    assert study.state == "stopped" and study.budget_left()


def test_extend_trains_the_best_kept_trial_further_outside_the_budget(storage):
    from sklearn.linear_model import SGDClassifier

    trials = Trials()
    study = BackgroundStudy(
        Pipeline([("model", SGDClassifier(random_state=0))]),
        *classification_data(),
        n_trials=2,
        space={"model__alpha": floats(1e-5, 1e-2, log=True)},
        epochs={"epochs": 2, "batch_size": 20, "random_state": 0},
        storage=storage,
        callbacks=[trials],
    )
    study.start().wait(60)
    best = study.tuner.study.best_trial.number
    assert study.is_kept(best)
    number = study.extend()
    assert number == 2 and study.tuner.history(number)["epoch"].tolist() == [1, 2, 3, 4]
    assert trials.ended[-1] == (2, "complete")
    assert study.trials_done == 2  # an extension is no trial of the budget
    assert study.kept_pipeline(number).get_hyperparams()["model__alpha"] == pytest.approx(
        study.tuner.study.trials[best].params["model__alpha"]
    )
