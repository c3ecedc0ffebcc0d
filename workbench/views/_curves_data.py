"""Learning curves as plain data: series per statistic, mutation segments, run states."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

import pandas as pd

from workbench.store import shared
from workbench.views._curves_store import StoredRun, check_source, read_stored


class SeriesInfo(NamedTuple):
    """One line: a statistic of one run on one split, point by point."""

    run: str
    statistic: str
    split: str
    epochs: list[int]
    values: list[float | None]


class SegmentInfo(NamedTuple):
    """Where a run's pipeline changed: from ``epoch`` on, ``label`` (mutations or phase)."""

    run: str
    epoch: int
    label: str


class RunInfo(NamedTuple):
    """A run or trial: its name and state (``complete``, ``pruned``, ``fail``, ``running``),
    and the phases of its first and last epochs (so that a live run can continue it)."""

    name: str
    state: str | None
    first_epoch: int | None = None
    first_phase: str | None = None
    last_phase: str | None = None


class CurvesInfo(NamedTuple):
    """Everything the curves view draws, as plain data."""

    title: str
    runs: list[RunInfo]
    series: list[SeriesInfo]
    segments: list[SegmentInfo]
    message: str | None


#: The store's one rule for which History columns are statistics.
split_statistic = shared.split_statistic


def plain_number(value: Any) -> float | None:
    """A finite float rounded to 6 significant digits, else None (JSON null)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return float(f"{number:.6g}") if math.isfinite(number) else None


class SegmentTracker(shared.MarkTracker):
    """The store's marks of one run (where its pipeline changed) as segment marks."""

    def __init__(self, run: str):
        super().__init__()
        self.run = run

    @classmethod
    def resume(cls, run: RunInfo, marked: bool) -> SegmentTracker:
        """A tracker that continues ``run`` as drawn so far."""
        tracker = cls(run.name)
        if run.first_epoch is not None:
            tracker.first = (run.first_epoch, run.first_phase or "")
        tracker.phase, tracker.marked_first = run.last_phase, marked
        return tracker

    def add(self, epoch: int, phase: Any, mutation: Any) -> list[SegmentInfo]:  # type: ignore[override]
        return [
            SegmentInfo(self.run, at, label) for at, label in super().add(epoch, phase, mutation)
        ]


def history_rows(history: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of a History (or any per-epoch frame) as dicts, epochs numbered from 1."""
    rows: list[dict[str, Any]] = [
        {str(k): v for k, v in row.items()} for row in history.to_dict("records")
    ]
    for index, row in enumerate(rows, start=1):
        epoch = row.get("epoch")
        row["epoch"] = index if epoch is None or epoch != epoch else int(epoch)
    return rows


def run_curves(
    run: str, rows: Iterable[Mapping[str, Any]], statistics: Iterable[str] | None = None
) -> tuple[list[SeriesInfo], list[SegmentInfo], SegmentTracker]:
    """The series and segments of one run, from its per-epoch rows, and where it stands."""
    wanted = None if statistics is None else set(statistics)
    series: dict[tuple[str, str], SeriesInfo] = {}
    tracker = SegmentTracker(run)
    segments: list[SegmentInfo] = []
    for row in rows:
        epoch = int(row["epoch"])
        segments += tracker.add(epoch, row.get("phase"), row.get("mutation"))
        for column, value in row.items():
            named = split_statistic(str(column))
            if named is None or (wanted is not None and named[1] not in wanted):
                continue
            split, statistic = named
            line = series.get((statistic, split))
            if line is None:
                line = series[statistic, split] = SeriesInfo(run, statistic, split, [], [])
            line.epochs.append(epoch)
            line.values.append(plain_number(value))
    return list(series.values()), segments, tracker


def _get_curves_info(
    source: Any, *, storage: Any = None, statistics: Iterable[str] | None = None
) -> CurvesInfo:
    """The curves of a History, of a stored run or study (by name), of a Tuner's study, or
    of several of them (a mapping name -> History or a list of names)."""
    runs = _stored_runs(source, storage)
    info_runs, series, segments = [], [], []
    for stored in runs:
        if stored.history is None or not len(stored.history):
            info_runs.append(RunInfo(stored.name, stored.state))
            continue
        lines, marks, tracker = run_curves(stored.name, history_rows(stored.history), statistics)
        first_epoch, first_phase = tracker.first or (None, None)
        info_runs.append(
            RunInfo(stored.name, stored.state, first_epoch, first_phase or None, tracker.phase)
        )
        series += lines
        segments += marks
    message = None
    if runs and not series:
        message = (
            "No run here recorded per-epoch statistics: curves need epoch runs "
            "(fit_epochs, or a Tuner with epochs=...)."
        )
    return CurvesInfo(_title(source), info_runs, series, segments, message)


def _title(source: Any) -> str:
    if isinstance(source, str):
        return source
    study_name = getattr(source, "study_name", None)
    return str(study_name) if isinstance(study_name, str) else ""


def _stored_runs(source: Any, storage: Any) -> list[StoredRun]:
    check_source(source)
    if source is None:
        return []
    if isinstance(source, pd.DataFrame):
        name = str(source.attrs.get("run_name") or "run")
        return [StoredRun(name, "complete", source)]
    if isinstance(source, str):
        return read_stored(source, storage)
    if hasattr(source, "study") and hasattr(source, "study_name"):  # a Tuner
        return read_stored(source.study_name, source.study)
    if isinstance(source, Mapping):
        return [
            run
            for name, item in source.items()
            for run in _renamed(_stored_runs(item, storage), str(name))
        ]
    return [run for item in source for run in _stored_runs(item, storage)]


def _renamed(runs: list[StoredRun], name: str) -> list[StoredRun]:
    if len(runs) == 1:
        return [runs[0]._replace(name=name)]
    return [run._replace(name=f"{name} {run.name}") for run in runs]
