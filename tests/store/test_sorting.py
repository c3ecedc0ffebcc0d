"""Pages sorted by a column: the same order from a journal file, SQLite and any storage."""

from __future__ import annotations

import math

import optuna
import pandas as pd
import pytest
from optuna.storages import InMemoryStorage
from optuna.trial import TrialState

from workbench.exceptions import StorageError, StoreQueryError
from workbench.store import open_store
from workbench.store.shared import ERROR_KEY

#: Per trial: how it ends (a value, "fail", "nan", "pruned", "running") and its params.
PLAN = [
    (0.5, {"x": 1.0, "kind": "b", "depth": 2}),
    (0.9, {"x": -2.0, "kind": "a"}),
    ("fail", {"x": 0.5, "kind": "c", "depth": 4}),
    (0.5, {"x": 1.0, "kind": "b"}),
    (math.inf, {"x": 3.0, "kind": "a", "depth": 1}),
    (0.1, {"x": -1.0, "kind": "c"}),
    ("pruned", {"x": 2.0, "kind": "b", "depth": 4}),
    (0.9, {"x": 0.0, "kind": "a"}),
    (-math.inf, {"x": -3.0, "kind": "c", "depth": 3}),
    ("nan", {"x": 1.5, "kind": "b"}),  # a NaN told: Optuna fails the trial, no value
    (0.5, {"x": 1.0, "kind": "a", "depth": 2}),
    ("running", {"x": -0.5, "kind": "c"}),
]


@pytest.fixture(autouse=True)
def _quiet_optuna():
    optuna.logging.set_verbosity(optuna.logging.ERROR)


def fill(storage) -> None:
    """The study of PLAN, written through Optuna's ask-and-tell API as a Tuner does."""
    study = optuna.create_study(storage=storage, study_name="sorted", direction="maximize")
    for outcome, params in PLAN:
        study.enqueue_trial(params)
        trial = study.ask()
        trial.suggest_float("x", -5, 5)
        trial.suggest_categorical("kind", ["a", "b", "c"])
        if "depth" in params:
            trial.suggest_int("depth", 1, 8)
        if outcome == "fail":
            trial.set_user_attr(ERROR_KEY, "ValueError: boom")
            study.tell(trial, state=TrialState.FAIL)
        elif outcome == "nan":
            with pytest.warns(UserWarning, match="The value nan is not acceptable"):
                study.tell(trial, math.nan)
        elif outcome == "pruned":
            trial.report(0.3, 1)
            study.tell(trial, state=TrialState.PRUNED)
        elif outcome != "running":
            study.tell(trial, outcome)
    double = optuna.create_study(
        storage=storage, study_name="double", directions=["maximize", "minimize"]
    )
    for values in [(1.0, 5.0), (1.0, 2.0), None, (0.0, 9.0)]:
        trial = double.ask()
        double.tell(trial, values, state=TrialState.COMPLETE if values else TrialState.FAIL)


@pytest.fixture(params=["journal", "sqlite", "memory"])
def store(request, tmp_path):
    if request.param == "journal":
        target = str(tmp_path / "journal.log")
        fill(optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(target)))
    elif request.param == "sqlite":
        target = f"sqlite:///{tmp_path / 'studies.db'}"
        fill(target)
    else:
        target = InMemoryStorage()
        fill(target)
    return open_store(target, readonly=request.param != "memory")


def sorted_numbers(store, column: str, *, descending: bool, page: int = 5) -> list[int]:
    """Every trial's number, page after page of a sorted listing."""
    numbers: list[int] = []
    for offset in range(0, len(PLAN) + page, page):
        frame = store.trials(
            "sorted", offset=offset, limit=page, sort=column, descending=descending
        )
        assert frame.attrs["total"] == len(PLAN)
        numbers += frame["number"].tolist()
    return numbers


@pytest.mark.parametrize("descending", [False, True])
def test_sorted_by_value_puts_failed_and_nan_trials_last_and_keeps_ties_in_order(
    store, descending
):
    numbers = sorted_numbers(store, "value", descending=descending)
    ascending_order = [8, 5, 6, 0, 3, 10, 1, 7, 4]  # -inf, 0.1, pruned 0.3, 0.5 x3, 0.9 x2, inf
    if descending:
        assert numbers == [4, 1, 7, 0, 3, 10, 6, 5, 8, 2, 9, 11]
    else:
        assert numbers == [*ascending_order, 2, 9, 11]  # fail, NaN (failed), running


@pytest.mark.parametrize(
    "column", ["number", "state", "duration", "datetime_start", "datetime_complete", "error"]
)
@pytest.mark.parametrize("descending", [False, True])
def test_sorted_pages_follow_the_order_of_the_whole_table(store, column, descending):
    whole = store.trials("sorted")
    expected = whole.sort_values(
        column, ascending=not descending, na_position="last", kind="stable"
    )["number"].tolist()
    assert sorted_numbers(store, column, descending=descending, page=4) == expected


@pytest.mark.parametrize("descending", [False, True])
def test_sorted_by_a_param_puts_trials_without_it_last(store, descending):
    numbers = sorted_numbers(store, "depth", descending=descending)
    with_depth = [4, 0, 10, 8, 2, 6]  # depth 1, 2, 2, 3, 4, 4
    if descending:
        with_depth = [2, 6, 8, 0, 10, 4]
    assert numbers == [*with_depth, 1, 3, 5, 7, 9, 11]
    by_kind = sorted_numbers(store, "kind", descending=descending)
    kinds = {"a": [1, 4, 7, 10], "b": [0, 3, 6, 9], "c": [2, 5, 8, 11]}
    assert by_kind == [n for k in sorted(kinds, reverse=descending) for n in kinds[k]]
    by_x = store.trials("sorted", sort="x", descending=descending)
    assert by_x["x"].tolist() == sorted(by_x["x"], reverse=descending)


def test_a_sorted_page_past_the_end_is_empty(store):
    frame = store.trials("sorted", offset=50, limit=5, sort="value")
    assert frame.empty and frame.attrs["total"] == len(PLAN)


def test_sorting_by_no_column_says_which_there_are(store):
    message = (
        r"sort must name a column of the trials \(number, state, value, values, duration, "
        r"datetime_start, datetime_complete, error, depth, kind, x\), but got 'colour'"
    )
    with pytest.raises(StoreQueryError, match=message):
        store.trials("sorted", sort="colour")
    with pytest.raises(StoreQueryError, match="sort must be a column's name or None, but got 3"):
        store.trials("sorted", sort=3)
    assert issubclass(StoreQueryError, StorageError) and issubclass(StoreQueryError, ValueError)


def test_a_sorted_page_has_the_rows_a_plain_page_has(store):
    plain = store.trials("sorted").set_index("number")
    page = store.trials("sorted", sort="value", descending=True, limit=4).set_index("number")
    pd.testing.assert_frame_equal(page, plain.loc[page.index, page.columns])


@pytest.mark.parametrize(("descending", "expected"), [(False, [3, 1, 0, 2]), (True, [0, 1, 3, 2])])
def test_several_objectives_sort_by_the_first_then_the_next(store, descending, expected):
    frame = store.trials("double", sort="values", descending=descending)
    assert frame["number"].tolist() == expected


def test_a_journal_sorts_by_params_written_with_the_trials_themselves(tmp_path):
    """Trials added whole (``add_trials``: params in the creation line), one param named like
    the line's own user_attrs field."""
    path = str(tmp_path / "journal.log")
    storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(path))
    study = optuna.create_study(storage=storage, study_name="added")
    distributions = {  # "depth" first: ',"user_attrs":' then comes inside distributions
        "depth": optuna.distributions.IntDistribution(1, 9),
        "user_attrs": optuna.distributions.FloatDistribution(0, 10),
    }
    study.add_trials(
        [
            optuna.trial.create_trial(
                value=float(n), params={"depth": 1 + n % 3, "user_attrs": float(9 - n)},
                distributions=distributions, user_attrs={"note": ',"user_attrs":' * n},
            )
            for n in range(6)
        ]
    )  # fmt: skip
    store = open_store(path, readonly=True)
    assert store.trials("added", sort="user_attrs")["number"].tolist() == [5, 4, 3, 2, 1, 0]
    assert store.trials("added", sort="depth")["number"].tolist() == [0, 3, 1, 4, 2, 5]


@pytest.mark.parametrize("kind", ["journal", "sqlite", "memory"])
@pytest.mark.parametrize(("descending", "expected"), [(False, [2, 0, 1]), (True, [0, 2, 1])])
def test_a_nan_value_written_through_the_storage_sorts_last(tmp_path, kind, descending, expected):
    """Optuna's tell fails a NaN, but its storage API takes one as it is."""
    storage = {
        "journal": lambda: optuna.storages.JournalStorage(
            optuna.storages.journal.JournalFileBackend(str(tmp_path / "journal.log"))
        ),
        "sqlite": lambda: optuna.storages.RDBStorage(f"sqlite:///{tmp_path / 'studies.db'}"),
        "memory": InMemoryStorage,
    }[kind]()
    study = optuna.create_study(storage=storage, study_name="nan")
    for value in (0.5, math.nan, 0.2):
        trial_id = storage.create_new_trial(study._study_id)
        storage.set_trial_state_values(trial_id, TrialState.COMPLETE, [value])
    target = storage if kind == "memory" else (
        str(tmp_path / "journal.log") if kind == "journal" else storage.url
    )  # fmt: skip
    frame = open_store(target, readonly=kind != "memory").trials(
        "nan", sort="value", descending=descending
    )
    assert frame["number"].tolist() == expected
