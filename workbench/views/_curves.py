"""Live learning curves: one persistent widget that receives only the new points."""

from __future__ import annotations

import itertools
import pathlib
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any

import traitlets

from workbench.core import Callback
from workbench.exceptions import ViewError
from workbench.views._curves_data import (
    CurvesInfo,
    SegmentInfo,
    SegmentTracker,
    _get_curves_info,
    plain_number,
    split_statistic,
)
from workbench.views._kernel import SharedCodeWidget, ShowsItself, after_each_cell
from workbench.views._picture import Picture, Pictured, picture_changed
from workbench.views._picture_draw import curves_picture

#: Live updates are numbered modulo this (the state keeps the full count), so an update after
#: epoch 5,000 is no longer than one after epoch 50; the front end tells the next message
#: (+1), a stale one and a gap apart while fewer than half of it are in flight.
SEQ_MODULUS = 100


class _Buffer:
    """The chart's data as the front end holds it, and the points not sent yet."""

    def __init__(self, statistics: Iterable[str] | None):
        self.statistics = None if statistics is None else set(statistics)
        self.seq = 0
        self.title = ""
        self.message: str | None = None
        self.runs: dict[str, str | None] = {}
        self.series: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.segments: list[dict[str, Any]] = []
        self.trackers: dict[str, SegmentTracker] = {}
        self.last_epoch: dict[str, int] = {}
        self._x_by_id: dict[int, list[int]] = {}
        self._new_series: list[dict[str, Any]] = []
        self._points: dict[int, tuple[list[int], list[float | None]]] = {}
        self._new_segments: list[dict[str, Any]] = []
        self._run_changes: dict[str, str | None] = {}
        self._message_changed = False

    def load(self, info: CurvesInfo) -> None:
        self.title = info.title
        self.message = info.message
        marked = {mark.run for mark in info.segments}
        for run in info.runs:
            self.set_state(run.name, run.state)
            self.trackers[run.name] = SegmentTracker.resume(run, run.name in marked)
        for line in info.series:
            series = self._series(line.run, line.statistic, line.split)
            series["x"] += line.epochs
            series["y"] += line.values
            self.last_epoch[line.run] = max(self.last_epoch.get(line.run, 0), *line.epochs)
        for mark in info.segments:
            self._segment(mark)
        self.clear_pending()

    def clear_pending(self) -> None:
        self._new_series, self._points, self._new_segments = [], {}, []
        self._run_changes, self._message_changed = {}, False

    def _series(self, run: str, statistic: str, split: str) -> dict[str, Any]:
        key = (run, statistic, split)
        series = self.series.get(key)
        if series is None:
            number = len(self.series)
            meta: dict[str, Any] = {"id": number, "run": run, "stat": statistic, "split": split}
            series = self.series[key] = {**meta, "x": [], "y": []}
            self._x_by_id[number] = series["x"]
            self._new_series.append(meta)
        return series

    def _segment(self, mark: SegmentInfo) -> None:
        plain = {"run": mark.run, "x": mark.epoch, "label": mark.label}
        self.segments.append(plain)
        self._new_segments.append(plain)

    def set_state(self, run: str, state: str | None) -> None:
        if run not in self.runs or self.runs[run] != state:
            self.runs[run] = state
            self._run_changes[run] = state

    def set_message(self, message: str | None) -> None:
        if message != self.message:
            self.message, self._message_changed = message, True

    def add_row(self, run: str, epoch: int, row: Mapping[str, Any]) -> None:
        if run not in self.runs:
            self.set_state(run, "running")
        tracker = self.trackers.get(run)
        if tracker is None:
            tracker = self.trackers[run] = SegmentTracker(run)
        for mark in tracker.add(epoch, row.get("phase"), row.get("mutation")):
            self._segment(mark)
        self.last_epoch[run] = epoch
        for column, value in row.items():
            named = split_statistic(str(column))
            if named is None or (self.statistics is not None and named[1] not in self.statistics):
                continue
            series = self._series(run, named[1], named[0])
            number = plain_number(value)
            series["x"].append(epoch)
            series["y"].append(number)
            pending = self._points.get(series["id"])
            if pending is None:
                pending = self._points[series["id"]] = ([], [])
            pending[0].append(epoch)
            pending[1].append(number)

    def take_update(self) -> dict[str, Any] | None:
        """The message that brings the front end up to date, or None when it is."""
        if not (
            self._points
            or self._new_series
            or self._new_segments
            or self._run_changes
            or self._message_changed
        ):
            return None
        self.seq += 1
        message: dict[str, Any] = {"type": "append", "seq": self.seq % SEQ_MODULUS}
        if self._new_series:
            message["new"] = self._new_series
        if self._points:
            message["pts"] = [
                self._points_entry(key, xs, ys) for key, (xs, ys) in self._points.items()
            ]
        if self._new_segments:
            message["seg"] = self._new_segments
        if self._run_changes:
            message["runs"] = [{"name": n, "state": s} for n, s in self._run_changes.items()]
        if self._message_changed:
            message["message"] = self.message
        self.clear_pending()
        return message

    def _points_entry(self, key: int, xs: list[int], ys: list[float | None]) -> list[Any]:
        """``[id, step, ys]`` for consecutive epochs, ``step`` counted from the last epoch
        the front end has (so the message does not grow with the epoch number), else
        ``[id, xs, ys]``."""
        if all(b - a == 1 for a, b in itertools.pairwise(xs)):
            series_x = self._x_by_id[key]
            before = series_x[-len(xs) - 1] if len(series_x) > len(xs) else 0
            return [key, xs[0] - before, ys]
        return [key, xs, ys]

    def snapshot(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "title": self.title,
            "x_label": "epoch",
            "message": self.message,
            "runs": [{"name": name, "state": state} for name, state in self.runs.items()],
            "series": [
                {**series, "x": list(series["x"]), "y": list(series["y"])}
                for series in self.series.values()
            ],
            "segments": list(self.segments),
        }


class Curves(Pictured, ShowsItself, SharedCodeWidget, Callback):
    """Learning curves that grow while training runs: a widget and a callback.

    Build it with :func:`curves`. Pass it to ``fit_epochs(..., callbacks=[view])`` (or to a
    ``Tuner``'s callbacks) and each epoch's row is appended; at most one message every
    ``throttle`` seconds carries the points that arrived since the last one.

    Examples
    --------
    >>> view = Curves()
    >>> view.on_fit_begin(kind="epochs", path="")
    >>> view.on_epoch_end(epoch=1, row={"train_loss": 0.5, "valid_loss": 0.75})
    >>> view.to_frame()[["statistic", "split", "value"]].values.tolist()
    [['loss', 'train', 0.5], ['loss', 'valid', 0.75]]
    """

    _code_file = pathlib.Path(__file__).with_name("_curves_chart.js")
    data = traitlets.Dict().tag(sync=True)
    log_y = traitlets.Bool(False).tag(sync=True)

    def __init__(
        self,
        info: CurvesInfo | None = None,
        *,
        statistics: Iterable[str] | None = None,
        log_y: bool = False,
        throttle: float = 0.25,
    ):
        self._lock = threading.RLock()
        self._buffer = _Buffer(statistics)
        if info is not None:
            self._buffer.load(info)
        self.throttle = float(throttle)
        self._last_send = float("-inf")
        self._last_snapshot = 0.0
        self._dirty = False
        self._trial_run: str | None = None
        self._fit_run: str | None = None
        super().__init__(data=self._buffer.snapshot(), log_y=bool(log_y))
        self.on_msg(self._on_front_end_message)
        self._hook = after_each_cell(lambda _result: self.finish())

    # -- what the front end asks ---------------------------------------------------------------
    def _on_front_end_message(self, _: Any, content: Any, buffers: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "sync":
            self.finish()

    # -- sending --------------------------------------------------------------------------------
    def _flush(self, *, force: bool = False) -> None:
        """Send what is new, at most once per ``throttle`` seconds unless forced."""
        now = time.monotonic()
        with self._lock:
            if not force and now - self._last_send < self.throttle:
                return
            message = self._buffer.take_update()
            if message is None:
                return
            self._last_send = now
            self._dirty = True
            self.send(message)
        picture_changed(self)

    def finish(self) -> None:
        """Send what is pending and store the whole chart in the widget's state.

        The state is what a saved notebook keeps; this runs at the end of every epoch run
        and after every cell, and the live updates between are only the new points.
        """
        with self._lock:
            self._flush(force=True)
            if self._dirty or self.data.get("seq") != self._buffer.seq:
                self._dirty = False
                self._last_snapshot = time.monotonic()
                self.data = self._buffer.snapshot()
        picture_changed(self, settled=True)

    def _draw_picture(self) -> Picture:
        with self._lock:
            return curves_picture(self._buffer.snapshot(), log_y=self.log_y)

    # -- plain data -----------------------------------------------------------------------------
    def to_frame(self) -> Any:
        """Every point shown, as a DataFrame (run, statistic, split, epoch, value)."""
        import pandas as pd

        with self._lock:
            rows = [
                (series["run"], series["stat"], series["split"], x, y)
                for series in self._buffer.series.values()
                for x, y in zip(series["x"], series["y"], strict=True)
            ]
        return pd.DataFrame(rows, columns=["run", "statistic", "split", "epoch", "value"])

    @property
    def runs(self) -> dict[str, str | None]:
        """Run or trial name -> state, in the order they were drawn."""
        with self._lock:
            return dict(self._buffer.runs)

    # -- events ---------------------------------------------------------------------------------
    def on_trial_begin(self, **data: Any) -> None:
        self.show_when_run_starts()
        with self._lock:
            self._trial_run = f"trial {data.get('trial')}"
            self._buffer.set_state(self._trial_run, "running")
        self._flush(force=True)

    def on_trial_end(self, **data: Any) -> None:
        with self._lock:
            run = f"trial {data.get('trial')}"
            self._buffer.set_state(run, data.get("state"))
            self._trial_run = None
        self._flush(force=True)

    def on_fit_begin(self, **data: Any) -> None:
        if data.get("kind") == "epochs" and data.get("path", "") == "":
            self.show_when_run_starts()
            self._fit_run = None

    def on_epoch_end(self, **data: Any) -> None:
        epoch, row = int(data["epoch"]), data["row"]
        with self._lock:
            run = self._trial_run or self._fit_run or self._choose_run(epoch)
            self._fit_run = None if self._trial_run else run
            self._buffer.add_row(run, epoch, row)
        self._flush()

    def on_fit_end(self, **data: Any) -> None:
        if data.get("kind") != "epochs" or data.get("path", "") != "":
            return
        with self._lock:
            if self._fit_run is not None and self._trial_run is None:
                self._buffer.set_state(self._fit_run, "complete")
        if self._trial_run is None or time.monotonic() - self._last_snapshot > 2.0:
            self.finish()
        else:
            self._flush(force=True)

    def _choose_run(self, epoch: int) -> str:
        """Continue the latest plain run when epochs count on from it; else start a new one."""
        plain = [name for name in self._buffer.runs if not name.startswith("trial ")]
        if plain and epoch > self._buffer.last_epoch.get(plain[-1], 0):
            return plain[-1]
        name = "run" if not plain else f"run {len(plain) + 1}"
        while name in self._buffer.runs:
            name += "'"
        return name

    def close(self) -> None:
        """Close the widget and stop listening to the kernel's cells."""
        hook = getattr(self, "_hook", None)
        if hook is not None:
            hook()
            self._hook = None
        super().close()


def curves(
    source: Any = None,
    *,
    storage: Any = None,
    statistics: Iterable[str] | None = None,
    log_y: bool = False,
    throttle: float = 0.25,
) -> Curves:
    """Learning curves of a History, a stored run or study, a Tuner, or a live epoch run.

    Each statistic gets a panel with its train (dashed) and validation (solid) lines; several
    runs or trials are overlaid, one colour each; mutations and phase changes are marked
    where they happened; pruned trials end with a cross. A stored run or study draws the same
    as the History it recorded, also in a new kernel.

    Parameters
    ----------
    source : History, str, Tuner, list or mapping of them, optional
        What to draw: a History (``fit_epochs``'s result), the name of a run or study in the
        store, a Tuner (its study so far, then each new trial live), or several of these
        (a mapping gives each its legend name). None: an empty chart to pass as a callback.
    storage : str or optuna storage, optional
        The store to read names from (default: the Workbench store).
    statistics : list of str, optional
        Only these statistics (``["loss"]`` draws ``train_loss`` and ``valid_loss``).
    log_y : bool
        Start with a logarithmic y axis (a checkbox in the chart toggles it).
    throttle : float
        Seconds between two updates sent to the front end while training.

    Returns
    -------
    Curves
        The widget; it is also a callback for ``fit_epochs(..., callbacks=[view])``.

    Examples
    --------
    >>> from workbench.training import History
    >>> history = History.from_rows(
    ...     [{"epoch": 1, "train_loss": 0.9, "valid_loss": 1.0},
    ...      {"epoch": 2, "train_loss": 0.5, "valid_loss": 0.7}])
    >>> view = curves(history)
    >>> view.to_frame().query("split == 'valid'")["value"].tolist()
    [1.0, 0.7]
    """
    if not (isinstance(throttle, int | float) and throttle >= 0):
        raise ViewError(
            f"throttle is the number of seconds between two updates, so it must be a number "
            f">= 0, but got {throttle!r}. For example throttle=0.25."
        )
    if isinstance(statistics, str):
        statistics = [statistics]
    info = _get_curves_info(source, storage=storage, statistics=statistics)
    view = Curves(info, statistics=statistics, log_y=log_y, throttle=throttle)
    if hasattr(source, "study") and hasattr(source, "callbacks"):  # a Tuner: follow it live
        _follow_tuner(source, view)
    return view


def _follow_tuner(tuner: Any, view: Curves) -> None:
    """Attach the view to the tuner once: it hears each trial and the trial's epoch runs."""
    if view not in tuner.callbacks:
        tuner.callbacks.append(view)
