"""fit_epochs' options: what each may be (declared once), checked before any step is touched."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.base import is_classifier

from workbench._internal.options import (
    Constraint,
    InstanceOf,
    Interval,
    Satisfies,
    check_options,
)
from workbench.exceptions import TrainingError
from workbench.store import History
from workbench.store.shared import RunRecorder
from workbench.training._batches import as_indexable, length, split
from workbench.training._checkpoint import (
    EpochCheckpoint,
    generator_from,
    plain_state,
    set_state,
)
from workbench.training._early_stopping import EarlyStopping
from workbench.training._metrics import default_metrics, resolve_metrics
from workbench.training._plan import Plan, compile_plan


def _is_pair(value: Any) -> bool:
    return isinstance(value, tuple | list) and len(value) == 2


FIT_EPOCHS_CONSTRAINTS: dict[str, list[Constraint | None]] = {
    "epochs": [Interval(int, 1)],
    "batch_size": [Interval(int, 1)],
    "validation_fraction": [
        None,
        Interval(float, 0, 1, closed="neither", noun="a float", note=", such as 0.2"),
    ],
    "validation_data": [None, Satisfies(_is_pair, "a pair (X_valid, y_valid)")],
    "early_stopping": [
        None,
        InstanceOf(EarlyStopping, "an EarlyStopping"),
        Interval(int, 1, note=" (the patience)"),
    ],
    "history": [None, InstanceOf(History, "a History returned by an earlier fit_epochs")],
    "checkpoint": [None, Satisfies(callable, "a callable (checkpoint) -> None")],
    "resume_from": [
        None,
        InstanceOf(EpochCheckpoint, "an EpochCheckpoint that fit_epochs(checkpoint=...) gave"),
    ],
}


@dataclass
class RunData:
    """The training and validation data of a run, split and indexable."""

    X: Any
    y: Any
    X_valid: Any
    y_valid: Any
    n_samples: int
    n_valid: int

    @property
    def validating(self) -> bool:
        return self.X_valid is not None


@dataclass
class RunOptions:
    """fit_epochs' options once checked, with what they imply (the plan, the statistics)."""

    epochs: int
    batch_size: int
    shuffle: bool
    rng: np.random.Generator
    data: RunData
    scorers: Mapping[str, Any]
    train_metrics: bool
    early_stopping: EarlyStopping | None
    callbacks: Sequence[Any]
    progress: bool | None
    record_batches: bool
    history: History | None
    phase: str
    recorder: RunRecorder | None
    plan: Plan
    statistics: list[str]
    random_state: dict[str, Any]  # the generator's state before the split, for checkpoints
    checkpoint: Any = None
    done: int = 0  # epochs of the run done before this call (a resumed run)


def check_fit_options(pipeline: Any, X: Any, y: Any, options: dict[str, Any]) -> RunOptions:
    """Check every option of ``fit_epochs`` and split the data; no step is touched."""
    check_options(options, FIT_EPOCHS_CONSTRAINTS, TrainingError)
    X, y = _check_data(X, y)
    fraction, pair = options["validation_fraction"], options["validation_data"]
    if fraction is not None and pair is not None:
        raise TrainingError("Pass validation_fraction or validation_data, not both.")
    X_valid, y_valid = _check_validation_data(pair)
    scorers = resolve_metrics(
        default_metrics(pipeline, y) if options["metrics"] is None else options["metrics"]
    )
    early_stopping = options["early_stopping"]
    if isinstance(early_stopping, int):
        early_stopping = EarlyStopping(patience=early_stopping)
    plan = compile_plan(pipeline)
    recorder = (  # an unreachable store fails now
        RunRecorder(options["storage"], options["run_name"]) if options["record"] else None
    )
    validating = fraction is not None or pair is not None
    statistics = _statistics(plan, scorers, options["train_metrics"], validating)
    if early_stopping is not None:
        early_stopping.choose_column(statistics)
    resume: EpochCheckpoint | None = options["resume_from"]
    if resume is not None and options["history"] is not None:
        raise TrainingError(
            "Pass history (a History to go on from) or resume_from (a checkpoint to resume), "
            "not both: a checkpoint holds the History so far."
        )
    if resume is None:
        rng = np.random.default_rng(options["random_state"])
    else:  # the split and the batches of the interrupted run
        rng = generator_from(resume.random_state, "resume_from.random_state")
    random_state = plain_state(rng)
    if fraction is not None:
        X, X_valid, y, y_valid = _split_off(pipeline, X, y, fraction, rng)
    if resume is not None:
        set_state(rng.bit_generator, resume.shuffle_state, "resume_from.shuffle_state")
    data = RunData(
        X, y, X_valid, y_valid, length(X, "X"), length(X_valid, "X_valid") if validating else 0
    )
    done = 0 if resume is None else resume.done
    return RunOptions(
        epochs=0 if resume is not None and resume.finished else max(options["epochs"] - done, 0),
        batch_size=options["batch_size"],
        shuffle=options["shuffle"],
        rng=rng,
        data=data,
        scorers=scorers,
        train_metrics=options["train_metrics"],
        early_stopping=early_stopping,
        callbacks=options["callbacks"] or (),
        progress=options["progress"],
        record_batches=options["record_batches"],
        history=options["history"] if resume is None else resume.history,
        phase=options["phase"],
        recorder=recorder,
        plan=plan,
        statistics=statistics,
        random_state=random_state,
        checkpoint=options["checkpoint"],
        done=done,
    )


def _check_data(X: Any, y: Any) -> tuple[Any, Any]:
    X, y = as_indexable(X), as_indexable(y)
    n_samples = length(X, "X")
    if y is not None and length(y, "y") != n_samples:
        raise TrainingError(
            f"X and y must have the same number of samples, but got {n_samples} and "
            f"{length(y, 'y')}."
        )
    if n_samples == 0:
        raise TrainingError("X has no samples; pass at least one.")
    return X, y


def _check_validation_data(pair: Any) -> tuple[Any, Any]:
    if pair is None:
        return None, None
    X_valid, y_valid = (as_indexable(item) for item in pair)
    if y_valid is not None and length(X_valid, "X_valid") != length(y_valid, "y_valid"):
        raise TrainingError(
            f"validation_data's X and y must have the same number of samples, but got "
            f"{length(X_valid, 'X_valid')} and {length(y_valid, 'y_valid')}."
        )
    return X_valid, y_valid


def _statistics(
    plan: Plan, scorers: Mapping[str, Any], train_metrics: bool, validating: bool
) -> list[str]:
    """The History columns the run will fill, in order."""
    return (["train_loss"] if plan.loss_attribute else []) + [
        f"{prefix}_{name}"
        for prefix, on in (("train", train_metrics), ("valid", validating))
        if on
        for name in scorers
    ]


def _split_off(
    pipeline: Any, X: Any, y: Any, fraction: float, rng: np.random.Generator
) -> list[Any]:
    """Hold out ``fraction`` of the data, stratified for a classifier where the classes allow."""
    stratify = y if y is not None and is_classifier(pipeline) else None
    seed = int(rng.integers(2**31 - 1))
    try:
        return split(X, y, fraction, seed, stratify)
    except ValueError:  # a class too small to stratify
        return split(X, y, fraction, seed, None)
