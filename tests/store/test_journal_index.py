"""The journal index agrees with Optuna's own replay of the same file."""

from __future__ import annotations

import math

import optuna
import pandas as pd
import pytest
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend
from optuna.trial import TrialState

from workbench.store import open_store
from workbench.store.shared import ERROR_KEY, RECORD_KEY, make_record


@pytest.fixture(autouse=True)
def _quiet_optuna():
    optuna.logging.set_verbosity(optuna.logging.WARNING)


def write_journal(path):
    """Studies written through Optuna's API: every trial state, a deletion, two objectives."""
    storage = JournalStorage(JournalFileBackend(str(path)))
    single = optuna.create_study(storage=storage, study_name="single", direction="minimize")
    for number in range(7):
        trial = single.ask()
        x = trial.suggest_float("x", -3, 3)
        trial.suggest_categorical("kind", ["a", "b"])
        for step in range(3):
            trial.report(x * x + step, step)
        if number == 2:
            trial.set_user_attr(ERROR_KEY, "ValueError: boom")
            single.tell(trial, state=TrialState.FAIL)
        elif number == 4:
            single.tell(trial, state=TrialState.PRUNED)
        elif number == 6:
            trial.set_user_attr(RECORD_KEY, make_record(mutation_log=[{"op": "freeze"}]))
        else:  # 6 stays running
            single.tell(trial, x * x)
    gone = optuna.create_study(storage=storage, study_name="gone")
    gone.optimize(lambda t: t.suggest_float("y", 0, 1), n_trials=2)
    optuna.delete_study(study_name="gone", storage=storage)
    double = optuna.create_study(
        storage=storage, study_name="double", directions=["maximize", "minimize"]
    )
    double.optimize(lambda t: (t.suggest_int("n", 1, 9), math.inf), n_trials=3)
    single.enqueue_trial({"x": 1.0, "kind": "a"})  # a waiting trial
    return storage


def test_journal_index_agrees_with_optuna(tmp_path):
    path = tmp_path / "journal.log"
    storage = write_journal(path)
    store = open_store(str(path), readonly=True)
    listing = store.summaries().set_index("name")
    assert sorted(listing.index) == ["double", "single"]
    for name in ("single", "double"):
        study = optuna.load_study(study_name=name, storage=storage)
        trials = study.get_trials(deepcopy=False)
        row = listing.loc[name]
        for state in ("running", "complete", "pruned", "fail", "waiting"):
            assert row[state] == sum(t.state.name.lower() == state for t in trials), state
        frame = store.trials(name)
        assert frame["number"].tolist() == [t.number for t in trials]
        assert frame["state"].tolist() == [t.state.name.lower() for t in trials]
        for (_, got), trial in zip(frame.iterrows(), trials, strict=True):
            assert {k: got[k] for k in trial.params} == trial.params
            assert got["intermediate_values"] == trial.intermediate_values
            assert got["error"] == trial.user_attrs.get(ERROR_KEY)
            if trial.values:
                assert got["value"] == pytest.approx(trial.values[0])
            for moment in ("datetime_start", "datetime_complete"):  # NaT where none
                assert (None if pd.isna(got[moment]) else got[moment]) == getattr(trial, moment)
    single = listing.loc["single"]
    assert (single["direction"], single["best_value"]) == ("minimize", pytest.approx(min(
        t.value for t in optuna.load_study(study_name="single", storage=storage).trials
        if t.state == TrialState.COMPLETE
    )))  # fmt: skip
    assert listing.loc["double", "direction"] == "maximize,minimize"
    assert "values" in store.trials("double").columns
    assert store.record("single", 6).mutation_log == [{"op": "freeze"}]
    assert store.record("single", 6).state == "running"


def test_journal_index_reads_only_what_was_appended(tmp_path):
    path = tmp_path / "journal.log"
    storage = write_journal(path)
    store = open_store(str(path), readonly=True)
    cursor, _ = store.changes()
    single = optuna.load_study(study_name="single", storage=storage)
    running = single.trials[6]
    storage.set_trial_intermediate_value(running._trial_id, 9, 0.5)  # a live curve moves
    cursor, changed = store.changes(cursor)
    assert changed == ["single"]
    assert store.trials("single", offset=6, limit=1)["intermediate_values"].iloc[0][9] == 0.5
    storage.set_trial_state_values(running._trial_id, TrialState.COMPLETE, [0.25])
    assert store.changes(cursor)[1] == ["single"]
    assert store.summaries().set_index("name").loc["single", "running"] == 0


def test_journal_index_keeps_finished_trials_and_follows_running_ones(tmp_path):
    path = tmp_path / "journal.log"
    storage = write_journal(path)
    store = open_store(str(path), readonly=True)
    before = store.trials("single")
    running = optuna.load_study(study_name="single", storage=storage).trials[6]
    storage.set_trial_intermediate_value(running._trial_id, 9, 0.5)
    storage.set_trial_state_values(running._trial_id, TrialState.COMPLETE, [0.25])
    after = store.trials("single")
    assert after.loc[6, "intermediate_values"] == {**running.intermediate_values, 9: 0.5}
    assert (after.loc[6, "state"], after.loc[6, "value"]) == ("complete", 0.25)
    for number in range(6):  # the finished trials read as before, from what the index kept
        assert (
            after.loc[number, "intermediate_values"] == before.loc[number, "intermediate_values"]
        )
    # what a caller does to a returned table is not kept
    after.loc[0, "intermediate_values"][0] = -1.0
    assert store.trials("single", limit=1).loc[0, "intermediate_values"][0] != -1.0


def listing_from_optuna(storage, name):
    """What a listing row should say of study ``name``, from Optuna's own replay."""
    study = optuna.load_study(study_name=name, storage=storage)
    trials = study.get_trials(deepcopy=False)
    starts = [t.datetime_start for t in trials if t.datetime_start]
    moments = starts + [t.datetime_complete for t in trials if t.datetime_complete]
    values = [t.value for t in trials if t.state == TrialState.COMPLETE]
    best = max if study.direction.name == "MAXIMIZE" else min
    return {
        **{state: sum(t.state.name.lower() == state for t in trials) for state in STATES},
        "best_value": best(values) if values else None,
        "started": min(starts) if starts else None,
        "last_change": max(moments) if moments else None,
    }


STATES = ("running", "complete", "pruned", "fail", "waiting")


def test_listing_figures_follow_a_live_study_line_by_line(tmp_path):
    path = tmp_path / "journal.log"
    storage = JournalStorage(JournalFileBackend(str(path)))
    store = open_store(str(path), readonly=True)
    study = optuna.create_study(storage=storage, study_name="live", direction="maximize")

    def check():
        row = store.summaries().set_index("name").loc["live"]
        got = {key: row[key] for key in listing_from_optuna(storage, "live")}
        got["best_value"] = None if pd.isna(got["best_value"]) else got["best_value"]
        got = {k: None if v is pd.NaT else v for k, v in got.items()}
        assert got == listing_from_optuna(storage, "live")

    check()  # no trial yet
    study.enqueue_trial({"x": 0.5})  # waiting, no start
    check()
    trial = study.ask()  # the waiting one starts
    trial.suggest_float("x", 0, 1)
    check()
    study.tell(trial, 0.3)
    failing = study.ask()
    check()
    study.tell(failing, state=TrialState.FAIL)
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + 1, n_trials=2)  # better values
    check()
    study.add_trial(optuna.trial.create_trial(value=-5.0, params={}, distributions={}))
    check()


def test_a_created_trial_written_in_another_key_order_reads_whole(tmp_path):
    path = tmp_path / "journal.log"
    storage = JournalStorage(JournalFileBackend(str(path)))
    optuna.create_study(storage=storage, study_name="odd", direction="maximize")
    with open(path, "a") as journal:  # distributions before state and value
        journal.write(
            '{"op_code":4,"worker_id":"w","study_id":0,"distributions":{},"params":{},'
            '"user_attrs":{},"system_attrs":{},"intermediate_values":{},"state":1,'
            '"value":0.75,"values":null,"datetime_start":"2026-01-02T03:04:05.000006+00:00",'
            '"datetime_complete":"2026-01-02T03:04:07.000006+00:00"}\n'
        )
    [trial] = optuna.load_study(study_name="odd", storage=storage).trials  # Optuna reads it
    with open(path, "a") as journal:  # and a stray line, which the index skips
        journal.write('{"op_code":4,"worker_id":"w", not json\n')
    store = open_store(str(path), readonly=True)
    assert store.trials("odd")["duration"].tolist() == [2.0]
    assert store.trials("odd")["datetime_start"].tolist() == [trial.datetime_start]
    row = store.summaries().set_index("name").loc["odd"]
    assert (row["complete"], row["best_value"]) == (1, 0.75)
    assert store.trials("odd")["value"].tolist() == [0.75]
