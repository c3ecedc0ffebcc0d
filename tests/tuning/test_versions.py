"""Study versions: a changed space goes on in ``name@2``, seeded with the trials that fit."""

from __future__ import annotations

import optuna
import pytest
from sklearn.linear_model import LogisticRegression

from tests.tuning.helpers import classification_data
from workbench import Pipeline, floats, store
from workbench.exceptions import TuningError
from workbench.store import shared
from workbench.tuning import Tuner

WIDE = {"model__C": floats(0.01, 10.0, log=True)}
NARROW = {"model__C": floats(0.1, 1.0)}


@pytest.fixture(autouse=True)
def _quiet_optuna():
    optuna.logging.set_verbosity(optuna.logging.WARNING)


def tuner(journal, space, **options):
    return Tuner(
        Pipeline([("model", LogisticRegression())]),
        cv=2,
        space=space,
        storage=str(journal),
        study_name="s",
        refit=False,
        sampler=optuna.samplers.RandomSampler(seed=1),
        **options,
    )


def test_a_changed_space_continues_in_a_new_version_with_exactly_the_fitting_trials(
    tmp_path, caplog
):
    journal = tmp_path / "journal.log"
    first = tuner(journal, WIDE).optimize(*classification_data(), n_trials=12)
    old = first.study.get_trials()
    fitting = [t for t in old if 0.1 <= t.params["model__C"] <= 1.0]
    assert 0 < len(fitting) < len(old)
    with caplog.at_level("WARNING", logger="workbench.tuning"):
        second = tuner(journal, NARROW).optimize(*classification_data(), n_trials=2)
    assert second.study_name == "s@2"
    trials = second.study.get_trials()
    assert len(trials) == len(fitting) + 2
    seeded = trials[: len(fitting)]
    assert [t.params for t in seeded] == [t.params for t in fitting]
    assert [t.value for t in seeded] == [t.value for t in fitting]
    assert all(t.distributions["model__C"] == NARROW["model__C"] for t in trials)
    assert second.study.user_attrs[shared.VERSION_KEY] == {
        "base": "s",
        "version": 2,
        "from": "s",
        "reused": len(fitting),
        "finished": len(old),
    }
    [note] = [r.getMessage() for r in caplog.records if r.name == "workbench.tuning"]
    assert note.startswith("The space differs from that of study 's': tuning")
    assert f"goes on in 's@2', which reuses {len(fitting)} of its {len(old)} finished" in note
    assert "\n" not in note
    names = store.open_store(str(journal)).studies()["name"].tolist()
    assert names == ["s", "s@2"]


def test_the_same_space_again_resumes_its_version_and_a_third_space_makes_a_third(tmp_path):
    journal = tmp_path / "journal.log"
    tuner(journal, WIDE).optimize(*classification_data(), n_trials=6)
    tuner(journal, NARROW).optimize(*classification_data(), n_trials=1)
    again = tuner(journal, NARROW)
    count = len(again.study.get_trials())
    again.optimize(*classification_data(), n_trials=1)
    assert again.study_name == "s@2" and len(again.study.get_trials()) == count + 1
    back = tuner(journal, WIDE)
    assert back.study_name == "s" and len(back.study.get_trials()) == 6  # the first version
    third = tuner(journal, {"model__C": floats(0.2, 0.9)})
    assert third.study.study_name == "s@3"
    assert third.study.user_attrs[shared.VERSION_KEY]["from"] == "s@2"


def test_fresh_starts_empty_and_deletes_every_version(tmp_path):
    journal = tmp_path / "journal.log"
    tuner(journal, WIDE).optimize(*classification_data(), n_trials=4)
    tuner(journal, NARROW).optimize(*classification_data(), n_trials=1)
    fresh = tuner(journal, NARROW, fresh=True)
    assert fresh.study_name == "s" and fresh.study.get_trials() == []
    assert store.open_store(str(journal)).studies()["name"].tolist() == ["s"]


def test_a_version_with_another_direction_is_still_an_error(tmp_path):
    journal = tmp_path / "journal.log"
    tuner(journal, WIDE).optimize(*classification_data(), n_trials=2)
    tuner(journal, NARROW).optimize(*classification_data(), n_trials=1)
    with pytest.raises(
        TuningError, match="was created to maximize, but this tuner would minimize"
    ):
        tuner(journal, NARROW, direction="minimize").optimize(*classification_data(), n_trials=1)


def test_a_reused_retry_or_extension_says_where_it_came_from_not_what_it_continued(tmp_path):
    journal = tmp_path / "journal.log"
    first = tuner(journal, WIDE).optimize(*classification_data(), n_trials=1)
    wide = {"model__C": WIDE["model__C"]}
    lost = {shared.ERROR_KEY: "WorkerLost: its worker died"}
    first.study.add_trial(optuna.trial.create_trial(
        state=optuna.trial.TrialState.FAIL, params={"model__C": 0.5}, distributions=wide,
        user_attrs=lost))  # fmt: skip
    first.study.add_trial(optuna.trial.create_trial(
        value=0.9, params={"model__C": 0.5}, distributions=wide,
        user_attrs={shared.RESUMES_KEY: 1}))  # fmt: skip
    first.study.add_trial(optuna.trial.create_trial(
        value=0.8, params={"model__C": 0.6}, distributions=wide,
        user_attrs={shared.EXTENDS_KEY: 2}))  # fmt: skip
    second = tuner(journal, NARROW).optimize(*classification_data(), n_trials=1)
    opened = store.open_store(str(journal))
    assert opened.lineage("s")[1]["resumed_by"] == 2
    assert opened.lineage("s")[3]["extends"] == 2
    extended = [
        row for row in opened.lineage(second.study_name).values() if row["reused_from"] == "s#3"
    ]
    assert extended == [{"extends": None, "reused_from": "s#3", "resumes": None,
                         "resumed_by": None}]  # fmt: skip
    copied = [
        row for row in opened.lineage(second.study_name).values() if row["reused_from"] == "s#2"
    ]
    assert copied == [{"extends": None, "reused_from": "s#2", "resumes": None, "resumed_by": None}]
    assert not any(row["resumed_by"] for row in opened.lineage(second.study_name).values())


def test_two_threads_opening_a_changed_space_make_one_new_version(tmp_path, monkeypatch):
    """A panel's drawing thread and its study's thread may ask for the study at once; only
    one of them opens it, so the changed space makes ``s@2`` and never also ``s@3``."""
    import threading

    from workbench.tuning import _versions

    journal = tmp_path / "journal.log"
    tuner(journal, WIDE).optimize(*classification_data(), n_trials=2)
    second = tuner(journal, NARROW)
    entered, both = [], threading.Event()
    choose = _versions.reusable_trials

    def reusable_trials(*args):  # holds the door open for a second opener, if one can come
        entered.append(threading.current_thread().name)
        if len(entered) == 2:
            both.set()
        both.wait(timeout=2)
        return choose(*args)

    monkeypatch.setattr(_versions, "reusable_trials", reusable_trials)
    threads = [threading.Thread(target=lambda: second.study) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(entered) == 1
    assert store.open_store(str(journal)).studies()["name"].tolist() == ["s", "s@2"]
    assert second.study_name == "s@2"
