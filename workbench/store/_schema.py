"""The schema: what a study, a run and a trial hold in Optuna's attributes, and one JSON form.

A *study* (tuning) and a *run* (one plain epoch fit) are both Optuna studies; the study's user
attribute :data:`KIND_KEY` says which. Each trial may hold a *record* under :data:`RECORD_KEY`::

    {"schema": 1, "history": <encoded History>, "mutation_log": [...], "hyperparams": {...},
     "structure": {...}}

``structure`` (the core's ``describe()`` output) usually sits on the study
(:data:`STRUCTURE_KEY`), since every trial of a study shares it. Records written before the
schema version existed (no ``"schema"`` key) read as version 0: a history in pandas' split
form, or the list of rows a pruned trial left.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from workbench._internal.plain import finite_or_none
from workbench.store._history import History, final_statistics, history_marks, split_statistic

#: Version of the records written now; raise it when their shape changes.
SCHEMA_VERSION = 1

KIND_KEY = "workbench:kind"
SCHEMA_KEY = "workbench:schema"
STRUCTURE_KEY = "workbench:structure"
SPACE_KEY = "workbench:space"
CONDITIONS_KEY = "workbench:conditions"
SETUP_KEY = "workbench:setup"
METRIC_KEY = "workbench:metric"
NO_VALUE_KEY = "workbench:no_value"  # a run with nothing to measure: its 0.0 is no value
RECORD_KEY = "workbench:record"
ERROR_KEY = "workbench:error"
WORKER_KEY = "workbench:worker"

Kind = Literal["study", "run"]
STUDY: Kind = "study"
RUN: Kind = "run"

#: Trial state names, lower case, indexed by Optuna's ``TrialState`` values (0 running, 1
#: complete, 2 pruned, 3 fail, 4 waiting): the counts columns of a listing, in order.
STATES = ("running", "complete", "pruned", "fail", "waiting")


def to_json_value(value: Any) -> Any:
    """``value`` as JSON-ready data; NaN and infinities become None (JSON ``null``).

    numpy scalars and arrays become Python numbers and lists, mappings get string keys,
    DataFrames become ``{"columns": [...], "data": [[...], ...]}`` (a History also keeps its
    dtypes, ``attrs`` and batches, see :func:`encode_history`), datetimes become ISO 8601
    strings; anything else becomes its ``repr``. This is the one encoding the store writes and
    the Jupyter server sends.

    Examples
    --------
    >>> import numpy as np
    >>> to_json_value({"loss": np.float32(0.5), "best": float("nan"), "n": np.int64(3)})
    {'loss': 0.5, 'best': None, 'n': 3}
    >>> to_json_value([float("inf"), (1, "a")])
    [None, [1, 'a']]
    """
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return finite_or_none(value)
    if isinstance(value, History):
        return encode_history(value)
    if isinstance(value, pd.DataFrame):
        return {
            "columns": [str(column) for column in value.columns],
            "data": [
                [to_json_value(item) for item in row] for row in value.itertuples(index=False)
            ],
        }
    if isinstance(value, Mapping):
        return {str(key): to_json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_json_value(item) for item in value]
    tolist = getattr(value, "tolist", None)  # numpy scalars and arrays, without importing numpy
    if callable(tolist) and type(value).__module__ == "numpy":
        return to_json_value(tolist())
    if isinstance(value, pd.Timestamp | datetime.datetime | datetime.date):
        return None if pd.isna(value) else value.isoformat()
    if isinstance(value, pd.Timedelta | datetime.timedelta):
        return None if pd.isna(value) else value.total_seconds()
    if value is pd.NA or value is pd.NaT:
        return None
    return repr(value)


# -- History -------------------------------------------------------------------------------------
def encode_history(history: pd.DataFrame | None) -> dict[str, Any] | None:
    """A History (or any DataFrame) as JSON-ready data that :func:`decode_history` reverses.

    Keeps columns, dtypes, missing values, ``attrs`` and the per-batch rows (``batches``).

    Examples
    --------
    >>> history = History.from_rows([{"epoch": 1, "train_loss": float("nan")}])
    >>> encode_history(history)["data"]
    [[1, None]]
    >>> decode_history(encode_history(history))["train_loss"].isna().tolist()
    [True]
    """
    if history is None:
        return None
    batches = getattr(history, "batches", None)
    return {
        "columns": [str(column) for column in history.columns],
        "dtypes": [str(dtype) for dtype in history.dtypes],
        "data": [[to_json_value(item) for item in row] for row in history.itertuples(index=False)],
        "attrs": to_json_value(dict(history.attrs)),
        "batches": encode_history(batches) if isinstance(batches, pd.DataFrame) else None,
    }


def decode_history(data: Any) -> History:
    """The History that :func:`encode_history` encoded (an empty History for None).

    Also reads what earlier versions stored: a split ``{"columns", "data"}`` frame without
    dtypes, or the list of row dicts a pruned trial left.
    """
    if not data:
        return History()
    if isinstance(data, list):  # rows of a pruned trial, schema 0
        columns: list[str] = []
        for row in data:
            columns += [key for key in row if key not in columns]
        data = {"columns": columns, "data": [[row.get(c) for c in columns] for row in data]}
    frame = _decode_frame(data)
    history = History(frame)
    if "mutation" in history.columns and history["mutation"].dtype == object:
        history["mutation"] = history["mutation"].where(history["mutation"].notna(), None)
    history.attrs.update(data.get("attrs") or {})
    batches = data.get("batches")
    history.batches = _decode_frame(batches) if batches else None
    return history


def _decode_frame(data: Mapping[str, Any]) -> pd.DataFrame:
    frame = pd.DataFrame(list(data["data"]), columns=list(data["columns"]))
    for column, dtype in zip(data["columns"], data.get("dtypes") or (), strict=False):
        if str(frame[column].dtype) != dtype:
            try:
                frame[column] = frame[column].astype(dtype)
            except (TypeError, ValueError):  # a dtype this pandas cannot make: keep as read
                continue
    return frame


# -- typed records ---------------------------------------------------------------------------
@dataclass(frozen=True)
class TrialRecord:
    """Everything recorded for one trial of a study, or for a run (its only trial, 0).

    Attributes
    ----------
    study, kind, number : str, "study" or "run", int
        Where it is: the study's or run's name, which of the two it is, the trial's number.
    state : str
        ``"complete"``, ``"pruned"``, ``"fail"``, ``"running"`` or ``"waiting"``.
    value : float or None
        The trial's value in ``metric`` (the first objective's, for several).
    metric, direction : str or None, str
        What ``value`` measures (``"valid_accuracy"``) and whether greater is better.
    params, hyperparams : dict
        The sampled hyperparams of a trial (by path); the whole pipeline's plain hyperparams
        of a run.
    history : History
        The per-epoch statistics (empty for a trial scored without epochs).
    structure : dict or None
        The pipeline's structure, as the core's ``describe()`` gave it.
    mutation_log : list of dict
        The pipeline's mutations (``{"index", "op", "path", "time", ...}``), oldest first.
    error : str or None
        Why a failed trial failed.
    datetime_start, datetime_complete : datetime or None
    kept : dict or None
        What is recorded of the trial's kept pipeline (``bytes``, ``fitted_on``; load it with
        ``workbench.tuning.load_trial``), None when it is not kept.
    extends : int or None
        The number of the trial this one continued training (``Tuner.extend``).
    resumes : int or None
        The number of the trial whose worker died and that this retry resumed from its epoch
        checkpoint.
    resumed_by : int or None
        The number of the retry that resumed this trial after its worker died.
    schema : int
        The schema version the record was written with (0: before versions existed).
    """

    study: str
    kind: Kind
    number: int
    state: str
    value: float | None
    metric: str | None
    direction: str
    params: dict[str, Any] = field(default_factory=dict)
    hyperparams: dict[str, Any] = field(default_factory=dict)
    history: History = field(default_factory=History)
    structure: dict[str, Any] | None = None
    mutation_log: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    datetime_start: datetime.datetime | None = None
    datetime_complete: datetime.datetime | None = None
    kept: dict[str, Any] | None = None
    extends: int | None = None
    resumes: int | None = None
    resumed_by: int | None = None
    schema: int = SCHEMA_VERSION

    def to_json(self) -> dict[str, Any]:
        """The record as JSON-ready data (see :func:`to_json_value`); the History encoded by
        :func:`encode_history`.

        What a front end draws of the History comes along, decided here: ``statistics`` (the
        History's statistic columns, each ``{"column", "split", "name"}``: ``train_loss`` is
        the ``loss`` of the ``train`` split), ``final_statistics`` (each one's last value) and
        ``marks`` (``[epoch, label]`` where the pipeline mutated or its phase changed).
        """
        plain = {
            name: to_json_value(getattr(self, name))
            for name in self.__dataclass_fields__  # dataclass field order
        }
        plain["statistics"] = [
            {"column": str(column), "split": named[0], "name": named[1]}
            for column in self.history.columns
            if (named := split_statistic(str(column))) is not None
        ]
        plain["final_statistics"] = to_json_value(final_statistics(self.history))
        plain["marks"] = to_json_value(history_marks(self.history))
        return plain
