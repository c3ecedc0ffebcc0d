"""Where a :class:`~workbench.store.Store` reads from: a journal index, SQL, or any storage.

Each source answers the same few questions in plain rows; ``Store`` turns them into
DataFrames and records. A journal file is read through its index (no Optuna replay), an RDB
through SQL for listings and pages, and any other Optuna storage through its own API.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
from collections.abc import Callable, Iterator
from typing import Any

from optuna.storages import BaseStorage, RDBStorage
from optuna.trial import FrozenTrial

from workbench.store import _rdb
from workbench.store._journal_index import (
    IndexedStudy,
    IndexedTrial,
    JournalIndex,
    file_identity,
    journal_index,
    parse_time,
    time_of,
)
from workbench.store._rdb_listing import RDBListing
from workbench.store._schema import ERROR_KEY, RECORD_KEY, STATES
from workbench.store._sorting import SORTABLE, ordered, row_value, unknown_sort
from workbench.store._trials import raw_trial


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def _cursor(kind: str, *parts: Any) -> str:
    return json.dumps([kind, *parts], separators=(",", ":"), sort_keys=True)


def parse_cursor(cursor: Any, kind: str) -> list[Any] | None:
    """The parts of a cursor made by this kind of source, or None for any other value."""
    if not isinstance(cursor, str):
        return None
    try:
        parsed = json.loads(cursor)
    except ValueError:
        return None
    if not isinstance(parsed, list) or not parsed or parsed[0] != kind:
        return None
    return parsed[1:]


class Source:
    """The questions a store answers (see the module doc); raw rows, no DataFrames."""

    def names(self) -> list[str]:
        raise NotImplementedError

    def summaries(self) -> list[dict[str, Any]]:
        """Per study: name, user_attrs, directions, counts, started, last_change, best_min,
        best_max and ``first_record`` (a callable giving its first trial's record)."""
        raise NotImplementedError

    def study(self, name: str) -> tuple[dict[str, Any], list[str], int]:
        """User attrs, directions and trial count of study ``name``; KeyError if none."""
        raise NotImplementedError

    def trial_rows(
        self, name: str, offset: int, limit: int | None, *, sort: str | None, descending: bool
    ) -> list[dict[str, Any]]:
        """A page of trials, by number or sorted by a column (see ``_sorting``): number,
        state, values, params, intermediate_values, error, datetime_start,
        datetime_complete. StoreQueryError when ``sort`` names no column."""
        raise NotImplementedError

    def value_rows(self, name: str, start: int) -> list[tuple[int, str, float | None]]:
        """``(number, state, first value)`` of each trial numbered ``start`` or more, by
        number: what a best-so-far plot needs, without params or curves."""
        rows = self.trial_rows(name, start, None, sort=None, descending=False)
        return [
            (row["number"], row["state"], row["values"][0] if row["values"] else None)
            for row in rows
        ]

    def trial(self, name: str, number: int) -> dict[str, Any] | None:
        """One trial as :meth:`trial_rows` has it, plus all its ``user_attrs``; None if none."""
        raise NotImplementedError

    def trial_attr(self, name: str, key: str, numbers: list[int] | None) -> dict[int, Any]:
        """Trial number -> the user attribute ``key`` of the trials ``numbers`` of study
        ``name`` (all of them when None) that have it."""
        raise NotImplementedError

    def changes(self, since: Any) -> tuple[str, list[str]]:
        raise NotImplementedError


# -- a journal file, through its index -----------------------------------------------------------
class JournalSource(Source):
    def __init__(self, path: str):
        self.path = path
        self._orders: dict[tuple[Any, ...], list[int]] = {}  # sorted trial ids, see _order

    @contextlib.contextmanager
    def _view(self) -> Iterator[JournalIndex]:
        """The index, brought up to date and held still (server threads share it)."""
        index = journal_index(self.path)
        with index.lock:
            yield index

    def names(self) -> list[str]:
        with self._view() as index:
            return sorted(study.name for study in index.studies.values())

    def summaries(self) -> list[dict[str, Any]]:
        rows = []
        with self._view() as index:
            for study in index.studies.values():
                row = _summary(
                    study.name,
                    study.user_attrs,
                    study.directions,
                    dict(zip(STATES, study.counts, strict=True)),
                    started=time_of(study.first_start),
                    last_change=time_of(study.last_moment),
                    best=(study.best_min, study.best_max),
                )
                first = index.trials[study.trial_ids[0]] if study.trial_ids else None
                row["first_record"] = functools.partial(self._record_of, first)
                rows.append(row)
        return rows

    def _record_of(self, trial: IndexedTrial | None) -> Any:
        if trial is None:
            return None
        with self._view() as index:
            attrs = index.details([trial], user_attrs=RECORD_KEY)[0]["user_attrs"]
        return attrs.get(RECORD_KEY)

    @staticmethod
    def _find(index: JournalIndex, name: str) -> IndexedStudy:
        for study in index.studies.values():
            if study.name == name:
                return study
        raise KeyError(name)

    def study(self, name: str) -> tuple[dict[str, Any], list[str], int]:
        with self._view() as index:
            study = self._find(index, name)
            return dict(study.user_attrs), list(study.directions), len(study.trial_ids)

    def trial_rows(
        self, name: str, offset: int, limit: int | None, *, sort: str | None, descending: bool
    ) -> list[dict[str, Any]]:
        end = None if limit is None else offset + limit
        with self._view() as index:
            study = self._find(index, name)
            if sort is None:
                ids = study.trial_ids[offset:end]
            else:
                ids = self._order(index, study, sort, descending)[offset:end]
            trials = [index.trials[trial_id] for trial_id in ids]
            details = index.details(trials, user_attrs=ERROR_KEY)
        return [_indexed_row(trial, found) for trial, found in zip(trials, details, strict=True)]

    def value_rows(self, name: str, start: int) -> list[tuple[int, str, float | None]]:
        with self._view() as index:  # all in the index: no trial's lines read
            trials = [index.trials[i] for i in self._find(index, name).trial_ids[start:]]
        return [(t.number, t.state_name, t.values[0] if t.values else None) for t in trials]

    def _order(
        self, index: JournalIndex, study: IndexedStudy, sort: str, descending: bool
    ) -> list[int]:
        """The study's trial ids sorted by ``sort``; kept until the file grows, so the next
        pages of one sort cost a slice."""
        key = (index.inode, index.offset, study.study_id, sort, descending)
        if key not in self._orders:
            trials = [index.trials[trial_id] for trial_id in study.trial_ids]
            if sort in _INDEXED:
                keyed = [(t.trial_id, _INDEXED[sort](t)) for t in trials]
            elif sort == "error":  # read from the trials' lines (finished ones kept)
                details = index.details(trials, user_attrs=ERROR_KEY)
                keyed = [
                    (t.trial_id, d["user_attrs"].get(ERROR_KEY))
                    for t, d in zip(trials, details, strict=True)
                ]
            else:  # a param, likewise
                params = index.params(trials)
                if not any(sort in found for found in params):
                    raise unknown_sort(sort, (path for found in params for path in found))
                keyed = [
                    (t.trial_id, found.get(sort)) for t, found in zip(trials, params, strict=True)
                ]
            while len(self._orders) >= _KEPT_ORDERS:
                del self._orders[next(iter(self._orders))]  # the oldest
            self._orders[key] = ordered(keyed, descending=descending)
        return self._orders[key]

    def trial(self, name: str, number: int) -> dict[str, Any] | None:
        with self._view() as index:
            study = self._find(index, name)
            if not isinstance(number, int) or not 0 <= number < len(study.trial_ids):
                return None
            trial = index.trials[study.trial_ids[number]]
            [details] = index.details([trial], user_attrs=True)
        return {**_indexed_row(trial, details), "user_attrs": details["user_attrs"]}

    def trial_attr(self, name: str, key: str, numbers: list[int] | None) -> dict[int, Any]:
        with self._view() as index:
            ids = self._find(index, name).trial_ids
            wanted = range(len(ids)) if numbers is None else numbers
            trials = [index.trials[ids[n]] for n in wanted if 0 <= n < len(ids)]
            details = index.details(trials, user_attrs=key)
        return {
            trial.number: found["user_attrs"][key]
            for trial, found in zip(trials, details, strict=True)
            if key in found["user_attrs"]
        }

    def changes(self, since: Any) -> tuple[str, list[str]]:
        old = parse_cursor(since, "journal")
        if old is not None and old == list(file_identity(self.path)):
            return since, []  # nothing appended: one stat
        with self._view() as index:
            cursor = _cursor("journal", index.inode, index.offset)
            names = sorted(study.name for study in index.studies.values())
            fits = old is not None and len(old) == 2 and old[0] == index.inode
            if old is None or not fits or not 0 <= old[1] <= index.offset:
                return cursor, names
            if any(at >= old[1] for at in index.deleted_at):
                return cursor, names  # a study went away: refresh everything
            touched = {
                study.study_id for study in index.studies.values() if study.last_offset >= old[1]
            }
            with open(self.path, "rb") as journal:  # params, intermediate values, attributes
                journal.seek(old[1])
                data = journal.read(index.offset - old[1])
            for _, trial_id in index.trial_lines(data, old[1]):
                if 0 <= trial_id < len(index.trials):
                    touched.add(index.trials[trial_id].study_id)
            return cursor, sorted(index.studies[i].name for i in touched if i in index.studies)


def _indexed_row(trial: IndexedTrial, details: dict[str, Any]) -> dict[str, Any]:
    return {
        "number": trial.number,
        "state": trial.state_name,
        "values": list(trial.values or ()),
        "params": details["params"],
        "intermediate_values": details["intermediate_values"],
        "error": details["user_attrs"].get(ERROR_KEY),
        "datetime_start": trial.datetime_start,
        "datetime_complete": trial.datetime_complete,
    }


def _seconds_between(start: str | None, complete: str | None) -> float | None:
    if not start or not complete:
        return None
    return (parse_time(complete) - parse_time(start)).total_seconds()


#: How many sorted orders a journal source keeps (each a list of trial ids).
_KEPT_ORDERS = 8
#: The sortable columns the index holds, by how to read them off an indexed trial (the
#: journal's ISO 8601 UTC times sort as text in time order).
_INDEXED: dict[str, Callable[[IndexedTrial], Any]] = {
    "number": lambda trial: trial.number,
    "state": lambda trial: trial.state_name,
    "value": lambda trial: trial.values[0] if trial.values else None,
    "values": lambda trial: tuple(trial.values) if trial.values else None,
    "duration": lambda trial: _seconds_between(trial.start_text, trial.complete_text),
    "datetime_start": lambda trial: trial.start_text,
    "datetime_complete": lambda trial: trial.complete_text,
}


def _summary_of(
    trials: list[FrozenTrial], attrs: dict[str, Any], directions: list[str], name: str
) -> dict[str, Any]:
    counts = dict.fromkeys(STATES, 0)
    started = last_change = None
    complete = []
    for trial in trials:
        state = trial.state.name.lower()
        counts[state] += 1
        for moment in (
            _rdb.local_time(trial.datetime_start),
            _rdb.local_time(trial.datetime_complete),
        ):
            if moment is not None:
                started = moment if started is None or moment < started else started
                last_change = (
                    moment if last_change is None or moment > last_change else last_change
                )
        if state == "complete":
            complete.append(trial.values)
    firsts = [float(v[0]) for v in complete if v and _finite(v[0])]
    return _summary(
        name,
        attrs,
        directions,
        counts,
        started=started,
        last_change=last_change,
        best=(min(firsts), max(firsts)) if firsts else (None, None),
    )


def _summary(
    name: str,
    attrs: dict[str, Any],
    directions: list[str],
    counts: dict[str, int],
    *,
    started: Any,
    last_change: Any,
    best: tuple[float | None, float | None],
) -> dict[str, Any]:
    """One study's summary; ``best``: the least and the greatest of its complete trials'
    finite first values."""
    return {
        "name": name,
        "user_attrs": attrs,
        "directions": directions,
        "counts": counts,
        "started": started,
        "last_change": last_change,
        "best_min": best[0],
        "best_max": best[1],
    }


# -- any Optuna storage, through its own API ------------------------------------------------
class StorageSource(Source):
    def __init__(self, storage: BaseStorage):
        self.storage = storage

    def names(self) -> list[str]:
        return sorted(study.study_name for study in self.storage.get_all_studies())

    def _trials(self, study_id: int) -> list[FrozenTrial]:
        return sorted(self.storage.get_all_trials(study_id, deepcopy=False), key=_number)

    def summaries(self) -> list[dict[str, Any]]:
        rows = []
        for study in self.storage.get_all_studies():
            trials = self._trials(study._study_id)
            directions = [d.name.lower() for d in study.directions]
            row = _summary_of(trials, study.user_attrs, directions, study.study_name)
            first = trials[0] if trials else None
            row["first_record"] = lambda first=first: (
                None if first is None else first.user_attrs.get(RECORD_KEY)
            )
            rows.append(row)
        return rows

    def study(self, name: str) -> tuple[dict[str, Any], list[str], int]:
        study_id = self.storage.get_study_id_from_name(name)
        directions = [d.name.lower() for d in self.storage.get_study_directions(study_id)]
        count = len(self.storage.get_all_trials(study_id, deepcopy=False))
        return self.storage.get_study_user_attrs(study_id), directions, count

    def trial_rows(
        self, name: str, offset: int, limit: int | None, *, sort: str | None, descending: bool
    ) -> list[dict[str, Any]]:
        trials = self._trials(self.storage.get_study_id_from_name(name))
        end = None if limit is None else offset + limit
        if sort is None:
            return [_frozen_row(trial) for trial in trials[offset:end]]
        rows = [_frozen_row(trial) for trial in trials]
        if sort not in SORTABLE and not any(sort in row["params"] for row in rows):
            raise unknown_sort(sort, (path for row in rows for path in row["params"]))
        keyed = [(row, row_value(row, sort)) for row in rows]
        return ordered(keyed, descending=descending)[offset:end]

    def trial(self, name: str, number: int) -> dict[str, Any] | None:
        study_id = self.storage.get_study_id_from_name(name)
        try:
            trial_id = self.storage.get_trial_id_from_study_id_trial_number(study_id, number)
        except (KeyError, TypeError):
            return None
        frozen = self.storage.get_trial(trial_id)
        return {**_frozen_row(frozen), "user_attrs": dict(frozen.user_attrs)}

    def trial_attr(self, name: str, key: str, numbers: list[int] | None) -> dict[int, Any]:
        trials = self._trials(self.storage.get_study_id_from_name(name))
        wanted = None if numbers is None else set(numbers)
        return {
            trial.number: trial.user_attrs[key]
            for trial in trials
            if key in trial.user_attrs and (wanted is None or trial.number in wanted)
        }

    def changes(self, since: Any) -> tuple[str, list[str]]:
        marks = {
            study.study_name: _fingerprint(
                self.storage.get_all_trials(study._study_id, deepcopy=False), study.user_attrs
            )
            for study in self.storage.get_all_studies()
        }
        cursor = _cursor("marks", marks)
        old = parse_cursor(since, "marks")
        if old is None or not isinstance(old[0], dict) or any(n not in marks for n in old[0]):
            return cursor, sorted(marks)
        return cursor, sorted(name for name, mark in marks.items() if old[0].get(name) != mark)


def _number(trial: FrozenTrial) -> int:
    return trial.number


def _frozen_row(trial: FrozenTrial) -> dict[str, Any]:
    row = raw_trial(trial)
    row["datetime_start"] = _rdb.local_time(trial.datetime_start)
    row["datetime_complete"] = _rdb.local_time(trial.datetime_complete)
    return row


def _fingerprint(trials: list[FrozenTrial], attrs: dict[str, Any]) -> str:
    parts: list[Any] = [len(attrs)]
    for trial in trials:
        parts += [trial.state.value, len(trial.intermediate_values), len(trial.params)]
    return f"{len(trials)}:{hash(tuple(parts)) & 0xFFFFFFFF:08x}"


# -- an RDB, through SQL for listings, pages and changes ------------------------------------
class RDBSource(StorageSource):
    storage: RDBStorage

    def __init__(self, storage: RDBStorage, listed_attrs: tuple[str, ...]):
        super().__init__(storage)
        self.listed_attrs = listed_attrs
        self._marks: tuple[list[Any], dict[str, Any]] | None = None  # (SQLite file, marks)
        self._listing = RDBListing(storage)

    def summaries(self) -> list[dict[str, Any]]:
        rows = []
        for row in self._listing.summaries(self.listed_attrs):
            rows.append(
                {
                    "name": row["name"],
                    "user_attrs": row["user_attrs"],
                    "directions": row["directions"],
                    "counts": row["counts"],
                    "started": row["started"],
                    "last_change": row["last_change"],
                    "best_min": row["min"],
                    "best_max": row["max"],
                    "first_record": _no_record,
                }
            )
        return rows

    def study(self, name: str) -> tuple[dict[str, Any], list[str], int]:
        study_id = self.storage.get_study_id_from_name(name)
        directions = [d.name.lower() for d in self.storage.get_study_directions(study_id)]
        attrs = self.storage.get_study_user_attrs(study_id)
        return attrs, directions, _rdb.trial_count(self.storage, study_id)

    def trial_rows(
        self, name: str, offset: int, limit: int | None, *, sort: str | None, descending: bool
    ) -> list[dict[str, Any]]:
        study_id = self.storage.get_study_id_from_name(name)
        if sort is None:
            return _rdb.trial_page(self.storage, study_id, offset, limit, ERROR_KEY)
        numeric = None
        if sort not in SORTABLE:
            numeric = _rdb.param_is_numeric(self.storage, study_id, sort)
            if numeric is None:
                raise unknown_sort(sort, _rdb.param_names(self.storage, study_id))
        ids = _rdb.sorted_trial_ids(
            self.storage,
            study_id,
            sort,
            descending=descending,
            offset=offset,
            limit=limit,
            numeric_param=bool(numeric),
        )
        if ids is None:  # an order SQL cannot give: sorted here
            keyed = _rdb.keyed_trial_ids(self.storage, study_id, sort, ERROR_KEY)
            end = None if limit is None else offset + limit
            ids = ordered(keyed, descending=descending)[offset:end]
        with self.storage.engine.connect() as connection:
            return _rdb.rows_of(connection, ids, ERROR_KEY)

    def trial_attr(self, name: str, key: str, numbers: list[int] | None) -> dict[int, Any]:
        study_id = self.storage.get_study_id_from_name(name)
        return _rdb.trial_attr(self.storage, study_id, key, numbers)

    def value_rows(self, name: str, start: int) -> list[tuple[int, str, float | None]]:
        return _rdb.value_rows(self.storage, self.storage.get_study_id_from_name(name), start)

    def changes(self, since: Any) -> tuple[str, list[str]]:
        file_mark = _rdb.sqlite_file_mark(self.storage)  # before the query: see below
        known = self._marks
        if file_mark is not None and known is not None and known[0] == file_mark:
            marks = known[1]  # the file did not change: one stat, no query
        else:
            marks = _rdb.change_marks(self.storage)
            # a commit after the file mark was read moves it again: the next call queries
            self._marks = None if file_mark is None else (file_mark, marks)
        cursor = _cursor("rdb", marks)
        old = parse_cursor(since, "rdb")
        if old is not None and old[0] == marks:
            return cursor, []
        if old is None or not isinstance(old[0], dict):
            return cursor, self.names()
        ids = _rdb.changed_study_ids(self.storage, old[0], marks)
        if ids is None:
            return cursor, self.names()
        by_id = {study._study_id: study.study_name for study in self.storage.get_all_studies()}
        return cursor, sorted({by_id[i] for i in ids if i in by_id})


def _no_record() -> None:
    return None
