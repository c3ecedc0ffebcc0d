"""A dead worker's trial and the retry that resumes it, linked in the store's lineage: the retry
says which trial it resumes, that trial which retry resumed it, on every kind of store."""

from __future__ import annotations

import optuna
import pytest
from optuna.distributions import FloatDistribution
from optuna.trial import TrialState, create_trial

from workbench.store import open_store, shared

SPACE = {"C": FloatDistribution(0.01, 10.0, log=True)}
LOST = "WorkerLost: the worker running this trial stopped"


@pytest.fixture(autouse=True)
def _quiet_optuna():
    optuna.logging.set_verbosity(optuna.logging.WARNING)


def objective(trial: optuna.Trial) -> float:
    return trial.suggest_float("C", 0.01, 10.0, log=True)


def died_with_checkpoint(storage, study, **system_attrs) -> None:
    """A running trial whose worker is gone (no lock held), with an epoch checkpoint."""
    trial = study.ask(SPACE)
    storage.set_trial_system_attr(trial._trial_id, shared.WORKER_KEY, "0" * 32)
    storage.set_trial_system_attr(trial._trial_id, shared.CHECKPOINT_KEY, {"epoch": 2})
    for key, value in system_attrs.items():
        storage.set_trial_system_attr(trial._trial_id, key, value)


def _built(storage) -> None:
    """``r`` as a dead worker leaves it: 0 failed, 1 resumes 0 and died too, 2 resumes 1
    and completes, 3 a trial of its own."""
    study = optuna.create_study(storage=storage, study_name="r")
    study.add_trial(create_trial(state=TrialState.FAIL, params={"C": 1.0}, distributions=SPACE,
                                 user_attrs={shared.ERROR_KEY: LOST}))  # fmt: skip
    study.add_trial(
        create_trial(
            state=TrialState.FAIL,
            params={"C": 1.0},
            distributions=SPACE,
            user_attrs={shared.ERROR_KEY: LOST, shared.RESUMES_KEY: 0},
        )
    )
    study.add_trial(
        create_trial(
            value=0.8, params={"C": 1.0}, distributions=SPACE, user_attrs={shared.RESUMES_KEY: 1}
        )
    )
    study.add_trial(create_trial(value=0.5, params={"C": 2.0}, distributions=SPACE))


@pytest.fixture(params=["journal", "sqlite"])
def store(request, tmp_path):
    storage = (
        str(tmp_path / "journal.log")
        if request.param == "journal"
        else f"sqlite:///{tmp_path / 'studies.db'}"
    )
    _built(open_store(storage).storage)
    return open_store(storage)


def test_a_retry_of_a_dead_worker_s_trial_says_which_trial_it_resumes(tmp_path):
    storage = shared.open_storage(str(tmp_path))
    study = optuna.create_study(storage=storage, study_name="lost")
    died_with_checkpoint(storage, study)
    assert shared.fail_stale_trials(study) == [0]  # the store queues the retry
    study.optimize(objective, n_trials=1)  # the next worker runs it
    store = open_store(str(tmp_path))
    assert store.lineage("lost") == {
        0: {"extends": None, "reused_from": None, "resumes": None, "resumed_by": 1},
        1: {"extends": None, "reused_from": None, "resumes": 0, "resumed_by": None},
    }
    assert store.record("lost", 1).resumes == 0
    assert store.record("lost", 1).to_json()["resumes"] == 0
    assert (store.record("lost", 0).resumes, store.record("lost", 0).resumed_by) == (None, 1)
    assert store.record("lost", 1).resumed_by is None
    assert store.trials("lost")["state"].tolist() == ["fail", "complete"]


def test_a_retry_that_dies_too_is_resumed_by_the_next_and_names_its_own_trial(tmp_path):
    storage = shared.open_storage(str(tmp_path))
    study = optuna.create_study(storage=storage, study_name="twice")
    died_with_checkpoint(storage, study)
    shared.fail_stale_trials(study)
    retry = study.ask()  # the retry, taken up by a worker that dies as well
    storage.set_trial_system_attr(retry._trial_id, shared.WORKER_KEY, "0" * 32)
    storage.set_trial_system_attr(retry._trial_id, shared.CHECKPOINT_KEY, {"epoch": 3})
    assert shared.fail_stale_trials(study) == [1]
    lineage = open_store(str(tmp_path)).lineage("twice")
    assert [(n, row["resumes"], row["resumed_by"]) for n, row in lineage.items()] == [
        (0, None, 1),
        (1, 0, 2),
        (2, 1, None),
    ]


def test_a_trial_that_left_no_checkpoint_is_resumed_by_no_trial(tmp_path):
    storage = shared.open_storage(str(tmp_path))
    study = optuna.create_study(storage=storage, study_name="cv")
    trial = study.ask(SPACE)
    storage.set_trial_system_attr(trial._trial_id, shared.WORKER_KEY, "0" * 32)
    assert shared.fail_stale_trials(study) == [0]
    assert open_store(str(tmp_path)).lineage("cv") == {
        0: {"extends": None, "reused_from": None, "resumes": None, "resumed_by": None}
    }


def test_lineage_links_both_sides_of_a_resume_on_every_store(store):
    lineage = store.lineage("r")
    assert [(row["resumes"], row["resumed_by"]) for row in lineage.values()] == [
        (None, 1),
        (0, 2),
        (1, None),
        (None, None),
    ]
    # a page of a few trials still learns which later trial resumed them
    assert store.lineage("r", [0]) == {
        0: {"extends": None, "reused_from": None, "resumes": None, "resumed_by": 1}
    }
    assert [row["resumes"] for row in store.lineage("r", [2, 3]).values()] == [1, None]
    assert [shared.lineage_text(row) for row in lineage.values()] == [
        "resumed by 1",
        "resumes 0 · resumed by 2",
        "resumes 1",
        "",
    ]


def test_the_trials_of_all_versions_carry_the_resume_links(store):
    together = store.version_trials("r")
    assert together.columns[-4:].tolist() == ["resumes", "resumed_by", "extends", "reused_in"]
    assert together["resumes"].tolist() == [None, 0, 1, None]
    assert together["resumed_by"].tolist() == [1, 2, None, None]
    assert store.version_trials("r", sort="resumes")["number"].tolist() == [1, 2, 0, 3]


def test_lineage_words_each_link_once_in_a_fixed_order():
    lineage = shared.lineage_of(
        {shared.EXTENDS_KEY: 3, shared.RESUMES_KEY: 5, "workbench:reused": {"study": "s",
                                                                           "trial": 1}},
        resumed=7,
    )  # fmt: skip
    assert shared.lineage_text(lineage) == "extends 3 · reused from s#1 · resumes 5 · resumed by 7"
    assert shared.lineage_of({shared.RESUMES_KEY: True})["resumes"] is None  # not a number
    assert shared.resumed_by({4: 2, 6: 2, 5: None}) == {2: 4}
