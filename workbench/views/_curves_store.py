"""Reading runs and studies from the store for the curves view."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import optuna
import pandas as pd

from workbench import store
from workbench.exceptions import ViewError
from workbench.store import shared


class StoredRun(NamedTuple):
    """A run or a trial with its History (None when it recorded none)."""

    name: str
    state: str | None
    history: pd.DataFrame | None


def check_source(source: Any) -> None:
    """Raise a ViewError for a source the curves view cannot draw."""
    if source is None or isinstance(source, pd.DataFrame | str):
        return
    if hasattr(source, "study") and hasattr(source, "study_name"):
        return
    if isinstance(source, Mapping | list | tuple):
        items = source.values() if isinstance(source, Mapping) else source
        for item in items:
            if item is None or isinstance(item, Mapping | list | tuple):
                raise ViewError(
                    f"curves() overlays Histories, run or study names and Tuners, but one of "
                    f"the items is {type(item).__name__}: {_short(item)}. Pass a flat list or "
                    f"a mapping name -> History."
                )
            check_source(item)
        return
    raise ViewError(
        f"curves() draws a History, the name of a run or study in the store, a Tuner, or a "
        f"list or mapping of those, but got {type(source).__name__}: {_short(source)}. For a "
        f"live view of an epoch run pass no source: fit_epochs(..., callbacks=[curves()])."
    )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def read_stored(name: str, storage: Any) -> list[StoredRun]:
    """Every trial of study ``name`` (a run's single trial) with its History and state.

    ``storage`` is anything :func:`workbench.store.open_store` opens, or the live Optuna
    study of a Tuner.
    """
    if isinstance(storage, optuna.Study):
        return _from_study(name, storage)
    opened = store.open_store(storage, readonly=True)
    trials = opened.trials(name)  # a StorageError with close names when there is none
    runs = []
    for number, state in zip(trials["number"], trials["state"], strict=True):
        record = opened.record(name, int(number))
        history = record.history if len(record.history) else None
        run_name = name if record.kind == "run" else f"trial {number}"
        runs.append(StoredRun(run_name, str(state), history))
    return runs


def _from_study(name: str, study: optuna.Study) -> list[StoredRun]:
    is_run = study.user_attrs.get(shared.KIND_KEY) == "run"
    runs = []
    for trial in study.get_trials(deepcopy=False):
        plain = (trial.user_attrs.get(shared.RECORD_KEY) or {}).get("history")
        history = shared.decode_history(plain) if plain else None
        run_name = name if is_run else f"trial {trial.number}"
        runs.append(StoredRun(run_name, trial.state.name.lower(), history))
    return runs
