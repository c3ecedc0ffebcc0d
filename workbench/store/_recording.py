"""Recording: a plain epoch run as a one-trial study; a tuning trial's record.

Both write the record described in ``workbench.store._schema`` (History, mutation log,
hyperparams), so that a run and a trial are read back alike.
"""

from __future__ import annotations

import contextlib
import math
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import optuna
from optuna.trial import TrialState

from workbench.exceptions import StorageError
from workbench.store._direction import metric_direction
from workbench.store._history import split_statistic
from workbench.store._open import StorageLike, describe, open_storage
from workbench.store._schema import (
    ERROR_KEY,
    KIND_KEY,
    METRIC_KEY,
    NO_VALUE_KEY,
    RECORD_KEY,
    RUN,
    SCHEMA_KEY,
    SCHEMA_VERSION,
    STRUCTURE_KEY,
    encode_history,
    to_json_value,
)


def make_record(
    *,
    history: Any = None,
    mutation_log: Sequence[Mapping[str, Any]] | None = None,
    hyperparams: Mapping[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A trial's record in the current schema, JSON-ready (store it under ``RECORD_KEY``).

    Examples
    --------
    >>> make_record(mutation_log=[{"op": "freeze", "path": "encoder"}])["schema"]
    1
    """
    record: dict[str, Any] = {"schema": SCHEMA_VERSION}
    if history is not None:
        record["history"] = encode_history(history)
    if mutation_log is not None:
        record["mutation_log"] = to_json_value(list(mutation_log))
    if hyperparams is not None:
        record["hyperparams"] = to_json_value(dict(hyperparams))
    record.update(to_json_value(extra))
    return record


@contextlib.contextmanager
def _quiet_optuna() -> Iterator[None]:
    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(max(verbosity, optuna.logging.WARNING))
    try:
        yield
    finally:
        optuna.logging.set_verbosity(verbosity)


def record_run(
    *,
    structure: Mapping[str, Any],
    hyperparams: Mapping[str, Any],
    history: Any,
    storage: StorageLike = None,
    run_name: str | None = None,
    value: float | None = None,
    metric: str | None = None,
    error: str | None = None,
    mutation_log: Sequence[Mapping[str, Any]] = (),
) -> str:
    """Record one plain fit (an epoch run) as a one-trial study; return the run's name.

    ``structure`` is the core's ``describe()`` of the pipeline, ``history`` its History,
    ``value`` the History's ``metric`` column at the end (the listing's best value), ``error``
    the message of a run that raised (the trial is then marked failed), ``mutation_log`` the
    pipeline's mutations.
    """
    opened = open_storage(storage)
    name = run_name or f"run-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
    direction = metric_direction(metric)
    try:
        with _quiet_optuna():  # a run is not a study the user made: no "new study" line
            study = optuna.create_study(
                storage=opened,
                study_name=name,
                direction="minimize" if direction == "minimize" else "maximize",
                load_if_exists=False,
            )
    except optuna.exceptions.DuplicatedStudyError:
        raise StorageError(
            f"A study or run named {name!r} is already in the store {describe(storage)!r}. "
            f"Pass another run_name, or none to get a fresh one."
        ) from None
    study.set_user_attr(KIND_KEY, RUN)
    study.set_user_attr(SCHEMA_KEY, SCHEMA_VERSION)
    finite = value is not None and math.isfinite(value)
    study.set_user_attr(METRIC_KEY, metric)
    if error is None and not finite:
        # Optuna's complete trials need a value: a run with nothing to measure gets 0.0,
        # marked so that listings show no best value for it
        study.set_user_attr(NO_VALUE_KEY, True)
    study.set_user_attr(STRUCTURE_KEY, to_json_value(dict(structure)))
    record = make_record(history=history, mutation_log=mutation_log, hyperparams=hyperparams)
    user_attrs: dict[str, Any] = {RECORD_KEY: record}
    if error is not None:
        user_attrs[ERROR_KEY] = error
    trial = optuna.trial.create_trial(
        state=TrialState.FAIL if error is not None else TrialState.COMPLETE,
        value=None if error is not None else (float(value) if finite else 0.0),  # type: ignore[arg-type]
        user_attrs=user_attrs,
    )
    study.add_trial(trial)
    return name


class RunRecorder:
    """Records an epoch run at its end; opened (and checked) before the run starts.

    The training layer uses it so that a store that cannot be reached is an error before any
    step is touched, and a run is recorded whether it ends well or raises.
    """

    def __init__(self, storage: StorageLike = None, run_name: str | None = None):
        self.storage = open_storage(storage)
        self.run_name = run_name
        if run_name is not None and run_name in optuna.get_all_study_names(storage=self.storage):
            raise StorageError(
                f"A study or run named {run_name!r} is already in the store "
                f"{describe(storage)!r}. Pass another run_name, or none to get a fresh one."
            )

    def __call__(self, pipeline: Any, history: Any, error: BaseException | None = None) -> str:
        """Record ``pipeline``'s run with ``history``; ``error`` is what stopped it, if any."""
        describe_tree = getattr(pipeline, "describe", None)
        structure = (
            describe_tree() if callable(describe_tree) else {"class": type(pipeline).__name__}
        )
        get = getattr(pipeline, "get_hyperparams", None) or pipeline.get_params
        value, column = run_value(history)
        message = None
        if error is not None:
            message = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        return record_run(
            structure=structure,
            hyperparams={key: v for key, v in get().items() if _is_plain(v)},
            history=history,
            storage=self.storage,
            run_name=self.run_name,
            value=value,
            metric=column,
            error=message,
            mutation_log=list(getattr(pipeline, "mutation_log", ())),
        )


def _is_plain(value: Any) -> bool:
    return value is None or isinstance(value, bool | int | float | str)


def run_value(history: Any) -> tuple[float | None, str | None]:
    """The metric a run is listed by and its last value: the first validation statistic of the
    History, else its training loss.

    The column is named even when its last value is missing (a run that diverged).
    """
    columns = [str(c) for c in getattr(history, "columns", ())]
    if history is None or not len(history):
        return None, None
    valid = [c for c in columns if (split_statistic(c) or ("",))[0] == "valid"]
    for column in [*valid, "train_loss"]:
        if column in columns:
            value = history[column].iloc[-1]
            if isinstance(value, int | float) and math.isfinite(value):
                return float(value), column
            return None, column
    return None, None
