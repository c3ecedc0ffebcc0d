"""The listing of an RDB store, kept up to date by reading only the trials that can change.

A listing shows per study its counts by state, first start, last change and best values.
Counting them again from every trial is a scan of the whole ``trials`` table on each refresh.
But Optuna never updates a finished trial (``set_trial_state_values`` refuses), so once a
trial is counted finished it stays as counted. :class:`RDBListing` counts each trial once,
then on each refresh reads only the trials created since (ids above the highest it read)
and those it counted running or waiting; a study deleted since starts the count over.
Ids a little below the highest that were not there yet (a sequence may commit a lower id
after a higher one) are looked for again for a while.
"""

from __future__ import annotations

import datetime
import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from optuna.storages import RDBStorage

from workbench.store._rdb import local_time, study_rows
from workbench.store._schema import STATES

_UNFINISHED = ("RUNNING", "WAITING")
#: How long (seconds) a trial id below the highest read is looked for again, and how far
#: below the highest: a trial's insert commits within moments.
MISSED_FOR = 60.0
MISSED_SPAN = 1000
_TRIALS = (
    "SELECT t.trial_id, t.study_id, t.state, t.datetime_start, t.datetime_complete, v.value, "
    "v.value_type FROM trials t "
    "LEFT JOIN trial_values v ON v.trial_id = t.trial_id AND v.objective = 0 "
)


@dataclass
class _Tally:
    """One study's listing figures (times as the database gives them, so they compare)."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATES, 0))
    first_start: Any = None
    last_moment: Any = None
    best_min: float | None = None
    best_max: float | None = None


class RDBListing:
    """Listing figures of every study of one RDB storage (see the module doc)."""

    def __init__(self, storage: RDBStorage):
        self.storage = storage
        self.lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self.tallies: dict[int, _Tally] = {}
        self.highest = -1  # the highest trial id read
        self.unfinished: dict[int, tuple[str, Any]] = {}  # trial id -> (state, start) counted
        # ids below the highest not seen yet, by when first missed: a database that numbers
        # rows from a sequence (PostgreSQL) may commit a lower id after a higher one
        self.missed: dict[int, float] = {}

    def summaries(self, keys: Sequence[str]) -> list[dict[str, Any]]:
        """Per study: name, directions, the user attrs named by ``keys``, counts by state,
        started, last change and best (least and greatest) finite first value."""
        with self.lock, self.storage.engine.connect() as connection:
            studies = study_rows(connection, keys)
            if any(study_id not in studies for study_id in self.tallies):
                self._reset()  # a study was deleted, and its trials with it
            self._read(connection)
            return [
                self._row(study, self.tallies.get(study_id)) for study_id, study in studies.items()
            ]

    def _read(self, connection: sa.Connection) -> None:
        now = time.monotonic()
        self.missed = {i: t for i, t in self.missed.items() if now - t < MISSED_FOR}
        again = [*self.unfinished, *self.missed]
        where = "WHERE t.trial_id > :highest"
        query = sa.text(_TRIALS + where)
        if again:
            query = sa.text(_TRIALS + where + " OR t.trial_id IN :again").bindparams(
                sa.bindparam("again", expanding=True)
            )
        before = self.highest
        seen = set()
        for row in connection.execute(query, {"highest": before, "again": again}):
            seen.add(row[0])
            self.missed.pop(row[0], None)
            if not self._count(*row):
                self._reset()  # a waiting trial's start moved: count everything again
                self._read(connection)
                return
        for trial_id in range(max(before + 1, self.highest - MISSED_SPAN), self.highest):
            if trial_id not in seen:
                self.missed.setdefault(trial_id, now)

    def _count(
        self, trial_id: int, study_id: int, state: Any, start: Any, complete: Any,
        value: Any, value_type: Any,
    ) -> bool:  # fmt: skip
        """Count one trial read (again); False when its count cannot be corrected."""
        state = str(state).upper()
        tally = self.tallies.setdefault(study_id, _Tally())
        counted = self.unfinished.pop(trial_id, None)
        if counted is not None:
            if counted[1] is not None and counted[1] != start:
                return False
            tally.counts[counted[0].lower()] -= 1
        self.highest = max(self.highest, trial_id)
        tally.counts[state.lower()] += 1
        if state in _UNFINISHED:
            self.unfinished[trial_id] = (state, start)
        if start is not None and (tally.first_start is None or start < tally.first_start):
            tally.first_start = start
        for moment in (start, complete):
            if moment is not None and (tally.last_moment is None or moment > tally.last_moment):
                tally.last_moment = moment
        finite = str(value_type).upper() == "FINITE" and value is not None and math.isfinite(value)
        if state == "COMPLETE" and finite:
            tally.best_min = value if tally.best_min is None else min(tally.best_min, value)
            tally.best_max = value if tally.best_max is None else max(tally.best_max, value)
        return True

    @staticmethod
    def _row(study: dict[str, Any], tally: _Tally | None) -> dict[str, Any]:
        tally = tally or _Tally()
        return {
            **study,
            "counts": dict(tally.counts),
            "started": _local(tally.first_start),
            "last_change": _local(tally.last_moment),
            "min": tally.best_min,
            "max": tally.best_max,
        }


def _local(moment: Any) -> datetime.datetime | None:
    """A stored UTC time (as the driver gives it: a datetime, or SQLite's text) as naive
    local time."""
    if isinstance(moment, str):
        moment = datetime.datetime.fromisoformat(moment)
    return local_time(moment)
