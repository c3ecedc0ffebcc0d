"""Progress of an epoch run or a study: a bar that ends in a state that reads right."""

from __future__ import annotations

import html
import math
import threading
import time
from typing import Any, NamedTuple

import ipywidgets
from ipywidgets.widgets.widget_string import HTMLStyle

from workbench._internal.options import Interval, OneOf, check_options
from workbench.core import Callback
from workbench.exceptions import ViewError
from workbench.store.shared import better, lower_is_better
from workbench.training import EarlyStopping
from workbench.views._kernel import ShowsItself, after_each_cell, plain_layout, plain_style
from workbench.views._picture import Picture, Pictured, picture_changed
from workbench.views._picture_draw import progress_picture


class BestInfo(NamedTuple):
    """The best value so far of the watched statistic, and the epoch or trial it came at."""

    statistic: str
    value: float
    at: int


class ProgressInfo(NamedTuple):
    """What the progress view shows, as plain data."""

    kind: str  # "epochs" or "trials"
    status: str  # "waiting", "running", "complete", "stopped" or "failed"
    done: int
    total: int | None
    best: BestInfo | None
    counts: dict[str, int]  # trials by state
    reason: str | None  # why a run stopped early, or the error that ended it
    elapsed: float
    text: str
    bar_style: str  # ipywidgets' bar styles: "", "success", "info", "warning", "danger"


class _State:
    """What the events said so far."""

    def __init__(self, total: int | None, direction: str | None, monitor: str | None):
        self.kind = "epochs"
        self.status = "waiting"
        self.total = total
        self.direction = direction
        self.monitor = monitor
        self.done = 0
        self.epoch: int | None = None
        self.best: BestInfo | None = None
        self.counts: dict[str, int] = {}
        self.reason: str | None = None
        self.started: float | None = None
        self.ended: float | None = None
        self.last_value: float | None = None


def _lower_is_better(statistic: str, direction: str | None) -> bool:
    if direction is not None:
        return direction == "minimize"
    return lower_is_better(statistic)


def _watched(statistics: Any) -> str | None:
    """The statistic early stopping would watch."""
    return EarlyStopping.default_monitor([str(c) for c in statistics or ()])


def _improve(state: _State, statistic: str, value: Any, at: int) -> None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return
    if not math.isfinite(number):
        return
    state.last_value = number
    best = state.best
    lower = _lower_is_better(statistic, state.direction)
    if best is None or better(number, best.value, "minimize" if lower else "maximize"):
        state.best = BestInfo(statistic, number, at)


def _fmt(value: float) -> str:
    return f"{value:.4g}"


def _get_progress_info(state: _State) -> ProgressInfo:
    """The text and bar style for ``state``."""
    elapsed = 0.0
    if state.started is not None:
        elapsed = (state.ended or time.monotonic()) - state.started
    unit = "epoch" if state.kind == "epochs" else "trial"
    total = f"/{state.total}" if state.total else ""
    parts: list[str] = []
    best = state.best
    if state.kind == "epochs":
        where = f"epoch {state.epoch}" if state.epoch is not None else f"{state.done} epochs"
        if state.status == "running":
            parts.append(f"epoch {state.done}{total}")
            if best is not None and state.last_value is not None:
                parts.append(f"{best.statistic} {_fmt(state.last_value)}")
        elif state.status == "complete":
            parts.append(f"✓ {state.done}{total} epochs in {elapsed:.1f} s")
        elif state.status == "stopped":
            reason = (state.reason or "").split(";")[0]
            of = f" of {state.total}" if state.total else ""
            parts.append(f"✓ stopped early at {where}{of}" + (f": {reason}" if reason else ""))
        elif state.status == "failed":
            parts.append(f"✗ failed at {where}: {state.reason}")
        if best is not None:
            parts.append(f"best {best.statistic} {_fmt(best.value)} at epoch {best.at}")
        if state.status == "running" and state.done:
            parts.append(f"{elapsed / state.done:.2g} s/{unit}")
    else:
        counts = ", ".join(f"{n} {name}" for name, n in state.counts.items() if n)
        if state.status == "running":
            parts.append(f"{state.done}{total} trials done")
        elif state.status == "complete":
            parts.append(f"✓ {state.done}{total} trials in {elapsed:.1f} s")
        elif state.status == "stopped":
            parts.append(f"■ stopped after {state.done}{total} trials")
        elif state.status == "failed":
            parts.append(f"✗ {state.reason}")
        if counts:
            parts.append(counts)
        if best is not None:
            parts.append(f"best {_fmt(best.value)} (trial {best.at})")
    if state.status == "waiting":
        parts = ["waiting for the run to start"]
    style = {"complete": "success", "stopped": "success", "failed": "danger"}.get(state.status, "")
    if (
        state.kind == "trials"
        and state.status in ("complete", "stopped")
        and not state.counts.get("complete")
    ):
        style = "danger" if state.counts.get("fail") else "warning"
    return ProgressInfo(
        kind=state.kind,
        status=state.status,
        done=state.done,
        total=state.total,
        best=best,
        counts=dict(state.counts),
        reason=state.reason,
        elapsed=elapsed,
        text=" · ".join(parts),
        bar_style=style,
    )


class Progress(Pictured, ShowsItself, ipywidgets.HBox, Callback):
    """A progress bar for an epoch run or a tuning study, with the best value so far.

    A callback: ``fit_epochs(..., callbacks=[Progress()])`` (which then shows no tqdm bar) or
    ``Tuner(..., callbacks=[Progress(total=n_trials)])``. It ends green when the run
    completes or stops early because it stopped improving (saying so, with the best epoch),
    and red only when the run failed.

    Parameters
    ----------
    total : int, optional
        Trials to expect (an epoch run says its own number of epochs).
    direction : {"maximize", "minimize"}, optional
        Which way is better. By default the store's one rule decides for each statistic
        (``workbench.store.shared.lower_is_better``: losses and errors such as ``loss``,
        ``mse``, ``rmse``, ``error`` are better lower, the rest higher), and trial values are
        better higher.
    monitor : str, optional
        The History column whose best is shown; by default the first validation statistic,
        else the training loss.
    throttle : float
        Seconds between two updates of the bar during a run.

    Examples
    --------
    >>> bar = Progress()
    >>> bar.on_fit_begin(kind="epochs", path="", epochs=4, statistics=["valid_accuracy"])
    >>> bar.on_epoch_end(epoch=1, row={"valid_accuracy": 0.8})
    >>> bar.on_fit_end(kind="epochs", path="", history=None)
    >>> bar.info().status, bar.info().best
    ('complete', BestInfo(statistic='valid_accuracy', value=0.8, at=1))
    """

    shows_progress = True  # fit_epochs then shows no tqdm bar of its own

    def __init__(
        self,
        *,
        total: int | None = None,
        direction: str | None = None,
        monitor: str | None = None,
        throttle: float = 0.1,
    ):
        check_options(
            {"total": total, "direction": direction, "throttle": throttle},
            {
                "total": [None, Interval(int, 1)],
                "direction": [OneOf("maximize", "minimize"), None],
                "throttle": [Interval(float, 0, noun="a number of seconds")],
            },
            ViewError,
        )
        self._lock = threading.RLock()
        self._state = _State(total, direction, monitor)
        self._monitor = monitor
        self.throttle = float(throttle)
        self._last_draw = float("-inf")
        self._main_thread_run = False
        self.bar = ipywidgets.IntProgress(value=0, min=0, max=max(total or 1, 1))
        self.bar.layout.width = "220px"
        self.label = ipywidgets.HTML(layout=plain_layout(), style=plain_style(HTMLStyle))
        super().__init__([self.bar, self.label])
        self.add_class("wb-progress")
        self._draw(force=True)
        self._unhook = after_each_cell(self._after_cell)

    # -- plain data -----------------------------------------------------------------------------
    def info(self) -> ProgressInfo:
        """What the bar shows, as plain data."""
        with self._lock:
            return _get_progress_info(self._state)

    def _draw(self, *, force: bool = False) -> None:
        now = time.monotonic()
        with self._lock:
            if not force and now - self._last_draw < self.throttle:
                return
            self._last_draw = now
            info = _get_progress_info(self._state)
            with self.hold_sync():
                total = info.total if info.total else max(info.done, 1)
                if info.status in ("complete", "stopped") and info.kind == "epochs":
                    total = max(info.done, 1)  # it ended as it should: a full bar
                self.bar.max = max(total, 1)
                self.bar.value = min(info.done, self.bar.max)
                self.bar.bar_style = info.bar_style
                self.label.value = (
                    f'<span class="wb-progress-text" title="{html.escape(info.reason or "")}">'
                    f"{html.escape(info.text)}</span>"
                )
        picture_changed(self, settled=info.status not in ("running", "waiting"))

    def _draw_picture(self) -> Picture:
        return progress_picture(self.info())

    # -- epoch runs -----------------------------------------------------------------------------
    def on_fit_begin(self, **data: Any) -> None:
        if data.get("kind") != "epochs" or data.get("path", "") != "":
            return
        self.show_when_run_starts()
        with self._lock:
            state = self._state
            if state.kind == "trials" and state.status == "running":
                return  # the epoch runs inside trials: this bar counts trials
            total = data.get("epochs")
            monitor = self._monitor or _watched(data.get("statistics"))
            self._state = _State(total, state.direction, monitor)
            self._state.status, self._state.started = "running", time.monotonic()
            self._main_thread_run = threading.current_thread() is threading.main_thread()
        self._draw(force=True)

    def on_epoch_end(self, **data: Any) -> None:
        with self._lock:
            state = self._state
            if state.kind != "epochs" or state.status != "running":
                return
            state.done += 1
            state.epoch = int(data["epoch"])
            row = data.get("row") or {}
            monitor = state.monitor or _watched(row)
            if monitor is not None and monitor in row:
                _improve(state, monitor, row[monitor], state.epoch)
        self._draw()

    def on_fit_end(self, **data: Any) -> None:
        if data.get("kind") != "epochs" or data.get("path", "") != "":
            return
        with self._lock:
            state = self._state
            if state.kind != "epochs" or state.status != "running":
                return
            history = data.get("history")
            attrs = getattr(history, "attrs", {}) or {}
            state.reason = attrs.get("stop_reason")
            state.status = "stopped" if state.reason else "complete"
            state.ended = time.monotonic()
        self._draw(force=True)

    # -- studies --------------------------------------------------------------------------------
    def on_trial_begin(self, **data: Any) -> None:
        self.show_when_run_starts()
        with self._lock:
            state = self._state
            if state.kind != "trials" or state.status not in ("running", "waiting"):
                self._state = state = _State(state.total, state.direction, None)
                state.kind = "trials"
            if state.status == "waiting":
                state.status, state.started = "running", time.monotonic()
                self._main_thread_run = threading.current_thread() is threading.main_thread()
        self._draw(force=True)

    def on_trial_end(self, **data: Any) -> None:
        with self._lock:
            state = self._state
            if state.kind != "trials":
                return
            state.done += 1
            trial_state = str(data.get("state") or "complete")
            state.counts[trial_state] = state.counts.get(trial_state, 0) + 1
            if trial_state == "complete" and data.get("value") is not None:
                _improve(state, "value", data["value"], int(data.get("trial", state.done - 1)))
            if state.total is not None and state.done >= state.total:
                state.status, state.ended = "complete", time.monotonic()
        self._draw(force=True)

    def finish(self, *, stopped: bool = False, error: str | None = None) -> None:
        """End the bar: complete, stopped by the user, or failed with ``error``."""
        with self._lock:
            state = self._state
            if state.status not in ("running", "waiting"):
                return
            state.status = "failed" if error else "stopped" if stopped else "complete"
            state.reason = error or state.reason
            state.ended = time.monotonic()
            if state.started is None:
                state.started = state.ended
        self._draw(force=True)

    def _after_cell(self, result: Any) -> None:
        """A run on the main thread still running after its cell ended has failed."""
        with self._lock:
            running = self._state.status == "running" and self._main_thread_run
            trials = self._state.kind == "trials"
        if not running:
            return
        error = getattr(result, "error_in_exec", None)
        if error is None and trials:  # a study of unknown length ended with its cell
            self.finish()
            return
        if error is None:
            message = "the cell ended before the run did"
        else:
            message = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        self.finish(error=message)

    def close(self) -> None:
        """Close the widget and stop listening to the kernel's cells."""
        unhook = getattr(self, "_unhook", None)
        if unhook is not None:
            unhook()
            self._unhook = None
        super().close()
