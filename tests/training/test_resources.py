"""Every way an epoch run ends gives back what the run set up, through every composite."""

from __future__ import annotations

import math

import numpy as np
import optuna
import pytest
from sklearn.linear_model import SGDClassifier
from sklearn.preprocessing import StandardScaler

from workbench import Callback, Choose, Pipeline, Step
from workbench.exceptions import DivergedError
from workbench.training import EarlyStopping, fit_epochs

OPENED: list = []  # every handle a FileLog opened, in order


class FileLog(Step):
    """Writes each mini-batch's size to a file it holds open while set up."""

    holds_resources = True

    def __init__(self, path=None):
        self.path = path

    def acquire_resources(self):
        self.handle = open(self.path, "a")  # noqa: SIM115 (released in release_resources)
        OPENED.append(self.handle)

    def release_resources(self):
        self.handle.close()
        del self.handle

    def partial_fit(self, X, y=None):
        self.handle.write(f"{len(X)}\n")
        self.n_batches_ = getattr(self, "n_batches_", 0) + 1
        return self

    def fit(self, X, y=None):
        return self.partial_fit(X, y)

    def transform(self, X):
        return X


class ScriptedLoss(Step):
    """A final step that reports the losses it is given, one per batch."""

    reports_batch_loss = True

    def __init__(self, losses=()):
        self.losses = losses

    def partial_fit(self, X, y=None):
        self.seen_ = getattr(self, "seen_", 0) + 1
        self.batch_loss_ = self.losses[self.seen_ - 1]
        return self

    def predict(self, X):
        return np.zeros(len(X), dtype=int)


class FailAt(Callback):
    def __init__(self, epoch, error):
        self.epoch, self.error = epoch, error

    def on_epoch_end(self, *, epoch, **data):
        if epoch == self.epoch:
            raise self.error


@pytest.fixture(autouse=True)
def _fresh():
    OPENED.clear()
    yield
    for handle in OPENED:
        handle.close()


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    return X, (X[:, 0] > 0).astype(int)


def nested(tmp_path, final=None):
    """The file step two composites deep: a Pipeline in a Choose in a Pipeline."""
    log = FileLog(path=str(tmp_path / "batches.log"))
    features = Choose([("logged", Pipeline([("scale", StandardScaler()), ("log", log)]))])
    final = final if final is not None else SGDClassifier(random_state=0)
    return Pipeline([("features", features), ("model", final)]), log


def assert_released(pipe, log):
    assert OPENED, "the run never set the file step up"
    assert all(handle.closed for handle in OPENED), "a file handle was left open"
    assert not log.is_set_up and not hasattr(log, "handle")
    assert not pipe.is_set_up and not pipe["features"].is_set_up


def test_a_run_stopped_by_a_callback_error_closes_the_file_then_restores(tmp_path, data):
    X, y = data
    pipe, log = nested(tmp_path)
    with pytest.raises(RuntimeError, match="stopped at 2") as raised:
        fit_epochs(
            pipe, X, y, epochs=4, batch_size=50, record=False,
            callbacks=[FailAt(2, RuntimeError("stopped at 2"))],
        )  # fmt: skip
    assert_released(pipe, log)
    assert raised.value.history["epoch"].tolist() == [1, 2]
    assert not hasattr(log, "n_batches_")  # restored: as before the run
    assert (tmp_path / "batches.log").read_text().count("\n") == 8  # written, then closed


def test_a_run_with_a_nan_loss_closes_the_file(tmp_path, data):
    X, y = data
    pipe, log = nested(tmp_path, ScriptedLoss([0.5, 0.4, 0.3, 0.2, math.nan]))
    with pytest.raises(DivergedError, match="loss became nan at epoch 2, batch 0"):
        fit_epochs(pipe, X, y, epochs=3, batch_size=50, record=False)
    assert_released(pipe, log)


def test_an_interrupted_run_closes_the_file_and_keeps_the_training(tmp_path, data):
    X, y = data
    pipe, log = nested(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        fit_epochs(
            pipe, X, y, epochs=4, batch_size=50, record=False,
            callbacks=[FailAt(2, KeyboardInterrupt())],
        )  # fmt: skip
    assert_released(pipe, log)
    assert log.n_batches_ == 8  # an interruption keeps the training so far


def test_a_pruned_run_closes_the_file(tmp_path, data):
    X, y = data
    pipe, log = nested(tmp_path)
    with pytest.raises(optuna.TrialPruned):
        fit_epochs(
            pipe, X, y, epochs=4, batch_size=50, record=False,
            callbacks=[FailAt(1, optuna.TrialPruned("pruned at 1"))],
        )  # fmt: skip
    assert_released(pipe, log)
    assert log.n_batches_ == 4


def test_an_early_stopped_run_closes_the_file(tmp_path, data):
    X, y = data
    pipe, log = nested(tmp_path)
    scores = iter([0.9, 0.5, 0.5, 0.5, 0.5, 0.5])
    history = fit_epochs(
        pipe, X, y, epochs=6, batch_size=50, validation_fraction=0.2, record=False,
        metrics={"score": lambda estimator, X, y: next(scores)},
        early_stopping=EarlyStopping(patience=2),
    )  # fmt: skip
    assert history.attrs["stop_reason"].startswith("valid_score did not improve")
    assert len(history) == 3
    assert_released(pipe, log)


def test_a_run_that_ends_normally_closes_the_file_and_predicts_after(tmp_path, data):
    X, y = data
    pipe, log = nested(tmp_path)
    history = fit_epochs(pipe, X, y, epochs=2, batch_size=50, record=False)
    assert len(history) == 2
    assert_released(pipe, log)
    assert (pipe.predict(X) == y).mean() > 0.8  # set up again lazily, when used
    pipe.teardown()
    assert all(handle.closed for handle in OPENED)


def test_a_pipeline_set_up_by_the_user_stays_set_up_through_a_failed_run(tmp_path, data):
    X, y = data
    pipe, log = nested(tmp_path)
    with pipe:
        handle = log.handle
        with pytest.raises(RuntimeError, match="stopped at 1"):
            fit_epochs(
                pipe, X, y, epochs=2, batch_size=50, record=False,
                callbacks=[FailAt(1, RuntimeError("stopped at 1"))],
            )  # fmt: skip
        assert log.is_set_up and log.handle is handle and not handle.closed
        fit_epochs(pipe, X, y, epochs=1, batch_size=50, record=False)
        assert log.is_set_up and not handle.closed
    assert handle.closed and [handle] == OPENED


def test_a_step_brought_in_by_a_mutation_during_the_run_is_released(tmp_path, data):
    X, y = data
    pipe = Pipeline([("scale", StandardScaler()), ("model", SGDClassifier(random_state=0))])

    class InsertLog(Callback):
        def on_epoch_end(self, *, epoch, step, **data):
            if epoch == 1:
                step.insert("log", FileLog(path=str(tmp_path / "late.log")), before="model")

    fit_epochs(pipe, X, y, epochs=3, batch_size=50, record=False, callbacks=[InsertLog()])
    assert len(OPENED) == 1 and OPENED[0].closed
    assert not pipe["log"].is_set_up
