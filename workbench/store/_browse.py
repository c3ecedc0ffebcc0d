"""Browsing a store: listings of studies and runs, pages of trials, records, changes."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd
from optuna.storages import BaseStorage

from workbench._internal.names import did_you_mean
from workbench._internal.options import Interval, check_option
from workbench.exceptions import StorageError, StoreQueryError
from workbench.store._direction import metric_direction
from workbench.store._history import History
from workbench.store._kept import EXTENDS_KEY, RESUMES_KEY, VERSION_KEY, kept_pipelines
from workbench.store._lineage import (
    REUSED_KEY,
    VERSION_COLUMNS,
    combine_versions,
    extends_of,
    group_versions,
    resumed_by,
    trial_lineage,
    version_fields,
)
from workbench.store._schema import (
    KIND_KEY,
    METRIC_KEY,
    NO_VALUE_KEY,
    RECORD_KEY,
    RUN,
    SETUP_KEY,
    SPACE_KEY,
    STATES,
    STRUCTURE_KEY,
    STUDY,
    TrialRecord,
    decode_history,
)
from workbench.store._sources import Source
from workbench.store._trials import best_so_far, trial_structure, trials_table

if TYPE_CHECKING:
    from workbench.store._compare import Comparison

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
    *VERSION_COLUMNS,
)
#: The study user attrs a listing reads.
LISTED_ATTRS = (KIND_KEY, METRIC_KEY, SETUP_KEY, NO_VALUE_KEY, VERSION_KEY)


class Store:
    """One run/study store, opened by :func:`open_store`: browse its studies, runs and trials.

    Tuning studies and plain epoch runs are two kinds (:meth:`studies`, :meth:`runs`); any
    trial's History, pipeline structure and mutation log come back from :meth:`record`;
    :meth:`changes` says cheaply what was written since a cursor. A journal file is read
    through an index that decodes each line once and then only what was appended; an RDB
    through SQL for listings and pages.

    Attributes
    ----------
    name : str
        The store's location, password hidden (a journal file's path, a database URL).
    kind : str
        ``"journal"``, ``"sqlite"``, ``"postgresql"``, ``"memory"``, ...
    readonly : bool
        Whether it was opened with ``readonly=True`` (or its journal file is not writable).
    """

    def __init__(
        self,
        source: Source,
        open_storage: Callable[[], BaseStorage],
        *,
        name: str,
        kind: str,
        readonly: bool,
    ):
        self._source = source
        self._open_storage = open_storage
        self._storage: BaseStorage | None = None
        self.name = name
        self.kind = kind
        self.readonly = readonly

    def __repr__(self) -> str:
        mode = ", readonly" if self.readonly else ""
        return f"Store({self.name!r}, kind={self.kind!r}{mode})"

    @property
    def storage(self) -> BaseStorage:
        """The Optuna storage, for Optuna's own tools (opened on first use)."""
        if self._storage is None:
            self._storage = self._open_storage()
        return self._storage

    # -- listings ----------------------------------------------------------------------------
    def summaries(self) -> pd.DataFrame:
        """Every study and run, one row each, in the order they were created, the versions of
        a study together after its first (see :meth:`studies` for the columns)."""
        rows = group_versions([_summary_row(raw) for raw in self._source.summaries()])
        frame = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
        for column in ("n_trials", *STATES, "version", "reused", "versions"):
            frame[column] = frame[column].astype("int64")
        frame["best_value"] = frame["best_value"].astype("float64")
        for column in ("version_from", "under"):  # None where there is none, not NaN
            frame[column] = pd.Series(
                [row[column] for row in rows], index=frame.index, dtype=object
            )
        return frame

    def studies(self) -> pd.DataFrame:
        """The tuning studies, one row each.

        Columns: ``name``, ``kind`` (``"study"``), ``metric`` (what a trial's value measures,
        such as ``"valid_accuracy"``), ``direction`` (``"maximize"`` or ``"minimize"``),
        ``best_value`` (the best complete trial's value, NaN when none), ``n_trials``, counts
        by state (``running``, ``complete``, ``pruned``, ``fail``, ``waiting``), ``started``
        and ``last_change`` (local times, or None before any trial); then the study's version
        (a study whose space changed goes on as ``name@2``, ...): ``base`` (the name without
        ``@N``), ``version`` (1 for the first), ``version_from`` (the version it came from,
        None for a first version), ``reused`` (how many trials it reused from there),
        ``versions`` (how many versions of ``base`` the store holds) and ``under`` (the name
        of the study's first stored version, under which a listing shows a later one; None
        for that one). The versions of a study are listed together, by number.

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

    # -- trials ------------------------------------------------------------------------------
    def trials(
        self,
        study: str,
        *,
        offset: int = 0,
        limit: int | None = None,
        sort: str | None = None,
        descending: bool = False,
    ) -> pd.DataFrame:
        """The trials of ``study`` (a study's or run's name) by number, or sorted by the
        column ``sort``; ``limit`` from ``offset``: a page of them.

        Columns: ``number``, ``state``, ``value`` (``values``, a list, too for several
        objectives), ``duration`` (seconds), ``datetime_start``, ``datetime_complete``,
        ``intermediate_values`` (step -> value), ``error``, then one column per sampled
        hyperparam path. ``attrs["total"]`` is how many trials the study holds.

        ``sort`` names one of these columns (not ``intermediate_values``) or a
        sampled param's path; trials without a value there (failed, NaN, not sampled) come
        last whichever the direction, and ties keep number order. The store sorts (in SQL for
        a database), so any page of a large study costs about what the first one does.

        Examples
        --------
        >>> from workbench.store import open_store
        >>> open_store(":memory:").trials("no-such-study")
        Traceback (most recent call last):
        ...
        workbench.exceptions.StorageError: No study or run named 'no-such-study' in the store ...
        """
        _check_count("offset", offset)
        check_option("limit", limit, [None, Interval(int, 0)], StoreQueryError)
        if sort is not None and not isinstance(sort, str):
            raise StoreQueryError(f"sort must be a column's name or None, but got {sort!r}.")
        attrs, directions, count = self._study(study)
        rows = self._source.trial_rows(
            study, offset, limit, sort=sort, descending=bool(descending)
        )
        paths = list(attrs.get(SPACE_KEY) or ())
        frame = trials_table(rows, paths=paths, several=len(directions) > 1)
        frame.attrs["total"] = count
        return frame

    def values(self, study: str, *, start: int = 0, best: int | None = None) -> pd.DataFrame:
        """Number, state and value of each trial of ``study`` numbered ``start`` or more, with
        the best so far after it: what a best-so-far plot draws.

        Columns: ``number``, ``state``, ``value``, ``best_number`` and ``best_value`` (the
        best complete trial up to this one, by the study's direction; missing for a trial not
        finished yet, or before any trial completed). ``best`` is the best trial numbered
        below ``start`` (``best_number`` of the trial before ``start``, as an earlier call
        gave it), so that a view following a growing study reads only its new trials.

        Examples
        --------
        >>> import optuna
        >>> from workbench.store import open_store
        >>> storage = optuna.storages.InMemoryStorage()
        >>> study = optuna.create_study(storage=storage, study_name="s")
        >>> for value in (0.5, 0.7, 0.2):
        ...     study.add_trial(optuna.trial.create_trial(value=value))
        >>> open_store(storage).values("s")["best_value"].tolist()
        [0.5, 0.5, 0.2]
        """
        _check_count("start", start)
        _, directions, _ = self._study(study)
        seed = None
        if best is not None:
            found = self._source.trial(study, best) if isinstance(best, int) else None
            values = found["values"] if found is not None else None
            if not (found and found["state"] == "complete" and values and best < start):
                raise StorageError(
                    f"best must be the number of a complete trial of {study!r} below start "
                    f"({start}), but got {best!r}. Pass the best_number of trial {start - 1} "
                    f"from an earlier answer, or start=0."
                )
            seed = (best, float(values[0]))
        rows = self._source.value_rows(study, start)
        steps = {number: (at, value) for number, at, value in best_so_far(
            rows, directions[0], seed=seed).steps}  # fmt: skip
        frame = pd.DataFrame(
            [(*row, *steps.get(row[0], (None, None))) for row in rows],
            columns=["number", "state", "value", "best_number", "best_value"],
        )
        frame["value"] = frame["value"].astype("float64")
        frame["best_number"] = frame["best_number"].astype("Int64")
        frame["best_value"] = frame["best_value"].astype("float64")
        return frame

    def history(self, study: str, trial: int = 0) -> History:
        """The History recorded for trial ``trial`` of ``study`` (a run's only trial is 0):
        columns, dtypes, missing values, ``attrs`` and per-batch rows as they were recorded.
        Empty for a trial scored without epochs."""
        found, _ = self._trial(study, trial)
        return decode_history((found["user_attrs"].get(RECORD_KEY) or {}).get("history"))

    def record(self, study: str, trial: int = 0) -> TrialRecord:
        """Everything recorded for trial ``trial`` of ``study``: History, pipeline structure,
        mutation log, params and hyperparams, state, value and error."""
        found, (attrs, directions) = self._trial(study, trial)
        record = found["user_attrs"].get(RECORD_KEY) or {}
        kind = attrs.get(KIND_KEY, STUDY)
        metric = _metric(attrs)
        direction = ",".join(directions)
        if kind == RUN and METRIC_KEY not in attrs:  # recorded before runs named a metric
            metric = record.get("value_column")
            direction = metric_direction(metric)
        values = found["values"]
        retry = None
        if found["state"] == "fail":  # only a failed trial is resumed, by a later trial
            later = list(range(found["number"] + 1, self._study(study)[2]))
            retry = resumed_by(self._source.trial_attr(study, RESUMES_KEY, later)).get(trial)
        return TrialRecord(
            study=study,
            kind=RUN if kind == RUN else STUDY,
            number=found["number"],
            state=found["state"],
            value=values[0] if values else None,
            metric=metric,
            direction=direction,
            params=dict(found["params"]),
            hyperparams=dict(record.get("hyperparams") or {}),
            history=decode_history(record.get("history")),
            structure=record.get("structure")
            or trial_structure(attrs.get(STRUCTURE_KEY), found["params"]),
            mutation_log=list(record.get("mutation_log") or ()),
            error=found["error"],
            datetime_start=found["datetime_start"],
            datetime_complete=found["datetime_complete"],
            kept=kept_pipelines(attrs).get(found["number"]),
            extends=_extends(found["user_attrs"]),
            resumes=extends_of(found["user_attrs"].get(RESUMES_KEY)),
            resumed_by=retry,
            schema=int(record.get("schema", 0)),
        )

    def kept(self, study: str) -> dict[int, dict[str, Any]]:
        """The trials of ``study`` whose fitted pipeline is kept now: number -> what is
        recorded of it (``bytes``, ``fitted_on``); ``workbench.tuning.load_trial`` loads one.

        Examples
        --------
        >>> from workbench.store import open_store
        >>> open_store(":memory:").kept("no-such-study")
        Traceback (most recent call last):
        ...
        workbench.exceptions.StorageError: No study or run named 'no-such-study' in the store ...
        """
        attrs, _, _ = self._study(study)
        return kept_pipelines(attrs)

    # -- versions and lineage ----------------------------------------------------------------
    def versions(self, study: str) -> pd.DataFrame:
        """Every stored version of ``study`` (any of them named: ``"digits"`` or
        ``"digits@2"``), one row each by version number, with the columns of :meth:`studies`
        (a run has one version: itself).

        Examples
        --------
        >>> import optuna
        >>> from workbench.store import open_store
        >>> storage = optuna.storages.InMemoryStorage()
        >>> for name in ("digits", "digits@2"):
        ...     _ = optuna.create_study(storage=storage, study_name=name)
        >>> open_store(storage).versions("digits@2")[["name", "version"]].values.tolist()
        [['digits', 1], ['digits@2', 2]]
        """
        self._study(study)
        frame = self.summaries()
        row = frame[frame["name"] == study].iloc[0]
        found = frame[(frame["base"] == row["base"]) & (frame["kind"] == row["kind"])]
        return found.sort_values("version").reset_index(drop=True)

    def lineage(self, study: str, numbers: list[int] | None = None) -> dict[int, dict[str, Any]]:
        """Where the trials ``numbers`` of ``study`` (all when None) came from: per number,
        ``extends`` (the trial it trained on from, ``Tuner.extend``; else None),
        ``reused_from`` (``"digits#3"``: the trial of the version before that a new version
        reused; else None), ``resumes`` (the trial whose worker died and that this retry
        resumed from its epoch checkpoint; else None) and ``resumed_by`` (the retry that
        resumed this trial; else None).

        Examples
        --------
        >>> from workbench.store import open_store
        >>> open_store(":memory:").lineage("no-such-study")
        Traceback (most recent call last):
        ...
        workbench.exceptions.StorageError: No study or run named 'no-such-study' in the store ...
        """
        _, _, count = self._study(study)
        wanted = list(range(count)) if numbers is None else [int(n) for n in numbers]
        extends = self._source.trial_attr(study, EXTENDS_KEY, wanted)
        reused = self._source.trial_attr(study, REUSED_KEY, wanted)
        return trial_lineage(extends, reused, self._resumes(study, wanted), wanted)

    def _resumes(self, study: str, wanted: list[int]) -> dict[int, Any]:
        """``workbench:resumes`` of the trials ``wanted`` and of those that may be the retry
        of a failed one among them: the trials after it (its retry is queued when it fails)."""
        if not wanted:
            return {}
        rows = self._source.value_rows(study, min(wanted))
        chosen = set(wanted)
        failed = [number for number, state, _ in rows if number in chosen and state == "fail"]
        if failed:
            chosen.update(number for number, _, _ in rows if number > min(failed))
        return self._source.trial_attr(study, RESUMES_KEY, sorted(chosen))

    def version_trials(
        self,
        study: str,
        *,
        offset: int = 0,
        limit: int | None = None,
        sort: str | None = None,
        descending: bool = False,
    ) -> pd.DataFrame:
        """The trials of every version of ``study`` together, each trial once.

        Columns: ``study`` (the version's name), ``version``, the columns of :meth:`trials`
        (params of every version's space), ``resumes`` and ``resumed_by`` (a dead worker's
        trial and its retry, see :meth:`lineage`), ``extends`` (the trial it extends, or None)
        and ``reused_in`` (the later versions that reused this trial, a list). A trial a version
        reused is the same trial as the one it copies: it is listed once, under the version
        that ran it. By version and number, or sorted by ``sort`` as :meth:`trials` sorts;
        ``attrs["total"]`` is how many trials are listed, ``attrs["reused"]`` how many reused
        copies were left out.

        Examples
        --------
        >>> from workbench.store import open_store
        >>> open_store(":memory:").version_trials("no-such-study")
        Traceback (most recent call last):
        ...
        workbench.exceptions.StorageError: No study or run named 'no-such-study' in the store ...
        """
        _check_count("offset", offset)
        check_option("limit", limit, [None, Interval(int, 0)], StoreQueryError)
        parts = []
        for name, version in self.versions(study)[["name", "version"]].itertuples(index=False):
            frame = self.trials(name)
            extends = self._source.trial_attr(name, EXTENDS_KEY, None)
            reused = self._source.trial_attr(name, REUSED_KEY, None)
            resumes = self._source.trial_attr(name, RESUMES_KEY, None)
            parts.append((str(name), int(version), frame, extends, reused, resumes))
        combined = combine_versions(parts)
        if sort is not None:
            combined = _sorted_rows(combined, sort, bool(descending))
        end = None if limit is None else offset + limit
        page = combined.iloc[offset:end].reset_index(drop=True)
        page.attrs.update(total=len(combined), reused=combined.attrs["reused"])
        return page

    def _study(self, study: str) -> tuple[dict[str, Any], list[str], int]:
        try:
            return self._source.study(study)
        except KeyError:
            hint = did_you_mean(str(study), self._source.names())
            raise StorageError(
                f"No study or run named {study!r} in the store {self.name!r}.{hint} "
                f"Store.studies() and Store.runs() list them."
            ) from None

    def has(self, study: str, trial: int | None = None) -> bool:
        """Whether the study or run ``study`` (and its trial number ``trial``, when given) is
        in the store, without reading its trials; a store that fails raises.

        Examples
        --------
        >>> from workbench.store import open_store
        >>> open_store(":memory:").has("no-such-study")
        False
        """
        try:
            self._source.study(study)
        except KeyError:
            return False
        return trial is None or self._source.trial(study, trial) is not None

    def _trial(
        self, study: str, number: int
    ) -> tuple[dict[str, Any], tuple[dict[str, Any], list[str]]]:
        attrs, directions, count = self._study(study)
        found = self._source.trial(study, number)
        if found is None:
            raise StorageError(
                f"{study!r} has no trial {number!r}; it has {count} trial(s), numbered from 0."
            )
        return found, (attrs, directions)

    # -- comparing ---------------------------------------------------------------------------
    def compare(self, items: Any) -> Comparison:
        """Runs and trials of this store side by side: curves, differing hyperparams,
        structure diff (see :class:`~workbench.store.Comparison`).

        Each item is a run's name, a study's name (its best complete trial), ``"study#12"``
        or a pair ``("study", 12)``. Raises a StorageError naming an item that is not here.
        :func:`workbench.store.compare` compares items of several stores.

        Examples
        --------
        >>> from workbench.store import open_store
        >>> open_store(":memory:").compare(["search#3"])
        Traceback (most recent call last):
        ...
        workbench.exceptions.StorageError: Cannot compare 'search#3': no study or run named ...
        """
        from workbench.store._compare import compare_in

        return compare_in(self, items)

    def importance(
        self,
        study: str,
        *,
        evaluator: Any = None,
        by: str = "path",
        depth: int | None = None,
    ) -> pd.DataFrame:
        """How much each sampled hyperparam of ``study`` mattered to its value.

        Columns ``path``, ``step`` (the step it belongs to) and ``importance`` (summing to
        1), most important first; ``by="step"`` sums them by step (``depth=1``: by top-level
        step, so that "the encoder's hyperparams matter 70%" is one row). Computed on the
        complete trials with Optuna's ``evaluator`` (default: PED-ANOVA, fast on many
        trials), in the study's own direction: a maximized study's best trials are its
        greatest.

        Examples
        --------
        >>> from workbench.store import open_store
        >>> open_store(":memory:").importance("no-such-study")
        Traceback (most recent call last):
        ...
        workbench.exceptions.StorageError: No study or run named 'no-such-study' in the store ...
        """
        from workbench.store._importance import importance

        return importance(self, study, evaluator=evaluator, by=by, depth=depth)

    # -- changes -----------------------------------------------------------------------------
    def changes(self, since: str | None = None) -> tuple[str, list[str]]:
        """What changed since ``since`` (a cursor this method returned): ``(cursor, names)``.

        ``names`` are the studies and runs written to since then, sorted; with ``since=None``
        (or a cursor that does not fit this store: a journal file replaced or repaired, a
        study deleted since) every study and run now in the store. The cursor is a short
        string, opaque, safe to send as JSON. Asking again with the same cursor costs one
        ``stat`` of a journal file, or one small query of an RDB, when nothing changed.

        Examples
        --------
        >>> from optuna.storages import InMemoryStorage
        >>> from workbench.store import open_store
        >>> store = open_store(InMemoryStorage())
        >>> cursor, names = store.changes()
        >>> store.changes(cursor)[1]
        []
        """
        return self._source.changes(since)


# -- helpers ---------------------------------------------------------------------------------
def _extends(user_attrs: Mapping[str, Any]) -> int | None:
    return extends_of(user_attrs.get(EXTENDS_KEY))


def _sorted_rows(frame: pd.DataFrame, sort: str, descending: bool) -> pd.DataFrame:
    """``frame`` sorted by the column ``sort`` as :meth:`Store.trials` sorts: rows without a
    value there last whichever the direction, ties in the order they were."""
    unsortable = {"intermediate_values", "values", "reused_in"}
    if sort not in frame.columns or sort in unsortable:
        choices = [str(c) for c in frame.columns if c not in unsortable]
        hint = did_you_mean(str(sort), choices)
        raise StoreQueryError(
            f"Cannot sort the trials by {sort!r}: there is no such column.{hint} The columns "
            f"are {', '.join(choices)}."
        )
    column = frame[sort]
    present = column.notna()
    keyed = frame[present].copy()
    try:
        keyed = keyed.sort_values(sort, ascending=not descending, kind="stable")
    except TypeError:  # values of several types: as text
        keyed = keyed.sort_values(
            sort, key=lambda c: c.map(str), ascending=not descending, kind="stable"
        )
    return pd.concat([keyed, frame[~present]])


def _check_count(name: str, value: Any) -> None:
    check_option(name, value, [Interval(int, 0)], StoreQueryError)


def _metric(attrs: Mapping[str, Any]) -> str | None:
    if METRIC_KEY in attrs:
        metric = attrs[METRIC_KEY]
        return None if metric is None else str(metric)
    setup = attrs.get(SETUP_KEY)
    if isinstance(setup, Mapping) and setup.get("scoring") is not None:
        return str(setup["scoring"])
    return None


def _summary_row(raw: Mapping[str, Any]) -> dict[str, Any]:
    attrs = raw["user_attrs"]
    kind = attrs.get(KIND_KEY, STUDY)
    metric = _metric(attrs)
    direction = ",".join(raw["directions"])
    best = raw["best_max"] if direction.startswith("maximize") else raw["best_min"]
    if kind == RUN and METRIC_KEY not in attrs:  # recorded before runs named a metric
        record = raw["first_record"]() or {}
        metric = record.get("value_column") if isinstance(record, Mapping) else None
        if metric is not None:
            direction = metric_direction(metric)
        best = best if metric is not None else None
    if attrs.get(NO_VALUE_KEY):
        best = None
    counts = raw["counts"]
    started: datetime.datetime | None = raw["started"]
    versions = version_fields(raw["name"], attrs) if kind != RUN else _not_versioned(raw["name"])
    return {
        "name": raw["name"],
        "kind": kind,
        "metric": metric,
        "direction": direction,
        "best_value": best,
        "n_trials": sum(counts.values()),
        **counts,
        "started": started,
        "last_change": raw["last_change"],
        **versions,
    }


def _not_versioned(name: str) -> dict[str, Any]:
    return {"base": name, "version": 1, "version_from": None, "reused": 0}
