"""Plain epoch runs are recorded in the store and browsed like tuning trials."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import SGDClassifier
from sklearn.preprocessing import StandardScaler

from workbench import Callback, Pipeline
from workbench.exceptions import CallbackError, StorageError
from workbench.store import shared
from workbench.training import fit_epochs
from workbench.tuning import load_history, studies

from .helpers import classification_data


def sgd_pipeline():
    return Pipeline([("scale", StandardScaler()), ("model", SGDClassifier(random_state=0))])


def test_fit_epochs_records_its_run_in_the_default_store(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(shared.ENV_VAR, raising=False)
    pipe = sgd_pipeline()
    history = fit_epochs(
        pipe,
        *classification_data(),
        epochs=3,
        batch_size=16,
        validation_fraction=0.25,
        random_state=0,
        run_name="first",
    )
    assert (tmp_path / ".workbench" / "journal.log").exists()
    listing = studies()
    assert listing[["name", "kind", "trials", "complete"]].values.tolist() == [
        ["first", "run", 1, 1]
    ]
    assert listing["best_value"].iloc[0] == pytest.approx(history["valid_accuracy"].iloc[-1])
    stored = load_history("first")
    assert stored["epoch"].tolist() == [1, 2, 3]
    np.testing.assert_allclose(stored["valid_accuracy"], history["valid_accuracy"])


def test_recorded_run_keeps_structure_and_hyperparams(tmp_path):
    pipe = sgd_pipeline().set_hyperparams(model__alpha=0.01)
    fit_epochs(
        pipe,
        *classification_data(),
        epochs=1,
        batch_size=32,
        storage=str(tmp_path),
        run_name="kept",
    )
    import optuna

    study = optuna.load_study(study_name="kept", storage=shared.open_storage(str(tmp_path)))
    structure = study.user_attrs["workbench:structure"]
    assert [child["path"] for child in structure["children"]] == ["scale", "model"]
    record = study.trials[0].user_attrs["workbench:record"]
    assert record["hyperparams"]["model__alpha"] == 0.01


def test_fit_epochs_record_false_records_nothing(tmp_path):
    fit_epochs(
        sgd_pipeline(),
        *classification_data(),
        epochs=1,
        batch_size=32,
        storage=str(tmp_path),
        record=False,
    )
    assert studies(str(tmp_path)).empty


def test_a_run_that_raises_is_recorded_failed_with_its_message(tmp_path):
    class Broken(Callback):
        def on_epoch_end(self, **data):
            if data["epoch"] == 2:
                raise ValueError("the plot went away")

    with pytest.raises(CallbackError):
        fit_epochs(
            sgd_pipeline(),
            *classification_data(),
            epochs=4,
            batch_size=32,
            callbacks=[Broken()],
            storage=str(tmp_path),
            run_name="broken",
        )
    row = studies(str(tmp_path)).iloc[0]
    assert (row["name"], row["fail"], row["complete"]) == ("broken", 1, 0)
    import optuna

    trial = optuna.load_study(
        study_name="broken", storage=shared.open_storage(str(tmp_path))
    ).trials[0]
    assert "the plot went away" in trial.user_attrs["workbench:error"]
    assert load_history("broken", storage=str(tmp_path))["epoch"].tolist() == [1, 2]


def test_fit_epochs_with_a_taken_run_name_fails_before_training(tmp_path):
    fit_epochs(
        sgd_pipeline(),
        *classification_data(),
        epochs=1,
        batch_size=32,
        storage=str(tmp_path),
        run_name="taken",
    )
    pipe = sgd_pipeline()
    with pytest.raises(StorageError, match="'taken' is already in the store"):
        fit_epochs(
            pipe,
            *classification_data(),
            epochs=1,
            batch_size=32,
            storage=str(tmp_path),
            run_name="taken",
        )
    assert not hasattr(pipe["model"], "coef_")


def test_fit_epochs_with_an_unreachable_store_fails_before_training():
    pipe = sgd_pipeline()
    with pytest.raises(StorageError, match="Cannot reach the store"):
        fit_epochs(
            pipe,
            *classification_data(),
            epochs=1,
            batch_size=32,
            storage="postgresql://x@127.0.0.1:1/none",
        )
    assert not hasattr(pipe["model"], "coef_")


def test_load_history_of_an_unknown_run_suggests_names(tmp_path):
    fit_epochs(
        sgd_pipeline(),
        *classification_data(),
        epochs=1,
        batch_size=32,
        storage=str(tmp_path),
        run_name="baseline",
    )
    with pytest.raises(
        StorageError, match="No study or run named 'baseline2'.*Did you mean 'baseline'"
    ):
        load_history("baseline2", storage=str(tmp_path))
    with pytest.raises(StorageError, match="'baseline' has no trial 3; it has 1 trial"):
        load_history("baseline", 3, storage=str(tmp_path))


def test_recording_a_run_prints_no_optuna_study_line(tmp_path, caplog):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.INFO)
    optuna.logging.enable_propagation()
    try:
        with caplog.at_level("INFO", logger="optuna"):
            fit_epochs(sgd_pipeline(), *classification_data(), epochs=1, batch_size=16,
                       storage=str(tmp_path / "journal.log"), run_name="quiet")  # fmt: skip
    finally:
        optuna.logging.disable_propagation()
    assert "quiet" in studies(storage=str(tmp_path / "journal.log"))["name"].tolist()
    assert not [record for record in caplog.records if "A new study created" in record.message]
    assert optuna.logging.get_verbosity() == optuna.logging.INFO  # restored
