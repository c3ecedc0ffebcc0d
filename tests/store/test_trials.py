"""The domain rules the store computes once: trial rows, best so far, statistics, a trial's own
structure, a run's marks and final statistics."""

from __future__ import annotations

import json

import optuna
import pytest
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.preprocessing import StandardScaler

from workbench import Choose, Pipeline, categorical, floats
from workbench.exceptions import StorageError
from workbench.store import History, open_store
from workbench.store.shared import (
    TRIAL_COLUMNS,
    best_so_far,
    history_marks,
    is_statistic,
    split_statistic,
    trial_structure,
    trials_frame,
)
from workbench.training import fit_epochs
from workbench.tuning import Tuner

from ..tuning.helpers import classification_data


@pytest.fixture(autouse=True)
def _quiet_optuna():
    optuna.logging.set_verbosity(optuna.logging.WARNING)


# -- best so far -----------------------------------------------------------------------------
ROWS = [
    (0, "fail", None),
    (1, "complete", 0.5),
    (2, "complete", 0.7),
    (3, "pruned", None),
    (4, "complete", 0.2),
    (5, "complete", 0.7),
    (6, "running", None),
]


def test_best_so_far_follows_the_direction_and_keeps_the_first_of_equals():
    high = best_so_far(ROWS, "maximize")
    assert high.best == (2, 0.7)  # trial 5 ties it later: the first stays best
    assert high.steps == [
        (1, 1, 0.5),
        (2, 2, 0.7),
        (3, 2, 0.7),
        (4, 2, 0.7),
        (5, 2, 0.7),
    ]
    low = best_so_far(ROWS, "minimize")
    assert low.best == (4, 0.2)
    assert [value for _, _, value in low.steps] == [0.5, 0.5, 0.5, 0.2, 0.2]


def test_best_so_far_skips_nan_and_unfinished_trials_and_continues_a_seed():
    rows = [(3, "complete", float("nan")), (4, "waiting", None), (5, "complete", 0.4)]
    assert best_so_far(rows, "minimize").steps == [(5, 5, 0.4)]
    seeded = best_so_far(rows, "minimize", seed=(1, 0.3))
    assert seeded.best == (1, 0.3)
    assert seeded.steps == [(3, 1, 0.3), (5, 1, 0.3)]


def _values_study(storage):
    study = optuna.create_study(storage=storage, study_name="values", direction="minimize")
    for value in (0.5, 0.7, 0.2):
        study.add_trial(optuna.trial.create_trial(value=value))
    study.add_trial(optuna.trial.create_trial(state=optuna.trial.TrialState.FAIL))
    study.ask()  # a running trial: no best so far after it yet
    return study


def test_store_values_gives_the_best_so_far_after_each_trial(tmp_path):
    journal = str(tmp_path / "journal.log")
    _values_study(open_store(journal).storage)
    values = open_store(journal).values("values")
    assert values.columns.tolist() == ["number", "state", "value", "best_number", "best_value"]
    assert values["best_value"].tolist()[:4] == [0.5, 0.5, 0.2, 0.2]
    assert values["best_number"].tolist()[:4] == [0, 0, 2, 2]
    assert values["state"].tolist()[-1] == "running"
    assert values[["best_number", "best_value"]].iloc[-1].isna().all()
    # from trial 2 on, seeded with the best before it: the same answer as reading them all
    later = open_store(journal).values("values", start=2, best=0)
    assert later["best_value"].tolist()[:2] == [0.2, 0.2]
    assert later["number"].tolist() == [2, 3, 4]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"start": 2, "best": 3}, r"best must be the number of a complete trial of 'values' "),
        ({"start": 4, "best": 3}, r"below start \(4\), but got 3\. Pass the best_number"),
        ({"start": 1, "best": 9}, r"but got 9"),
        ({"start": -1}, r"start must be an integer >= 0, but got -1"),
    ],
)
def test_store_values_refuses_a_best_that_is_no_complete_earlier_trial(tmp_path, options, message):
    journal = str(tmp_path / "journal.log")
    _values_study(open_store(journal).storage)
    with pytest.raises(StorageError, match=message):
        open_store(journal).values("values", **options)


# -- rows ------------------------------------------------------------------------------------
def test_trials_frame_of_frozen_trials_is_the_stores_trials_table(tmp_path):
    journal = str(tmp_path / "journal.log")
    pipe = Pipeline([("model", LogisticRegression(max_iter=200))])
    pipe.set_hyperparams_space(model__C=floats(0.1, 10, log=True))
    tuner = Tuner(pipe, scoring="accuracy", cv=2, storage=journal, study_name="t", refit=False)
    tuner.optimize(*classification_data(), n_trials=2)
    stored = open_store(journal).trials("t")
    frame = trials_frame(tuner.study.get_trials(), paths=["model__C"])
    assert frame.columns.tolist()[: len(TRIAL_COLUMNS)] == list(TRIAL_COLUMNS)
    assert frame.columns.tolist() == stored.columns.tolist()
    assert frame["value"].tolist() == stored["value"].tolist()


# -- statistics ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("column", "split"),
    [
        ("train_loss", ("train", "loss")),
        ("valid_accuracy", ("valid", "accuracy")),
        ("epoch", None),
        ("n_train", None),
        ("epoch_time", None),
        ("phase", None),
        ("lr", None),
        ("train_", None),
    ],
)
def test_one_rule_says_which_history_columns_are_statistics(column, split):
    assert split_statistic(column) == split
    assert is_statistic(column) is (split is not None)


def test_record_json_carries_statistics_final_values_and_mutation_marks(tmp_path):
    history = History.from_rows(
        [
            {"epoch": 1, "phase": "pretrain", "mutation": None, "n_train": 10,
             "train_loss": 0.9, "valid_accuracy": 0.5},
            {"epoch": 2, "phase": "pretrain", "mutation": None, "n_train": 10,
             "train_loss": 0.6, "valid_accuracy": 0.6},
            {"epoch": 3, "phase": "finetune", "mutation": "replace head", "n_train": 10,
             "train_loss": 0.4, "valid_accuracy": float("nan")},
        ]
    )  # fmt: skip
    assert history_marks(history) == [(1, "pretrain"), (3, "finetune: replace head")]
    from workbench.store.shared import record_run

    journal = str(tmp_path / "journal.log")
    name = record_run(
        structure={"class": "Pipeline"}, hyperparams={}, history=history, storage=journal,
        value=0.6, metric="valid_accuracy",
    )  # fmt: skip
    sent = json.loads(json.dumps(open_store(journal).record(name).to_json()))
    assert sent["statistics"] == [
        {"column": "train_loss", "split": "train", "name": "loss"},
        {"column": "valid_accuracy", "split": "valid", "name": "accuracy"},
    ]
    assert sent["final_statistics"] == {"train_loss": 0.4, "valid_accuracy": None}
    assert sent["marks"] == [[1, "pretrain"], [3, "finetune: replace head"]]


def test_a_run_with_mutations_has_its_marks_in_its_record(tmp_path):
    journal = str(tmp_path / "journal.log")
    pipe = Pipeline([("scale", StandardScaler()), ("model", SGDClassifier(random_state=0))])
    data = classification_data()
    options = dict(epochs=2, batch_size=16, random_state=0)
    history = fit_epochs(pipe, *data, phase="pretrain", **options)
    pipe.freeze("scale")
    fit_epochs(pipe, *data, phase="finetune", history=history, storage=journal,
               run_name="mutated", **options)  # fmt: skip
    record = open_store(journal).record("mutated").to_json()
    assert [label for _, label in record["marks"]] == ["pretrain", "finetune: freeze scale"]
    assert record["marks"][1][0] == 3


# -- a trial's own structure -----------------------------------------------------------------
def test_trial_structure_sets_sampled_values_and_the_chosen_branch():
    base = {
        "path": "", "class": "Pipeline", "active": True, "hyperparams": {}, "children": [
            {"name": "model", "path": "model", "class": "Choose", "chosen": "a", "active": True,
             "hyperparams": {"choice": None}, "children": [
                {"name": "a", "path": "model__a", "active": True, "hyperparams": {"x": 1},
                 "children": []},
                {"name": "b", "path": "model__b", "active": False, "hyperparams": {"y": None},
                 "children": []},
            ]},
        ],
    }  # fmt: skip
    tree = trial_structure(base, {"model__choice": "b", "model__b__y": 2.5, "gone__z": 1})
    assert tree is not None
    model = tree["children"][0]
    assert model["chosen"] == "b" and model["sampled"] == {"choice": None}
    a, b = model["children"]
    assert (a["active"], b["active"]) == (False, True)
    assert b["hyperparams"] == {"y": 2.5} and b["sampled"] == {"y": None}
    assert "sampled" not in a and a["hyperparams"] == {"x": 1}
    assert "sampled" not in tree  # only where the trial sampled something
    assert base["children"][0]["chosen"] == "a"  # the study's own structure is untouched
    assert trial_structure(None, {"x": 1}) is None


def test_store_record_structure_is_the_trials_own_pipeline(tmp_path):
    """Issue 17.6: trial n's record shows its own sampled values and branch, not the base's."""
    journal = str(tmp_path / "journal.log")
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            ("model", Choose([("sgd", SGDClassifier(random_state=0)),
                              ("logistic", LogisticRegression(max_iter=200))])),
        ]
    )  # fmt: skip
    pipe.set_hyperparams_space(
        scale__with_mean=categorical([True, False]),
        model__choice=categorical(["sgd", "logistic"]),
        model__sgd__loss=categorical(["hinge", "log_loss"]),
        model__sgd__alpha=floats(1e-5, 1e-2, log=True),
        model__logistic__C=floats(0.1, 10, log=True),
    )
    tuner = Tuner(pipe, scoring="accuracy", cv=2, storage=journal, study_name="own",
                  refit=False, sampler=optuna.samplers.RandomSampler(seed=1))  # fmt: skip
    tuner.optimize(*classification_data(), n_trials=6)
    store = open_store(journal, readonly=True)
    branches = set()
    for trial in tuner.study.trials:
        structure = store.record("own", trial.number).structure
        scale, model = structure["children"]
        assert scale["hyperparams"]["with_mean"] == trial.params["scale__with_mean"]
        assert scale["sampled"]["with_mean"] is True  # the base pipeline's value
        chosen = trial.params["model__choice"]
        branches.add(chosen)
        assert model["chosen"] == chosen
        for branch in model["children"]:
            assert branch["active"] is (branch["name"] == chosen)
            for name, value in branch["hyperparams"].items():
                path = f"model__{branch['name']}__{name}"
                if path in trial.params:
                    assert value == trial.params[path]
                    assert name in branch["sampled"]
    assert branches == {"sgd", "logistic"}
