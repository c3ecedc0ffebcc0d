"""A study's versions together: the listing groups them, each says where it came from, the
trials of all versions come back once each, and extended trials say which trial they extend."""

from __future__ import annotations

import math

import optuna
import pytest
from optuna.distributions import FloatDistribution
from optuna.trial import create_trial
from sklearn.linear_model import LogisticRegression

from workbench import Pipeline, floats
from workbench.exceptions import StorageError, StoreQueryError
from workbench.store import History, compare, open_store, shared
from workbench.tuning import Tuner

from ..tuning.helpers import classification_data

WIDE = FloatDistribution(0.01, 10.0, log=True)
NARROW = FloatDistribution(0.1, 1.0)


@pytest.fixture(autouse=True)
def _quiet_optuna():
    optuna.logging.set_verbosity(optuna.logging.WARNING)


def _trial(value, c, space=WIDE, **attrs):
    return create_trial(
        value=value, params={"C": c}, distributions={"C": space}, user_attrs=dict(attrs)
    )


def versioned(storage):
    """``s``: 4 trials (C 0.05, 0.5, 0.8, 5), trial 3 extending trial 1; ``other`` between;
    ``s@2``: trials 1 and 2 of ``s`` reused, then one of its own; ``s@3``: ``s@2``'s trial 0
    (itself ``s#1``) reused, then two of its own, one extending the reused one."""
    first = optuna.create_study(storage=storage, study_name="s", direction="maximize")
    for value, c in ((0.6, 0.05), (0.8, 0.5), (0.7, 0.8)):
        first.add_trial(_trial(value, c))
    first.add_trial(_trial(0.9, 5.0, **{shared.EXTENDS_KEY: 1}))
    optuna.create_study(storage=storage, study_name="other").add_trial(_trial(0.1, 1.0))
    second = optuna.create_study(storage=storage, study_name="s@2", direction="maximize")
    for number in (1, 2):
        old = first.trials[number]
        second.add_trial(
            create_trial(
                value=old.value,
                params=old.params,
                distributions={"C": NARROW},
                user_attrs={"workbench:reused": {"study": "s", "trial": number}},
            )
        )
    second.add_trial(_trial(0.75, 0.3, NARROW))
    second.set_user_attr(
        shared.VERSION_KEY, {"base": "s", "version": 2, "from": "s", "reused": 2, "finished": 4}
    )
    third = optuna.create_study(storage=storage, study_name="s@3", direction="maximize")
    third.add_trial(
        create_trial(
            value=0.8,
            params={"C": 0.5},
            distributions={"C": NARROW},
            user_attrs={"workbench:reused": {"study": "s@2", "trial": 0}},
        )
    )
    third.add_trial(_trial(0.85, 0.4, NARROW))
    third.add_trial(_trial(0.95, 0.5, NARROW, **{shared.EXTENDS_KEY: 0}))
    third.set_user_attr(
        shared.VERSION_KEY, {"base": "s", "version": 3, "from": "s@2", "reused": 1, "finished": 3}
    )


@pytest.fixture(params=["journal", "sqlite", "memory"])
def store(request, tmp_path):
    if request.param == "journal":
        storage = str(tmp_path / "journal.log")
    elif request.param == "sqlite":
        storage = f"sqlite:///{tmp_path / 'studies.db'}"
    else:
        storage = optuna.storages.InMemoryStorage()
    versioned(open_store(storage).storage if request.param != "memory" else storage)
    return open_store(storage)


def test_the_listing_puts_a_studys_versions_together_under_its_first(store):
    studies = store.studies()
    assert studies["name"].tolist() == ["s", "s@2", "s@3", "other"]
    rows = studies.set_index("name")
    assert rows.loc["s@2", "base"] == "s" and rows.loc["s@3", "version"] == 3
    assert rows.loc["s@2", "version_from"] == 1 and rows.loc["s@3", "version_from"] == 2
    assert rows.loc["s", "version_from"] is None
    assert rows["reused"].to_dict() == {"s": 0, "s@2": 2, "s@3": 1, "other": 0}
    assert rows["under"].to_dict() == {"s": None, "s@2": "s", "s@3": "s", "other": None}
    assert rows["versions"].to_dict() == {"s": 3, "s@2": 3, "s@3": 3, "other": 1}


def test_versions_of_a_study_by_any_of_its_names(store):
    for name in ("s", "s@2", "s@3"):
        assert store.versions(name)["name"].tolist() == ["s", "s@2", "s@3"]
    assert store.versions("other")["name"].tolist() == ["other"]
    with pytest.raises(StorageError, match=r"No study or run named 's@4' .*Did you mean"):
        store.versions("s@4")


def test_version_trials_lists_each_trial_once_under_the_version_that_ran_it(store):
    trials = store.version_trials("s@2")
    ran = list(zip(trials["study"], trials["number"], strict=True))
    assert ran == [("s", 0), ("s", 1), ("s", 2), ("s", 3), ("s@2", 2), ("s@3", 1), ("s@3", 2)]
    assert trials["version"].tolist() == [1, 1, 1, 1, 2, 3, 3]
    # s#1 was reused by s@2 (as s@2#0) and through it by s@3; s#2 by s@2 only
    assert trials["reused_in"].tolist() == [[], [2, 3], [2], [], [], [], []]
    assert trials["extends"].tolist() == [None, None, None, 1, None, None, 0]
    assert trials.attrs == {"total": 7, "reused": 3}
    assert trials["value"].tolist() == [0.6, 0.8, 0.7, 0.9, 0.75, 0.85, 0.95]


def test_version_trials_pages_and_sorts_across_versions(store):
    best_first = store.version_trials("s", sort="value", descending=True, limit=3)
    assert list(zip(best_first["study"], best_first["number"], strict=True)) == [
        ("s@3", 2),
        ("s", 3),
        ("s@3", 1),
    ]
    assert best_first.attrs["total"] == 7
    page = store.version_trials("s", offset=5, limit=10)
    assert page["study"].tolist() == ["s@3", "s@3"]
    with pytest.raises(StoreQueryError, match=r"Cannot sort the trials by 'valeu'.*'value'"):
        store.version_trials("s", sort="valeu")
    with pytest.raises(StoreQueryError, match=r"offset must be"):
        store.version_trials("s", offset=-1)


def test_lineage_names_the_extended_and_the_reused_trial(store):
    assert store.lineage("s") == {
        0: {"extends": None, "reused_from": None, "resumes": None, "resumed_by": None},
        1: {"extends": None, "reused_from": None, "resumes": None, "resumed_by": None},
        2: {"extends": None, "reused_from": None, "resumes": None, "resumed_by": None},
        3: {"extends": 1, "reused_from": None, "resumes": None, "resumed_by": None},
    }
    assert store.lineage("s@3", [0, 2]) == {
        0: {"extends": None, "reused_from": "s@2#0", "resumes": None, "resumed_by": None},
        2: {"extends": 0, "reused_from": None, "resumes": None, "resumed_by": None},
    }
    with pytest.raises(StorageError, match=r"No study or run named 'nope'"):
        store.lineage("nope")


def test_a_tuner_that_changed_its_space_is_listed_as_versions(tmp_path):
    journal = str(tmp_path / "journal.log")

    def tuner(space):
        return Tuner(
            Pipeline([("model", LogisticRegression())]),
            cv=2,
            space=space,
            storage=journal,
            study_name="digits",
            refit=False,
            sampler=optuna.samplers.RandomSampler(seed=1),
        )

    tuner({"model__C": floats(0.01, 10.0, log=True)}).optimize(*classification_data(), n_trials=8)
    second = tuner({"model__C": floats(0.1, 1.0)}).optimize(*classification_data(), n_trials=2)
    reused = second.study.user_attrs[shared.VERSION_KEY]["reused"]
    store = open_store(journal)
    row = store.studies().set_index("name").loc["digits@2"]
    assert (row["version"], row["version_from"], row["reused"]) == (2, 1, reused)
    together = store.version_trials("digits")
    assert len(together) == 8 + 2  # the reused trials once
    assert sum(len(found) for found in together["reused_in"]) == reused
    assert not any(math.isnan(v) for v in together["value"])


def test_compare_takes_every_version_of_a_study_each_by_its_best_trial(store):
    found = store.compare(["s@*"])
    assert found.labels == ["s#3", "s@2#0", "s@3#2"]
    assert found.items["value"].tolist() == [0.9, 0.8, 0.95]
    assert store.compare(["s@2@*", "other"]).labels == ["s#3", "s@2#0", "s@3#2", "other#0"]
    with pytest.raises(StorageError, match=r"Cannot compare 'z@\*': no study of that name"):
        store.compare(["z@*"])
    with pytest.raises(StorageError, match=r"Did you mean 'other'"):
        store.compare(["othr@*"])


def test_compare_across_stores_takes_a_studys_versions(store, tmp_path):
    elsewhere = open_store(str(tmp_path / "elsewhere.log"))
    optuna.create_study(storage=elsewhere.storage, study_name="far").add_trial(_trial(0.2, 1.0))
    both = {"here": store, "there": elsewhere}
    found = compare(["s@*", "there:far"], stores=both)
    assert found.labels == ["here:s#3", "here:s@2#0", "here:s@3#2", "there:far#0"]
    assert compare(["here:s@*"], stores=both).labels == ["s#3", "s@2#0", "s@3#2"]


def test_compare_leaves_out_a_version_without_a_complete_trial(tmp_path):
    storage = str(tmp_path / "journal.log")
    versioned(open_store(storage).storage)
    optuna.create_study(storage=open_store(storage).storage, study_name="s@4").enqueue_trial(
        {"C": 0.5}
    )
    assert open_store(storage).compare(["s@*"]).labels == ["s#3", "s@2#0", "s@3#2"]
    lonely = optuna.create_study(storage=open_store(storage).storage, study_name="lonely")
    lonely.enqueue_trial({"C": 0.5})
    with pytest.raises(StorageError, match=r"'lonely@\*': no version of it has a complete"):
        open_store(storage).compare(["lonely@*"])


def test_a_run_is_its_own_only_version(tmp_path):
    store = open_store(str(tmp_path / "journal.log"))
    shared.record_run(
        structure={"class": "Pipeline"},
        hyperparams={},
        history=History({"epoch": [1], "valid_loss": [0.5]}),
        storage=store.storage,
        run_name="run-1@2",
    )
    store = open_store(str(tmp_path / "journal.log"))
    row = store.runs().iloc[0]
    assert (row["base"], row["version"], row["under"]) == ("run-1@2", 1, None)
    assert store.versions("run-1@2")["name"].tolist() == ["run-1@2"]
    assert store.version_trials("run-1@2")["number"].tolist() == [0]
