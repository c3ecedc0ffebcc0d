"""The tuning panel: a study run off the kernel's main thread, with Start, Stop and Resume."""

from __future__ import annotations

import contextlib
import html
import logging
import pathlib
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any

import anywidget
import ipywidgets
import optuna
import traitlets

from workbench._internal.budget import check_budget
from workbench.core import Callback
from workbench.exceptions import ViewError
from workbench.store import shared
from workbench.tuning import Tuner
from workbench.views._curves import Curves, _follow_tuner
from workbench.views._curves_data import _get_curves_info
from workbench.views._picture import Picture, Pictured, picture_changed
from workbench.views._picture_draw import tuning_picture
from workbench.views._tuning_data import (
    TrialRow,
    TuningInfo,
    _get_tuning_info,
    changed_hyperparams,
    charts_data,
    table_rows,
    trial_row,
    trial_tree_html,
)

_HERE = pathlib.Path(__file__).parent
#: Trials of one Start without n_trials or timeout: more than any study runs before a Stop.
_UNTIL_STOPPED = 2**62

_CSS = f"<style>{(_HERE / '_tuning_panel.css').read_text()}</style>"


class _TrialTable(anywidget.AnyWidget):
    _esm = _HERE / "_tuning_table.js"
    rows: traitlets.List[Any] = traitlets.List().tag(sync=True)
    columns: traitlets.List[Any] = traitlets.List().tag(sync=True)
    best = traitlets.Int(None, allow_none=True).tag(sync=True)
    selected = traitlets.Int(None, allow_none=True).tag(sync=True)
    direction = traitlets.Unicode("maximize").tag(sync=True)


class _TuningCharts(anywidget.AnyWidget):
    _esm = _HERE / "_tuning_charts.js"
    data = traitlets.Dict().tag(sync=True)


class _PanelCallback(Callback):
    """In the tuner's callbacks: tells the panel about trials, and stops the study when asked."""

    def __init__(self, panel: TuningPanel):
        self.panel = panel

    def on_trial_begin(self, **data: Any) -> None:
        self.panel._trial_began(int(data["trial"]), dict(data.get("params") or {}))

    def on_trial_end(self, **data: Any) -> None:
        panel = self.panel
        panel._trial_ended(int(data["trial"]), str(data.get("state")), data.get("value"))
        if panel._stop_requested and panel._tuner is not None:
            panel._tuner.study.stop()  # inside the objective: the study ends after this trial


class _NotFromThisThread(logging.Filter):
    def __init__(self, ident: int):
        super().__init__()
        self.ident = ident

    def filter(self, record: logging.LogRecord) -> bool:
        return record.thread != self.ident


@contextlib.contextmanager
def _optuna_silent_in_this_thread() -> Iterator[None]:
    """No Optuna log lines (a failed trial's traceback) from this thread; the panel says it."""
    quiet = _NotFromThisThread(threading.get_ident())
    handlers = list(logging.getLogger("optuna").handlers)
    for handler in handlers:
        handler.addFilter(quiet)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(quiet)


class TuningPanel(Pictured, ipywidgets.VBox):
    """Tune a pipeline from the notebook: Start, Stop and Resume while trials run.

    The study runs in a background thread, so the kernel stays free and the buttons work
    while trials run; every widget is updated by setting its traits. The panel shows a
    sortable table of the trials (click a header to sort, a row to select), the best value
    so far, each trial's learning curves (for epoch runs; pruned trials end with a cross),
    parallel coordinates over the hyperparams (log axes for log distributions), and the
    selected trial's pipeline with its sampled values and chosen branches.

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
    >>> panel.start().wait(timeout=60)
    True
    >>> panel.info().counts
    {'complete': 3}
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
        check_budget(n_trials, timeout, ViewError)
        self.pipeline, self.X, self.y = pipeline, X, y
        self.n_trials, self.timeout = n_trials, timeout
        self.tuner_options = {"refit": False, **tuner_options}
        self._lock = threading.RLock()
        self._tuner: Tuner | None = None
        self._space_at_build: dict[str, Any] = {}
        self._thread: threading.Thread | None = None
        self._stop_requested = False
        self._status = "idle"  # idle, running, stopping, stopped, finished, error
        self._error: str | None = None
        self._rows: dict[int, TrialRow] = {}
        self._began: dict[int, float] = {}
        self._done_in_budget = 0
        self._time_used = 0.0
        self._last_refresh = float("-inf")
        self._trailing: threading.Timer | None = None
        self._applied_html = ""
        self._shown: tuple[int, str, str] | None = None

        self.start_button = ipywidgets.Button(description="Start", icon="play")
        self.stop_button = ipywidgets.Button(description="Stop", icon="stop")
        self.resume_button = ipywidgets.Button(description="Resume", icon="forward")
        self.apply_button = ipywidgets.Button(description="Apply", icon="check")
        self.apply_button.tooltip = (
            "Set the selected trial's values (else the best's) on the pipeline"
        )
        for button, action in (
            (self.start_button, self.start),
            (self.stop_button, self.stop),
            (self.resume_button, self.resume),
            (self.apply_button, self._apply_clicked),
        ):
            button.on_click(lambda _, action=action: self._from_button(action))
        self.bar = ipywidgets.IntProgress(value=0, min=0, max=1)
        self.bar.layout.width = "200px"
        self.status = ipywidgets.HTML()
        self.table = _TrialTable()
        self.table.layout.width = "58%"
        self.trial_view = ipywidgets.HTML()
        self.trial_view.layout.width = "42%"
        self.charts = _TuningCharts()
        self.curves = Curves()
        self._build_tuner()  # checks the options: a bad one raises here, before any widget shows
        self.table.observe(self._selection_changed, names="selected")
        super().__init__(
            [
                ipywidgets.HTML(_CSS),
                ipywidgets.HBox(
                    [
                        self.start_button,
                        self.stop_button,
                        self.resume_button,
                        self.apply_button,
                        self.bar,
                    ]
                ),
                self.status,
                ipywidgets.HBox([self.table, self.trial_view]),
                self.charts,
                self.curves,
            ]
        )
        self.add_class("wb-tuning-panel")
        self._refresh(force=True)
        self.status.observe(self._status_changed, names="value")

    def _status_changed(self, _change: Any) -> None:
        picture_changed(self, settled=self._status not in ("running", "stopping"))

    def _draw_picture(self) -> Picture:
        info = self.info()
        return tuning_picture(info, self._status_html(info))

    # -- the tuner ------------------------------------------------------------------------------
    def _build_tuner(self) -> None:
        callbacks = [*self.tuner_options.get("callbacks", ()), _PanelCallback(self)]
        tuner = Tuner(self.pipeline, **{**self.tuner_options, "callbacks": callbacks})
        self._space_at_build = dict(self.pipeline.get_hyperparams_space())
        names = optuna.get_all_study_names(storage=shared.open_storage(tuner.storage))
        stored = tuner.study_name in names and not tuner.fresh
        self._tuner = tuner
        self._rows = {}
        if stored:
            self._rows = {t.number: trial_row(t) for t in tuner.study.get_trials(deepcopy=False)}
        self.table.direction = tuner.direction
        self.table.columns = self._columns()
        if stored:
            self.curves.close()
            self.curves = Curves(_get_curves_info(tuner))
        elif self.curves.runs:
            self.curves.close()
            self.curves = Curves()
        if tuner.evaluation.kind != "epochs":
            self.curves.layout.display = "none"  # no per-epoch statistics to draw
        _follow_tuner(tuner, self.curves)
        children: tuple[Any, ...] = tuple(getattr(self, "children", ()))
        if len(children) > 5:
            self.children = (*children[:5], self.curves)

    @property
    def tuner(self) -> Tuner:
        """The :class:`~workbench.tuning.Tuner` that runs the study."""
        assert self._tuner is not None
        return self._tuner

    def _columns(self) -> list[dict[str, str]]:
        paths = list(self.tuner.space)
        for row in self._rows.values():
            paths += [path for path in row.params if path not in paths]
        return [
            {"key": "number", "label": "#"},
            {"key": "state", "label": "state"},
            {"key": "value", "label": self.tuner.scoring_name},
            {"key": "duration", "label": "seconds", "title": "duration in seconds"},
            *(
                {"key": f"p:{path}", "label": "__".join(path.split("__")[-2:]), "title": path}
                for path in paths
            ),
            {"key": "error", "label": "error"},
        ]

    # -- plain data -----------------------------------------------------------------------------
    def info(self) -> TuningInfo:
        """The study as the panel shows it, as plain data."""
        with self._lock:
            rows = list(self._rows.values())
        return _get_tuning_info(
            self.tuner.study_name, self.tuner.direction, rows, self.tuner.space
        )

    @property
    def state(self) -> str:
        """``idle``, ``running``, ``stopping``, ``stopped``, ``finished`` or ``error``."""
        return self._status

    # -- running --------------------------------------------------------------------------------
    def start(self) -> TuningPanel:
        """Start a study of ``n_trials`` trials (or ``timeout`` seconds) in the background.

        A study already in the store under the same name continues (its trials stay in the
        table). Edits of the pipeline's space since the last Start start another study.
        """
        with self._lock:
            if self._status in ("running", "stopping"):
                raise ViewError(
                    "The study is already running; press Stop (or call stop()) and wait for "
                    "the running trial to finish before starting again."
                )
            explicit_space = self.tuner_options.get("space") is not None
            if not explicit_space and dict(self.pipeline.get_hyperparams_space()) != (
                self._space_at_build
            ):
                self._build_tuner()
            self._done_in_budget, self._time_used = 0, 0.0
            self._launch()
        return self

    def resume(self) -> TuningPanel:
        """Run what a Stop left of the budget (trials not run yet, seconds not used)."""
        with self._lock:
            if self._status in ("running", "stopping"):
                raise ViewError("The study is running; there is nothing to resume.")
            if self._status != "stopped" or not self._budget_left():
                raise ViewError(
                    f"Nothing to resume: the panel is {self._status}, not stopped with budget "
                    f"left. start() runs another {self._budget_text()}."
                )
            self._launch()
        return self

    def stop(self) -> TuningPanel:
        """Let the running trial finish, then stop the study (Resume continues it)."""
        with self._lock:
            if self._status == "running":
                self._stop_requested = True
                self._status = "stopping"
        self._refresh(force=True)
        return self

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the study stops; True when it did within ``timeout`` seconds."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def _budget_left(self) -> bool:
        trials_left = self.n_trials is None or self._done_in_budget < self.n_trials
        time_left = self.timeout is None or self._time_used < self.timeout
        return trials_left and time_left

    def _budget_text(self) -> str:
        if self.n_trials is None and self.timeout is None:
            return "trials until Stop"
        parts = []
        if self.n_trials is not None:
            parts.append(f"{self.n_trials} trials")
        if self.timeout is not None:
            parts.append(f"{self.timeout:g} s")
        return " or ".join(parts)

    def _launch(self) -> None:
        n_trials = None if self.n_trials is None else self.n_trials - self._done_in_budget
        timeout = None if self.timeout is None else self.timeout - self._time_used
        if n_trials is None and timeout is None:
            n_trials = _UNTIL_STOPPED
        self._stop_requested, self._error, self._status = False, None, "running"
        self._thread = threading.Thread(
            target=self._run, args=(n_trials, timeout), name="workbench-tuning", daemon=True
        )
        self._thread.start()
        self._refresh(force=True)

    def _run(self, n_trials: int | None, timeout: float | None) -> None:
        started = time.monotonic()
        error = None
        try:
            with _optuna_silent_in_this_thread():
                self.tuner.optimize(self.X, self.y, n_trials=n_trials, timeout=timeout)
        except BaseException as raised:  # shown in the panel: this thread has no one to tell
            error = f"{type(raised).__name__}: {raised}" if str(raised) else type(raised).__name__
        with self._lock:
            self._time_used += time.monotonic() - started
            with contextlib.suppress(Exception):
                trials = self.tuner.study.get_trials(deepcopy=False)
                self._rows = {t.number: trial_row(t) for t in trials}
            if error is not None:
                self._status, self._error = "error", error
            elif self._stop_requested and self._budget_left():
                self._status = "stopped"
            else:
                self._status = "finished"
            self._stop_requested = False
        self.curves.finish()
        self._refresh(force=True)

    # -- events from the study thread -----------------------------------------------------------
    def _trial_began(self, number: int, params: dict[str, Any]) -> None:
        with self._lock:
            self._began[number] = time.monotonic()
            self._rows[number] = TrialRow(number, "running", None, None, params, None)
            new_paths = any(f"p:{path}" not in self._column_keys() for path in params)
        if new_paths:
            self.table.columns = self._columns()
        self._refresh()

    def _trial_ended(self, number: int, state: str, value: Any) -> None:
        with self._lock:
            began = self._began.pop(number, None)
            duration = None if began is None else time.monotonic() - began
            row = self._rows.get(number) or TrialRow(number, state, None, None, {}, None)
            error = None
            if state == "fail":  # the tuner stored the error before telling the callbacks
                with contextlib.suppress(Exception):
                    for trial in self.tuner.study.get_trials(deepcopy=False):
                        if trial.number == number:
                            error = trial.user_attrs.get(shared.ERROR_KEY)
            number_value = None if value is None else float(value)
            self._rows[number] = row._replace(
                state=state, value=number_value, duration=duration, error=error
            )
            self._done_in_budget += 1
        self._refresh(force=state == "fail" or self._stop_requested)

    def _column_keys(self) -> set[str]:
        return {column["key"] for column in self.table.columns}

    # -- drawing --------------------------------------------------------------------------------
    def _refresh(self, *, force: bool = False) -> None:
        """Bring every widget up to date by setting traits (at most 4 times a second)."""
        now = time.monotonic()
        with self._lock:
            wait = 0.25 - (now - self._last_refresh)
            if not force and wait > 0:
                if self._trailing is None:  # draw what is new once the quiet time is over
                    self._trailing = threading.Timer(wait, self._refresh, kwargs={"force": True})
                    self._trailing.daemon = True
                    self._trailing.start()
                return
            if self._trailing is not None:
                self._trailing.cancel()
                self._trailing = None
            self._last_refresh = now
            info = self.info()
            status = self._status
            with self.hold_sync():
                self.table.rows = table_rows(info)
                self.table.best = info.best.number if info.best is not None else None
                self.charts.data = charts_data(info)
                self.status.value = self._status_html(info)
                finished = sum(1 for row in info.trials if row.state != "running")
                if self.n_trials is not None:
                    self.bar.max = self.n_trials
                    self.bar.value = min(self._done_in_budget, self.n_trials)
                else:
                    self.bar.max = max(finished, 1)
                    self.bar.value = finished if status in ("finished",) else 0
                self.bar.bar_style = {"finished": "success", "error": "danger"}.get(status, "")
                if info.all_failed and status not in ("running", "stopping"):
                    self.bar.bar_style = "danger"
                self.start_button.disabled = status in ("running", "stopping")
                self.stop_button.disabled = status != "running"
                self.resume_button.disabled = not (status == "stopped" and self._budget_left())
                self.apply_button.disabled = info.best is None and self.table.selected is None
            if self.table.selected is None and info.best is not None:
                self._show_trial(info.best, "best trial")  # until the user picks one

    def _status_html(self, info: TuningInfo) -> str:
        status = self._status
        finished = [row for row in info.trials if row.state != "running"]
        counts = ", ".join(f"{n} {state}" for state, n in sorted(info.counts.items()))
        best = ""
        if info.best is not None and info.best.value is not None:
            best = f" · best {info.best.value:.6g} (trial {info.best.number})"
        name = html.escape(info.study_name)
        running = [row.number for row in info.trials if row.state == "running"]
        if status == "idle":
            text = (
                f"Study <b>{name}</b> · {len(info.trials)} trials so far{best} · Start runs "
                f"{self._budget_text()}"
            )
        elif status == "running":
            if running:
                now = f"running trial {running[0]}"
            else:
                now = "starting the next trial" if info.trials else "starting"
            text = f"<b>{name}</b>: {now} · {counts or 'no trial finished yet'}{best}"
        elif status == "stopping":
            text = f"<b>{name}</b>: stopping after the running trial finishes… · {counts}{best}"
        elif status == "stopped":
            text = (
                f"<b>{name}</b>: stopped after {self._done_in_budget} trials of this run · "
                f"{counts}{best} · Resume continues"
            )
        elif status == "finished":
            text = f"<b>{name}</b>: finished · {counts}{best}"
        elif info.all_failed:  # the tuner gave up on a pipeline that always fails: said below
            text = f"<b>{name}</b>: stopped · {counts}"
        else:
            text = (
                f"<b>{name}</b>: the study stopped with an error"
                f'<div class="wb-error">{html.escape(self._error or "")}</div>'
            )
        if info.all_failed and info.first_error is not None:
            number, message = info.first_error
            text += (
                f'<div class="wb-error">All {len(finished)} trials failed. First error '
                f"(trial {number}): {html.escape(message.rstrip('.'))}. Fix the pipeline (try "
                f"<code>pipe.fit(X, y)</code>), then press Start.</div>"
            )
        return f'<div class="wb-tuning-status">{text}{self._applied_html}</div>'

    def _selection_changed(self, change: Mapping[str, Any]) -> None:
        number = change["new"]
        with self._lock:
            row = self._rows.get(number) if number is not None else None
        if row is None:
            self._shown = None
            self.trial_view.value = ""
            return
        self._show_trial(row, "selected")
        self.apply_button.disabled = False

    def _show_trial(self, row: TrialRow, why: str) -> None:
        """Draw ``row``'s pipeline with its sampled values, unless it is already shown."""
        if self._shown == (row.number, row.state, why):
            return
        self._shown = (row.number, row.state, why)
        try:
            description = self.tuner.candidate(row.params).describe()
        except Exception as error:  # values the pipeline refuses: show them as they are
            description = {"class": f"(cannot build this trial's pipeline: {error})"}
        self.trial_view.value = trial_tree_html(description, row, note=why)

    # -- apply ----------------------------------------------------------------------------------
    def apply(self, trial: int | None = None) -> dict[str, tuple[Any, Any]]:
        """Set a trial's hyperparams (by default the best trial's) on the pipeline.

        Returns path -> (old, new) for the values that changed; the panel shows them.
        """
        info = self.info()
        if trial is None:
            if info.best is None:
                raise ViewError(
                    f"No trial of {info.study_name!r} has completed yet, so there is no best "
                    f"trial to apply. Start the study, or pass apply(trial=<number>)."
                )
            row = info.best
        else:
            rows = {row.number: row for row in info.trials}
            if trial not in rows:
                known = f"0..{max(rows)}" if rows else "none yet"
                raise ViewError(
                    f"The study {info.study_name!r} has no trial {trial!r}; its trials: {known}."
                )
            row = rows[trial]
            if row.state in ("fail", "running", "waiting"):
                raise ViewError(
                    f"Trial {trial} is {row.state}"
                    + (f" ({row.error})" if row.error else "")
                    + "; apply a complete or pruned trial."
                )
        before = self.pipeline.get_hyperparams()
        changes = changed_hyperparams(before, row.params)
        self.pipeline.set_hyperparams(dict(row.params))
        self._applied_html = _changes_html(row.number, changes)
        self._refresh(force=True)
        return changes

    def _apply_clicked(self) -> None:
        self.apply(self.table.selected)

    def _from_button(self, action: Any) -> None:
        """Run a button's action; an error is shown in the panel, not raised into nowhere."""
        try:
            action()
        except Exception as error:
            self._applied_html = f'<div class="wb-error">{html.escape(str(error))}</div>'
            self._refresh(force=True)


def _changes_html(number: int, changes: Mapping[str, tuple[Any, Any]]) -> str:
    if not changes:
        return f"<div>Applied trial {number}: the pipeline already had its values.</div>"
    rows = "".join(
        f"<tr><td><code>{html.escape(path)}</code></td><td>{html.escape(repr(old))}</td>"
        f"<td>→</td><td><b>{html.escape(repr(new))}</b></td></tr>"
        for path, (old, new) in changes.items()
    )
    return (
        f"<div>Applied trial {number} to the pipeline; changed:</div>"
        f'<table class="wb-changes">{rows}</table>'
    )
