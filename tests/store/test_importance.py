"""Importance by path and by step, in the study's own direction."""

from __future__ import annotations

import numpy as np
import optuna
import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution

from workbench.exceptions import StorageError
from workbench.store import open_store
from workbench.store.shared import KIND_KEY, SPACE_KEY, open_storage

from .test_compare import a_run


@pytest.fixture(autouse=True)
def _quiet_optuna():
    optuna.logging.set_verbosity(optuna.logging.WARNING)


SPACE = {
    "encoder__pca__whiten": CategoricalDistribution([True, False]),
    "encoder__scale__power": FloatDistribution(0.0, 1.0),
    "model__alpha": FloatDistribution(0.0, 1.0),
}


def a_study(path, name, direction, n=300, *, space=True):
    """The top 20% of values depend on the encoder's power only, the bottom ones on the
    model's alpha only: a maximized study's importance must point at the encoder."""
    study = optuna.create_study(storage=open_storage(path), study_name=name, direction=direction)
    study.set_user_attr(KIND_KEY, "study")
    if space:
        study.set_user_attr(
            SPACE_KEY, {"encoder__pca__whiten": {"type": "categorical", "choices": [True, False]},
                        "encoder__scale__power": {"type": "float", "low": 0.0, "high": 1.0,
                                                  "log": False, "step": None},
                        "model__alpha": {"type": "float", "low": 0.0, "high": 1.0,
                                         "log": False, "step": None}})  # fmt: skip
    rng = np.random.default_rng(0)
    trials = []
    for _ in range(n):
        power, alpha = float(rng.random()), float(rng.random())
        whiten = bool(rng.random() < 0.5)
        value = 10 * power if power > 0.8 else -5 * alpha
        trials.append(
            optuna.trial.create_trial(
                params={"encoder__pca__whiten": whiten, "encoder__scale__power": power,
                        "model__alpha": alpha},
                distributions=SPACE, value=value,
            )
        )  # fmt: skip
    study.add_trials(trials)


@pytest.fixture
def journal(tmp_path):
    path = str(tmp_path / "journal.log")
    a_study(path, "up", "maximize")
    a_study(path, "down", "minimize", space=False)
    return path


def test_importance_sums_to_one_by_path_most_important_first(journal):
    found = open_store(journal).importance("up")
    assert list(found.columns) == ["path", "step", "importance"]
    assert found["importance"].sum() == pytest.approx(1.0)
    assert found["path"].iloc[0] == "encoder__scale__power"
    assert found.set_index("path").loc["encoder__scale__power", "step"] == "encoder__scale"


def test_importance_follows_the_study_direction(journal):
    up = open_store(journal).importance("up").set_index("path")["importance"]
    down = open_store(journal).importance("down").set_index("path")["importance"]
    assert up["encoder__scale__power"] > up["model__alpha"]
    assert down["model__alpha"] > down["encoder__scale__power"]


def test_importance_by_step_and_by_top_level_step(journal):
    store = open_store(journal)
    by_step = store.importance("up", by="step")
    assert set(by_step["step"]) == {"encoder__pca", "encoder__scale", "model"}
    assert by_step["importance"].sum() == pytest.approx(1.0)
    top = store.importance("up", by="step", depth=1).set_index("step")["importance"]
    assert set(top.index) == {"encoder", "model"}
    assert top["encoder"] == pytest.approx(
        by_step.set_index("step").loc[["encoder__pca", "encoder__scale"], "importance"].sum()
    )


def test_importance_takes_another_optuna_evaluator(journal):
    evaluator = optuna.importance.MeanDecreaseImpurityImportanceEvaluator(seed=0)
    found = open_store(journal).importance("up", evaluator=evaluator)
    assert found["importance"].sum() == pytest.approx(1.0)
    assert found["path"].iloc[0] == "encoder__scale__power"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: s.importance("upp"), r"No study or run named 'upp'.*Did you mean 'up'"),
        (lambda s: s.importance("run-a"), r"'run-a' is a run: it sampled no hyperparams"),
        (lambda s: s.importance("up", by="trial"), "by must be 'path' or 'step', but got"),
        (lambda s: s.importance("up", depth=0), "depth must be None or a whole number >= 1"),
        (lambda s: s.importance("few"), r"at least two complete trials.*'few' has 1 complete"),
    ],
)
def test_importance_bad_input_says_what_is_wrong(journal, call, message):
    a_run(journal, "run-a")
    a_study(journal, "few", "maximize", n=1)
    with pytest.raises(StorageError, match=message):
        call(open_store(journal))
