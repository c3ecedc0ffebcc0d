"""History: the learning statistics of one epoch run, a pandas DataFrame.

It lives in the store (the bottom layer) because the store reads it back; training makes it
and re-exports it as ``workbench.training.History``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

#: Columns every History has, in this order; metric columns follow.
BASE_COLUMNS = ("epoch", "phase", "mutation", "n_train", "n_valid", "epoch_time")


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
        return [c for c in self.columns if str(c).startswith(("train_", "valid_"))]
