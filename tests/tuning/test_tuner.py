"""Tuner: spaces into trials, Choose branches, evaluations, results, resume, bad input."""

from __future__ import annotations

import optuna
import pandas as pd
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler

from workbench import Callback, Choose, Pipeline, categorical, floats
from workbench.exceptions import SpaceError, StorageError, TuningError, UnknownPathError
from workbench.store import open_store
from workbench.tuning import Tuner, tune

from .helpers import Flaky, classification_data


@pytest.fixture(autouse=True)
def _quiet_optuna():
    optuna.logging.set_verbosity(optuna.logging.WARNING)


@pytest.fixture
def data():
    return classification_data()


def choose_pipeline():
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            (
                "model",
                Choose(
                    [
                        ("linear", LogisticRegression()),
                        ("knn", KNeighborsClassifier()),
                    ]
                ),
            ),
        ]
    )
    return pipe.set_hyperparams_space(
        scale__with_mean=None, scale__with_std=None, model__linear__tol=None
    )


def test_tuner_samples_only_the_chosen_branch(data):
    tuner = Tuner(
        choose_pipeline(),
        scoring="accuracy",
        cv=3,
        storage=":memory:",
        study_name="branches",
        random_state=0,
    )
    tuner.optimize(*data, n_trials=12)
    seen = set()
    for trial in tuner.study.trials:
        choice = trial.params["model__choice"]
        seen.add(choice)
        other = "knn" if choice == "linear" else "linear"
        assert not any(path.startswith(f"model__{other}__") for path in trial.params)
        assert any(path.startswith(f"model__{choice}__") for path in trial.params)
    assert seen == {"linear", "knn"}


def test_tuner_reads_a_narrowed_space(data):
    space = {"model__linear__C": floats(0.5, 2.0), "model__choice": categorical(["linear"])}
    tuner = Tuner(
        choose_pipeline(),
        space=space,
        scoring="accuracy",
        cv=3,
        storage=":memory:",
        study_name="narrow",
    )
    tuner.optimize(*data, n_trials=5)
    frame = tuner.trials_dataframe()
    assert set(frame.columns) - set(Tuner.columns_of_trials_dataframe()) == set(space)
    assert frame["model__linear__C"].between(0.5, 2.0).all()
    assert (frame["model__choice"] == "linear").all()


def test_tuner_refits_the_best_pipeline_on_all_data(data):
    tuner = tune(
        choose_pipeline(),
        *data,
        n_trials=6,
        scoring="accuracy",
        cv=3,
        storage=":memory:",
        study_name="refit",
        random_state=1,
    )
    best = tuner.best_pipeline_
    assert best is not tuner.pipeline
    assert best.predict(data[0]).shape == (len(data[1]),)
    hyperparams = best.get_hyperparams()
    for path, value in tuner.best_params_.items():
        assert hyperparams[path] == value
    assert tuner.best_value_ == max(t.value for t in tuner.study.trials if t.value is not None)


def test_tuner_cv_records_each_fold_score(data):
    tuner = Tuner(
        Pipeline([("model", LogisticRegression())]),
        scoring="accuracy",
        cv=4,
        storage=":memory:",
        study_name="folds",
        refit=False,
    )
    tuner.optimize(*data, n_trials=2)
    for trial in tuner.study.trials:
        scores = trial.user_attrs["workbench:record"]["fold_scores"]
        assert len(scores) == 4
        assert trial.value == pytest.approx(sum(scores) / 4)


def test_tuner_holdout_scores_on_the_held_out_fraction(data):
    X, y = data
    tuner = Tuner(
        Pipeline([("model", LogisticRegression())]),
        scoring="accuracy",
        holdout=0.25,
        storage=":memory:",
        study_name="holdout",
        refit=False,
    )
    tuner.optimize(X, y, n_trials=3)
    # accuracy on 30 held-out samples is a multiple of 1/30
    for value in tuner.trials_dataframe()["value"]:
        assert value * 30 == pytest.approx(round(value * 30))


def test_tuner_accepts_any_optuna_sampler_and_pruner(data):
    tuner = Tuner(
        choose_pipeline(),
        scoring="accuracy",
        cv=2,
        storage=":memory:",
        study_name="grid",
        sampler=optuna.samplers.RandomSampler(seed=3),
        pruner=optuna.pruners.NopPruner(),
    )
    tuner.optimize(*data, n_trials=4)
    assert isinstance(tuner.study.sampler, optuna.samplers.RandomSampler)
    assert isinstance(tuner.study.pruner, optuna.pruners.NopPruner)
    assert tuner.trials_dataframe()["state"].eq("complete").all()


def test_tuner_timeout_alone_bounds_the_run(data):
    tuner = Tuner(
        Pipeline([("model", LogisticRegression())]),
        scoring="accuracy",
        cv=2,
        storage=":memory:",
        study_name="timeout",
        refit=False,
    )
    tuner.optimize(*data, timeout=0.5)
    assert len(tuner.study.trials) >= 1


def test_tuner_records_a_failing_trial_with_its_message_and_goes_on(data):
    tuner = Tuner(
        Pipeline([("model", Flaky())]),
        scoring="accuracy",
        holdout=0.25,
        storage=":memory:",
        study_name="flaky",
        sampler=optuna.samplers.RandomSampler(seed=0),
    )
    tuner.optimize(*data, n_trials=10)
    frame = tuner.trials_dataframe()
    failed = frame[frame["state"] == "fail"]
    assert len(failed) >= 1 and (failed["model__mode"] == "boom").all()
    assert failed["error"].eq("ValueError: boom was chosen").all()
    assert frame[frame["state"] == "complete"]["error"].isna().all()
    assert len(frame) == 10
    assert tuner.best_pipeline_.get_hyperparams()["model__mode"] == "ok"


def test_tuner_sends_trial_events_to_callbacks(data):
    class Recorder(Callback):
        def __init__(self):
            self.events = []

        def on_trial_begin(self, **data):
            self.events.append(("begin", data["trial"], sorted(data["params"])))

        def on_trial_end(self, **data):
            self.events.append(("end", data["trial"], data["state"]))

    recorder = Recorder()
    tuner = Tuner(
        Pipeline([("model", LogisticRegression())]),
        scoring="accuracy",
        cv=2,
        storage=":memory:",
        study_name="events",
        callbacks=[recorder],
        refit=False,
    )
    tuner.optimize(*data, n_trials=2)
    assert recorder.events == [
        ("begin", 0, ["model__C", "model__tol"]),
        ("end", 0, "complete"),
        ("begin", 1, ["model__C", "model__tol"]),
        ("end", 1, "complete"),
    ]


def test_tuner_resumes_a_stored_study_and_fresh_starts_over(data, tmp_path):
    storage = str(tmp_path / "journal.log")

    def tuner(**options):
        return Tuner(
            Pipeline([("model", LogisticRegression())]),
            scoring="accuracy",
            cv=2,
            storage=storage,
            refit=False,
            **options,
        )

    first = tuner().optimize(*data, n_trials=3)
    again = tuner().optimize(*data, n_trials=2)
    assert again.study_name == first.study_name
    assert [t.number for t in again.study.trials] == [0, 1, 2, 3, 4]
    over = tuner(fresh=True).optimize(*data, n_trials=1)
    assert [t.number for t in over.study.trials] == [0]
    assert optuna.get_all_study_names(
        storage=optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(storage))
    ) == [first.study_name]


def test_tuner_default_study_name_follows_structure_not_space():
    a = Tuner(choose_pipeline(), storage=":memory:")
    b = Tuner(choose_pipeline(), storage=":memory:")
    edited = choose_pipeline().set_hyperparams_space(model__linear__C=floats(1.0, 2.0))
    other = Pipeline([("model", LogisticRegression())])
    assert a.study_name == b.study_name
    # an edited space is a new version of the same study (name@2 when it runs), not another
    assert Tuner(edited, storage=":memory:").study_name == a.study_name
    assert Tuner(other, storage=":memory:").study_name != a.study_name
    assert a.study_name.startswith("Pipeline-")


def test_an_unnamed_study_whose_space_was_edited_goes_on_as_its_next_version(tmp_path):
    journal = str(tmp_path / "journal.log")
    pipe = Pipeline([("model", LogisticRegression())])
    pipe.set_hyperparams_space(model__C=floats(0.01, 10.0, log=True))
    options = dict(cv=2, storage=journal, refit=False, random_state=0)
    first = Tuner(pipe, **options).optimize(*classification_data(), n_trials=6)
    pipe.set_hyperparams_space(model__C=floats(0.1, 1.0))
    second = Tuner(pipe, **options).optimize(*classification_data(), n_trials=1)
    assert second.study_name == f"{first.study_name}@2"
    fitting = sum(0.1 <= t.params["model__C"] <= 1.0 for t in first.study.trials)
    assert len(second.study.trials) == fitting + 1


def test_tuner_history_of_an_unknown_trial_is_an_error(data):
    tuner = Tuner(
        Pipeline([("model", LogisticRegression())]),
        scoring="accuracy",
        cv=2,
        storage=":memory:",
        study_name="unknown",
        refit=False,
    )
    tuner.optimize(*data, n_trials=1)
    assert tuner.history(0).empty
    with pytest.raises(TuningError, match=r"no trial 7; it has trials 0\.\.0"):
        tuner.history(7)


# -- bad input: clear errors before any trial runs, store untouched -----------------------------
def _journal_bytes(path):
    return path.read_bytes() if path.exists() else b""


def test_tuner_space_without_free_hyperparameter_is_an_error(tmp_path):
    journal = tmp_path / "journal.log"
    with pytest.raises(SpaceError, match="no free hyperparameter"):
        Tuner(
            Pipeline([("model", LogisticRegression())]),
            space={"model__C": floats(1.0, 1.0)},
            storage=str(journal),
        )
    assert not journal.exists()


def test_tuner_unknown_space_path_is_an_error():
    with pytest.raises(UnknownPathError, match="model__CC|Did you mean"):
        Tuner(Pipeline([("model", LogisticRegression())]), space={"model__CC": floats(1, 2)})


def test_tuner_unknown_scorer_suggests_a_name():
    with pytest.raises(TuningError, match=r"Unknown scorer 'acuracy'.*Did you mean 'accuracy'"):
        Tuner(Pipeline([("model", LogisticRegression())]), scoring="acuracy")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"cv": 3, "holdout": 0.2}, "at most one of cv=, holdout= and epochs="),
        ({"holdout": 1.5}, r"0 < holdout < 1 must hold, but got holdout=1\.5"),
        ({"direction": "up"}, "direction must be 'maximize' or 'minimize', but got 'up'"),
        ({"scoring": 3}, "scoring must be a scikit-learn scorer name"),
    ],
)
def test_tuner_bad_options_are_errors(options, message):
    with pytest.raises(TuningError, match=message):
        Tuner(Pipeline([("model", LogisticRegression())]), **options)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "pass n_trials=<int>, timeout=<seconds>, or both"),
        ({"n_trials": 0}, "n_trials must be None or an integer >= 1, but got 0"),
        ({"n_trials": True}, "n_trials must be None or an integer >= 1, but got True"),
        ({"timeout": -1}, "timeout must be None or a number of seconds > 0, but got -1"),
        ({"timeout": "5"}, "timeout must be None or a number of seconds > 0, but got '5'"),
        ({"n_trials": 1, "n_jobs": 0}, "n_jobs must be an integer >= 1 or -1, but got 0"),
    ],
)
def test_tuner_optimize_bad_budget_is_an_error(data, tmp_path, options, message):
    journal = tmp_path / "journal.log"
    tuner = Tuner(Pipeline([("model", LogisticRegression())]), storage=str(journal))
    with pytest.raises(TuningError, match=message):
        tuner.optimize(*data, **options)
    assert not journal.exists()


def test_tuner_unreachable_storage_is_an_error_before_any_trial(data):
    tuner = Tuner(
        Pipeline([("model", LogisticRegression())]),
        cv=2,
        storage="postgresql://nobody:secret@127.0.0.1:1/nothing",
    )
    with pytest.raises(StorageError, match=r"Cannot reach the store .*127\.0\.0\.1:1") as caught:
        tuner.optimize(*data, n_trials=1)
    assert "secret" not in str(caught.value)


def test_tuner_study_with_other_direction_is_an_error_and_store_untouched(data, tmp_path):
    journal = tmp_path / "journal.log"
    pipe = Pipeline([("model", LogisticRegression())])
    Tuner(pipe, cv=2, storage=str(journal), study_name="s", refit=False).optimize(
        *data, n_trials=1
    )
    before = _journal_bytes(journal)
    with pytest.raises(
        TuningError, match="was created to maximize, but this tuner would minimize"
    ):
        Tuner(pipe, cv=2, storage=str(journal), study_name="s", direction="minimize").optimize(
            *data, n_trials=1
        )
    assert _journal_bytes(journal) == before


def test_tuner_trials_dataframe_has_the_columns_and_rows_of_the_store(tmp_path):
    X, y = make_classification(n_samples=60, n_features=4, random_state=0)
    journal = str(tmp_path / "journal.log")
    pipe = Pipeline([("model", LogisticRegression())])
    pipe.set_hyperparams_space(model__C=floats(0.1, 10, log=True))
    tuner = Tuner(pipe, scoring="accuracy", cv=2, storage=journal, study_name="frame", refit=False)
    frame = tuner.optimize(X, y, n_trials=2).trials_dataframe()
    assert isinstance(frame, pd.DataFrame)
    # one column set: what Store.trials() gives for the same study, sampled params after them
    stored = open_store(journal).trials("frame")
    assert frame.columns.tolist() == stored.columns.tolist()
    assert frame.columns.tolist()[:8] == list(Tuner.columns_of_trials_dataframe())
    assert frame.columns.tolist()[8] == "model__C"
    assert frame[["number", "state", "value", "model__C"]].equals(
        stored[["number", "state", "value", "model__C"]]
    )
    assert (frame["duration"] > 0).all()
