"""Reading runs and studies from the store for the curves view."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any, NamedTuple

import optuna
import pandas as pd

from workbench import store
from workbench.exceptions import StorageError, ViewError


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
    """Every trial of study ``name`` (a run's single trial) with its History and state."""
    if isinstance(storage, optuna.Study):
        study = storage
    else:
        opened = store.open_storage(storage)
        try:
            study = optuna.load_study(study_name=name, storage=opened)
        except KeyError:
            names = optuna.get_all_study_names(storage=opened)
            close = difflib.get_close_matches(name, names, n=3)
            hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
            raise StorageError(
                f"No study or run named {name!r} in the store {store.describe(storage)!r}."
                f"{hint} workbench.tuning.studies() lists them."
            ) from None
    is_run = study.user_attrs.get(store.KIND_KEY) == "run"
    runs = []
    for trial in study.get_trials(deepcopy=False):
        record = trial.user_attrs.get(store.RECORD_KEY) or {}
        plain = record.get("history")
        history = store.decode_history(plain) if plain else None
        run_name = name if is_run else f"trial {trial.number}"
        runs.append(StoredRun(run_name, trial.state.name.lower(), history))
    return runs
