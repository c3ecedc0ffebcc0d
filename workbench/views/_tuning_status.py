"""The tuning panel's status line as plain data, and its renderer."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any, NamedTuple

from workbench.exceptions import WorkbenchError
from workbench.tuning import BackgroundStudy
from workbench.views._tuning_data import TuningInfo, version_text


class StatusInfo(NamedTuple):
    """What the status line says: the study's state, its trials so far, the best, the budget."""

    study_name: str
    state: str  # idle, running, stopping, stopped, finished, error
    n_trials: int  # trials in the study
    counts: dict[str, int]
    best: tuple[int, float] | None  # (trial, value)
    running: int | None  # the trial running now
    done_in_run: int  # trials ended in this start's budget
    budget_text: str
    budget_trials: int | None  # n_trials of one start
    finished: int  # trials of the study that ended
    error: str | None  # why the study stopped with an error
    failed_all: tuple[int, int, str] | None  # (trials, first failed trial, its error)
    version: str = ""  # "version 2, from version 1, reused 8 trials", or ""


def _get_status_info(info: TuningInfo, study: BackgroundStudy) -> StatusInfo:
    """The status of ``study`` as the panel's table shows its trials (``info``)."""
    running = [row.number for row in info.trials if row.state == "running"]
    best = None
    if info.best is not None and info.best.value is not None:
        best = (info.best.number, info.best.value)
    failed_all = None
    if info.all_failed and info.first_error is not None:
        finished = sum(1 for row in info.trials if row.state != "running")
        failed_all = (finished, *info.first_error)
    return StatusInfo(
        study_name=info.study_name,
        state=study.state,
        n_trials=len(info.trials),
        counts=dict(info.counts),
        best=best,
        running=running[0] if running else None,
        done_in_run=study.trials_done,
        budget_text=study.budget_text,
        budget_trials=study.n_trials,
        finished=sum(1 for row in info.trials if row.state != "running"),
        error=study.error,
        failed_all=failed_all,
        version=version_text(info.version),
    )


def status_html(status: StatusInfo, note: str = "") -> str:
    """The status line; ``note`` (HTML: what Apply changed, a button's error) goes below."""
    name = f"<b>{html.escape(status.study_name)}</b>"
    if status.version:
        name += f' <span class="wb-version">({html.escape(status.version)})</span>'
    counts = ", ".join(f"{n} {state}" for state, n in sorted(status.counts.items()))
    best = "" if status.best is None else f" · best {status.best[1]:.6g} (trial {status.best[0]})"
    state = status.state
    if state == "idle":
        text = (
            f"Study {name} · {status.n_trials} trials so far{best} · Start runs "
            f"{html.escape(status.budget_text)}"
        )
    elif state == "running":
        if status.running is not None:
            now = f"running trial {status.running}"
        else:
            now = "starting the next trial" if status.n_trials else "starting"
        text = f"{name}: {now} · {counts or 'no trial finished yet'}{best}"
    elif state == "stopping":
        text = f"{name}: stopping after the running trial finishes… · {counts}{best}"
    elif state == "stopped":
        text = (
            f"{name}: stopped after {status.done_in_run} trials of this run · {counts}{best} · "
            f"Resume continues"
        )
    elif state == "finished":
        text = f"{name}: finished · {counts}{best}"
    elif status.failed_all is not None:  # the tuner gave up on a pipeline that always fails
        text = f"{name}: stopped · {counts}"
    else:
        text = (
            f"{name}: the study stopped with an error"
            f'<div class="wb-error">{html.escape(status.error or "")}</div>'
        )
    if status.failed_all is not None:
        finished, number, message = status.failed_all
        text += (
            f'<div class="wb-error">All {finished} trials failed. First error (trial {number}): '
            f"{html.escape(message.rstrip('.'))}. Fix the pipeline (try "
            f"<code>pipe.fit(X, y)</code>), then press Start.</div>"
        )
    return f'<div class="wb-tuning-status">{text}{note}</div>'


def bar_state(status: StatusInfo) -> tuple[int, int, str]:
    """The progress bar's ``(max, value, bar_style)``: trials of this start against its
    budget, green once finished, red after an error or when every trial failed."""
    if status.budget_trials is not None:
        most, value = status.budget_trials, min(status.done_in_run, status.budget_trials)
    else:
        most = max(status.finished, 1)
        value = status.finished if status.state == "finished" else 0
    style = {"finished": "success", "error": "danger"}.get(status.state, "")
    if status.failed_all is not None and status.state not in ("running", "stopping"):
        style = "danger"
    return most, value, style


def changes_html(number: int, changes: Mapping[str, tuple[Any, Any]]) -> str:
    """What Apply set on the pipeline: path, old value, new value."""
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


def error_html(error: BaseException) -> str:
    """A button's error, as the panel shows it: the message, and the type unless it is ours."""
    message = str(error) or type(error).__name__
    if not isinstance(error, WorkbenchError):
        message = f"{type(error).__name__}: {message}"
    return f'<div class="wb-error" role="alert">{html.escape(message)}</div>'
