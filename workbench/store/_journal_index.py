"""A journal file read for browsing: counts, pages and records without replaying every trial.

Optuna's journal storage replays the whole file into trial objects before it answers anything;
with a recorded History in every trial that is seconds for a large store. Browsing needs less:
per trial its study, number, state, values and times. This index finds, with one regular
expression scan in C, the few lines that set those (study created, deleted or given an
attribute; trial created or given a state) and decodes only them, never the params,
intermediate values and recorded Histories in between. It keeps the file offset it reached and
on each refresh reads only what was appended since. It applies Optuna's replay rules (a
duplicate study name is ignored, a finished trial takes no update) so that it agrees with
Optuna's view. A trial's other lines are found when a page or a record asks for them, between
the trial's creation and the line that finished it.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import json
import math
import os
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from optuna.distributions import json_to_distribution

from workbench.store._schema import STATES

_CREATE_STUDY, _DELETE_STUDY, _STUDY_USER_ATTR = 0, 1, 2
_CREATE_TRIAL, _TRIAL_PARAM, _TRIAL_STATE = 4, 5, 6
_TRIAL_INTERMEDIATE, _TRIAL_USER_ATTR = 7, 8
_RUNNING, _COMPLETE, _WAITING = 0, 1, 4
# Optuna writes each line as '{"op_code":N,"worker_id":"...",<fields>}': the lines to decode
# (searched as "\n" + data: a literal start lets the scan run at memchr speed)
_LIFECYCLE = re.compile(rb'\n\{"op_code":[01246],')
# of a trial's creation only what comes before its distributions: Optuna writes study, times,
# state and values first, then distributions, params, user attrs (a whole History) and
# intermediate values, which browsing reads only when asked. Before them stand only numbers,
# times and lists of numbers, so the first such bytes are the key itself. (A creation line
# without "state" before them, not in Optuna's order, is decoded whole.)
_DISTRIBUTIONS = b',"distributions":'
# and for a sort by a param, only what comes before its user attrs (distributions and params:
# names and numbers; a param named "user_attrs" makes that part no JSON: read whole)
_USER_ATTRS = b',"user_attrs":'
# and the lines that update one trial (params, intermediate values, attributes)
_TRIAL_LINE = re.compile(rb'\n\{"op_code":[5789],"worker_id":"[^"\n]*","trial_id":(\d+),')


@dataclass
class IndexedStudy:
    """One live study of the file."""

    study_id: int
    name: str
    directions: list[str]
    user_attrs: dict[str, Any] = field(default_factory=dict)
    trial_ids: list[int] = field(default_factory=list)
    last_offset: int = 0  # where its latest applied line starts
    # what a listing shows, kept up to date line by line (see JournalIndex._tally)
    counts: list[int] = field(default_factory=lambda: [0] * len(STATES))
    best_min: float | None = None  # of complete trials' finite first values
    best_max: float | None = None
    first_start: str | None = None  # the earliest start, as written
    last_moment: str | None = None  # the latest start or completion, as written


@dataclass(slots=True)
class IndexedTrial:
    """One trial: what a listing needs, and where its lines lie."""

    trial_id: int
    study_id: int
    number: int
    state: int
    values: list[float] | None
    start_text: str | None  # as Optuna wrote them: aware UTC, ISO 8601
    complete_text: str | None
    created_at: int  # offset of its creation line
    finished_at: int | None = None  # offset of the line that finished it

    @property
    def datetime_start(self) -> datetime.datetime | None:
        return time_of(self.start_text)

    @property
    def datetime_complete(self) -> datetime.datetime | None:
        return time_of(self.complete_text)

    @property
    def state_name(self) -> str:
        return STATES[self.state]

    @property
    def finished(self) -> bool:
        return self.state not in (_RUNNING, _WAITING)


class JournalIndex:
    """The browsing view of one journal file, refreshed incrementally (see the module doc)."""

    def __init__(self, path: str):
        self.path = path
        self.lock = threading.Lock()
        self._reset(0)

    def _reset(self, inode: int) -> None:
        self.inode = inode
        self.offset = 0  # end of the last complete line read
        self.studies: dict[int, IndexedStudy] = {}
        self.trials: list[IndexedTrial] = []
        self.next_study_id = 0
        self.deleted_at: list[int] = []  # offsets of deletions
        # details of finished trials (they never change), by (trial id, user attr asked for)
        self._finished_details: dict[tuple[int, str | None], dict[str, Any]] = {}
        self._finished_params: dict[int, dict[str, Any]] = {}

    def refresh(self) -> None:
        """Read what was appended since the last refresh (everything, if the file was
        replaced or shortened)."""
        with self.lock:
            inode, size = file_identity(self.path)
            if inode != self.inode or size < self.offset:
                self._reset(inode)
            if size == self.offset:
                return
            with open(self.path, "rb") as journal:
                journal.seek(self.offset)
                data = journal.read(size - self.offset)
            end = data.rfind(b"\n") + 1  # a cut last line waits (or is set aside by a writer)
            self._apply_lines(data[:end], self.offset)
            self.offset += end

    # -- Optuna's replay rules, for the fields browsing needs ---------------------------------
    def _apply_lines(self, data: bytes, position: int) -> None:
        lines = b"\n" + data  # a line found at lines[start + 1:] starts at data[start:]
        found: list[tuple[int, int, int]] = []  # (op, start, end) of each line in lines
        texts: list[bytes] = []
        find = lines.find
        for match in _LIFECYCLE.finditer(lines):
            start = match.start() + 1
            end = find(b"\n", start)  # data ends with a newline
            op = lines[start + 11] - 48
            found.append((op, start, end))
            cut = find(_DISTRIBUTIONS, start, end) if op == _CREATE_TRIAL else -1
            texts.append(lines[start:end] if cut < 0 else lines[start:cut] + b"}")
        logs = _decode_all(lines, texts, found)
        create = self._create_trial
        for (op, start, end), text, log in zip(found, texts, logs, strict=True):
            if isinstance(log, dict) and "state" not in log and len(text) < end - start:
                log = _decode_all(lines, [lines[start:end]], [(op, start, end)])[0]  # whole
            if not isinstance(log, dict):
                continue
            if op == _CREATE_TRIAL:  # the most frequent by far
                create(log, position + start - 1)
            else:
                self._apply(op, log, position + start - 1)

    def _apply(self, op: int, log: dict[str, Any], offset: int) -> None:
        if op == _CREATE_TRIAL:  # the most frequent by far
            self._create_trial(log, offset)
        elif op == _TRIAL_STATE:
            self._apply_state(log, offset)
        elif op == _CREATE_STUDY:
            if any(study.name == log["study_name"] for study in self.studies.values()):
                return
            study_id = self.next_study_id
            self.next_study_id += 1
            directions = ["minimize" if d == 1 else "maximize" for d in log["directions"]]
            self.studies[study_id] = IndexedStudy(study_id, log["study_name"], directions)
            self.studies[study_id].last_offset = offset
        elif op == _DELETE_STUDY:
            if self.studies.pop(log["study_id"], None) is not None:
                self.deleted_at.append(offset)
        else:  # _STUDY_USER_ATTR
            study = self.studies.get(log["study_id"])
            if study is not None:
                study.user_attrs.update(log["user_attr"])
                study.last_offset = offset

    def _create_trial(self, log: dict[str, Any], offset: int) -> None:
        study = self.studies.get(log["study_id"])
        if study is None:
            return
        values = log.get("values")
        if values is None and log.get("value") is not None:
            values = [log["value"]]
        state = int(log.get("state", _RUNNING))
        start, complete = log.get("datetime_start"), log.get("datetime_complete")
        study.last_offset = offset
        trial_id = len(self.trials)
        self.trials.append(
            IndexedTrial(
                trial_id,
                study.study_id,
                len(study.trial_ids),
                state,
                values,
                start,
                complete,
                offset,
                offset if state in (1, 2, 3) else None,
            )
        )
        study.trial_ids.append(trial_id)
        # _tally, written out: this runs once per trial of the file
        study.counts[state] += 1
        if start:
            if study.first_start is None or start < study.first_start:
                study.first_start = start
            if study.last_moment is None or start > study.last_moment:
                study.last_moment = start
        if complete and (study.last_moment is None or complete > study.last_moment):
            study.last_moment = complete
        if state == _COMPLETE and values:
            _count_best(study, values[0])

    def _apply_state(self, log: dict[str, Any], offset: int) -> None:
        trial = self._updatable(log["trial_id"])
        state = int(log["state"])
        if trial is None or (state == _RUNNING and trial.state == _RUNNING):
            return
        study = self.studies[trial.study_id]
        study.counts[trial.state] -= 1
        moved = False  # a waiting trial that had a start gets another: count the study again
        if state == _RUNNING:
            moved = bool(trial.start_text) and trial.start_text != log.get("datetime_start")
            trial.start_text = log.get("datetime_start")
        if state not in (_RUNNING, _WAITING):
            trial.complete_text = log.get("datetime_complete")
            trial.finished_at = offset
        trial.state = state
        if log.get("values") is not None:
            trial.values = log["values"]
        study.last_offset = offset
        if moved:
            _retally(study, self.trials)
        else:
            _tally(study, trial)

    def _updatable(self, trial_id: int) -> IndexedTrial | None:
        if not 0 <= trial_id < len(self.trials):
            return None
        trial = self.trials[trial_id]
        if trial.finished or trial.study_id not in self.studies:
            return None
        return trial

    # -- reading trials' own lines -----------------------------------------------------------
    def trial_lines(self, data: bytes, start: int) -> list[tuple[int, int]]:
        """(offset, trial id) of each line in ``data`` (read from ``start``) that updates one
        trial (params, intermediate values, attributes)."""
        return [
            (start + match.start(), int(match.group(1)))
            for match in _TRIAL_LINE.finditer(b"\n" + data)
        ]

    def details(
        self, trials: list[IndexedTrial], *, user_attrs: bool | str
    ) -> list[dict[str, Any]]:
        """Params, intermediate values and user attrs (all, or only the key ``user_attrs``
        names) of each of ``trials``, read from their lines.

        A finished trial's details are read once and kept (all its user attrs, which may hold
        a large History, are not), so a view that reads every trial again after a few were
        added decodes only those.
        """
        if user_attrs is True:
            return self._read_details(trials, user_attrs=True)
        spec = user_attrs or None
        kept = [self._finished_details.get((trial.trial_id, spec)) for trial in trials]
        missing = [trial for trial, known in zip(trials, kept, strict=True) if known is None]
        read = iter(self._read_details(missing, user_attrs=user_attrs))
        found = []
        for trial, known in zip(trials, kept, strict=True):
            if known is None:
                known = next(read)
                if trial.finished:
                    self._finished_details[trial.trial_id, spec] = known
            found.append({part: dict(values) for part, values in known.items()})
        return found

    def params(self, trials: list[IndexedTrial]) -> list[dict[str, Any]]:
        """The params of each of ``trials``, read from their lines (a created trial's only
        up to its user attrs, no intermediate values); a finished trial's kept."""
        missing = [trial for trial in trials if trial.trial_id not in self._finished_params]
        read = self._read_details(missing, user_attrs=False, only_params=True)
        for trial, found in zip(missing, read, strict=True):
            if trial.finished:
                self._finished_params[trial.trial_id] = found["params"]
        fresh = {
            trial.trial_id: found["params"] for trial, found in zip(missing, read, strict=True)
        }
        return [
            fresh[trial.trial_id]
            if trial.trial_id in fresh
            else self._finished_params[trial.trial_id]
            for trial in trials
        ]

    def _read_details(
        self, trials: list[IndexedTrial], *, user_attrs: bool | str, only_params: bool = False
    ) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = [
            {"params": {}, "intermediate_values": {}, "user_attrs": {}} for _ in trials
        ]
        if not trials:
            return found
        wanted = user_attrs if isinstance(user_attrs, str) else None
        key = json.dumps(wanted).encode() if wanted else b""
        by_id = {trial.trial_id: position for position, trial in enumerate(trials)}
        start = min(trial.created_at for trial in trials)
        end = max(
            self.offset if trial.finished_at is None else trial.finished_at for trial in trials
        )
        with open(self.path, "rb") as journal:
            journal.seek(start)
            data = journal.read(end - start) + journal.readline()  # through the last line
        cut = _USER_ATTRS if only_params else None
        for trial, into in zip(trials, found, strict=True):
            self._read_line(data, trial.created_at - start, _CREATE_TRIAL, into, user_attrs, cut)
        for offset, trial_id in self.trial_lines(data, start):
            position = by_id.get(trial_id)
            if position is None or offset >= self.offset:  # not asked for, or read after refresh
                continue
            trial = trials[position]
            if trial.finished_at is not None and offset > trial.finished_at:
                continue  # Optuna ignores updates of a finished trial
            line_start = offset - start
            op = data[line_start + 11] - 48
            if op == 9 or (op == _TRIAL_USER_ATTR and not user_attrs):
                continue
            if only_params and op != _TRIAL_PARAM:
                continue
            if op == _TRIAL_USER_ATTR and key:
                line_end = data.find(b"\n", line_start)
                if data.find(key, line_start, line_end) < 0:
                    continue
            self._read_line(data, line_start, op, found[position], user_attrs)
        if wanted:
            for into in found:
                into["user_attrs"] = {k: v for k, v in into["user_attrs"].items() if k == wanted}
        return found

    @staticmethod
    def _read_line(
        data: bytes,
        line_start: int,
        op: int,
        into: dict[str, Any],
        user_attrs: bool | str,
        cut: bytes | None = None,
    ) -> None:
        """Decode one line into ``into``; with ``cut``, only what comes before those bytes
        (the whole line if that part does not decode)."""
        line_end = data.find(b"\n", line_start)
        line_end = len(data) if line_end < 0 else line_end
        at = data.find(cut, line_start, line_end) if cut else -1
        log = None
        if at > 0:
            with contextlib.suppress(ValueError):
                log = json.loads(data[line_start:at] + b"}")
        if log is None:
            log = json.loads(data[line_start:line_end])
        if op == _CREATE_TRIAL:
            distributions = {
                name: _distribution(text)
                for name, text in (log.get("distributions") or {}).items()
            }
            into["params"].update(
                {
                    name: distributions[name].to_external_repr(value)
                    for name, value in (log.get("params") or {}).items()
                }
            )
            into["intermediate_values"].update(
                {int(k): v for k, v in (log.get("intermediate_values") or {}).items()}
            )
            if user_attrs:
                into["user_attrs"].update(log.get("user_attrs") or {})
        elif op == _TRIAL_PARAM:
            distribution = _distribution(log["distribution"])
            into["params"][log["param_name"]] = distribution.to_external_repr(
                log["param_value_internal"]
            )
        elif op == _TRIAL_INTERMEDIATE:
            into["intermediate_values"][int(log["step"])] = log["intermediate_value"]
        elif op == _TRIAL_USER_ATTR:
            into["user_attrs"].update(log["user_attr"])


def _tally(study: IndexedStudy, trial: IndexedTrial) -> None:
    """Count ``trial`` (new, or after its state changed) into its study's listing figures."""
    study.counts[trial.state] += 1
    start = trial.start_text
    if start and (study.first_start is None or start < study.first_start):
        study.first_start = start
    for moment in (start, trial.complete_text):
        if moment and (study.last_moment is None or moment > study.last_moment):
            study.last_moment = moment
    if trial.state == _COMPLETE and trial.values:
        _count_best(study, trial.values[0])


def _count_best(study: IndexedStudy, value: Any) -> None:
    if isinstance(value, int | float) and math.isfinite(value):
        if study.best_min is None or value < study.best_min:
            study.best_min = value
        if study.best_max is None or value > study.best_max:
            study.best_max = value


def _retally(study: IndexedStudy, trials: list[IndexedTrial]) -> None:
    """Count a study's listing figures again from all its trials."""
    study.counts = [0] * len(STATES)
    study.best_min = study.best_max = study.first_start = study.last_moment = None
    for trial_id in study.trial_ids:
        _tally(study, trials[trial_id])


def _decode_all(lines: bytes, texts: list[bytes], found: list[tuple[int, int, int]]) -> list[Any]:
    """Each of ``texts`` (parts of the ``found`` lines) decoded: in one call when all are
    JSON objects with the op codes found; else one by one, the whole line where a part does
    not decode, None for a line that is no JSON (Optuna would stop there; the index skips
    it)."""
    with contextlib.suppress(ValueError):
        logs = json.loads(b"[" + b",".join(texts) + b"]")
        if len(logs) == len(found) and all(
            isinstance(log, dict) and log.get("op_code") == op
            for log, (op, _, _) in zip(logs, found, strict=True)
        ):
            return list(logs)
    decoded = []
    for text, (_, start, end) in zip(texts, found, strict=True):
        for attempt in (text, lines[start:end]):
            try:
                decoded.append(json.loads(attempt))
                break
            except ValueError:
                continue
        else:
            decoded.append(None)
    return decoded


@functools.lru_cache(maxsize=256)
def _distribution(text: str) -> Any:
    return json_to_distribution(text)


def file_identity(path: str) -> tuple[int, int]:
    """The file's (inode, size); (0, 0) when it does not exist."""
    try:
        status = os.stat(path)
    except FileNotFoundError:
        return 0, 0
    return status.st_ino, status.st_size


def parse_time(text: str) -> datetime.datetime:
    """A journal time (aware UTC, ISO 8601) as written."""
    return datetime.datetime.fromisoformat(text)


@functools.lru_cache(maxsize=4096)
def time_of(text: str | None) -> datetime.datetime | None:
    """A journal time (aware UTC, ISO 8601) as naive local time, as Optuna shows it."""
    if not text:
        return None
    return datetime.datetime.fromisoformat(text).astimezone().replace(tzinfo=None)


_INDEXES: dict[str, JournalIndex] = {}
_INDEXES_LOCK = threading.Lock()


def journal_index(path: str) -> JournalIndex:
    """The process's index of the journal file at ``path``, brought up to date."""
    with _INDEXES_LOCK:
        index = _INDEXES.get(path)
        if index is None:
            index = _INDEXES[path] = JournalIndex(path)
    index.refresh()
    return index
