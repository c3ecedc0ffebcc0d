"""An RDB store read through SQL: changes seen from the file without a query, every write
noticed, in both of SQLite's journal modes."""

from __future__ import annotations

import optuna
import pytest
import sqlalchemy as sa
from optuna.trial import TrialState

from workbench.store import open_store


@pytest.fixture(autouse=True)
def _quiet_optuna():
    optuna.logging.set_verbosity(optuna.logging.WARNING)


@pytest.fixture(params=["delete", "wal"])
def sqlite_url(request, tmp_path):
    """A SQLite file in rollback-journal or write-ahead-log mode, with a study of one
    complete and one running trial."""
    url = f"sqlite:///{tmp_path / 'studies.db'}"
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        connection.exec_driver_sql(f"PRAGMA journal_mode={request.param}")
    engine.dispose()
    study = optuna.create_study(storage=url, study_name="live", direction="maximize")
    study.optimize(lambda trial: trial.suggest_float("x", 0, 1), n_trials=1)
    study.ask()
    return url


def test_every_write_is_noticed_after_idle_asks(sqlite_url):
    store = open_store(sqlite_url, readonly=True)
    cursor, names = store.changes()
    assert names == ["live"]
    for _ in range(3):  # idle: the same cursor, nothing named
        assert store.changes(cursor) == (cursor, [])
    storage = optuna.storages.RDBStorage(sqlite_url)
    running = optuna.load_study(study_name="live", storage=storage).trials[1]
    # a failure writes no value row: only the trial's state and completion time move
    storage.set_trial_state_values(running._trial_id, TrialState.FAIL)
    cursor, names = store.changes(cursor)
    assert names == ["live"]
    assert store.changes(cursor) == (cursor, [])
    optuna.create_study(storage=storage, study_name="new")
    assert store.changes(cursor)[1] == ["new"]
