"""fit_epochs: batches, epochs, validation, metrics, events, stopping and bad input."""

from __future__ import annotations

import math

import numpy as np
import optuna
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.decomposition import PCA
from sklearn.linear_model import SGDClassifier, SGDRegressor
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from workbench import Callback, Pipeline, Step, TrainOnly
from workbench.core.authoring import MinibatchRoute, Wrapper
from workbench.exceptions import DivergedError, StopTraining, TrainingError
from workbench.testing import EventRecorder
from workbench.training import EarlyStopping, History, fit_epochs


def sgd_pipe(**options):
    model = SGDClassifier(random_state=0, **options)
    return Pipeline([("scale", StandardScaler()), ("model", model)])


class ScriptedLoss(Step):
    """Reports the losses it is given, one per batch."""

    reports_batch_loss = True

    def __init__(self, losses=()):
        self.losses = losses

    def partial_fit(self, X, y=None):
        self._next = getattr(self, "_next", 0) + 1
        self.batch_loss_ = self.losses[self._next - 1]
        return self


def test_fit_epochs_learns_the_same_batches_as_a_hand_written_loop(blobs):
    X, y = blobs
    pipe = Pipeline([("model", SGDClassifier(random_state=0))])
    history = fit_epochs(pipe, X, y, epochs=3, batch_size=50, random_state=7)
    model, rng = SGDClassifier(random_state=0), np.random.default_rng(7)
    for _ in range(3):
        order = rng.permutation(len(X))
        for start in range(0, len(X), 50):
            model.partial_fit(X[order[start : start + 50]], y[order[start : start + 50]], [0, 1])
    np.testing.assert_allclose(pipe["model"].coef_, model.coef_)
    assert isinstance(history, History) and isinstance(history, pd.DataFrame)
    assert history["epoch"].tolist() == [1, 2, 3]
    assert history["n_train"].tolist() == [600, 600, 600]


def test_fit_epochs_history_has_a_row_per_epoch_with_validation_metrics(blobs):
    X, y = blobs
    history = fit_epochs(
        sgd_pipe(loss="log_loss"), X, y, epochs=4, batch_size=64, random_state=0,
        validation_fraction=0.25,
        metrics=["accuracy", "neg_log_loss"], train_metrics=True,
    )  # fmt: skip
    assert list(history.columns) == [
        "epoch", "phase", "mutation", "n_train", "n_valid", "epoch_time",
        "train_accuracy", "valid_accuracy", "train_neg_log_loss", "valid_neg_log_loss",
    ]  # fmt: skip
    assert history[["n_train", "n_valid"]].iloc[0].tolist() == [450, 150]
    assert (history["epoch_time"] > 0).all()
    assert history["valid_accuracy"].iloc[-1] > 0.85
    assert history.metrics == [c for c in history.columns if c[:6] in ("train_", "valid_")]


def test_fit_epochs_is_reproducible_with_a_seed(blobs):
    X, y = blobs
    options = dict(epochs=2, batch_size=32, random_state=3, validation_fraction=0.2)
    first = fit_epochs(sgd_pipe(), X, y, **options)
    second = fit_epochs(sgd_pipe(), X, y, **options)
    assert first["valid_accuracy"].tolist() == second["valid_accuracy"].tolist()


def test_fit_epochs_without_shuffle_keeps_the_order(blobs):
    X, y = blobs
    pipe = Pipeline([("model", SGDClassifier(random_state=0, shuffle=False))])
    fit_epochs(pipe, X, y, epochs=1, batch_size=100, shuffle=False)
    model = SGDClassifier(random_state=0, shuffle=False)
    for start in range(0, 600, 100):
        model.partial_fit(X[start : start + 100], y[start : start + 100], classes=[0, 1])
    np.testing.assert_allclose(pipe["model"].coef_, model.coef_)


def test_fit_epochs_validates_on_explicit_data_with_callable_metrics(blobs):
    X, y = blobs

    def error_rate(estimator, X, y):
        return float(np.mean(estimator.predict(X) != y))

    history = fit_epochs(
        sgd_pipe(), X[:400], y[:400], epochs=2, batch_size=40,
        validation_data=(X[400:], y[400:]), metrics={"error": error_rate},
    )  # fmt: skip
    assert history["n_valid"].tolist() == [200, 200]
    assert history["valid_error"].iloc[-1] < 0.15


def test_fit_epochs_records_loss_and_batches_when_asked(blobs):
    X, y = blobs
    pipe = Pipeline([("model", MLPClassifier(hidden_layer_sizes=(8,), random_state=0))])
    history = fit_epochs(pipe, X, y, epochs=3, batch_size=100, record_batches=True)
    assert history["train_loss"].is_monotonic_decreasing
    assert list(history.batches.columns) == ["epoch", "batch", "n_samples", "loss"]
    assert len(history.batches) == 3 * 6
    first = history.batches[history.batches["epoch"] == 1]
    assert history["train_loss"].iloc[0] == pytest.approx(first["loss"].mean())


def test_fit_epochs_emits_epoch_and_batch_events_with_the_history_row(blobs):
    X, y = blobs
    recorder = EventRecorder()
    history = fit_epochs(
        sgd_pipe(), X, y, epochs=2, batch_size=300, validation_fraction=0.5, callbacks=[recorder]
    )
    assert recorder.names() == [
        "fit_begin", "epoch_begin", "batch_end", "epoch_end",
        "epoch_begin", "batch_end", "epoch_end", "fit_end",
    ]  # fmt: skip
    rows = [data["row"] for name, data in recorder.events if name == "epoch_end"]
    assert [set(row) for row in rows] == [set(history.columns)] * 2
    assert rows[-1]["valid_accuracy"] == history["valid_accuracy"].iloc[-1]
    batch = next(data for name, data in recorder.events if name == "batch_end")
    assert (batch["epoch"], batch["batch"], batch["n_samples"]) == (1, 0, 300)


def test_fit_epochs_reaches_the_pipelines_own_callbacks(blobs):
    X, y = blobs
    recorder = EventRecorder()
    pipe = sgd_pipe().add_callback(recorder)
    fit_epochs(pipe, X, y, epochs=1, batch_size=600)
    assert "epoch_end" in recorder.names()


def test_fit_epochs_trains_in_train_mode_and_restores_eval_mode(blobs):
    X, y = blobs
    seen = []

    class Spy(Callback):
        def on_batch_end(self, *, step, **data):
            seen.append(step["noise"].training)

    pipe = Pipeline([("noise", TrainOnly(StandardScaler())), ("model", SGDClassifier())])
    fit_epochs(pipe, X, y, epochs=1, batch_size=200, callbacks=[Spy()])
    assert seen == [True, True, True]
    assert pipe.training is False and pipe["noise"].training is False


def test_stop_training_from_a_batch_ends_the_run_cleanly(blobs):
    X, y = blobs

    class StopAfterTwo(Callback):
        def on_batch_end(self, *, batch, **data):
            if batch == 1:
                raise StopTraining("enough")

    history = fit_epochs(sgd_pipe(), X, y, epochs=5, batch_size=100, callbacks=[StopAfterTwo()])
    assert history["n_train"].tolist() == [200]
    assert history.attrs["stop_reason"] == "enough"


def test_stop_training_from_an_epoch_end_keeps_that_epoch(blobs):
    X, y = blobs

    class StopAtTwo(Callback):
        def on_epoch_end(self, *, epoch, **data):
            if epoch == 2:
                raise StopTraining

    history = fit_epochs(sgd_pipe(), X, y, epochs=5, batch_size=100, callbacks=[StopAtTwo()])
    assert history["epoch"].tolist() == [1, 2]


def test_trial_pruned_propagates_with_the_history_so_far(blobs):
    X, y = blobs

    class Prune(Callback):
        def on_epoch_end(self, *, epoch, **data):
            if epoch == 2:
                raise optuna.TrialPruned("pruned at 2")

    pipe = sgd_pipe()
    with pytest.raises(optuna.TrialPruned, match="pruned at 2") as raised:
        fit_epochs(pipe, X, y, epochs=5, batch_size=100, callbacks=[Prune()])
    assert raised.value.history["epoch"].tolist() == [1, 2]
    assert pipe.training is False


def test_early_stopping_stops_and_restores_the_best_epoch(blobs):
    X, y = blobs
    scores = iter([0.5, 0.9, 0.6, 0.7, 0.8, 0.95])
    coefs = []

    def scripted(estimator, X, y):
        coefs.append(estimator["model"].coef_.copy())
        return next(scores)

    pipe = sgd_pipe()
    history = fit_epochs(
        pipe, X, y, epochs=6, batch_size=100, validation_fraction=0.2,
        metrics={"score": scripted}, early_stopping=EarlyStopping(patience=2),
    )  # fmt: skip
    assert history["epoch"].tolist() == [1, 2, 3, 4]
    assert history.attrs["best_epoch"] == 2
    assert "valid_score did not improve for 2 epochs" in history.attrs["stop_reason"]
    np.testing.assert_array_equal(pipe["model"].coef_, coefs[1])


def test_early_stopping_on_train_loss_with_min_delta(blobs):
    X, y = blobs
    pipe = Pipeline([("model", MLPClassifier(hidden_layer_sizes=(4,), random_state=0))])
    stopper = EarlyStopping(patience=1, min_delta=10.0, restore_best=False)
    history = fit_epochs(pipe, X, y, epochs=5, batch_size=100, early_stopping=stopper)
    assert len(history) == 2  # no improvement of 10 in a cross-entropy loss
    assert stopper.best_epoch == 1


def test_diverging_loss_stops_with_the_history_so_far(blobs):
    X, y = blobs

    pipe = Pipeline([("model", ScriptedLoss([0.9, 0.8, 0.7, math.nan, 0.5, 0.4]))])
    with pytest.raises(
        DivergedError, match=r"loss became nan at epoch 2, batch 1 .*'model'"
    ) as err:
        fit_epochs(pipe, X, y, epochs=3, batch_size=300)
    assert err.value.history["epoch"].tolist() == [1]
    assert err.value.history["train_loss"].iloc[0] == pytest.approx(0.85)


def test_fit_epochs_continues_a_history_and_marks_mutations(blobs):
    X, y = blobs
    pipe = Pipeline([("reduce", PCA(n_components=3)), ("model", SGDClassifier())])
    pipe.fit(X, y).freeze("reduce")
    first = fit_epochs(pipe, X, y, epochs=2, batch_size=200, phase="head")
    pipe.replace("model", SGDClassifier(alpha=0.01))
    history = fit_epochs(pipe, X, y, epochs=2, batch_size=200, history=first, phase="new head")
    assert history["epoch"].tolist() == [1, 2, 3, 4]
    assert history["phase"].tolist() == ["head", "head", "new head", "new head"]
    assert history["mutation"].tolist() == [None, None, "replace model", None]


def test_a_mutation_during_a_run_takes_effect_at_the_next_epoch(blobs):
    X, y = blobs

    class Unfreeze(Callback):
        def on_epoch_end(self, *, epoch, step, **data):
            if epoch == 1:
                step.unfreeze("scale")

    pipe = sgd_pipe()
    pipe.fit(X[:10], y[:10]).freeze("scale")
    mean = pipe["scale"].mean_.copy()
    history = fit_epochs(pipe, X, y, epochs=2, batch_size=600, callbacks=[Unfreeze()])
    assert history["mutation"].tolist() == [None, "unfreeze scale"]
    assert not np.allclose(pipe["scale"].mean_, mean)


def test_fit_epochs_accepts_pandas_and_a_plain_estimator(blobs):
    X, y = blobs
    frame, series = pd.DataFrame(X), pd.Series(y)
    model = SGDRegressor(random_state=0)
    history = fit_epochs(model, frame, series.astype(float), epochs=2, batch_size=64,
                         validation_fraction=0.2)  # fmt: skip
    assert "valid_r2" in history.columns and hasattr(model, "coef_")


def test_fit_epochs_shows_a_progress_bar_when_asked(blobs, capsys):
    X, y = blobs
    fit_epochs(sgd_pipe(), X, y, epochs=2, batch_size=300, progress=True)
    assert "2/2" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"epochs": 0}, r"epochs must be an integer >= 1, but got 0"),
        ({"batch_size": 0}, r"batch_size must be an integer >= 1, but got 0"),
        ({"batch_size": 2.5}, r"batch_size must be an integer >= 1, but got 2.5"),
        (
            {"validation_fraction": 1.0},
            r"validation_fraction must be None or a float in \(0, 1\), such as 0.2, but got 1.0",
        ),
        ({"validation_fraction": 0}, r"validation_fraction must be None or a float in \(0, 1\)"),
        ({"metrics": ["acuracy"]}, r"Unknown metric 'acuracy'.*Did you mean 'accuracy'"),
        ({"metrics": [lambda e, X, y: 0.0]}, r"Cannot name the metric"),
        ({"metrics": [3]}, r"a scikit-learn scorer name .* or a callable"),
        (
            {"validation_data": (1, 2, 3)},
            r"validation_data must be None or a pair \(X_valid, y_valid\), but got \(1, 2, 3\)",
        ),
        ({"validation_fraction": 0.2, "validation_data": ([], [])}, r"not both"),
        (
            {"early_stopping": "yes"},
            r"early_stopping must be None, an EarlyStopping or an integer >= 1 \(the patience\), "
            r"but got 'yes'",
        ),
        ({"early_stopping": True}, r"early_stopping must be None, an EarlyStopping or an int"),
        ({"early_stopping": 3}, r"EarlyStopping needs a statistic to watch"),
        (
            {"early_stopping": EarlyStopping(monitor="valid_acc"), "validation_fraction": 0.2},
            r"monitors 'valid_acc'.*Did you mean 'valid_accuracy'",
        ),
        (
            {"history": pd.DataFrame()},
            r"history must be None or a History returned by an earlier fit_epochs, but got "
            r"DataFrame\.",
        ),
    ],
)
def test_fit_epochs_rejects_bad_options_before_touching_the_pipeline(blobs, options, message):
    X, y = blobs
    pipe = sgd_pipe()
    before = pipe.describe()
    with pytest.raises(TrainingError, match=message):
        fit_epochs(pipe, X, y, **{"epochs": 2, "batch_size": 32, **options})
    assert pipe.describe() == before
    assert not hasattr(pipe["scale"], "mean_")


def test_fit_epochs_rejects_mismatched_lengths(blobs):
    X, y = blobs
    with pytest.raises(TrainingError, match=r"same number of samples, but got 600 and 599"):
        fit_epochs(sgd_pipe(), X, y[:-1], epochs=1, batch_size=10)
    with pytest.raises(TrainingError, match=r"validation_data's X and y .* 10 and 9"):
        fit_epochs(sgd_pipe(), X, y, epochs=1, batch_size=10, validation_data=(X[:10], y[:9]))


def test_fit_epochs_names_a_step_without_partial_fit_before_touching_any(blobs):
    X, y = blobs
    pipe = Pipeline([("scale", StandardScaler()), ("reduce", PCA(2)), ("model", SGDClassifier())])
    with pytest.raises(TrainingError, match=r"'reduce' \(PCA\) has no partial_fit.*freeze"):
        fit_epochs(pipe, X, y, epochs=1, batch_size=10)
    assert not hasattr(pipe["scale"], "mean_")


class Passing(Wrapper):
    """A composite of a new kind that only hands mini-batches on to its step."""

    def __init__(self, step):
        self.step = step

    def fit(self, X, y=None):
        self.step.fit(X, y)
        return self

    def predict(self, X):
        return self.step.predict(X)

    def minibatch_route(self):
        return MinibatchRoute([("step", self.step)])


def test_fit_epochs_learns_through_a_new_composite_by_its_minibatch_route(blobs):
    X, y = blobs
    pipe = Pipeline(
        [("scale", StandardScaler()), ("model", Passing(SGDClassifier(random_state=0)))]
    )
    history = fit_epochs(pipe, X, y, epochs=2, batch_size=50, random_state=0)
    assert len(history) == 2
    assert pipe["model__step"].classes_.tolist() == [0, 1]
    assert (pipe.predict(X) == y).mean() > 0.9
    pipe = Pipeline([("reduce", Passing(PCA(2))), ("model", SGDClassifier())])
    with pytest.raises(TrainingError, match=r"'reduce__step' \(PCA\) has no partial_fit"):
        fit_epochs(pipe, X, y, epochs=1, batch_size=10)


def test_early_stopping_rejects_bad_settings():
    with pytest.raises(TrainingError, match=r"patience must be an integer >= 1, but got 0"):
        EarlyStopping(patience=0)
    with pytest.raises(TrainingError, match=r"mode must be 'auto', 'min' or 'max'"):
        EarlyStopping(mode="up")
    with pytest.raises(TrainingError, match=r"min_delta must be a number >= 0, but got -1.0"):
        EarlyStopping(min_delta=-1.0)


@settings(max_examples=25, deadline=None)
@given(n_samples=st.integers(1, 60), batch_size=st.integers(1, 70), shuffle=st.booleans())
def test_every_sample_is_learned_once_per_epoch(n_samples, batch_size, shuffle):
    seen = []

    class Collect(Step):
        def partial_fit(self, X, y=None):
            seen.extend(X[:, 0].tolist())
            return self

    X = np.arange(n_samples, dtype=float).reshape(-1, 1)
    recorder = EventRecorder()
    history = fit_epochs(
        Pipeline([("spy", Collect())]), X, epochs=2, batch_size=batch_size, shuffle=shuffle,
        random_state=0, callbacks=[recorder],
    )  # fmt: skip
    assert sorted(seen) == sorted(X[:, 0].tolist() * 2)
    assert history["n_train"].tolist() == [n_samples, n_samples]
    assert recorder.names().count("batch_end") == 2 * -(-n_samples // batch_size)
