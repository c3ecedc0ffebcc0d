"""A study that runs in a background thread: start, stop after the running trial, resume, apply.

Widget-free: the tuning panel draws one, ``%wb_tune`` starts one, tests drive one directly.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Literal, Self

import optuna

from workbench._internal.budget import check_budget
from workbench.core import Callback
from workbench.exceptions import TuningError
from workbench.store import shared
from workbench.tuning._load_trial import load_trial
from workbench.tuning._tuner import Tuner

State = Literal["idle", "running", "stopping", "stopped", "finished", "error"]

#: Trials of one start without n_trials or timeout: more than any study runs before a stop.
_UNTIL_STOPPED = 2**62


class _Budget(Callback):
    """First among the tuner's callbacks: counts the trials of the budget, stops when asked."""

    def __init__(self, runner: BackgroundStudy):
        self.runner = runner

    def on_trial_end(self, **data: Any) -> None:
        if data.get("extends") is None:  # an extension (Tuner.extend) is no trial of the budget
            self.runner._trial_ended()


class BackgroundStudy:
    """Run a :class:`Tuner`'s study in a background thread, so that the kernel stays free.

    :meth:`start` runs a budget (``n_trials`` trials or ``timeout`` seconds, whichever ends
    first; with neither, until :meth:`stop`); :meth:`stop` lets the running trial finish,
    then stops; :meth:`resume` runs what a stop left of the budget; :meth:`apply` sets a
    trial's values on the pipeline. :attr:`state` is ``idle``, ``running``, ``stopping``,
    ``stopped``, ``finished`` or ``error`` (then :attr:`error` says why).

    The tuner is built from ``pipeline`` and ``tuner_options`` (``refit`` defaults to False:
    apply the best trial, then fit the pipeline yourself). The pipeline's space is read at
    each :meth:`start`: edits made since the last one start another study (unless ``space``
    was given). Callbacks added with :meth:`add_callback` hear every trial and its fits;
    functions given to :meth:`observe` are called, from any thread, when the state changes.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from workbench import Pipeline
    >>> X, y = load_iris(return_X_y=True)
    >>> pipe = Pipeline([("model", LogisticRegression(max_iter=300))])
    >>> study = BackgroundStudy(pipe, X, y, n_trials=3, cv=3, storage=":memory:",
    ...                         study_name="background-example", fresh=True)
    >>> study.start().wait(timeout=60), study.state, study.trials_done
    (True, 'finished', 3)
    >>> changes = study.apply()
    >>> pipe.get_hyperparams()["model__C"] == study.tuner.best_params_["model__C"]
    True
    """

    def __init__(
        self,
        pipeline: Any,
        X: Any,
        y: Any = None,
        *,
        n_trials: int | None = None,
        timeout: float | None = None,
        **tuner_options: Any,
    ):
        check_budget(n_trials, timeout, TuningError)
        self.pipeline, self.X, self.y = pipeline, X, y
        self.n_trials, self.timeout = n_trials, timeout
        self.tuner_options = {"refit": False, **tuner_options}
        self._lock = threading.RLock()
        self._callbacks: list[Any] = list(self.tuner_options.pop("callbacks", ()))
        self._observers: list[Callable[[BackgroundStudy], None]] = []
        self._thread: threading.Thread | None = None
        self._state: State = "idle"
        self._error: str | None = None
        self._stop_requested = False
        self.trials_done = 0
        self.time_used = 0.0
        self._space_at_build: dict[str, Any] = {}
        self._tuner = self._build_tuner()  # checks the options: a bad one raises here
        self._tuner.check_data(X, y)  # and the data, before any study exists

    # -- what it is -----------------------------------------------------------------------------
    @property
    def tuner(self) -> Tuner:
        """The :class:`Tuner` of the study (another one after a space edit and a start)."""
        return self._tuner

    @property
    def state(self) -> State:
        """``idle``, ``running``, ``stopping``, ``stopped``, ``finished`` or ``error``."""
        return self._state

    @property
    def error(self) -> str | None:
        """Why the last run ended in the ``error`` state (``Type: message``), else None."""
        return self._error

    def budget_left(self) -> bool:
        """True while a stop left trials (or seconds) of the budget to :meth:`resume`."""
        trials_left = self.n_trials is None or self.trials_done < self.n_trials
        time_left = self.timeout is None or self.time_used < self.timeout
        return trials_left and time_left

    @property
    def budget_text(self) -> str:
        """What one start runs, in words: ``"20 trials or 60 s"``, ``"trials until Stop"``."""
        if self.n_trials is None and self.timeout is None:
            return "trials until Stop"
        parts = [] if self.n_trials is None else [f"{self.n_trials} trials"]
        if self.timeout is not None:
            parts.append(f"{self.timeout:g} s")
        return " or ".join(parts)

    def stored_trials(self) -> list[optuna.trial.FrozenTrial]:
        """The study's trials as stored (none before the study exists)."""
        storage = shared.open_storage(self.tuner.storage)
        if self.tuner.study_name not in optuna.get_all_study_names(storage=storage):
            return []
        return self.tuner.study.get_trials(deepcopy=False)

    # -- listening ------------------------------------------------------------------------------
    def add_callback(self, callback: Any) -> Self:
        """Let ``callback`` hear every trial and its fits, also after the tuner is rebuilt."""
        self._callbacks.append(callback)
        self._tuner.callbacks.append(callback)
        return self

    def observe(self, function: Callable[[BackgroundStudy], None]) -> Self:
        """Call ``function(self)`` whenever the state changes or the tuner is rebuilt."""
        self._observers.append(function)
        return self

    def _changed(self) -> None:
        for function in list(self._observers):
            function(self)

    # -- running --------------------------------------------------------------------------------
    def start(self) -> Self:
        """Run a budget of trials in the background; a stored study of the same name goes on.

        Raises TuningError while the study runs.
        """
        with self._lock:
            if self._state in ("running", "stopping"):
                raise TuningError(
                    "The study is already running; press Stop (or call stop()) and wait for "
                    "the running trial to finish before starting again."
                )
            given_space = self.tuner_options.get("space") is not None
            if not given_space and self._space_at_build != dict(
                self.pipeline.get_hyperparams_space()
            ):
                self._tuner = self._build_tuner()
            self.trials_done, self.time_used = 0, 0.0
            self._launch()
        return self

    def resume(self) -> Self:
        """Run what a stop left of the budget (trials not run yet, seconds not used)."""
        with self._lock:
            if self._state in ("running", "stopping"):
                raise TuningError("The study is running; there is nothing to resume.")
            if self._state != "stopped" or not self.budget_left():
                raise TuningError(
                    f"Nothing to resume: the study is {self._state}, not stopped with budget "
                    f"left. start() runs another {self.budget_text}."
                )
            self._launch()
        return self

    def stop(self) -> Self:
        """Let the running trial finish, then stop (a no-op unless running)."""
        with self._lock:
            if self._state != "running":
                return self
            self._stop_requested, self._state = True, "stopping"
        self._changed()
        return self

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the study stops; True when it did within ``timeout`` seconds."""
        thread = self._thread
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()

    def _build_tuner(self) -> Tuner:
        callbacks = [_Budget(self), *self._callbacks]
        tuner = Tuner(self.pipeline, **{**self.tuner_options, "callbacks": callbacks})
        self._space_at_build = dict(self.pipeline.get_hyperparams_space())
        return tuner

    def _launch(self) -> None:
        n_trials = None if self.n_trials is None else self.n_trials - self.trials_done
        timeout = None if self.timeout is None else self.timeout - self.time_used
        if n_trials is None and timeout is None:
            n_trials = _UNTIL_STOPPED
        self._stop_requested, self._error, self._state = False, None, "running"
        self._thread = threading.Thread(
            target=self._run, args=(n_trials, timeout), name="workbench-tuning", daemon=True
        )
        self._thread.start()
        self._changed()

    def _run(self, n_trials: int | None, timeout: float | None) -> None:
        started = time.monotonic()
        error = None
        try:
            self.tuner.optimize(self.X, self.y, n_trials=n_trials, timeout=timeout)
        except BaseException as raised:  # kept as the state: this thread has no one to tell
            error = f"{type(raised).__name__}: {raised}" if str(raised) else type(raised).__name__
        with self._lock:
            self.time_used += time.monotonic() - started
            if error is not None:
                self._state, self._error = "error", error
            elif self._stop_requested and self.budget_left():
                self._state = "stopped"
            else:
                self._state = "finished"
            self._stop_requested = False
        self._changed()

    def _trial_ended(self) -> None:
        with self._lock:
            self.trials_done += 1
            stop = self._stop_requested
        if stop:
            self.tuner.study.stop()  # inside the objective: the study ends after this trial

    # -- kept trials -----------------------------------------------------------------------------
    def kept_pipeline(self, trial: int | None = None) -> Any:
        """The fitted pipeline a trial kept (by default the best trial's), as it was trained;
        see :func:`~workbench.tuning.load_trial` (the Tuner's ``keep=`` says which are kept)."""
        return load_trial(self.tuner.study, trial, artifacts=self.tuner.artifacts)

    def is_kept(self, trial: int) -> bool:
        """Whether trial ``trial`` kept its fitted pipeline."""
        return trial in shared.kept_pipelines(self.tuner.study.user_attrs)

    def extend(self, trial: int | None = None, epochs: int | None = None) -> int:
        """Train a kept trial's pipeline (by default the best trial's) ``epochs`` more epochs
        (by default as many as a trial runs) as a new trial (:meth:`Tuner.extend`), while no
        study runs; return the new trial's number."""
        if self._state in ("running", "stopping"):
            raise TuningError("The study is running: stop it, then extend a trial.")
        tuner = self.tuner
        if trial is None:
            if not any(t.state.name == "COMPLETE" for t in self.stored_trials()):
                raise TuningError(
                    f"No trial of {tuner.study_name!r} has completed yet, so there is no best "
                    f"trial to extend."
                )
            trial = tuner.study.best_trial.number
        if epochs is None:
            epochs = int(getattr(tuner.evaluation, "options", {}).get("epochs", 1))
        return tuner.extend(trial, epochs=epochs, X=self.X, y=self.y)

    # -- apply ----------------------------------------------------------------------------------
    def apply(self, trial: int | None = None) -> dict[str, tuple[Any, Any]]:
        """Set a trial's hyperparams (by default the best trial's) on the pipeline.

        Returns path -> (old, new) for the values that changed. A trial that failed or is
        still running is refused with a TuningError, and the pipeline is left as it was.
        """
        name = self.tuner.study_name
        trials = {t.number: t for t in self.stored_trials()}
        complete = [t for t in trials.values() if t.state.name == "COMPLETE"]
        if trial is None:
            if not complete:
                raise TuningError(
                    f"No trial of {name!r} has completed yet, so there is no best trial to "
                    f"apply. Start the study, or pass apply(trial=<number>)."
                )
            chosen = self.tuner.study.best_trial
        elif trial not in trials:
            known = f"0..{max(trials)}" if trials else "none yet"
            raise TuningError(f"The study {name!r} has no trial {trial!r}; its trials: {known}.")
        else:
            chosen = trials[trial]
            if chosen.state.name not in ("COMPLETE", "PRUNED"):
                error = chosen.user_attrs.get(shared.ERROR_KEY)
                raise TuningError(
                    f"Trial {trial} is {chosen.state.name.lower()}"
                    + (f" ({error})" if error else "")
                    + "; apply a complete or pruned trial."
                )
        before = self.pipeline.get_hyperparams()
        changes = changed_hyperparams(before, chosen.params)
        self.pipeline.set_hyperparams(dict(chosen.params))
        return changes


def changed_hyperparams(
    before: Mapping[str, Any], params: Mapping[str, Any]
) -> dict[str, tuple[Any, Any]]:
    """Path -> (old, new) for the ``params`` that differ from ``before``."""
    return {
        path: (before.get(path), value)
        for path, value in params.items()
        if path not in before or before[path] != value or type(before[path]) is not type(value)
    }
