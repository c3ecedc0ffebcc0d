"""How one trial's pipeline is scored: cross-validation, a hold-out split, or an epoch run."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import optuna
from sklearn.base import clone, is_classifier
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv, train_test_split
from sklearn.utils import _safe_indexing

from workbench._internal.names import did_you_mean
from workbench._internal.scoring import scorer_by_name
from workbench.core import Callback
from workbench.exceptions import TuningError

Scorer = Callable[[Any, Any, Any], float]


def resolve_scorer(pipeline: Any, scoring: str | Scorer | None) -> tuple[str, Scorer]:
    """``(name, scorer)`` for a scikit-learn scorer name, a callable, or the pipeline's score."""
    if scoring is None:
        if not hasattr(pipeline, "score"):
            raise TuningError(
                f"{type(pipeline).__name__} has no score method, so scoring=None has nothing "
                f"to use. Pass scoring='accuracy', 'r2', ... or a callable (estimator, X, y)."
            )
        return "score", check_scoring(pipeline)
    if isinstance(scoring, str):
        return scoring, scorer_by_name(scoring, error=TuningError, what="scorer")
    if callable(scoring):
        name = getattr(scoring, "__name__", None) or getattr(
            getattr(scoring, "_score_func", None), "__name__", "score"
        )
        return str(name if name != "<lambda>" else "score"), scoring
    raise TuningError(
        f"scoring must be a scikit-learn scorer name, a callable (estimator, X, y) -> float or "
        f"None, but got {scoring!r}."
    )


@dataclass
class Outcome:
    """What one trial produced: its value and what the store keeps about it."""

    value: float
    record: dict[str, Any] = field(default_factory=dict)
    fitted: Any = None  # the pipeline the trial fitted, which a Tuner may keep


class Evaluation:
    """Base of the three ways to score a candidate; ``prepare`` runs once per optimize call.

    ``score``'s ``resume`` is the trial's checkpoints (``_resume.TrialCheckpoints``), which an
    epoch run writes after each epoch and resumes from.
    """

    kind = ""
    fitted_on = ""  # what a kept pipeline of this evaluation was fitted on

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind}

    def prepare(self, pipeline: Any, X: Any, y: Any) -> None:
        """Check the data and split it once, before any trial runs."""

    def score(
        self,
        candidate: Any,
        X: Any,
        y: Any,
        scorer: Scorer,
        trial: optuna.Trial | None,
        resume: Any = None,
    ) -> Outcome:
        raise NotImplementedError

    def refit(self, candidate: Any, X: Any, y: Any) -> Any:
        """Fit the best candidate on all the data."""
        return candidate.fit(X, y)


class CrossValidation(Evaluation):
    """Mean score over folds; each fold's running mean is reported, so pruners may stop early."""

    kind = "cv"
    fitted_on = "the training part of the last cross-validation fold"

    def __init__(self, cv: Any):
        self.cv = cv
        self._splits: list[tuple[np.ndarray, np.ndarray]] = []

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "cv": repr(self.cv)}

    def prepare(self, pipeline: Any, X: Any, y: Any) -> None:
        splitter = check_cv(self.cv, y, classifier=is_classifier(pipeline))
        self._splits = list(splitter.split(X, y))

    def score(
        self,
        candidate: Any,
        X: Any,
        y: Any,
        scorer: Scorer,
        trial: optuna.Trial | None,
        resume: Any = None,
    ) -> Outcome:
        scores: list[float] = []
        model = None
        for fold, (train, test) in enumerate(self._splits):
            model = clone(candidate)
            y_train = None if y is None else _safe_indexing(y, train)
            y_test = None if y is None else _safe_indexing(y, test)
            model.fit(_safe_indexing(X, train), y_train)
            scores.append(float(scorer(model, _safe_indexing(X, test), y_test)))
            if trial is not None and fold < len(self._splits) - 1:
                trial.report(float(np.mean(scores)), step=fold)
                if trial.should_prune():
                    raise optuna.TrialPruned(f"Pruned after fold {fold} of {len(self._splits)}.")
        return Outcome(float(np.mean(scores)), {"fold_scores": scores}, model)


class HoldOut(Evaluation):
    """Score on a fraction of the data held out once (stratified for classifiers)."""

    kind = "holdout"
    fitted_on = "the training part of the hold-out split"

    def __init__(self, fraction: float, random_state: int | None):
        if not isinstance(fraction, float | int) or not 0 < fraction < 1:
            raise TuningError(
                f"holdout is the fraction of the data kept for validation, so 0 < holdout < 1 "
                f"must hold, but got holdout={fraction!r}. For example holdout=0.2."
            )
        self.fraction = float(fraction)
        # one split for the tuner's life, the same in every worker process that prepares it
        self.random_state = random_state
        self._seed = (
            random_state
            if random_state is not None
            else int(np.random.default_rng().integers(2**31 - 1))
        )
        self._split: tuple[Any, Any, Any, Any] | None = None

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "holdout": self.fraction}

    def prepare(self, pipeline: Any, X: Any, y: Any) -> None:
        stratify = y if y is not None and is_classifier(pipeline) else None
        if y is None:
            X_train, X_valid = train_test_split(
                X, test_size=self.fraction, random_state=self._seed
            )
            self._split = (X_train, X_valid, None, None)
        else:
            X_train, X_valid, y_train, y_valid = train_test_split(
                X, y, test_size=self.fraction, random_state=self._seed, stratify=stratify
            )
            self._split = (X_train, X_valid, y_train, y_valid)

    def score(
        self,
        candidate: Any,
        X: Any,
        y: Any,
        scorer: Scorer,
        trial: optuna.Trial | None,
        resume: Any = None,
    ) -> Outcome:
        assert self._split is not None
        X_train, X_valid, y_train, y_valid = self._split
        candidate.fit(X_train, y_train)
        return Outcome(float(scorer(candidate, X_valid, y_valid)), fitted=candidate)


class EpochPruning(Callback):
    """Reports each epoch's validation statistic to the trial; raises TrialPruned when told.

    With checkpoints (:meth:`after_saving`), an epoch is reported once its checkpoint is
    written, so that every epoch the study shows is one a resumed trial need not run again.
    Epochs in ``reported`` are not reported again (the values a resumed trial inherited).
    """

    def __init__(self, trial: optuna.Trial, monitor: str, reported: Collection[int] = ()):
        self.trial = trial
        self.monitor = monitor
        self.reported = set(reported)
        self.deferred = False
        self.rows: list[dict[str, Any]] = []

    def on_epoch_end(self, **data: Any) -> None:
        epoch, row = data["epoch"], data["row"]
        self.rows.append(dict(row))
        if self.monitor not in row:
            columns = [str(column) for column in row]
            hint = did_you_mean(self.monitor, columns, n=1)
            raise TuningError(
                f"The epoch rows have no column {self.monitor!r} to report to the pruner "
                f"(columns: {columns}).{hint} Give validation data to the epoch run "
                f"(epochs={{'validation': 0.2, ...}}) or pass monitor=<column>."
            )
        if not self.deferred:
            self.report({int(epoch): float(row[self.monitor])})

    def report(self, values: Mapping[int, float]) -> None:
        """Report the epochs not reported yet; prune after the last, if the pruner says so."""
        for epoch, value in values.items():
            if epoch not in self.reported:
                self.trial.report(value, step=epoch)
                self.reported.add(epoch)
        if values and self.trial.should_prune():
            epoch, value = max(values.items())
            raise optuna.TrialPruned(f"Pruned at epoch {epoch} ({self.monitor}={value:.6g}).")

    def after_saving(self, save: Callable[[Any], None]) -> Callable[[Any], None]:
        """A ``fit_epochs(checkpoint=...)`` hook: ``save`` the epoch, then report it (and any
        epoch of a resumed History that its killed worker did not report)."""
        self.deferred = True

        def checkpoint(state: Any) -> None:
            save(state)
            history = state.history
            if self.monitor in history.columns and len(history):
                epochs, values = history["epoch"], history[self.monitor]
                self.report({int(e): float(v) for e, v in zip(epochs, values, strict=True)})

        return checkpoint


class EpochRun(Evaluation):
    """Train with ``workbench.training.fit_epochs``; each epoch's validation score is reported.

    ``options`` are ``fit_epochs``'s (``epochs`` and ``batch_size`` at least); without
    validation data a fifth of the data is held out (``validation_fraction=0.2``).
    """

    kind = "epochs"
    fitted_on = "the epoch run's training data"

    def __init__(self, options: Mapping[str, Any], monitor: str | None, direction: str):
        _check_epoch_options(options)
        self.options = dict(options)
        if "validation_data" not in self.options:
            self.options.setdefault("validation_fraction", 0.2)
        self.options.setdefault("progress", False)
        self.monitor = monitor
        self.direction = direction
        self.metric_name = "score"

    def describe(self) -> dict[str, Any]:
        plain = {key: _summary(value) for key, value in sorted(self.options.items())}
        return {"kind": self.kind, "options": plain, "monitor": self.monitor}

    def _fit_epochs(self, **options: Any) -> Callable[..., Any]:
        from workbench.training import fit_epochs

        if "record" in inspect.signature(fit_epochs).parameters:
            options.setdefault("record", False)  # the tuner records the trial itself
        return functools.partial(fit_epochs, **options)

    def use_scorer(self, name: str) -> None:
        self.metric_name = name
        if self.monitor is None:
            self.monitor = f"valid_{name}"

    def score(
        self,
        candidate: Any,
        X: Any,
        y: Any,
        scorer: Scorer,
        trial: optuna.Trial | None,
        resume: Any = None,
    ) -> Outcome:
        assert self.monitor is not None
        reported = resume.reported if resume is not None and resume.active else ()
        pruning = [] if trial is None else [EpochPruning(trial, self.monitor, reported)]
        options = dict(self.options)
        options["metrics"] = {self.metric_name: scorer}
        options["callbacks"] = [*options.get("callbacks", ()), *pruning]
        if resume is not None and resume.active:  # a checkpoint after each epoch; a retry
            save = resume.save  # goes on from the last one
            options["checkpoint"] = pruning[0].after_saving(save) if pruning else save
            if resume.resume_from is not None:
                options["resume_from"] = resume.resume_from
        try:
            history = self._fit_epochs(**options)(candidate, X, y)
        except optuna.TrialPruned as pruned:
            if not hasattr(pruned, "history") and pruning:
                pruned.history = pruning[0].rows  # type: ignore[attr-defined]
            raise
        values = [float(v) for v in history[self.monitor] if v == v]
        if not values:
            raise TuningError(
                f"The epoch run produced no {self.monitor!r} value to score the trial with."
            )
        pick = max if self.direction == "maximize" else min
        return Outcome(pick(values), {"history": history}, candidate)

    def refit(self, candidate: Any, X: Any, y: Any) -> Any:
        self._fit_epochs(**self.options)(candidate, X, y)
        return candidate


def _check_epoch_options(options: Mapping[str, Any]) -> None:
    """Unknown or missing ``fit_epochs`` options are an error now, not in every trial."""
    from workbench.training import fit_epochs

    parameters = inspect.signature(fit_epochs).parameters
    accepted = [name for name, p in parameters.items() if p.kind is p.KEYWORD_ONLY]
    for name in options:
        if name not in accepted:
            hint = did_you_mean(str(name), accepted, n=1)
            raise TuningError(
                f"epochs= got {name!r}, which fit_epochs does not take.{hint} Its options are "
                f"{accepted}."
            )
    missing = [name for name in accepted if parameters[name].default is inspect.Parameter.empty]
    missing = [name for name in missing if name not in options]
    if missing:
        raise TuningError(
            f"epochs= must give {missing} (fit_epochs needs them), but got {dict(options)!r}. "
            f"For example epochs={{'epochs': 10, 'batch_size': 128}}."
        )


def _summary(value: Any) -> Any:
    """A short, JSON-ready reading of an option (arrays by shape, not by content)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    shape = getattr(value, "shape", None)
    if shape is not None:
        return f"{type(value).__name__} of shape {tuple(shape)}"
    if isinstance(value, list | tuple):
        return [_summary(item) for item in value]
    return repr(value)
