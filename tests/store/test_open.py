"""The store: which storage is used, opening it, plain data, stale trials on journal files."""

from __future__ import annotations

import optuna
import pandas as pd
import pytest
from optuna.storages import InMemoryStorage, JournalStorage

from workbench import store
from workbench.exceptions import StorageError
from workbench.store import shared


def test_store_defaults_to_a_journal_file_under_dot_workbench(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(shared.ENV_VAR, raising=False)
    assert shared.resolve() == str(tmp_path / ".workbench" / "journal.log")
    assert isinstance(shared.open_storage(), JournalStorage)
    assert (tmp_path / ".workbench" / "journal.log").exists()


def test_store_environment_variable_then_argument_win(tmp_path, monkeypatch):
    monkeypatch.setenv(shared.ENV_VAR, "sqlite:///from-env.db")
    assert shared.resolve() == "sqlite:///from-env.db"
    assert shared.resolve(str(tmp_path / "arg.log")) == str(tmp_path / "arg.log")


def test_store_directory_gets_journal_log_inside(tmp_path):
    assert shared.resolve(tmp_path) == str(tmp_path / "journal.log")


def test_store_memory_and_storage_objects(tmp_path):
    assert isinstance(shared.open_storage(":memory:"), InMemoryStorage)
    mine = InMemoryStorage()
    assert shared.open_storage(mine) is mine
    assert shared.open_storage(str(tmp_path / "a.log")) is shared.open_storage(
        str(tmp_path / "a.log")
    )


def test_store_sqlite_url_opens_an_rdb_storage(tmp_path):
    url = f"sqlite:///{tmp_path / 'studies.db'}"
    optuna.create_study(storage=shared.open_storage(url), study_name="in-sqlite")
    assert store.open_store(url).studies()["name"].tolist() == ["in-sqlite"]


@pytest.mark.parametrize(
    ("storage", "message"),
    [
        ("", "must not be empty"),
        (42, "must be an Optuna storage, a storage URL or a journal file path, but got 42"),
        ("nosuchdialect://x", "Cannot reach the store 'nosuchdialect://x'"),
    ],
)
def test_store_bad_storage_is_an_error(storage, message):
    with pytest.raises(StorageError, match=message):
        shared.open_storage(storage)


def test_store_journal_in_an_unwritable_place_is_an_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(StorageError, match="Cannot open the journal file"):
        shared.open_storage(str(blocker / "sub" / "journal.log"))


def test_store_hides_passwords_in_descriptions():
    assert shared.describe("postgresql://me:secret@db/x") == "postgresql://me:***@db/x"


def test_store_to_plain_makes_json_ready_data():
    import numpy as np

    frame = pd.DataFrame({"a": [1.0, np.nan], "b": ["x", None]})
    assert shared.to_json_value(
        {"f": frame, "n": np.float32(0.5), "i": np.int64(3), "inf": np.inf}
    ) == {
        "f": {"columns": ["a", "b"], "data": [[1.0, "x"], [None, None]]},
        "n": 0.5,
        "i": 3,
        "inf": None,
    }


def test_store_running_trial_of_a_live_worker_is_not_stale(tmp_path):
    storage = shared.open_storage(str(tmp_path))
    study = optuna.create_study(storage=storage, study_name="live")
    trial = study.ask()
    storage.set_trial_system_attr(trial._trial_id, shared.WORKER_KEY, shared.worker_lease(storage))
    assert shared.fail_stale_trials(study) == []
    assert study.trials[0].state.name == "RUNNING"


def test_store_running_trial_of_a_gone_worker_is_failed(tmp_path):
    storage = shared.open_storage(str(tmp_path))
    study = optuna.create_study(storage=storage, study_name="gone")
    trial = study.ask()
    storage.set_trial_system_attr(trial._trial_id, shared.WORKER_KEY, "0" * 32)  # no lock held
    assert shared.fail_stale_trials(study) == [0]
    assert study.trials[0].state.name == "FAIL"
    assert study.trials[0].user_attrs[shared.ERROR_KEY].startswith("WorkerLost")


def test_store_user_surface_is_small_and_layers_share_the_rest():
    import workbench.store
    import workbench.store.shared

    assert len(workbench.store.__all__) <= 15
    assert not [name for name in workbench.store.__all__ if name.endswith("_KEY")]
    assert "RECORD_KEY" in workbench.store.shared.__all__
    assert not hasattr(workbench.store, "RECORD_KEY")
