"""Browsing a store: listings of studies and runs, pages of trials, records, changes."""

from __future__ import annotations

import datetime
import json
import os
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
from optuna.storages import BaseStorage, JournalStorage, RDBStorage
from optuna.study import StudyDirection
from optuna.trial import FrozenTrial, TrialState

from workbench._internal.names import did_you_mean
from workbench.exceptions import StorageError
from workbench.store import _rdb
from workbench.store._history import History
from workbench.store._journal import JournalBackend
from workbench.store._recording import metric_direction
from workbench.store._schema import (
    ERROR_KEY,
    KIND_KEY,
    METRIC_KEY,
    NO_VALUE_KEY,
    RECORD_KEY,
    RUN,
    SCHEMA_KEY,
    SETUP_KEY,
    SPACE_KEY,
    STRUCTURE_KEY,
    STUDY,
    TrialRecord,
    decode_history,
)

#: Columns of :meth:`Store.studies` and :meth:`Store.runs`, in order.
SUMMARY_COLUMNS = (
    "name",
    "kind",
    "metric",
    "direction",
    "best_value",
    "n_trials",
    "running",
    "complete",
    "pruned",
    "fail",
    "waiting",
    "started",
    "last_change",
)
#: The fixed columns of :meth:`Store.trials`; the sampled params by path follow.
TRIAL_COLUMNS = (
    "number",
    "state",
    "value",
    "duration",
    "datetime_start",
    "datetime_complete",
    "intermediate_values",
    "error",
)
_STATES = ("running", "complete", "pruned", "fail", "waiting")
_LISTED_ATTRS = (KIND_KEY, METRIC_KEY, SETUP_KEY, NO_VALUE_KEY)


class Store:
    """One run/study store, opened by :func:`open_store`: browse its studies, runs and trials.

    Tuning studies and plain epoch runs are two kinds (:meth:`studies`, :meth:`runs`); any
    trial's History, pipeline structure and mutation log come back from :meth:`record`;
    :meth:`changes` says cheaply what was written since a cursor.

    Attributes
    ----------
    name : str
        The store's location, password hidden (a journal file's path, a database URL).
    kind : str
        ``"journal"``, ``"sqlite"``, ``"postgresql"``, ``"memory"``, ...
    readonly : bool
        Whether it was opened with ``readonly=True`` (or its journal file is not writable).
    storage : optuna.storages.BaseStorage
        The Optuna storage, for Optuna's own tools.
    """

    def __init__(self, storage: BaseStorage, *, name: str, kind: str, readonly: bool):
        self.storage = storage
        self.name = name
        self.kind = kind
        self.readonly = readonly
        self._trial_study: dict[int, int] = {}  # journal: trial id -> study id, for changes()

    def __repr__(self) -> str:
        mode = ", readonly" if self.readonly else ""
        return f"Store({self.name!r}, kind={self.kind!r}{mode})"

    # -- listings ----------------------------------------------------------------------------
    def summaries(self) -> pd.DataFrame:
        """Every study and run, one row each, in the order they were created (see
        :meth:`studies` for the columns)."""
        if isinstance(self.storage, RDBStorage):
            rows = [_rdb_summary(row) for row in _rdb.study_summaries(self.storage, _LISTED_ATTRS)]
        else:
            rows = [self._summary(study) for study in self.storage.get_all_studies()]
        frame = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
        for column in ("n_trials", *_STATES):
            frame[column] = frame[column].astype("int64")
        frame["best_value"] = frame["best_value"].astype("float64")
        return frame

    def studies(self) -> pd.DataFrame:
        """The tuning studies, one row each.

        Columns: ``name``, ``kind`` (``"study"``), ``metric`` (what a trial's value measures,
        such as ``"valid_accuracy"``), ``direction`` (``"maximize"`` or ``"minimize"``),
        ``best_value`` (the best complete trial's value, NaN when none), ``n_trials``, counts
        by state (``running``, ``complete``, ``pruned``, ``fail``, ``waiting``), ``started``
        and ``last_change`` (local times, or None before any trial).

        Examples
        --------
        >>> from optuna.storages import InMemoryStorage
        >>> from workbench.store import open_store
        >>> open_store(InMemoryStorage()).studies().columns[:5].tolist()
        ['name', 'kind', 'metric', 'direction', 'best_value']
        """
        frame = self.summaries()
        return frame[frame["kind"] == STUDY].reset_index(drop=True)

    def runs(self) -> pd.DataFrame:
        """The plain epoch runs (``fit_epochs``), one row each, as :meth:`studies` has them;
        ``best_value`` is the run's last value in its ``metric``."""
        frame = self.summaries()
        return frame[frame["kind"] == RUN].reset_index(drop=True)

    def _summary(self, study: Any) -> dict[str, Any]:
        attrs = study.user_attrs
        trials = self.storage.get_all_trials(study._study_id, deepcopy=False)
        counts = dict.fromkeys(_STATES, 0)
        started: datetime.datetime | None = None
        last_change: datetime.datetime | None = None
        best: float | None = None
        maximize = study.directions[0] == StudyDirection.MAXIMIZE
        for trial in trials:
            counts[trial.state.name.lower()] += 1
            for moment in (trial.datetime_start, trial.datetime_complete):
                local = _rdb.local_time(moment)
                if local is not None:
                    started = local if started is None or local < started else started
                    last_change = (
                        local if last_change is None or local > last_change else last_change
                    )
            if trial.state == TrialState.COMPLETE and trial.values:
                value = trial.values[0]
                if value == value and abs(value) != float("inf"):
                    better = best is None or (value > best if maximize else value < best)
                    best = value if better else best
        kind = attrs.get(KIND_KEY, STUDY)
        metric = _metric(attrs)
        direction = _direction(study.directions)
        if kind == RUN and METRIC_KEY not in attrs:  # recorded before the schema had a metric
            record = (trials[0].user_attrs.get(RECORD_KEY) or {}) if trials else {}
            metric = record.get("value_column")
            direction = metric_direction(metric)
            best = best if metric is not None else None
        if attrs.get(NO_VALUE_KEY):
            best = None
        return _row(study.study_name, kind, metric, direction, best, counts, started, last_change)

    # -- trials ------------------------------------------------------------------------------
    def trials(self, study: str, *, offset: int = 0, limit: int | None = None) -> pd.DataFrame:
        """The trials of ``study`` (a study's or run's name) by number, ``limit`` from
        ``offset``: a page of them.

        Columns: ``number``, ``state``, ``value`` (``values``, a list, too for several
        objectives), ``duration`` (seconds), ``datetime_start``, ``datetime_complete``,
        ``intermediate_values`` (step -> value), ``error``, then one column per sampled
        hyperparam path.

        Examples
        --------
        >>> from workbench.store import open_store
        >>> open_store(":memory:").trials("no-such-study")
        Traceback (most recent call last):
        ...
        workbench.exceptions.StorageError: No study or run named 'no-such-study' in the store ...
        """
        if not isinstance(offset, int) or offset < 0:
            raise StorageError(f"offset must be an integer >= 0, but got {offset!r}.")
        if limit is not None and (not isinstance(limit, int) or limit < 0):
            raise StorageError(f"limit must be None or an integer >= 0, but got {limit!r}.")
        study_id = self._study_id(study)
        if isinstance(self.storage, RDBStorage):
            rows = _rdb.trial_page(self.storage, study_id, offset, limit, ERROR_KEY)
        else:
            trials = self.storage.get_all_trials(study_id, deepcopy=False)
            end = None if limit is None else offset + limit
            rows = [_trial_row(trial) for trial in sorted(trials, key=_number)[offset:end]]
        several = len(self.storage.get_study_directions(study_id)) > 1
        paths: list[str] = list(self.storage.get_study_user_attrs(study_id).get(SPACE_KEY) or ())
        table = []
        for row in rows:
            values = row["values"]
            start, complete = row["datetime_start"], row["datetime_complete"]
            entry = {
                "number": row["number"],
                "state": row["state"],
                "value": values[0] if values else None,
                "duration": (complete - start).total_seconds() if start and complete else None,
                "datetime_start": start,
                "datetime_complete": complete,
                "intermediate_values": row["intermediate_values"],
                "error": row["error"],
            }
            if several:
                entry["values"] = values or None
            for path, value in row["params"].items():
                if path not in paths:
                    paths.append(path)
                entry[path] = value
            table.append(entry)
        fixed = list(TRIAL_COLUMNS)
        if several:
            fixed.insert(3, "values")
        frame = pd.DataFrame(table, columns=[*fixed, *paths])
        frame["value"] = frame["value"].astype("float64")
        frame["duration"] = frame["duration"].astype("float64")
        return frame

    def history(self, study: str, trial: int = 0) -> History:
        """The History recorded for trial ``trial`` of ``study`` (a run's only trial is 0):
        columns, dtypes, missing values, ``attrs`` and per-batch rows as they were recorded.
        Empty for a trial scored without epochs."""
        frozen, _ = self._trial(study, trial)
        return decode_history((frozen.user_attrs.get(RECORD_KEY) or {}).get("history"))

    def record(self, study: str, trial: int = 0) -> TrialRecord:
        """Everything recorded for trial ``trial`` of ``study``: History, pipeline structure,
        mutation log, params and hyperparams, state, value and error."""
        frozen, study_id = self._trial(study, trial)
        attrs = self.storage.get_study_user_attrs(study_id)
        directions = self.storage.get_study_directions(study_id)
        record = frozen.user_attrs.get(RECORD_KEY) or {}
        kind = attrs.get(KIND_KEY, STUDY)
        metric = _metric(attrs)
        direction = _direction(directions)
        if kind == RUN and METRIC_KEY not in attrs:
            metric = record.get("value_column")
            direction = metric_direction(metric)
        return TrialRecord(
            study=study,
            kind=RUN if kind == RUN else STUDY,
            number=frozen.number,
            state=frozen.state.name.lower(),
            value=frozen.values[0] if frozen.values else None,
            metric=metric,
            direction=direction,
            params=dict(frozen.params),
            hyperparams=dict(record.get("hyperparams") or {}),
            history=decode_history(record.get("history")),
            structure=record.get("structure") or attrs.get(STRUCTURE_KEY),
            mutation_log=list(record.get("mutation_log") or ()),
            error=frozen.user_attrs.get(ERROR_KEY),
            datetime_start=_rdb.local_time(frozen.datetime_start),
            datetime_complete=_rdb.local_time(frozen.datetime_complete),
            schema=int(record.get("schema", attrs.get(SCHEMA_KEY, 0)) if record else 0),
        )

    def _study_id(self, study: str) -> int:
        try:
            return self.storage.get_study_id_from_name(study)
        except KeyError:
            names = [s.study_name for s in self.storage.get_all_studies()]
            raise StorageError(
                f"No study or run named {study!r} in the store {self.name!r}."
                f"{did_you_mean(str(study), names)} "
                f"Store.studies() and Store.runs() list them."
            ) from None

    def _trial(self, study: str, number: int) -> tuple[FrozenTrial, int]:
        study_id = self._study_id(study)
        try:
            trial_id = self.storage.get_trial_id_from_study_id_trial_number(study_id, number)
        except (KeyError, TypeError):
            count = len(self.storage.get_all_trials(study_id, deepcopy=False))
            raise StorageError(
                f"{study!r} has no trial {number!r}; it has {count} trial(s), numbered from 0."
            ) from None
        return self.storage.get_trial(trial_id), study_id

    # -- changes -----------------------------------------------------------------------------
    def changes(self, since: str | None = None) -> tuple[str, list[str]]:
        """What changed since ``since`` (a cursor this method returned): ``(cursor, names)``.

        ``names`` are the studies and runs written to since then, sorted; with ``since=None``
        (or a cursor that no longer fits this store: a journal file replaced or repaired, a
        study deleted) every study and run now in the store. The cursor is a short string,
        opaque, safe to send as JSON. Asking again with the same cursor costs a ``stat`` of
        the journal file, or one small query of an RDB, when nothing changed.

        Examples
        --------
        >>> from optuna.storages import InMemoryStorage
        >>> from workbench.store import open_store
        >>> store = open_store(InMemoryStorage())
        >>> cursor, names = store.changes()
        >>> store.changes(cursor)[1]
        []
        """
        if isinstance(self.storage, JournalStorage) and isinstance(
            self.storage._backend, JournalBackend
        ):
            return self._journal_changes(self.storage._backend, since)
        if isinstance(self.storage, RDBStorage):
            return self._rdb_changes(since)
        return self._generic_changes(since)

    def _all_names(self) -> list[str]:
        return sorted(study.study_name for study in self.storage.get_all_studies())

    def _journal_changes(
        self, backend: JournalBackend, since: str | None
    ) -> tuple[str, list[str]]:
        identity, size = _file_identity(backend.path)
        old = _parse_cursor(since, "journal")
        if old is not None and old[0] == identity and old[1] == size:
            return since, []  # type: ignore[return-value]
        names = self._all_names()  # reads the new lines into the storage
        end = _complete_size(backend.path, size)
        cursor = _cursor("journal", identity, end)
        if old is None or old[0] != identity or not 0 <= old[1] <= end:
            return cursor, names
        study_ids: set[int] = set()
        created: set[str] = set()
        with open(backend.path, "rb") as journal:
            journal.seek(old[1])
            lines = journal.read(end - old[1]).splitlines()
        trial_study = self._journal_trial_map()
        for line in lines:
            try:
                log = json.loads(line)
            except ValueError:
                continue
            if log.get("op_code") == 1:  # DELETE_STUDY: the name is gone, refresh everything
                return cursor, names
            if "study_name" in log:  # CREATE_STUDY names the study, its id comes later
                created.add(str(log["study_name"]))
            elif "study_id" in log:
                study_ids.add(int(log["study_id"]))
            elif "trial_id" in log and log["trial_id"] in trial_study:
                study_ids.add(trial_study[log["trial_id"]])
            elif "trial_id" in log:
                return cursor, names
        by_id = {study._study_id: study.study_name for study in self.storage.get_all_studies()}
        return cursor, sorted(created | {by_id[i] for i in study_ids if i in by_id})

    def _journal_trial_map(self) -> dict[int, int]:
        known = self._trial_study
        for study in self.storage.get_all_studies():
            for trial in self.storage.get_all_trials(study._study_id, deepcopy=False):
                known.setdefault(trial._trial_id, study._study_id)
        return known

    def _rdb_changes(self, since: str | None) -> tuple[str, list[str]]:
        assert isinstance(self.storage, RDBStorage)
        marks = _rdb.change_marks(self.storage)
        cursor = _cursor("rdb", marks)
        old = _parse_cursor(since, "rdb")
        if old is not None and old[0] == marks:
            return cursor, []
        if old is None or not isinstance(old[0], dict):
            return cursor, self._all_names()
        ids = _rdb.changed_study_ids(self.storage, old[0], marks)
        if ids is None:
            return cursor, self._all_names()
        by_id = {study._study_id: study.study_name for study in self.storage.get_all_studies()}
        return cursor, sorted({by_id[i] for i in ids if i in by_id})

    def _generic_changes(self, since: str | None) -> tuple[str, list[str]]:
        marks = {
            study.study_name: _fingerprint(
                self.storage.get_all_trials(study._study_id, deepcopy=False),
                study.user_attrs,
            )
            for study in self.storage.get_all_studies()
        }
        cursor = _cursor("marks", marks)
        old = _parse_cursor(since, "marks")
        if old is None or not isinstance(old[0], dict):
            return cursor, sorted(marks)
        if any(name not in marks for name in old[0]):
            return cursor, sorted(marks)
        return cursor, sorted(name for name, mark in marks.items() if old[0].get(name) != mark)


# -- helpers ---------------------------------------------------------------------------------
def _number(trial: FrozenTrial) -> int:
    return trial.number


def _trial_row(trial: FrozenTrial) -> dict[str, Any]:
    return {
        "number": trial.number,
        "state": trial.state.name.lower(),
        "values": list(trial.values or ()),
        "params": trial.params,
        "intermediate_values": dict(trial.intermediate_values),
        "error": trial.user_attrs.get(ERROR_KEY),
        "datetime_start": _rdb.local_time(trial.datetime_start),
        "datetime_complete": _rdb.local_time(trial.datetime_complete),
    }


def _metric(attrs: Mapping[str, Any]) -> str | None:
    if METRIC_KEY in attrs:
        metric = attrs[METRIC_KEY]
        return None if metric is None else str(metric)
    setup = attrs.get(SETUP_KEY)
    if isinstance(setup, Mapping) and setup.get("scoring") is not None:
        return str(setup["scoring"])
    return None


def _direction(directions: Iterable[StudyDirection]) -> str:
    return ",".join(direction.name.lower() for direction in directions)


def _row(
    name: str,
    kind: str,
    metric: str | None,
    direction: str,
    best: float | None,
    counts: Mapping[str, int],
    started: datetime.datetime | None,
    last_change: datetime.datetime | None,
) -> dict[str, Any]:
    return {
        "name": name,
        "kind": kind,
        "metric": metric,
        "direction": direction,
        "best_value": best,
        "n_trials": sum(counts.values()),
        **counts,
        "started": started,
        "last_change": last_change,
    }


def _rdb_summary(row: Mapping[str, Any]) -> dict[str, Any]:
    attrs = row["user_attrs"]
    kind = attrs.get(KIND_KEY, STUDY)
    metric = _metric(attrs)
    direction = ",".join(row["directions"])
    best = row["max"] if direction.startswith("maximize") else row["min"]
    if attrs.get(NO_VALUE_KEY):
        best = None
    return _row(
        row["name"], kind, metric, direction, best, row["counts"], row["started"],
        row["last_change"],
    )  # fmt: skip


def _fingerprint(trials: list[FrozenTrial], attrs: Mapping[str, Any]) -> str:
    parts = [len(attrs)]
    for trial in trials:
        parts += [trial.state.value, len(trial.intermediate_values), len(trial.params)]
    return f"{len(trials)}:{hash(tuple(parts)) & 0xFFFFFFFF:08x}"


def _file_identity(path: str) -> tuple[int, int]:
    try:
        status = os.stat(path)
    except FileNotFoundError:
        return 0, 0
    return status.st_ino, status.st_size


def _complete_size(path: str, size: int) -> int:
    """``size`` cut back to the end of the last complete line."""
    if size == 0:
        return 0
    with open(path, "rb") as journal:
        journal.seek(max(0, size - 65536))
        tail = journal.read(size - max(0, size - 65536))
    newline = tail.rfind(b"\n")
    if newline < 0:
        return max(0, size - 65536) if size > 65536 else 0
    return size - len(tail) + newline + 1


def _cursor(kind: str, *parts: Any) -> str:
    return json.dumps([kind, *parts], separators=(",", ":"), sort_keys=True)


def _parse_cursor(cursor: str | None, kind: str) -> list[Any] | None:
    if cursor is None:
        return None
    try:
        parsed = json.loads(cursor)
    except (TypeError, ValueError):
        return None
    if not isinstance(parsed, list) or not parsed or parsed[0] != kind:
        return None
    return parsed[1:]
