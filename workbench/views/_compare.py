"""The comparison view: runs and trials side by side, following the ones still running."""

from __future__ import annotations

import pathlib
import threading
from collections.abc import Mapping
from typing import Any

import traitlets

from workbench import store
from workbench.exceptions import StorageError, ViewError
from workbench.views._compare_data import CompareInfo, get_compare_info
from workbench.views._kernel import SharedCodeWidget
from workbench.views._picture import Picture, Pictured, watch_picture
from workbench.views._picture_draw import compare_picture


class LiveComparison:
    """A comparison that reads its stores again while one of its items runs.

    Widget-free: :meth:`poll` asks each store what changed (one ``stat`` of a journal when
    nothing did) and, if a running item's study or run changed, compares again. The view
    calls it on a timer; tests call it directly.
    """

    def __init__(self, items: list[Any], stores: Mapping[str, store.Store]):
        self.items = items
        self.stores = dict(stores)
        self.comparison = store.compare(items, stores=self.stores)
        self._cursors = {key: opened.changes()[0] for key, opened in self.stores.items()}

    @property
    def running(self) -> list[str]:
        """The labels of the items still running."""
        frame = self.comparison.items
        return [str(label) for label in frame.loc[frame["state"] == "running", "label"]]

    def poll(self) -> bool:
        """Compare again if a running item changed; whether it did."""
        if not self.running:
            return False
        frame = self.comparison.items
        watched = set(frame.loc[frame["state"] == "running", "study"])
        changed = False
        for key, opened in self.stores.items():
            cursor, names = opened.changes(self._cursors[key])
            self._cursors[key] = cursor
            changed = changed or bool(watched & set(names))
        if changed:
            self.comparison = store.compare(self.items, stores=self.stores)
        return changed


class CompareView(Pictured, SharedCodeWidget):
    """Runs and trials side by side: curves, differing hyperparams, structure diff.

    Build it with :func:`compare`. ``data`` holds what the front end draws
    (:func:`~workbench.views._compare_data.get_compare_info`); while an item runs, a
    background thread polls the store and sends the new points only.
    """

    _code_file = pathlib.Path(__file__).with_name("_compare_chart.js")
    data = traitlets.Dict().tag(sync=True)

    def __init__(
        self,
        live: LiveComparison,
        *,
        group_by: str | None = None,
        band: str = "range",
        width: int = 800,
        interval: float = 1.0,
    ):
        self.live = live
        self.group_by = group_by
        self.band = band
        self.width = width
        self.interval = interval
        self._stop = threading.Event()
        self._seq = 0
        super().__init__(data=self._info())
        watch_picture(self, self, names="data")  # new points, a finished item
        self._thread: threading.Thread | None = None
        if live.running and interval > 0:
            self._thread = threading.Thread(target=self._follow, daemon=True, name="compare")
            self._thread.start()

    def __repr__(self) -> str:
        return f"CompareView({self.live.comparison!r})"

    def _draw_picture(self) -> Picture:
        return compare_picture(self.data)

    @property
    def comparison(self) -> store.Comparison:
        """The comparison drawn (plain DataFrames)."""
        return self.live.comparison

    def _info(self) -> dict[str, Any]:
        info: CompareInfo = get_compare_info(
            self.live.comparison, width=self.width, group_by=self.group_by, band=self.band
        )
        return {**info, "seq": self._seq}

    def refresh(self) -> bool:
        """Read the running items again; send their new points. Whether anything changed."""
        before = self.data
        if not self.live.poll():
            return False
        after = self._info()
        points = _new_points(before, after)
        self._seq += 1
        after["seq"] = self._seq
        if points is None:  # not only new points (a new series, another best trial): redraw
            self.data = after
            return True
        self.send({"type": "append", "seq": self._seq, "points": points, "items": after["items"]})
        self.set_trait("data", after)  # what a saved notebook keeps; the front end has it
        return True

    def _follow(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.refresh()
            except Exception:  # a store that fails now is asked again next time
                continue
            if not self.live.running:
                return

    def close(self) -> None:
        """Stop following the running items and close the widget."""
        self._stop.set()
        super().close()


def _new_points(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Any] | None:
    """``[key, xs, ys]`` per series that only grew; None if anything else changed."""
    old = {s["key"]: s for chart in before.get("charts", ()) for s in chart["series"]}
    new = {s["key"]: s for chart in after.get("charts", ()) for s in chart["series"]}
    if old.keys() != new.keys() or before.get("differing") != after.get("differing"):
        return None
    points = []
    for key, series in new.items():
        known = len(old[key]["x"])
        if series["x"][:known] != old[key]["x"] or series["low"] is not None:
            return None
        if len(series["x"]) > known:
            points.append([key, series["x"][known:], series["y"][known:]])
    return points


def compare(
    *items: Any,
    group_by: str | None = None,
    band: str = "range",
    storage: Any = None,
    stores: Mapping[str, Any] | None = None,
    width: int = 800,
    interval: float = 1.0,
) -> CompareView:
    """Runs and trials side by side: overlaid curves, differing hyperparams, structure diff.

    Each item's curves share one colour (train dashed, valid solid), with its mutations
    marked; below are the hyperparams that differ between items and the steps that differ,
    as a tree. A running run or trial gains points as it trains.

    Parameters
    ----------
    *items : str or (str, int)
        Run names, study names (their best trial), ``"study#12"`` or ``("study", 12)``;
        ``"key:item"`` with ``stores``. One list of them works too.
    group_by : str, optional
        A hyperparam path (``"model__loss"``): one mean curve and a band per value of it.
    band : {"range", "std"}
        The band of a group: least to greatest value, or mean ± standard deviation.
    storage : str or optuna storage, optional
        The store to read (default: the stores configured here).
    stores : mapping of str to store, optional
        Several stores by key, as :func:`workbench.store.compare` takes them.
    width : int
        Pixels of a chart: longer curves are downsampled to what it can show.
    interval : float
        Seconds between two looks at the store while an item runs (0: do not follow).

    Examples
    --------
    >>> from workbench.views import compare
    >>> compare("no-such-run", storage=":memory:")
    Traceback (most recent call last):
    ...
    workbench.exceptions.ViewError: Cannot compare 'no-such-run': no study or run named ...
    """
    if len(items) == 1 and isinstance(items[0], list):
        items = tuple(items[0])
    if not items:
        raise ViewError("compare() needs at least one item: compare('run-a', 'study#3').")
    if storage is not None and stores is not None:
        raise ViewError("Pass storage= (one store) or stores= (several), not both.")
    if not isinstance(interval, int | float) or interval < 0:
        raise ViewError(f"interval must be a number of seconds >= 0, but got {interval!r}.")
    if isinstance(width, bool) or not isinstance(width, int) or width < 50:
        raise ViewError(f"width must be a whole number of pixels >= 50, but got {width!r}.")
    try:
        opened = _open(storage, stores)
        live = LiveComparison(list(items), opened)
        return CompareView(live, group_by=group_by, band=band, width=width, interval=interval)
    except StorageError as error:
        raise ViewError(str(error)) from None


def _open(storage: Any, stores: Mapping[str, Any] | None) -> dict[str, store.Store]:
    if storage is not None:
        return {"store": store.open_store(storage, readonly=True)}
    if stores is None:
        stores = {info.name: info for info in store.stores(probe=False)}
    return {
        str(key): value
        if isinstance(value, store.Store)
        else store.open_store(value, readonly=True)
        for key, value in stores.items()
    }
