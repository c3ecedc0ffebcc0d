"""What a tuner tells the notebook: one event stream for trials and their fits, Optuna's
log lines only when asked, workers through public methods, data checked before a study."""

from __future__ import annotations

import ast
import logging
from pathlib import Path

import optuna
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression, SGDClassifier
from sklearn.preprocessing import StandardScaler

import workbench
from workbench import Callback, Pipeline, floats
from workbench.exceptions import TuningError
from workbench.training import InputAsTarget
from workbench.tuning import Tuner, studies

from .helpers import classification_data

SPACE = {"model__alpha": floats(1e-5, 1e-1, log=True)}


class Recorder(Callback):
    """Every event it hears, in order, with the fit kind where there is one."""

    def __init__(self):
        self.events = []

    def _hear(self, event, data):
        self.events.append((event, data.get("kind") or data.get("trial")))

    def on_trial_begin(self, **data):
        self._hear("trial_begin", data)

    def on_trial_end(self, **data):
        self._hear("trial_end", data)

    def on_fit_begin(self, **data):
        self._hear("fit_begin", data)

    def on_epoch_end(self, **data):
        self.events.append(("epoch_end", data["epoch"]))

    def on_fit_end(self, **data):
        self._hear("fit_end", data)


def sgd_pipeline():
    return Pipeline([("scale", StandardScaler()), ("model", SGDClassifier(random_state=0))])


def test_a_callback_attached_once_hears_each_trial_and_its_epochs():
    recorder = Recorder()
    tuner = Tuner(sgd_pipeline(), scoring="accuracy", space=SPACE, storage=":memory:",
                  epochs={"epochs": 2, "batch_size": 40}, callbacks=[recorder],
                  refit=False)  # fmt: skip
    tuner.optimize(*classification_data(), n_trials=2)
    run = [("fit_begin", "epochs"), ("epoch_end", 1), ("epoch_end", 2), ("fit_end", "epochs")]
    assert recorder.events == [
        ("trial_begin", 0), *run, ("trial_end", 0), ("trial_begin", 1), *run, ("trial_end", 1),
    ]  # fmt: skip
    assert not tuner.evaluation.options.get("callbacks")  # nothing patched into the epoch runs


def test_each_cross_validation_fit_reaches_the_tuners_callbacks_as_a_fit():
    recorder = Recorder()
    tuner = Tuner(Pipeline([("model", LogisticRegression())]), cv=3, storage=":memory:",
                  space={"model__C": floats(0.1, 10.0, log=True)}, callbacks=[recorder],
                  refit=False, fresh=True)  # fmt: skip
    tuner.optimize(*classification_data(), n_trials=1)
    assert recorder.events == [
        ("trial_begin", 0), *[("fit_begin", "fit"), ("fit_end", "fit")] * 3, ("trial_end", 0),
    ]  # fmt: skip


def test_a_pipeline_fitted_outside_a_trial_keeps_the_tuners_callbacks_out():
    recorder = Recorder()
    tuner = Tuner(Pipeline([("model", LogisticRegression())]), cv=2, storage=":memory:",
                  space={"model__C": floats(0.1, 10.0, log=True)}, callbacks=[recorder],
                  refit=False)  # fmt: skip
    tuner.optimize(*classification_data(), n_trials=1)
    heard = len(recorder.events)
    Pipeline([("model", LogisticRegression())]).fit(*classification_data())
    assert len(recorder.events) == heard


@pytest.fixture
def optuna_at_info():
    """Optuna logging as a user who turned it up has it, captured by caplog."""
    before = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(logging.INFO)
    optuna.logging.enable_propagation()
    yield
    optuna.logging.disable_propagation()
    optuna.logging.set_verbosity(before)


def _logistic_tuner(**options):
    return Tuner(Pipeline([("model", LogisticRegression())]), cv=2, storage=":memory:", fresh=True,
                 space={"model__C": floats(0.1, 10.0, log=True)}, refit=False,
                 **options)  # fmt: skip


def test_a_tuner_shows_no_optuna_line_by_default_and_restores_the_level(
    optuna_at_info, caplog, capsys
):
    with caplog.at_level(logging.DEBUG, logger="optuna"):
        _logistic_tuner().optimize(*classification_data(), n_trials=3)
    assert [r.getMessage() for r in caplog.records if r.name.startswith("optuna")] == []
    assert "Trial" not in capsys.readouterr().err
    assert optuna.logging.get_verbosity() == logging.INFO


def test_verbose_shows_optunas_lines(optuna_at_info, caplog):
    with caplog.at_level(logging.INFO, logger="optuna"):
        _logistic_tuner(verbose=True).optimize(*classification_data(), n_trials=3)
    finished = [r for r in caplog.records if "finished with value" in r.getMessage()]
    assert len(finished) == 3
    assert optuna.logging.get_verbosity() == logging.INFO


def test_a_supervised_pipeline_without_y_is_refused_before_a_study_exists(tmp_path):
    storage = str(tmp_path / "journal.log")
    tuner = Tuner(Pipeline([("model", LogisticRegression())]), cv=2, storage=storage,
                  study_name="no-targets")  # fmt: skip
    X, _ = classification_data()
    with pytest.raises(
        TuningError, match=r"learns from targets, but y is None.*Pass the targets \(y\)"
    ):
        tuner.optimize(X, None, n_trials=2)
    assert "no-targets" not in studies(storage=storage)["name"].tolist()


def test_a_pipeline_that_makes_its_targets_tunes_without_y():
    def reconstruction(estimator, X, y):
        return -float(((estimator.predict(X) - X) ** 2).mean())

    pipe = Pipeline([("target", InputAsTarget()), ("model", LinearRegression())])
    tuner = Tuner(pipe, holdout=0.25, storage=":memory:", refit=False, scoring=reconstruction,
                  space={"model__fit_intercept": workbench.categorical([True, False])},
                  fresh=True)  # fmt: skip
    tuner.optimize(classification_data()[0], None, n_trials=2)  # InputAsTarget makes y
    assert tuner.trials_dataframe()["state"].tolist() == ["complete", "complete"]


def test_a_worker_copy_runs_trials_on_the_same_study_without_refit(tmp_path):
    tuner = Tuner(Pipeline([("model", LogisticRegression())]), cv=2, fresh=True,
                  storage=str(tmp_path / "journal.log"), study_name="shared",
                  space={"model__C": floats(0.1, 10.0, log=True)})  # fmt: skip
    tuner.optimize(*classification_data(), n_trials=2)
    worker = tuner.worker()
    assert worker is not tuner and worker.study_name == "shared" and worker.refit is False
    assert worker.run_trials(*classification_data(), n_trials=5, until=4) == [2, 3]
    assert len(tuner.study.get_trials()) == 4  # the first tuner sees the worker's trials
    assert tuner.fresh is True and tuner.refit is True  # the original is as it was
    assert tuner.worker().run_trials(*classification_data(), n_trials=1) == [4]  # never fresh
    assert not hasattr(worker, "best_pipeline_")


def test_the_processes_module_does_not_import_the_tuner():
    source = (Path(workbench.__file__).parent / "tuning" / "_processes.py").read_text()
    imported = {
        node.module
        for node in ast.walk(ast.parse(source))  # TYPE_CHECKING blocks included
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert "workbench.tuning._tuner" not in imported
    assert "workbench.tuning" not in imported
    assert "tuner._" not in source  # no private member of a tuner is used
