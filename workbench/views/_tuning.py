"""The tuning panel: draws a study that runs in the background, with Start, Stop and Resume."""

from __future__ import annotations

import contextlib
import pathlib
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import ipywidgets
import traitlets

from workbench.core import Callback
from workbench.exceptions import TuningError, ViewError
from workbench.store import shared
from workbench.tuning import BackgroundStudy, Tuner
from workbench.views._curves import Curves
from workbench.views._curves_data import _get_curves_info
from workbench.views._importance import study_importance_html
from workbench.views._kernel import SharedCodeWidget, plain_layout, plain_style
from workbench.views._picture import Picture, Pictured, watch_picture
from workbench.views._picture_draw import tuning_panel_picture
from workbench.views._tuning_data import (
    LiveTrials,
    StudyVersion,
    TrialRow,
    TuningInfo,
    _get_tuning_info,
    charts_data,
    table_rows,
    trial_html,
)
from workbench.views._tuning_status import (
    _get_status_info,
    bar_state,
    changes_html,
    error_html,
    status_html,
)

_HERE = pathlib.Path(__file__).parent
_WRAP = {"width": "100%", "flex_flow": "row wrap", "align_items": "flex-start"}
_CSS = f"<style>{(_HERE / '_tuning_panel.css').read_text()}</style>"


class _TrialTable(SharedCodeWidget):
    _code_file = _HERE / "_tuning_table.js"
    rows: traitlets.List[Any] = traitlets.List().tag(sync=True)
    columns: traitlets.List[Any] = traitlets.List().tag(sync=True)
    best = traitlets.Int(None, allow_none=True).tag(sync=True)
    selected = traitlets.Int(None, allow_none=True).tag(sync=True)
    direction = traitlets.Unicode("maximize").tag(sync=True)


class _TuningCharts(SharedCodeWidget):
    _code_file = _HERE / "_tuning_charts.js"
    data = traitlets.Dict().tag(sync=True)


class _PanelCallback(Callback):
    """Among the study's callbacks: tells the panel about trials, and its curves about epochs.
    A drawing error shows in the panel; it never fails the trial."""

    def __init__(self, panel: TuningPanel):
        self.panel = panel

    def _tell(self, action: Callable[..., Any], **data: Any) -> None:
        try:
            action(**data)
        except Exception as error:
            self.panel._note = error_html(error)

    def on_trial_begin(self, **data: Any) -> None:
        params = dict(data.get("params") or {})
        self._tell(lambda: self.panel._trial_began(int(data["trial"]), params))
        self._tell(self.panel.curves.on_trial_begin, **data)

    def on_trial_end(self, **data: Any) -> None:
        number, state, error = int(data["trial"]), str(data.get("state")), None
        if state == "fail":  # the tuner stored the error before telling the callbacks
            with contextlib.suppress(Exception):
                stored = self.panel.runner.tuner.study.get_trials(deepcopy=False)[number]
                error = stored.user_attrs.get(shared.ERROR_KEY)
        self._tell(lambda: self.panel._trial_ended(number, state, data.get("value"), error))
        self._tell(self.panel.curves.on_trial_end, **data)

    def on_fit_begin(self, **data: Any) -> None:
        self._tell(self.panel.curves.on_fit_begin, **data)

    def on_epoch_end(self, **data: Any) -> None:
        self._tell(self.panel.curves.on_epoch_end, **data)

    def on_fit_end(self, **data: Any) -> None:
        self._tell(self.panel.curves.on_fit_end, **data)


def _kept_html(runner: BackgroundStudy, number: int) -> str:
    """Where to load trial ``number``'s fitted pipeline, when it is kept."""
    if not runner.is_kept(number):
        return ""
    return (
        f"<div>Trial {number} kept its fitted pipeline: <code>panel.runner.kept_pipeline("
        f"{number})</code> loads it as it was trained.</div>"
    )


_TOOLTIPS = (
    "Set the selected trial's values (else the best's) on the pipeline",
    "Train the selected trial's kept pipeline (else the best's) for as many epochs again, "
    "as a new trial",
)


@contextlib.contextmanager
def _as_view_errors() -> Iterator[None]:
    """The study's refusals, as the panel's: a ViewError with the same message."""
    try:
        yield
    except TuningError as error:
        raise ViewError(str(error)) from error


def _buttons(panel: TuningPanel) -> list[ipywidgets.Button]:
    """Start, Stop, Resume, Apply and Extend, each running its action through the panel's
    error handling; Apply and Extend act on the selected trial (else the best)."""
    names = ("Start", "Stop", "Resume", "Apply", "Extend")
    icons = ("play", "stop", "forward", "check", "fast-forward")
    buttons = [
        ipywidgets.Button(
            description=n, icon=i, layout=plain_layout(), style=plain_style(ipywidgets.ButtonStyle)
        )
        for n, i in zip(names, icons, strict=True)
    ]
    buttons[4].layout = ipywidgets.Layout()  # its own: hidden below for other runs
    buttons[3].tooltip, buttons[4].tooltip = _TOOLTIPS
    if panel.runner.tuner.evaluation.kind != "epochs":
        buttons[4].layout.display = "none"  # only epoch runs can go on
    actions = (
        panel.start,
        panel.stop,
        panel.resume,
        *(lambda a=a: a(panel.table.selected) for a in (panel.apply, panel.extend)),
    )
    for button, action in zip(buttons, actions, strict=True):
        button.on_click(lambda _, action=action: panel._handle(action))
    return buttons


class _Throttle:
    """At most one draw per ``interval`` seconds; a call in the quiet time schedules one
    trailing draw at its end, so that what is new is drawn."""

    def __init__(self, draw: Callable[[], None], interval: float = 0.25):
        self._draw, self._interval = draw, interval
        self._last = float("-inf")
        self._trailing: threading.Timer | None = None

    def due(self, *, force: bool) -> bool:
        """True when the caller should draw now; else a trailing draw is scheduled."""
        now = time.monotonic()
        wait = self._interval - (now - self._last)
        if not force and wait > 0:
            if self._trailing is None:
                self._trailing = threading.Timer(wait, self._draw)
                self._trailing.daemon = True
                self._trailing.start()
            return False
        if self._trailing is not None:
            self._trailing.cancel()
            self._trailing = None
        self._last = now
        return True


class TuningPanel(Pictured, ipywidgets.VBox):
    """Tune a pipeline from the notebook: Start, Stop and Resume while trials run.

    The panel draws a :class:`~workbench.tuning.BackgroundStudy` (:attr:`runner`), which runs
    the study in a background thread, so the kernel stays free and the buttons work while
    trials run. It shows a sortable table of the trials (click a header to sort, a row to
    select), the best value so far, each trial's learning curves (epoch runs; pruned trials
    end with a cross), parallel coordinates over the hyperparams (log axes for log
    distributions), and the selected trial's pipeline with its sampled values.

    Parameters
    ----------
    pipeline : Pipeline
        The pipeline to tune. Its space is read when the study starts, so edits made in the
        space editor before Start are used. :meth:`apply` sets a trial's values on it.
    X, y : array-like
        The data each trial is scored on.
    n_trials, timeout : int and float, optional
        The budget of one Start: that many trials, or that many seconds, whichever ends
        first; with neither, trials run until Stop. Resume runs what a Stop left of it.
    **tuner_options
        :class:`~workbench.tuning.Tuner`'s options (``scoring``, ``cv``/``holdout``/
        ``epochs``, ``storage``, ``study_name``, ...). ``refit`` defaults to False: apply the
        best trial, then fit the pipeline yourself.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from workbench import Pipeline
    >>> X, y = load_iris(return_X_y=True)
    >>> pipe = Pipeline([("model", LogisticRegression(max_iter=300))])
    >>> panel = TuningPanel(pipe, X, y, n_trials=3, cv=3, storage=":memory:",
    ...                     study_name="panel-example", fresh=True)
    >>> panel.start().wait(timeout=60), panel.info().counts
    (True, {'complete': 3})
    >>> changes = panel.apply()
    >>> pipe.get_hyperparams()["model__C"] == panel.info().best.params["model__C"]
    True
    """

    def __init__(
        self,
        pipeline: Any,
        X: Any,
        y: Any = None,
        *,
        n_trials: int | None = None,
        timeout: float | None = None,
        **tuner_options: Any,
    ):
        with _as_view_errors():  # a bad option raises here, before any widget shows
            self.runner = BackgroundStudy(
                pipeline, X, y, n_trials=n_trials, timeout=timeout, **tuner_options
            )
        self.pipeline = pipeline
        self._lock = threading.RLock()
        self._drawn: Tuner | None = None
        self.trials = LiveTrials()
        self._throttle = _Throttle(lambda: self._refresh(force=True))
        self._note = ""  # what Apply changed, or a button's error
        self._shown: tuple[int, str, str] | None = None
        self._version = StudyVersion()
        # the table as wide as its columns, the trial beside it if there is room, else below
        self.table = _TrialTable(layout={"flex": "1 1 auto", "max_width": "100%"})
        buttons = _buttons(self)
        self.start_button, self.stop_button, self.resume_button = buttons[:3]
        self.apply_button, self.extend_button = buttons[3:]
        self.bar = ipywidgets.IntProgress(value=0, min=0, max=1, layout={"width": "200px"})
        self.status = ipywidgets.HTML(layout=plain_layout())
        self.trial_view = ipywidgets.HTML(layout={"flex": "1 1 280px", "min_width": "260px"})
        self.charts = _TuningCharts()
        self.curves = Curves()
        self.importance = ipywidgets.HTML(layout=plain_layout())  # filled when a Start ends
        super().__init__(
            [
                ipywidgets.HTML(_CSS, layout=plain_layout()),
                ipywidgets.HBox([*buttons, self.bar]),
                self.status,
                ipywidgets.HBox([self.table, self.trial_view], layout=_WRAP),
                self.charts,
                self.curves,
                self.importance,
            ]
        )
        self.add_class("wb-tuning-panel")
        self._follow(self.runner.tuner)
        self.runner.add_callback(_PanelCallback(self))
        self.runner.observe(self._study_changed)
        self.table.observe(lambda change: self._handle(self._select, change), names="selected")
        self._refresh(force=True)
        watch_picture(self, self.status)

    def _draw_picture(self) -> Picture:
        return tuning_panel_picture(self.info(), self.runner)

    @property
    def tuner(self) -> Tuner:
        """The :class:`~workbench.tuning.Tuner` that runs the study."""
        return self.runner.tuner

    @property
    def state(self) -> str:
        """``idle``, ``running``, ``stopping``, ``stopped``, ``finished`` or ``error``."""
        return self.runner.state

    def info(self) -> TuningInfo:
        """The study as the panel shows it, as plain data."""
        tuner = self.runner.tuner
        rows, version = self.trials.rows(), self._version.of(tuner)
        return _get_tuning_info(tuner.study_name, tuner.direction, rows, tuner.space, version)

    # -- what the buttons do --------------------------------------------------------------------
    def start(self) -> TuningPanel:
        """Start a study of ``n_trials`` trials (or ``timeout`` seconds) in the background.

        A study already in the store under the same name continues (its trials stay in the
        table). Edits of the pipeline's space since the last Start start another study.
        """
        with _as_view_errors():
            self.runner.start()
        return self

    def resume(self) -> TuningPanel:
        """Run what a Stop left of the budget (trials not run yet, seconds not used)."""
        with _as_view_errors():
            self.runner.resume()
        return self

    def stop(self) -> TuningPanel:
        """Let the running trial finish, then stop the study (Resume continues it)."""
        self.runner.stop()
        return self

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the study stops; True when it did within ``timeout`` seconds."""
        done = self.runner.wait(timeout)
        if done and self.runner.state not in ("idle", "running", "stopping"):
            self._refresh(force=True)  # the final draw, whichever thread gets here first
        return done

    def apply(self, trial: int | None = None) -> dict[str, tuple[Any, Any]]:
        """Set a trial's hyperparams (by default the best trial's) on the pipeline.

        Returns path -> (old, new) for the values that changed; the panel shows them.
        """
        with _as_view_errors():
            changes = self.runner.apply(trial)
        number = trial if trial is not None else self.runner.tuner.study.best_trial.number
        self._note = changes_html(number, changes) + _kept_html(self.runner, number)
        self._refresh(force=True)
        return changes

    def extend(self, trial: int | None = None, epochs: int | None = None) -> int:
        """Train a trial's kept pipeline (by default the best trial's) ``epochs`` more epochs
        (by default as many as a trial runs), as a new trial that extends it (see
        :meth:`workbench.tuning.Tuner.extend`); return the new trial's number."""
        with _as_view_errors():
            number = self.runner.extend(trial, epochs)
        origin = self.runner.tuner.study.trials[number].user_attrs[shared.EXTENDS_KEY]
        self._note = f"<div>Trial {number} extends trial {origin}.</div>"
        with contextlib.suppress(Exception):  # the stored rows: the new one with its lineage
            self.trials.load(self.runner.stored_trials())
        self._refresh(force=True)
        return number

    def _handle(self, action: Callable[..., Any], *args: Any) -> None:
        """Run a button's (or the table's) action; an error shows in the panel, which stays
        ready: no exception escapes into the kernel's log."""
        try:
            self._note = ""
            action(*args)
        except Exception as error:
            self._note = error_html(error)
        self._refresh(force=True)

    # -- what the study tells -------------------------------------------------------------------
    def _follow(self, tuner: Tuner) -> None:
        """Draw ``tuner``'s study: its stored trials, its curves (for epoch runs)."""
        stored = self.runner.stored_trials()
        self._drawn = tuner
        self.trials.load(stored)
        self.table.direction = tuner.direction
        self.table.columns = self.trials.columns(tuner.space, tuner.scoring_name)
        if stored or self.curves.runs:
            self.curves.close()
            self.curves = Curves(_get_curves_info(tuner) if stored else None)
            kept = tuple(getattr(self, "children", ()))[:5]
            self.children = (*kept, self.curves, self.importance)
        if tuner.evaluation.kind != "epochs":
            self.curves.layout.display = "none"  # no per-epoch statistics to draw

    def _study_changed(self, runner: BackgroundStudy) -> None:
        if runner.tuner is not self._drawn:  # a space edit started another study
            self._follow(runner.tuner)
        if runner.state in ("stopped", "finished", "error"):
            with contextlib.suppress(Exception):  # the stored truth, durations too
                self.trials.load(runner.stored_trials())
            self.curves.finish()
            self.importance.value = study_importance_html(runner.tuner)
        self._refresh(force=True)

    def _trial_began(self, number: int, params: dict[str, Any]) -> None:
        self.trials.began(number, params)  # a new param's column comes with the next draw
        self._refresh()

    def _trial_ended(self, number: int, state: str, value: Any, error: str | None) -> None:
        self.trials.ended(number, state, value, error)
        self._refresh(force=state == "fail" or self.runner.state == "stopping")

    # -- drawing --------------------------------------------------------------------------------
    def _refresh(self, *, force: bool = False) -> None:
        """Bring every widget up to date by setting traits (at most 4 times a second)."""
        with self._lock:
            if not self._throttle.due(force=force):
                return
            info = self.info()
            self._draw(info)
        if self.table.selected is None and info.best is not None:
            self._show_trial(info.best, "best trial")  # until the user picks one

    def _draw(self, info: TuningInfo) -> None:
        runner, state = self.runner, self.runner.state
        with self.hold_sync():
            self.table.columns = self.trials.columns(runner.tuner.space, runner.tuner.scoring_name)
            self.table.rows = table_rows(info)
            self.table.best = info.best.number if info.best is not None else None
            self.charts.data = charts_data(info)
            status = _get_status_info(info, runner)
            self.status.value = status_html(status, self._note)
            self.bar.max, self.bar.value, self.bar.bar_style = bar_state(status)
            self.start_button.disabled = state in ("running", "stopping")
            self.stop_button.disabled = state != "running"
            self.resume_button.disabled = not (state == "stopped" and runner.budget_left())
            self.apply_button.disabled = info.best is None and self.table.selected is None

    def _select(self, change: Mapping[str, Any]) -> None:
        row = self.trials.get(change["new"])
        if row is not None:
            self._show_trial(row, "selected")
        else:
            self._shown, self.trial_view.value = None, ""

    def _show_trial(self, row: TrialRow, why: str) -> None:
        """Draw ``row``'s pipeline with its sampled values, unless it is already shown."""
        if self._shown == (row.number, row.state, why):
            return
        self._shown = (row.number, row.state, why)
        self.trial_view.value = trial_html(self.runner.tuner.candidate, row, note=why)
