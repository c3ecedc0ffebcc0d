"""History: the learning statistics of one epoch run, a pandas DataFrame.

It lives in the store (the bottom layer) because the store reads it back; training makes it
and re-exports it as ``workbench.training.History``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

#: Columns every History has, in this order; metric columns follow.
BASE_COLUMNS = ("epoch", "phase", "mutation", "n_train", "n_valid", "epoch_time")
#: The splits a statistic is measured on, as its column's prefix (``train_loss``).
SPLITS = ("train", "valid")


@functools.lru_cache(maxsize=4096)
def split_statistic(column: str) -> tuple[str, str] | None:
    """``("train", "loss")`` for the History column ``train_loss``; None for a column that is
    no statistic (``epoch``, ``phase``, ``n_train``, ``epoch_time``, ...).

    The one rule for which History columns are statistics: ``train_<name>`` and
    ``valid_<name>``.

    Examples
    --------
    >>> split_statistic("valid_accuracy"), split_statistic("n_train")
    (('valid', 'accuracy'), None)
    """
    for split in SPLITS:
        if column.startswith(split + "_") and len(column) > len(split) + 1:
            return split, column[len(split) + 1 :]
    return None


def is_statistic(column: Any) -> bool:
    """Whether a History column is a statistic (see :func:`split_statistic`)."""
    return split_statistic(str(column)) is not None


class History(pd.DataFrame):
    """Learning statistics of an epoch run: a pandas DataFrame, one row per epoch.

    Columns: ``epoch`` (1-based, continuing across runs that extend a history), ``phase``
    (a label such as ``"pretrain"``), ``mutation`` (the mutations of the pipeline made just
    before that epoch, such as ``"replace decoder; freeze encoder"``, else None), ``n_train``
    and ``n_valid`` (samples learned from and validated on), ``epoch_time`` (seconds), then
    ``train_loss`` where a step reports a loss, and ``train_<metric>`` / ``valid_<metric>``
    for each metric. ``batches`` holds one row per mini-batch when the run recorded them
    (``record_batches=True``), else None. ``attrs`` says why a run stopped early
    (``stop_reason``) and, with early stopping, which epoch was best (``best_epoch``).

    It is a DataFrame in every respect (``history.plot(x="epoch", y="valid_accuracy")``).

    Examples
    --------
    >>> history = History.from_rows([{"epoch": 1, "train_loss": 0.7}])
    >>> history[["epoch", "train_loss"]].to_dict("records")
    [{'epoch': 1, 'train_loss': 0.7}]
    """

    _metadata = ["batches"]  # pandas' subclassing protocol

    batches: pd.DataFrame | None = None

    @property
    def _constructor(self) -> type[History]:
        return History

    @classmethod
    def from_rows(
        cls,
        rows: Iterable[Mapping[str, Any]],
        *,
        batches: Iterable[Mapping[str, Any]] | None = None,
        attrs: Mapping[str, Any] | None = None,
    ) -> History:
        """A History from epoch rows (dicts), base columns first, the rest as they come."""
        rows = list(rows)
        columns = [
            column for column in BASE_COLUMNS if not rows or any(column in row for row in rows)
        ]
        for row in rows:
            columns += [column for column in row if column not in columns]
        history = cls(pd.DataFrame.from_records(rows, columns=columns))
        if "mutation" in history.columns:  # None where nothing changed, not NaN
            history["mutation"] = pd.Series(
                [row.get("mutation") for row in rows], index=history.index, dtype=object
            )
        history.batches = None if batches is None else pd.DataFrame.from_records(list(batches))
        history.attrs.update(attrs or {})
        return history

    @property
    def metrics(self) -> list[str]:
        """The statistic columns (``train_*``, ``valid_*``)."""
        return [c for c in self.columns if is_statistic(c)]


def final_statistics(history: pd.DataFrame) -> dict[str, float | None]:
    """Each statistic column's value at the last epoch (None where it is missing there).

    Examples
    --------
    >>> history = History.from_rows([{"train_loss": 0.9}, {"train_loss": 0.4}])
    >>> final_statistics(history)
    {'train_loss': 0.4}
    """
    if not len(history):
        return {}
    last = history.iloc[-1]
    return {str(c): _number(last[c]) for c in history.columns if is_statistic(c)}


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


class MarkTracker:
    """Where a run's pipeline changed, epoch by epoch: the phase and mutation of successive
    History rows become marks ``(epoch, label)``.

    A mark is due where the pipeline mutated before an epoch or its phase changed; the first
    epoch is marked with its phase once a later mark shows there are several segments (or at
    once, when it starts with a mutation).
    """

    def __init__(self) -> None:
        self.first: tuple[int, str] | None = None
        self.phase: str | None = None
        self.marked_first = False

    def add(self, epoch: int, phase: Any, mutation: Any) -> list[tuple[int, str]]:
        """The marks due at ``epoch``, given its row's ``phase`` and ``mutation``."""
        phase = None if phase is None or phase != phase else str(phase)
        mutation = None if mutation is None or mutation != mutation else str(mutation)
        if self.first is None:
            self.first, self.phase = (epoch, phase or ""), phase
            if mutation:
                self.marked_first = True
                return [(epoch, _label(phase, mutation, True))]
            return []
        changed_phase = phase is not None and phase != self.phase
        self.phase = phase if phase is not None else self.phase
        if not (mutation or changed_phase):
            return []
        marks = []
        if not self.marked_first and self.first[1]:
            marks.append(self.first)
        self.marked_first = True
        marks.append((epoch, _label(phase, mutation, changed_phase)))
        return marks


def _label(phase: str | None, mutation: str | None, show_phase: bool) -> str:
    if mutation and show_phase and phase:
        return f"{phase}: {mutation}"
    return mutation or phase or ""


def history_marks(history: pd.DataFrame) -> list[tuple[int, str]]:
    """Every mark of a History (see :class:`MarkTracker`); epochs numbered from 1 where the
    History has none.

    Examples
    --------
    >>> history = History.from_rows([
    ...     {"epoch": 1, "phase": "pretrain", "mutation": None},
    ...     {"epoch": 2, "phase": "finetune", "mutation": "freeze encoder"}])
    >>> history_marks(history)
    [(1, 'pretrain'), (2, 'finetune: freeze encoder')]
    """
    tracker = MarkTracker()
    marks: list[tuple[int, str]] = []
    epochs = history["epoch"] if "epoch" in history.columns else None
    phases = history["phase"] if "phase" in history.columns else None
    mutations = history["mutation"] if "mutation" in history.columns else None
    for index in range(len(history)):
        epoch = epochs.iloc[index] if epochs is not None else None
        epoch = index + 1 if epoch is None or epoch != epoch else int(epoch)
        phase = phases.iloc[index] if phases is not None else None
        mutation = mutations.iloc[index] if mutations is not None else None
        marks += tracker.add(epoch, phase, mutation)
    return marks
