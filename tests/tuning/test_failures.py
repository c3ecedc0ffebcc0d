"""A study whose trials all fail stops early and says why once; never a silent None."""

from __future__ import annotations

import optuna
import pytest
from sklearn.base import ClassifierMixin
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from workbench import Choose, Hyperparam, Pipeline, Step, floats
from workbench.exceptions import TrainingError, TuningError
from workbench.tuning import Tuner

from .helpers import classification_data


@pytest.fixture(autouse=True)
def _quiet_optuna():
    optuna.logging.set_verbosity(optuna.logging.WARNING)


class Broken(ClassifierMixin, Step):
    """Fails every fit; with ``vary=True`` each message names the sampled C."""

    C = Hyperparam(1.0, space=floats(0.01, 10.0, log=True))
    vary = Hyperparam(False)

    def fit(self, X, y):
        raise ValueError(f"cannot fit with C={self.C:.4f}" if self.vary else "no data source")

    def predict(self, X):
        return X[:, 0]


def test_the_readme_pipeline_in_an_epoch_study_stops_after_three_failures(caplog):
    X, y = load_digits(return_X_y=True)
    pipe = Pipeline(
        [
            ("encoder", Pipeline([("scale", StandardScaler()), ("pca", PCA())])),
            (
                "model",
                Choose([("linear", LogisticRegression()), ("forest", RandomForestClassifier())]),
            ),
        ]
    )
    tuner = Tuner(
        pipe,
        scoring="accuracy",
        epochs={"epochs": 3, "batch_size": 256},
        storage=":memory:",
        verbose=True,  # Optuna's lines shown: one per failed trial
    )
    with pytest.raises(
        TuningError,
        match=r"stopped: trials \[0, 1, 2\] all failed with the same error.*\n"
        r"    TrainingError: Step 'encoder__pca' \(PCA\) has no partial_fit",
    ) as caught:
        tuner.optimize(X, y, n_trials=10)
    assert str(caught.value).count("has no partial_fit") == 1
    assert isinstance(caught.value.__cause__, TrainingError)  # its traceback, shown once
    assert tuner.trials_dataframe()["state"].tolist() == ["fail"] * 3
    logged = [record for record in caplog.records if "has no partial_fit" in record.getMessage()]
    assert len(logged) == 3  # each failed trial is one line of the log, without its traceback
    assert all(record.exc_info is None for record in logged)
    assert "Traceback" not in caplog.text
    assert not hasattr(tuner, "best_pipeline_")


def test_trials_that_fail_differently_run_to_the_end_then_refit_says_why():
    tuner = Tuner(
        Pipeline([("model", Broken(vary=True))]),
        holdout=0.25,
        storage=":memory:",
        study_name="broken",
        random_state=0,
    )
    with pytest.raises(
        TuningError,
        match=r"No trial of the study 'broken' completed \(5 fail\), so there is no best "
        r"pipeline to refit\. The first error, trial 0's:\n    ValueError: cannot fit with C=",
    ):
        tuner.optimize(*classification_data(), n_trials=5)
    assert len(tuner.trials_dataframe()) == 5
    assert not hasattr(tuner, "best_pipeline_")


def test_stop_after_failures_none_runs_every_trial():
    tuner = Tuner(
        Pipeline([("model", Broken())]),
        holdout=0.25,
        storage=":memory:",
        study_name="patient",
        stop_after_failures=None,
    )
    with pytest.raises(
        TuningError, match=r"completed \(6 fail\)(.|\n)*ValueError: no data source"
    ):
        tuner.optimize(*classification_data(), n_trials=6)


def test_the_limit_is_configurable_and_a_resumed_run_counts_afresh(tmp_path):
    options = dict(holdout=0.25, storage=str(tmp_path / "journal.log"), study_name="twice")
    tuner = Tuner(Pipeline([("model", Broken())]), stop_after_failures=2, **options)
    with pytest.raises(TuningError, match=r"trials \[0, 1\] all failed"):
        tuner.optimize(*classification_data(), n_trials=10)
    again = Tuner(Pipeline([("model", Broken())]), stop_after_failures=2, **options)
    with pytest.raises(TuningError, match=r"trials \[2, 3\] all failed"):
        again.optimize(*classification_data(), n_trials=10)


def test_failures_after_a_completed_trial_never_stop_the_study():
    class FailsAfterFirst(Broken):
        fits = 0

        def fit(self, X, y):
            type(self).fits += 1
            if type(self).fits > 1:
                raise ValueError("the source went away")
            self.classes_ = [0, 1]
            return self

        def predict(self, X):
            return (X[:, 0] > 0).astype(int)

    tuner = Tuner(
        Pipeline([("model", FailsAfterFirst())]),
        scoring="accuracy",
        holdout=0.25,
        storage=":memory:",
        refit=False,
    )
    tuner.optimize(*classification_data(), n_trials=6)
    assert tuner.trials_dataframe()["state"].tolist() == ["complete"] + ["fail"] * 5


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "3"])
def test_stop_after_failures_must_be_a_positive_integer_or_none(bad):
    with pytest.raises(
        TuningError,
        match=rf"stop_after_failures must be None or an integer >= 1, but got {bad!r}",
    ):
        Tuner(Pipeline([("model", Broken())]), holdout=0.25, stop_after_failures=bad)


def test_epoch_options_that_fit_epochs_cannot_take_are_refused_before_any_trial():
    pipe = Pipeline([("model", Broken())])
    with pytest.raises(
        TuningError,
        match=r"epochs= must give \['batch_size'\] \(fit_epochs needs them\), but got "
        r"\{'epochs': 3\}",
    ):
        Tuner(pipe, epochs={"epochs": 3})
    with pytest.raises(
        TuningError,
        match=r"epochs= got 'batchsize', which fit_epochs does not take\. "
        r"Did you mean 'batch_size'\?",
    ):
        Tuner(pipe, epochs={"epochs": 3, "batchsize": 32})
