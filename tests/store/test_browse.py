"""Browsing: studies and runs apart, pages of trials, records, History round trips, changes."""

from __future__ import annotations

import math

import numpy as np
import optuna
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from workbench import Pipeline
from workbench.exceptions import StorageError
from workbench.store import History, open_store
from workbench.store.shared import to_json_value
from workbench.training import EarlyStopping, fit_epochs
from workbench.tuning import Tuner

from ..tuning.helpers import classification_data


@pytest.fixture(autouse=True)
def _quiet_optuna():
    optuna.logging.set_verbosity(optuna.logging.WARNING)


def sgd_pipeline():
    return Pipeline([("scale", StandardScaler()), ("model", SGDClassifier(random_state=0))])


def a_run(storage, name, **options):
    return fit_epochs(
        sgd_pipeline(),
        *classification_data(),
        epochs=3,
        batch_size=16,
        validation_fraction=0.25,
        random_state=0,
        storage=storage,
        run_name=name,
        **options,
    )


def a_study(storage, name, n_trials=3):
    tuner = Tuner(
        Pipeline([("model", LogisticRegression(max_iter=300))]),
        scoring="accuracy",
        cv=2,
        storage=storage,
        study_name=name,
        refit=False,
        random_state=0,
    )
    return tuner.optimize(*classification_data(), n_trials=n_trials)


@pytest.fixture(params=["journal", "sqlite"])
def storage(request, tmp_path):
    if request.param == "journal":
        return str(tmp_path / "journal.log")
    return f"sqlite:///{tmp_path / 'store.db'}"


def test_store_lists_studies_and_runs_apart_with_metric_and_direction(storage):
    history = a_run(storage, "run-a")
    tuner = a_study(storage, "study-a")
    store = open_store(storage, readonly=True)
    studies, runs = store.studies(), store.runs()
    assert studies[
        ["name", "kind", "metric", "direction", "n_trials", "complete"]
    ].values.tolist() == [["study-a", "study", "accuracy", "maximize", 3, 3]]
    assert studies["best_value"].iloc[0] == pytest.approx(tuner.best_value_)
    assert runs[["name", "kind", "metric", "direction", "n_trials"]].values.tolist() == [
        ["run-a", "run", "valid_accuracy", "maximize", 1]
    ]
    assert runs["best_value"].iloc[0] == pytest.approx(history["valid_accuracy"].iloc[-1])
    assert isinstance(studies["last_change"].iloc[0], pd.Timestamp | type(None))
    assert studies["last_change"].iloc[0] >= studies["started"].iloc[0]


def test_store_run_measured_by_its_loss_is_minimized(tmp_path):
    fit_epochs(
        Pipeline([("model", MLPClassifier(hidden_layer_sizes=(4,), random_state=0))]),
        *classification_data(),
        epochs=2,
        batch_size=16,
        storage=str(tmp_path),
        run_name="lossy",
        metrics=[],
    )
    runs = open_store(str(tmp_path)).runs()
    assert runs[["metric", "direction"]].values.tolist() == [["train_loss", "minimize"]]


def test_store_history_round_trip_keeps_dtypes_nan_attrs_and_batches(storage):
    original = a_run(
        storage, "batches", record_batches=True, early_stopping=EarlyStopping(patience=1)
    )
    stored = open_store(storage, readonly=True).history("batches")
    assert isinstance(stored, History)
    pd.testing.assert_frame_equal(stored, original)
    assert stored.attrs == original.attrs
    assert "best_epoch" in stored.attrs
    pd.testing.assert_frame_equal(stored.batches, original.batches)


def test_store_history_keeps_nan_and_missing_values():
    original = History.from_rows(
        [
            {"epoch": 1, "phase": "pretrain", "mutation": None, "train_loss": float("nan")},
            {"epoch": 2, "phase": "tune", "mutation": "freeze encoder", "train_loss": 0.5},
        ],
        attrs={"stop_reason": "diverged", "best_epoch": 2},
    )
    from workbench.store.shared import decode_history, encode_history

    encoded = encode_history(original)
    assert encoded["data"][0][3] is None  # NaN is null in JSON
    stored = decode_history(encoded)
    pd.testing.assert_frame_equal(stored, original)
    assert stored["mutation"].tolist() == [None, "freeze encoder"]
    assert stored.attrs == {"stop_reason": "diverged", "best_epoch": 2}


def test_store_record_has_history_structure_mutation_log_and_hyperparams(tmp_path):
    pipe = sgd_pipeline().set_hyperparams(model__alpha=0.01)
    X, y = classification_data()
    pipe.fit(X, y)
    pipe.freeze("scale")
    history = fit_epochs(pipe, X, y, epochs=2, batch_size=16, storage=str(tmp_path), run_name="m")
    record = open_store(str(tmp_path), readonly=True).record("m")
    assert (record.study, record.kind, record.number, record.state) == ("m", "run", 0, "complete")
    assert [(entry["op"], entry["path"]) for entry in record.mutation_log] == [("freeze", "scale")]
    assert record.hyperparams["model__alpha"] == 0.01
    assert record.structure["children"][1]["class"] == "SGDClassifier"
    pd.testing.assert_frame_equal(record.history, history)
    plain = record.to_json()
    assert plain["history"]["columns"] == list(history.columns)
    assert plain["schema"] == 1


def test_store_trials_are_paged_with_params_by_path(storage):
    a_study(storage, "paged", n_trials=5)
    store = open_store(storage, readonly=True)
    page = store.trials("paged", offset=1, limit=3)
    assert page["number"].tolist() == [1, 2, 3]
    assert list(page.columns[:8]) == [
        "number",
        "state",
        "value",
        "duration",
        "datetime_start",
        "datetime_complete",
        "intermediate_values",
        "error",
    ]
    assert "model__C" in page.columns
    everything = store.trials("paged")
    assert everything["number"].tolist() == [0, 1, 2, 3, 4]
    assert (everything["duration"] >= 0).all()
    pd.testing.assert_frame_equal(
        page.reset_index(drop=True), everything.iloc[1:4].reset_index(drop=True)
    )
    assert store.trials("paged", offset=4, limit=10)["number"].tolist() == [4]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"offset": -1}, r"offset must be an integer >= 0, but got -1"),
        ({"limit": "ten"}, r"limit must be None or an integer >= 0, but got 'ten'"),
    ],
)
def test_store_trials_bad_page_is_an_error(options, message):
    with pytest.raises(StorageError, match=message):
        open_store(":memory:").trials("anything", **options)


def test_store_unknown_study_names_close_ones(tmp_path):
    a_run(str(tmp_path), "first-run")
    store = open_store(str(tmp_path), readonly=True)
    with pytest.raises(
        StorageError, match=r"No study or run named 'first-rnu'.*Did you mean 'first-run'"
    ):
        store.history("first-rnu")


def test_store_unknown_trial_says_how_many(tmp_path):
    a_run(str(tmp_path), "one")
    with pytest.raises(
        StorageError, match=r"'one' has no trial 3; it has 1 trial\(s\), numbered from 0"
    ):
        open_store(str(tmp_path), readonly=True).record("one", 3)


@pytest.mark.parametrize("kind", ["journal", "sqlite", "memory"])
def test_store_has_asks_its_source_for_a_study_and_a_trial(kind, tmp_path):
    storage = {
        "journal": str(tmp_path / "j.log"),
        "sqlite": f"sqlite:///{tmp_path / 's.db'}",
        "memory": optuna.storages.InMemoryStorage(),
    }[kind]
    a_run(storage, "one")
    store = open_store(storage, readonly=True)
    assert store.has("one") and store.has("one", 0)
    assert not store.has("one", 1)
    assert not store.has("none") and not store.has("none", 0)
    if kind == "journal":
        assert store._storage is None  # answered from the index, no Optuna replay


@pytest.mark.parametrize("kind", ["journal", "sqlite", "memory"])
def test_store_changes_names_what_changed_and_nothing_else(kind, tmp_path):
    storage = {
        "journal": str(tmp_path / "j.log"),
        "sqlite": f"sqlite:///{tmp_path / 's.db'}",
        "memory": optuna.storages.InMemoryStorage(),
    }[kind]
    a_run(storage, "run-1")
    a_study(storage, "study-1", n_trials=2)
    reader = open_store(storage, readonly=True)
    cursor, names = reader.changes()
    assert names == ["run-1", "study-1"]
    assert reader.changes(cursor) == (cursor, [])
    a_study(storage, "study-1", n_trials=1)  # resumes it: one more trial
    cursor2, names = reader.changes(cursor)
    assert names == ["study-1"]
    a_run(storage, "run-2")
    cursor3, names = reader.changes(cursor2)
    assert names == ["run-2"]
    assert reader.changes(cursor3)[1] == []
    assert open_store(storage, readonly=True).changes("not a cursor")[1] == [
        "run-1",
        "run-2",
        "study-1",
    ]


def test_store_changes_after_a_deletion_refreshes_everything(tmp_path):
    storage = str(tmp_path / "j.log")
    a_run(storage, "kept")
    a_run(storage, "gone")
    store = open_store(storage)
    cursor, _ = store.changes()
    optuna.delete_study(study_name="gone", storage=store.storage)
    assert store.changes(cursor)[1] == ["kept"]


def test_to_json_value_makes_nan_and_inf_null_everywhere():
    value = {
        "a": [1.0, math.nan, np.inf],
        "b": np.float64("nan"),
        "c": np.array([[1, 2]]),
        "d": pd.Timestamp("2026-01-02T03:04:05"),
        1: None,
    }
    assert to_json_value(value) == {
        "a": [1.0, None, None],
        "b": None,
        "c": [[1, 2]],
        "d": "2026-01-02T03:04:05",
        "1": None,
    }


def test_store_record_of_an_epoch_tuning_trial_has_its_history_and_the_study_structure(tmp_path):
    pipe = Pipeline([("scale", StandardScaler()), ("model", SGDClassifier(random_state=0))])
    pipe.set_hyperparams_space(scale__with_mean=None, scale__with_std=None)
    tuner = Tuner(
        pipe,
        scoring="accuracy",
        epochs={"epochs": 3, "batch_size": 50, "random_state": 0},
        sampler=optuna.samplers.RandomSampler(seed=0),
        storage=str(tmp_path),
        study_name="epochs",
        refit=False,
    ).optimize(*classification_data(), n_trials=4)
    store = open_store(str(tmp_path), readonly=True)
    listed = store.studies()
    assert listed[["metric", "direction"]].values.tolist() == [["valid_accuracy", "maximize"]]
    for number in range(4):
        record = store.record("epochs", number)
        assert record.kind == "study" and record.schema == 1
        assert record.params == tuner.study.trials[number].params
        assert record.structure["children"][1]["class"] == "SGDClassifier"
        assert record.mutation_log == []
        pd.testing.assert_frame_equal(record.history, tuner.history(number))
        assert len(record.history) >= 1
