"""Tuner: an Optuna study over a pipeline's own space, recorded in the Workbench store."""

from __future__ import annotations

import copy
import hashlib
import json
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Literal, Self

import optuna
import pandas as pd
from optuna.distributions import BaseDistribution
from optuna.storages import InMemoryStorage
from optuna.trial import FrozenTrial
from sklearn.base import clone

from workbench import store
from workbench._internal.budget import check_budget
from workbench._internal.options import Interval, OneOf, check_option
from workbench.exceptions import TuningError
from workbench.store import History, shared
from workbench.tuning._browse import _FIXED_COLUMNS, trials_frame
from workbench.tuning._evaluation import (
    CrossValidation,
    EpochRun,
    Evaluation,
    HoldOut,
    resolve_scorer,
)
from workbench.tuning._extend import extend_trial
from workbench.tuning._failures import (
    DEFAULT_STOP_AFTER_FAILURES,
    FailureStreak,
    no_completed_trial,
    one_line_failures,
    optuna_logging,
)
from workbench.tuning._keep import Keeper, forget_kept
from workbench.tuning._objective import trial_objective
from workbench.tuning._points import (
    check_not_frozen,
    needs_targets,
    tunable_space,
)
from workbench.tuning._processes import optimize_in_processes
from workbench.tuning._sampling import check_space, space_to_plain
from workbench.tuning._versions import all_versions, continue_in_version

Direction = Literal["maximize", "minimize"]
#: Held while a tuner opens its study: a panel's drawing thread and its study's thread may
#: both ask at once, and two openers of a changed space would each make a new version.
_OPENING = threading.RLock()


class Tuner:
    """Tune a pipeline over its own hyperparameter space with an Optuna study.

    The space is the pipeline's (``get_hyperparams_space()``) or a narrowed one passed as
    ``space``; ``Choose`` branches are sampled conditionally (the choice first, then only the
    chosen branch's hyperparams). Frozen steps are fixed: their hyperparams are left out, and
    every trial keeps them as they were fitted (a pre-trained encoder). Every trial is scored
    by cross-validation (``cv``), on a hold-out fraction (``holdout``) or by an epoch run
    (``epochs``: options for ``workbench.training.fit_epochs``, whose per-epoch validation
    score is reported so that the pruner may stop a trial early).

    The study lives in the Workbench store (``storage``: default the journal file
    ``.workbench/journal.log`` in the working directory, or ``$WORKBENCH_STORAGE``, or any
    Optuna storage URL). Running the same tuner again resumes the study; ``fresh=True``
    deletes the stored study first.

    Parameters
    ----------
    pipeline : estimator
        The pipeline to tune (a Workbench ``Pipeline`` or any estimator with a space).
    scoring : str, callable or None
        A scikit-learn scorer name, a callable ``(estimator, X, y) -> float``, or None for the
        pipeline's ``score``. Greater is better unless ``direction="minimize"``.
    cv, holdout, epochs : at most one
        Cross-validation folds or splitter (the default: 5 folds), a fraction in (0, 1) held
        out, or a dict of ``fit_epochs`` options (``epochs``, ``batch_size``, ``validation``...).
    space : mapping of path -> distribution, optional
        Tune only these paths, with these distributions.
    sampler, pruner : optuna objects, optional
        Default TPE (seeded by ``random_state``) and Optuna's MedianPruner.
    storage : str, path or optuna storage, optional
        Where the study is recorded (see ``workbench.store``); ``":memory:"`` keeps it
        in this process only.
    study_name : str, optional
        Default: derived from the pipeline's structure (its steps' paths and classes), so
        that re-running resumes; a space edited since goes on as a new version of the study
        (``name@2``, seeded with the trials that fit it), as a named study does.
    heartbeat_interval, grace_period : int or None
        Optuna's heartbeats on a database store: a running trial silent for ``grace_period``
        seconds is stale, and an epoch run's is resumed by the next worker from its last
        checkpoint (None: no heartbeat, a dead worker's trial stays running, never resumed).
        A journal file has no heartbeat (Optuna's journal storage implements none):
        a dead worker is found by the OS lock it held on a file beside the journal, which
        serves workers on one machine; these two are then unused.
    stop_after_failures : int or None
        When this many trials in a row fail with the same error before any trial of the run
        has completed, the pipeline fails whatever its hyperparams: the study stops and
        ``optimize`` raises a TuningError that shows the first error once. None runs every
        trial. Each failed trial's error is in ``trials_dataframe()``.
    keep : "best", int, "all" or False
        Which trials keep their fitted pipeline (in the secure format, as an Optuna artifact of
        the trial), for :func:`~workbench.tuning.load_trial` and :meth:`extend`: the best 3
        (``"best"``), the best ``k``, every complete trial and every pruned epoch run
        (``"all"``), or none. A kept pipeline pushed out by better trials is deleted.
    artifacts : optuna artifact store or folder, optional
        Where kept pipelines go: default the folder ``artifacts`` beside a journal or SQLite
        store (``.workbench/artifacts`` for the embedded one); any Optuna artifact store
        (``Boto3ArtifactStore``, ``GCSArtifactStore``) for workers on many hosts. Epoch runs
        also leave a checkpoint there after each epoch, so that a trial whose worker dies is
        resumed by the next worker (see ``workbench.tuning._resume``).
    callbacks : list of callbacks
        Workbench callbacks (views such as ``curves()`` or ``Progress``): each hears every
        trial (``trial_begin``, ``trial_end``) and the events of the fits and epoch runs inside
        the trials, through the core's event scope (:func:`workbench.core.authoring.listening`).
    verbose : bool
        False (the default): Optuna logs nothing while this tuner runs (one line per trial
        would flood a notebook; the views show progress). True: Optuna's log lines as Optuna
        is configured, each failed trial in one line. Optuna's level is restored afterwards.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.datasets import load_iris
    >>> from workbench import Pipeline
    >>> X, y = load_iris(return_X_y=True)
    >>> pipe = Pipeline([("model", LogisticRegression(max_iter=500))])
    >>> tuner = Tuner(pipe, scoring="accuracy", cv=3, storage=":memory:", random_state=0)
    >>> tuner.optimize(X, y, n_trials=3).trials_dataframe()["state"].tolist()
    ['complete', 'complete', 'complete']
    """

    def __init__(
        self,
        pipeline: Any,
        *,
        scoring: str | Callable[..., float] | None = None,
        cv: Any = None,
        holdout: float | None = None,
        epochs: Mapping[str, Any] | None = None,
        monitor: str | None = None,
        space: Mapping[str, BaseDistribution] | None = None,
        direction: Direction = "maximize",
        sampler: optuna.samplers.BaseSampler | None = None,
        pruner: optuna.pruners.BasePruner | None = None,
        storage: shared.StorageLike = None,
        study_name: str | None = None,
        fresh: bool = False,
        refit: bool = True,
        random_state: int | None = None,
        callbacks: Sequence[Any] = (),
        heartbeat_interval: int | None = shared.DEFAULT_HEARTBEAT_INTERVAL,
        grace_period: int | None = shared.DEFAULT_GRACE_PERIOD,
        stop_after_failures: int | None = DEFAULT_STOP_AFTER_FAILURES,
        keep: bool | int | str = "best",
        artifacts: Any = None,
        verbose: bool = False,
    ):
        if direction not in ("maximize", "minimize"):
            raise TuningError(
                f"direction must be 'maximize' or 'minimize', but got {direction!r}."
            )
        check_option(
            "stop_after_failures", stop_after_failures, [None, Interval(int, 1)], TuningError
        )
        given = [name for name, v in (("cv", cv), ("holdout", holdout), ("epochs", epochs)) if v]
        if len(given) > 1:
            raise TuningError(
                f"Pass at most one of cv=, holdout= and epochs= (how each trial is scored), "
                f"but got {' and '.join(given)}."
            )
        self.pipeline = pipeline
        self.direction: Direction = direction
        self.scoring_name, self.scorer = resolve_scorer(pipeline, scoring)
        self.evaluation: Evaluation
        if holdout is not None:
            self.evaluation = HoldOut(holdout, random_state)
        elif epochs is not None:
            run = EpochRun(epochs, monitor, direction)
            run.use_scorer(self.scoring_name)
            self.evaluation = run
        else:
            self.evaluation = CrossValidation(5 if cv is None else cv)
        self._base = clone(pipeline)
        if space is not None:
            check_not_frozen(self._base, list(space))
            self._base.set_hyperparams_space(dict(space))
            self.space = {path: self._base.get_hyperparams_space()[path] for path in space}
        else:
            self.space = tunable_space(self._base)  # frozen steps are fixed: never sampled
        check_space(self.space)
        self.conditions = self._base.hyperparams_conditions()
        self.sampler = sampler or optuna.samplers.TPESampler(seed=random_state)
        self.pruner = pruner or optuna.pruners.MedianPruner()
        self.storage = storage
        self.study_name = study_name or self._default_study_name()
        self.fresh = fresh
        self.refit = refit
        self.callbacks = list(callbacks)
        self.heartbeat_interval = heartbeat_interval
        self.grace_period = grace_period
        self.stop_after_failures = stop_after_failures
        self.keep = keep
        self.artifacts = artifacts
        self._keeper = Keeper(keep, artifacts, self.evaluation)
        self.verbose = verbose
        self._study: optuna.Study | None = None
        self._data: tuple[Any, Any] | None = None  # the last optimize's, for extend
        self._fresh_pending = fresh
        self.trials_run_: list[int] = []

    # -- the study ---------------------------------------------------------------------------
    def _default_study_name(self) -> str:
        shape = [
            (node["path"], node["class"]) for node in _walk_description(self._base.describe())
        ]
        # the space is left out: an edited space is a new version of this study, not another
        text = json.dumps(shape, sort_keys=True, default=repr)
        return f"{type(self.pipeline).__name__}-{hashlib.sha1(text.encode()).hexdigest()[:10]}"

    def _open_storage(self) -> Any:
        return shared.open_storage(
            self.storage,
            heartbeat_interval=self.heartbeat_interval,
            grace_period=self.grace_period,
        )

    @property
    def study(self) -> optuna.Study:
        """The Optuna study (created or resumed on first use), for Optuna's own tools."""
        if self._study is None:
            with _OPENING, optuna_logging(self.verbose):  # "A new study created ...": if verbose
                if self._study is None:  # two threads asked at once: one opens it
                    self._study = self._open_study()
        return self._study

    def _open_study(self) -> optuna.Study:
        storage = self._open_storage()
        names = set(optuna.get_all_study_names(storage=storage))
        if self._fresh_pending:  # every version of the study goes, with its kept pipelines
            for name in all_versions(self.study_name, sorted(names)):
                forget_kept(storage, name, self._keeper.artifacts)
                optuna.delete_study(study_name=name, storage=storage)
                names.discard(name)
        self._fresh_pending = False
        if self.study_name in names:
            return self._resume(storage)
        try:
            study = optuna.create_study(
                storage=storage,
                study_name=self.study_name,
                direction=self.direction,
                sampler=self.sampler,
                pruner=self.pruner,
            )
        except optuna.exceptions.DuplicatedStudyError:  # another worker created it just now
            return self._resume(storage)
        study.set_user_attr(shared.KIND_KEY, "study")
        study.set_user_attr(shared.SCHEMA_KEY, store.SCHEMA_VERSION)
        study.set_user_attr(shared.METRIC_KEY, self._metric())
        study.set_user_attr(shared.SPACE_KEY, space_to_plain(self.space))
        study.set_user_attr(shared.CONDITIONS_KEY, shared.to_json_value(self.conditions))
        study.set_user_attr(shared.STRUCTURE_KEY, shared.to_json_value(self._base.describe()))
        study.set_user_attr(
            shared.SETUP_KEY,
            {"scoring": self.scoring_name, "evaluation": self.evaluation.describe()},
        )
        return study

    def _metric(self) -> str:
        """What a trial's value measures: the monitored History column of an epoch run,
        else the scorer's name."""
        monitor = getattr(self.evaluation, "monitor", None)
        return str(monitor) if monitor else str(self.scoring_name)

    def _resume(self, storage: Any) -> optuna.Study:
        study = optuna.load_study(
            study_name=self.study_name, storage=storage, sampler=self.sampler, pruner=self.pruner
        )
        attrs = study.user_attrs
        where = f"The study {self.study_name!r} in {shared.describe(self.storage)!r}"
        fix = "Pass another study_name, or fresh=True to delete the stored study and start over."
        if attrs.get(shared.KIND_KEY, "study") != "study":
            raise TuningError(f"{where} is a recorded run, not a tuning study. {fix}")
        stored_direction = study.direction.name.lower()
        if stored_direction != self.direction:
            raise TuningError(
                f"{where} was created to {stored_direction}, but this tuner would "
                f"{self.direction}. {fix}"
            )
        stored_space = attrs.get(shared.SPACE_KEY)
        if stored_space is not None and stored_space != space_to_plain(self.space):
            return continue_in_version(self, storage)  # name@2, seeded with what fits
        shared.fail_stale_trials(study)
        return study

    # -- running -----------------------------------------------------------------------------
    def optimize(
        self,
        X: Any,
        y: Any = None,
        *,
        n_trials: int | None = None,
        timeout: float | None = None,
        n_jobs: int = 1,
        show_progress_bar: bool = False,
    ) -> Self:
        """Run ``n_trials`` more trials (and/or for ``timeout`` seconds), then refit the best.

        ``n_jobs > 1`` runs trials in that many worker processes sharing the study through the
        store (which must then be persistent, not ``":memory:"``). Ctrl-C stops the study after
        recording the trials that finished (the interrupted one is marked failed) and raises
        KeyboardInterrupt; this tuner keeps what was recorded.
        """
        if n_trials is None and timeout is None:
            raise TuningError(
                "Say how long to tune: pass n_trials=<int>, timeout=<seconds>, or both."
            )
        check_budget(n_trials, timeout, TuningError)
        check_option("n_jobs", n_jobs, [Interval(int, 1), OneOf(-1)], TuningError)
        self.check_data(X, y)
        if n_jobs != 1 and isinstance(self._open_storage(), InMemoryStorage):
            raise TuningError(
                f"n_jobs={n_jobs} runs trials in several processes, which share the study "
                f"through the store, but the store is in memory ({self.storage!r}). Use the "
                f"embedded store (storage=None), a journal file path or a database URL."
            )
        self.evaluation.prepare(self._base, X, y)
        if n_jobs == 1:
            self._run_prepared(
                X, y, n_trials=n_trials, timeout=timeout, show_progress_bar=show_progress_bar
            )
        else:
            self.trials_run_ += optimize_in_processes(
                self, X, y, n_trials=n_trials, timeout=timeout, n_jobs=n_jobs
            )
        self._data = (X, y)
        if self.refit:
            self._refit(X, y)
        return self

    def check_data(self, X: Any, y: Any) -> None:
        """Raise a TuningError, before any study is created, for data no trial could use:
        ``y`` missing for a pipeline that learns from targets."""
        if y is None and needs_targets(self._base):
            raise TuningError(
                f"{type(self.pipeline).__name__} learns from targets, but y is None: every "
                f"trial would fail. Pass the targets (y) with the inputs (X)."
            )

    def run_trials(
        self,
        X: Any,
        y: Any = None,
        *,
        n_trials: int | None = None,
        timeout: float | None = None,
        until: int | None = None,
    ) -> list[int]:
        """Run trials here, in this process and thread, on the study; never refit.

        What one worker does: ``n_trials`` trials (or ``timeout`` seconds), and no more once
        the study holds ``until`` trials (all workers together); with none of the three, until
        the study is stopped (``study.stop()``, SIGTERM in ``workbench worker``). Returns the
        numbers of the trials it ran. The data are split for scoring first, as :meth:`optimize`
        does, the same way in every worker.
        """
        check_budget(n_trials, timeout, TuningError)
        self.check_data(X, y)
        self.evaluation.prepare(self._base, X, y)
        return self._run_prepared(X, y, n_trials=n_trials, timeout=timeout, stop_after=until)

    def worker(self, storage: shared.StorageLike = None) -> Tuner:
        """A copy of this tuner that joins its study as one worker among others.

        It shares the pipeline, space and evaluation (splits included), reseeds its sampler
        afresh, never deletes the stored study (``fresh`` is spent) nor refits; ``storage``
        (default: this tuner's) is where it finds the study, such as the resolved path a
        worker process opens.
        """
        joined = copy.copy(self)
        joined.storage = self.storage if storage is None else storage
        joined.sampler = copy.deepcopy(self.sampler)
        joined.sampler.reseed_rng()  # workers sampling the same points would waste trials
        joined.callbacks = list(self.callbacks)
        joined.refit = False
        joined.fresh = False
        joined._fresh_pending = False
        joined._study = None
        joined.trials_run_ = []
        joined._data = None  # the data a worker runs on are its own
        vars(joined).pop("best_pipeline_", None)  # a worker has none of its own
        return joined

    def _run_prepared(
        self,
        X: Any,
        y: Any,
        *,
        n_trials: int | None,
        timeout: float | None,
        show_progress_bar: bool = False,
        stop_after: int | None = None,
    ) -> list[int]:
        study = self.study
        shared.fail_stale_trials(study)
        streak = FailureStreak(self.study_name, self.stop_after_failures)
        callbacks: list[Callable[[optuna.Study, FrozenTrial], None]] = [self._after_trial, streak]
        if stop_after is not None:
            callbacks.append(optuna.study.MaxTrialsCallback(stop_after, states=None))
        ran = len(self.trials_run_)
        with optuna_logging(self.verbose), one_line_failures():
            study.optimize(
                self._objective(X, y, streak),
                n_trials=n_trials,
                timeout=timeout,
                catch=(Exception,),
                callbacks=callbacks,
                show_progress_bar=show_progress_bar,
            )
        if streak.stopped:
            raise streak.error()
        return self.trials_run_[ran:]

    def extend(
        self,
        trial: int,
        *,
        epochs: int,
        X: Any = None,
        y: Any = None,
        trusted: Sequence[str | type] = (),
    ) -> int:
        """Train trial ``trial``'s kept pipeline (complete or pruned) ``epochs`` more epochs,
        recorded as a new trial of the study that extends it; return the new trial's number.

        The new trial has the same params; its History continues the epoch numbers (4, 5, 6
        after 3 epochs) and its value is the best of the whole History, as for any trial. The
        data are those of the last :meth:`optimize` unless ``X`` (and ``y``) are given;
        ``trusted`` is as for :func:`~workbench.tuning.load_trial`.
        """
        data = (X, y) if X is not None else self._data
        return extend_trial(self, trial, epochs, data, trusted)

    def _after_trial(self, study: optuna.Study, trial: FrozenTrial) -> None:
        self.trials_run_.append(trial.number)
        shared.fail_stale_trials(study)  # a worker that died meanwhile: resume its trial next

    def _objective(
        self, X: Any, y: Any, failures: FailureStreak | None = None
    ) -> Callable[[optuna.Trial], float]:
        return trial_objective(self, X, y, failures)

    def candidate(self, params: Mapping[str, Any]) -> Any:
        """An unfitted clone of the pipeline with ``params`` set (paths -> values)."""
        candidate = clone(self._base)
        candidate.set_hyperparams(dict(params))
        return candidate

    def _refit(self, X: Any, y: Any) -> None:
        try:
            best = self.study.best_trial
        except ValueError:  # no trial completed: say so, never a silent None
            raise no_completed_trial(self.study) from None
        self.best_pipeline_ = self.evaluation.refit(self.candidate(best.params), X, y)

    # -- results -----------------------------------------------------------------------------
    @property
    def best_params_(self) -> dict[str, Any]:
        """The best trial's hyperparams, by path."""
        return dict(self.study.best_trial.params)

    @property
    def best_value_(self) -> float:
        """The best trial's score."""
        value = self.study.best_trial.value
        assert value is not None
        return float(value)

    def trials_dataframe(self) -> pd.DataFrame:
        """One row per trial, with the columns of :meth:`workbench.store.Store.trials`:
        number, state, value, duration (s), datetime_start, datetime_complete,
        intermediate_values, error, then the sampled params by path.

        Examples
        --------
        >>> list(Tuner.columns_of_trials_dataframe()[:4])
        ['number', 'state', 'value', 'duration']
        """
        return trials_frame(self.study, self.space)

    @staticmethod
    def columns_of_trials_dataframe() -> tuple[str, ...]:
        """The fixed columns of :meth:`trials_dataframe` (params by path follow)."""
        return _FIXED_COLUMNS

    def history(self, number: int) -> pd.DataFrame:
        """The per-epoch History recorded for trial ``number`` (empty without epochs)."""
        trials = self.study.get_trials(deepcopy=False)
        for trial in trials:
            if trial.number == number:
                record = trial.user_attrs.get(shared.RECORD_KEY) or {}
                return shared.decode_history(record.get("history"))
        raise TuningError(
            f"The study {self.study_name!r} has no trial {number!r}; it has trials "
            f"0..{len(trials) - 1}."
        )

    def histories(self) -> dict[int, History]:
        """Trial number -> History, for every trial that recorded one."""
        result = {}
        for trial in self.study.get_trials(deepcopy=False):
            record = trial.user_attrs.get(shared.RECORD_KEY) or {}
            if record.get("history"):
                result[trial.number] = shared.decode_history(record["history"])
        return result

    def __repr__(self) -> str:
        return (
            f"Tuner({type(self.pipeline).__name__}, study_name={self.study_name!r}, "
            f"scoring={self.scoring_name!r}, evaluation={self.evaluation.kind!r})"
        )


def _walk_description(node: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield node
    for child in node.get("children", ()):
        yield from _walk_description(child)


def tune(
    pipeline: Any,
    X: Any,
    y: Any = None,
    *,
    n_trials: int | None = None,
    timeout: float | None = None,
    n_jobs: int = 1,
    **options: Any,
) -> Tuner:
    """Tune ``pipeline`` on ``(X, y)`` in one call; return the :class:`Tuner` with results.

    ``options`` are :class:`Tuner`'s (``scoring``, ``cv``/``holdout``/``epochs``, ``space``,
    ``sampler``, ``pruner``, ``storage``, ``study_name``, ``fresh``, ...).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.neighbors import KNeighborsClassifier
    >>> from workbench import Pipeline
    >>> X, y = load_iris(return_X_y=True)
    >>> pipe = Pipeline([("knn", KNeighborsClassifier())])
    >>> tuner = tune(pipe, X, y, n_trials=4, scoring="accuracy", cv=3, storage=":memory:")
    >>> tuner.best_value_ > 0.9, tuner.best_pipeline_.predict(X[:1]).shape
    (True, (1,))
    """
    return Tuner(pipeline, **options).optimize(
        X, y, n_trials=n_trials, timeout=timeout, n_jobs=n_jobs
    )
