"""Early stopping: a callback that ends a run when a statistic stops improving."""

from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Sequence
from typing import Any, ClassVar

from workbench._internal.names import did_you_mean
from workbench._internal.options import Interval, OneOf, check_options
from workbench.core import Callback
from workbench.exceptions import StopTraining, TrainingError, WorkbenchWarning
from workbench.store.shared import lower_is_better
from workbench.training._snapshot import copy_learned


class EarlyStopping(Callback):
    """Stop an epoch run when ``monitor`` has not improved for ``patience`` epochs.

    Parameters
    ----------
    monitor : str, optional
        A History column. By default the first ``valid_*`` metric, else ``train_loss``, else
        the first ``train_*`` metric.
    patience : int
        Epochs without improvement before stopping.
    min_delta : float
        Smallest change that counts as an improvement.
    mode : {"auto", "min", "max"}
        ``auto``: the store's one rule (``workbench.store.shared.lower_is_better``): lower
        is better for losses and errors (``loss``, ``error``, ``mse``, ``mae``, ``rmse``,
        ``perplexity``, ...), higher for the rest (scikit-learn's scorers, ``neg_*`` ones
        included, are all greater-is-better).
    restore_best : bool
        When stopping, put back the state of the best epoch, where the steps allow it
        (a step with ``state_dict``/``load_state_dict``, or one whose attributes copy).

    Examples
    --------
    >>> EarlyStopping(monitor="valid_accuracy", patience=2).mode_for("valid_accuracy")
    'max'
    >>> EarlyStopping(monitor="valid_mse").mode_for("valid_mse")
    'min'
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "patience": [Interval(int, 1)],
        "min_delta": [Interval(float, 0)],
        "mode": [OneOf("auto", "min", "max")],
    }

    def __init__(
        self,
        *,
        monitor: str | None = None,
        patience: int = 5,
        min_delta: float = 0.0,
        mode: str = "auto",
        restore_best: bool = True,
    ):
        check_options(
            {"patience": patience, "min_delta": min_delta, "mode": mode},
            self._parameter_constraints,
            TrainingError,
        )
        self.monitor = monitor
        self.patience = patience
        self.min_delta = min_delta
        self.mode = mode
        self.restore_best = restore_best
        self.best: float | None = None
        self.best_epoch: int | None = None
        self._column: str | None = None
        self._wait = 0
        self._state: list[tuple[Any, Any]] | None = None

    @staticmethod
    def default_monitor(columns: Sequence[str]) -> str | None:
        """What ``monitor=None`` watches among ``columns``: the first validation statistic,
        else the training loss, else the first training statistic; None when there is none."""
        for prefix in ("valid_", "train_loss", "train_"):
            for column in columns:
                if column.startswith(prefix):
                    return column
        return None

    def mode_for(self, column: str) -> str:
        """``min`` or ``max``: which way is better for ``column``."""
        if self.mode != "auto":
            return self.mode
        return "min" if lower_is_better(column) else "max"

    def choose_column(self, columns: Sequence[str]) -> str:
        """The monitored column among those a run will have; an error when it has none."""
        if self.monitor is not None:
            if self.monitor not in columns:
                raise TrainingError(
                    f"EarlyStopping monitors {self.monitor!r}, but this run's History has "
                    f"the statistics {list(columns)}.{did_you_mean(self.monitor, columns, n=1)}"
                )
            return self.monitor
        column = self.default_monitor(columns)
        if column is not None:
            return column
        raise TrainingError(
            "EarlyStopping needs a statistic to watch, but this run records none: add "
            "validation (validation_fraction=0.2) or metrics, or use a step that reports a loss."
        )

    def on_fit_begin(self, **data: Any) -> None:
        self._column = self.choose_column(data.get("statistics", ()))
        self.best, self.best_epoch, self._wait, self._state = None, None, 0, None

    def on_epoch_end(self, **data: Any) -> None:
        epoch, row, step = data["epoch"], data["row"], data["step"]
        column = self._column or self.choose_column(list(row))
        value = row.get(column)
        if value is None or not math.isfinite(value):
            return
        better = self.best is None or (
            value < self.best - self.min_delta
            if self.mode_for(column) == "min"
            else value > self.best + self.min_delta
        )
        if better:
            self.best, self.best_epoch, self._wait = float(value), epoch, 0
            if self.restore_best:
                self._state = snapshot(step)
            return
        self._wait += 1
        if self._wait >= self.patience:
            if self.restore_best and self._state is not None:
                restore(self._state)
            raise StopTraining(
                f"{column} did not improve for {self.patience} epochs; best "
                f"{self.best:.6g} at epoch {self.best_epoch}"
                + (" (restored)" if self.restore_best and self._state is not None else "")
            )


def _leaves(root: Any) -> list[Any]:
    if hasattr(root, "walk"):
        found = [root] if not root.named_children() else []
        found += [
            step
            for _, step in root.walk()
            if not getattr(step, "named_children", None) or not step.named_children()
        ]
        return [step for step in found if not isinstance(step, str) and step is not None]
    return [root]


def snapshot(root: Any) -> list[tuple[Any, Any]]:
    """A copy of the learned state of every leaf step of ``root``."""
    state = []
    for step in _leaves(root):
        try:
            if hasattr(step, "state_dict") and hasattr(step, "load_state_dict"):
                state.append((step, ("state_dict", copy.deepcopy(step.state_dict()))))
            else:
                state.append((step, ("vars", copy_learned(vars(step)))))
        except Exception as error:  # a step that cannot be copied keeps its latest state
            warnings.warn(
                f"Cannot copy the state of {type(step).__name__} ({error}); early stopping "
                f"will not restore it.",
                WorkbenchWarning,
                stacklevel=2,
            )
    return state


def restore(state: list[tuple[Any, Any]]) -> None:
    """Put back a :func:`snapshot` into the same step objects."""
    for step, (kind, saved) in state:
        if kind == "state_dict":
            step.load_state_dict(copy.deepcopy(saved))
        else:
            values = copy_learned(saved)
            vars(step).clear()
            vars(step).update(values)
