"""An RDB store read through SQL: changes seen from the file without a query, every write
noticed, in both of SQLite's journal modes."""

from __future__ import annotations

import optuna
import pandas as pd
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


def expected_listing(storage, name):
    """What a listing row should say of study ``name``, from Optuna's own reading."""
    study = optuna.load_study(study_name=name, storage=storage)
    trials = study.get_trials(deepcopy=False)
    starts = [t.datetime_start for t in trials if t.datetime_start]
    moments = starts + [t.datetime_complete for t in trials if t.datetime_complete]
    values = [t.value for t in trials if t.state == TrialState.COMPLETE]
    best = max if study.direction.name == "MAXIMIZE" else min
    return {
        **{s: sum(t.state.name.lower() == s for t in trials) for s in STATES},
        "best_value": best(values) if values else None,
        "started": min(starts) if starts else None,
        "last_change": max(moments) if moments else None,
    }


STATES = ("running", "complete", "pruned", "fail", "waiting")


def listed(store, name):
    row = store.summaries().set_index("name").loc[name]
    got = {key: row[key] for key in (*STATES, "best_value", "started", "last_change")}
    return {k: None if v is pd.NaT or (k == "best_value" and pd.isna(v)) else v
            for k, v in got.items()}  # fmt: skip


def test_the_listing_follows_a_live_study_reading_only_new_and_unfinished_trials(sqlite_url):
    storage = optuna.storages.RDBStorage(sqlite_url)
    store = open_store(sqlite_url, readonly=True)
    study = optuna.load_study(study_name="live", storage=storage)
    assert listed(store, "live") == expected_listing(storage, "live")
    study.enqueue_trial({"x": 0.25})
    assert listed(store, "live") == expected_listing(storage, "live")  # one waiting
    waiting = study.ask()  # it runs now
    waiting.suggest_float("x", 0, 1)
    assert listed(store, "live") == expected_listing(storage, "live")
    study.tell(waiting, 2.0)
    study.tell(study.trials[1].number, state=TrialState.FAIL)  # the running one fails
    study.optimize(lambda trial: trial.suggest_float("x", 0, 1), n_trials=2)
    assert listed(store, "live") == expected_listing(storage, "live")
    assert listed(store, "live")["running"] == 0
    other = optuna.create_study(storage=storage, study_name="other")
    other.optimize(lambda trial: trial.suggest_float("y", 0, 1), n_trials=2)
    assert listed(store, "other") == expected_listing(storage, "other")
    optuna.delete_study(study_name="other", storage=storage)  # counted again from scratch
    assert list(store.summaries()["name"]) == ["live"]
    assert listed(store, "live") == expected_listing(storage, "live")


def test_a_trial_committed_below_the_highest_id_read_is_still_counted(tmp_path):
    url = f"sqlite:///{tmp_path / 'studies.db'}"
    study = optuna.create_study(storage=url, study_name="s", direction="maximize")
    study.optimize(lambda trial: trial.suggest_float("x", 0, 1), n_trials=1)
    store = open_store(url, readonly=True)
    engine = sa.create_engine(url)

    def insert(trial_id, number, value):  # as a second writer's insert, committed late
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO trials (trial_id, number, study_id, state, datetime_start, "
                "datetime_complete) VALUES (?, ?, 1, 'COMPLETE', '2026-01-01 00:00:00.000000', "
                "'2026-01-01 00:00:01.000000')",
                (trial_id, number),
            )
            connection.exec_driver_sql(
                "INSERT INTO trial_values (trial_id, objective, value, value_type) "
                "VALUES (?, 0, ?, 'FINITE')",
                (trial_id, value),
            )

    insert(3, 2, 0.5)  # id 2 is not there yet
    assert listed(store, "s")["complete"] == 2
    insert(2, 1, 5.0)
    assert (listed(store, "s")["complete"], listed(store, "s")["best_value"]) == (3, 5.0)
    engine.dispose()
