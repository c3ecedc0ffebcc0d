"""The tuning panel as plain data: trials, best so far, parallel-coordinate axes, trial trees."""

from __future__ import annotations

import contextlib
import html
import math
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from optuna.trial import FrozenTrial

from workbench.core.authoring import join_path, plain_value
from workbench.store import open_store, shared


class TrialRow(NamedTuple):
    """One trial as the table shows it."""

    number: int
    state: str  # running, complete, pruned, fail, waiting
    value: float | None
    duration: float | None
    params: dict[str, Any]
    error: str | None
    lineage: str = ""  # the store's words ("extends 3", "resumes 0"), or ""


class AxisInfo(NamedTuple):
    """One axis of the parallel coordinates: a hyperparameter and how to scale it."""

    path: str
    kind: str  # float, int or categorical
    log: bool
    low: float | None
    high: float | None
    choices: list[Any]


class TuningInfo(NamedTuple):
    """Everything the tuning panel shows about a study, as plain data."""

    study_name: str
    direction: str
    trials: list[TrialRow]
    best: TrialRow | None
    best_so_far: list[tuple[int, float]]
    counts: dict[str, int]
    all_failed: bool
    first_error: tuple[int, str] | None
    axes: list[AxisInfo]
    version: dict[str, Any] | None = None  # the store's version_fields of the study


class StudyVersion:
    """Which version of its study a tuner is on and where it came from (the store's
    ``version_fields``, as its listing has them); a later version's origin is read from the
    store once it is recorded, then kept."""

    def __init__(self) -> None:
        self._known: tuple[str, dict[str, Any]] | None = None

    def of(self, tuner: Any) -> dict[str, Any]:
        name = tuner.study_name
        if self._known is not None and self._known[0] == name:
            return self._known[1]
        fields = shared.version_fields(name, {})
        if fields["version"] > 1:
            with contextlib.suppress(Exception):  # not stored yet: read again next time
                listed = open_store(shared.open_storage(tuner.storage), readonly=True)
                row = listed.studies().set_index("name").loc[name]
                fields = {key: row[key] for key in fields}
            if fields["version_from"] is None:
                return fields
        self._known = (name, fields)
        return fields


def version_text(version: dict[str, Any] | None) -> str:
    """Which version of its study a study is and where it came from, in words: ``"version 2,
    from version 1, reused 8 trials"``; ``""`` for a study never versioned."""
    if not version or version.get("version", 1) <= 1:
        return ""
    text = f"version {version['version']}"
    if version.get("version_from") is not None:
        reused = int(version.get("reused") or 0)
        text += (
            f", from version {version['version_from']}, reused {reused} "
            f"trial{'' if reused == 1 else 's'}"
        )
    return text


def trial_row(trial: FrozenTrial, *, resumed: int | None = None) -> TrialRow:
    """A TrialRow from one of Optuna's frozen trials (the store's trial row); ``resumed``: the
    retry that resumed it after its worker died (``shared.resumed_by``), if any."""
    row = shared.trial_row(shared.raw_trial(trial))
    value = row["value"] if row["value"] is not None and math.isfinite(row["value"]) else None
    lineage = shared.lineage_text(shared.lineage_of(trial.user_attrs, resumed=resumed))
    return TrialRow(
        row["number"],
        row["state"],
        value,
        row["duration"],
        dict(trial.params),
        row["error"],
        lineage,
    )


class LiveTrials:
    """A study's trials as a panel shows them while they run: rows kept from the trial events
    (durations measured here), replaced by the stored rows when the study is read again."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: dict[int, TrialRow] = {}
        self._began: dict[int, float] = {}

    def load(self, trials: Iterable[FrozenTrial]) -> None:
        """Show these stored trials (and only these)."""
        trials = list(trials)
        retries = shared.resumed_by(
            {trial.number: trial.user_attrs.get(shared.RESUMES_KEY) for trial in trials}
        )
        rows = {
            trial.number: trial_row(trial, resumed=retries.get(trial.number)) for trial in trials
        }
        with self._lock:
            self._rows = rows

    def began(self, number: int, params: Mapping[str, Any]) -> None:
        with self._lock:
            self._began[number] = time.monotonic()
            known = self._rows.get(number)
            lineage = known.lineage if known is not None else ""
            self._rows[number] = TrialRow(
                number, "running", None, None, dict(params), None, lineage
            )

    def ended(self, number: int, state: str, value: Any, error: str | None = None) -> None:
        with self._lock:
            began = self._began.pop(number, None)
            row = self._rows.get(number) or TrialRow(number, state, None, None, {}, None)
            self._rows[number] = row._replace(
                state=state,
                value=None if value is None else float(value),
                duration=None if began is None else time.monotonic() - began,
                error=error,
            )

    def rows(self) -> list[TrialRow]:
        with self._lock:
            return list(self._rows.values())

    def get(self, number: int | None) -> TrialRow | None:
        with self._lock:
            return None if number is None else self._rows.get(number)

    def columns(self, space: Iterable[str], value_label: str) -> list[dict[str, str]]:
        """The table's columns: number, lineage (when a trial has one: it extends another,
        a new version reused it, it resumes a dead worker's trial or was resumed), state,
        value, duration, each param path, error."""
        paths = list(space)
        rows = self.rows()
        for row in rows:
            paths += [path for path in row.params if path not in paths]
        lineage = [
            {
                "key": "lineage",
                "label": "lineage",
                "title": "the trial it extends, reused, or resumes after its worker died",
            }
        ]
        return [
            {"key": "number", "label": "#"},
            *(lineage if any(row.lineage for row in rows) else ()),
            {"key": "state", "label": "state"},
            {"key": "value", "label": value_label},
            {"key": "duration", "label": "seconds", "title": "duration in seconds"},
            *({"key": f"p:{path}", "label": _column_label(path), "title": path} for path in paths),
            {"key": "error", "label": "error"},
        ]


def _column_label(path: str) -> str:
    """A param column's header: the hyperparameter and its step (``knn__n_neighbors``); the
    full path is the header's tooltip."""
    return "__".join(path.split("__")[-2:])


def axis_info(path: str, distribution: BaseDistribution) -> AxisInfo:
    """How the parallel coordinates scale ``path``."""
    if isinstance(distribution, CategoricalDistribution):
        return AxisInfo(path, "categorical", False, None, None, list(distribution.choices))
    if isinstance(distribution, IntDistribution | FloatDistribution):
        kind = "int" if isinstance(distribution, IntDistribution) else "float"
        low, high = float(distribution.low), float(distribution.high)
        return AxisInfo(path, kind, bool(distribution.log), low, high, [])
    return AxisInfo(path, "categorical", False, None, None, [])


def _get_tuning_info(
    study_name: str,
    direction: str,
    trials: Iterable[TrialRow],
    space: Mapping[str, BaseDistribution],
    version: dict[str, Any] | None = None,
) -> TuningInfo:
    """Counts, the best trial, the best value after each trial and the axes to draw."""
    rows = sorted(trials, key=lambda row: row.number)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.state] = counts.get(row.state, 0) + 1
    progress = shared.best_so_far(((r.number, r.state, r.value) for r in rows), direction)
    by_number = {row.number: row for row in rows}
    best = by_number[progress.best[0]] if progress.best is not None else None
    best_so_far = [(number, value) for number, _, value in progress.steps]
    finished = [row for row in rows if row.state not in ("running", "waiting")]
    failed = [row for row in finished if row.state == "fail"]
    first_error = next(((row.number, row.error or "no message") for row in failed), None)
    paths = list(space)
    for row in rows:
        paths += [path for path in row.params if path not in paths]
    axes = [axis_info(path, space[path]) if path in space else _axis_from_values(path, rows)
            for path in paths]  # fmt: skip
    return TuningInfo(
        study_name=study_name,
        direction=direction,
        trials=rows,
        best=best,
        best_so_far=best_so_far,
        counts=counts,
        all_failed=bool(finished) and len(failed) == len(finished),
        first_error=first_error,
        axes=axes,
        version=version,
    )


def _axis_from_values(path: str, rows: list[TrialRow]) -> AxisInfo:
    values = [row.params[path] for row in rows if path in row.params]
    if values and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return AxisInfo(path, "float", False, float(min(values)), float(max(values)), [])
    return AxisInfo(path, "categorical", False, None, None, sorted(set(values), key=repr))


def charts_data(info: TuningInfo) -> dict[str, Any]:
    """What the best-so-far and parallel-coordinate charts draw (JSON-ready)."""
    return {
        "direction": info.direction,
        "axes": [
            {
                **axis._asdict(),
                "choices": [plain_value(c) for c in axis.choices],
                "labels": [str(c) for c in axis.choices] if axis.kind == "categorical" else None,
            }
            for axis in info.axes
        ],
        "trials": [
            {
                "number": row.number,
                "state": row.state,
                "value": row.value,
                "params": {path: plain_value(v) for path, v in row.params.items()},
            }
            for row in info.trials
        ],
        "best": info.best.number if info.best is not None else None,
        "best_so_far": [[number, value] for number, value in info.best_so_far],
    }


def table_rows(info: TuningInfo) -> list[dict[str, Any]]:
    """The trial table's rows (JSON-ready)."""
    return [
        {
            "number": row.number,
            "state": row.state,
            "value": row.value,
            "duration": None if row.duration is None else round(row.duration, 2),
            **{
                f"p:{path}": str(v) if isinstance(v, bool) else plain_value(v)
                for path, v in row.params.items()
            },
            "error": row.error,
            "lineage": row.lineage or None,
        }
        for row in info.trials
    ]


def trial_html(build: Callable[[dict[str, Any]], Any], row: TrialRow, *, note: str = "") -> str:
    """A trial's pipeline, built by ``build(params)`` (a tuner's ``candidate``); values the
    pipeline refuses are shown as they are, with why."""
    try:
        description = build(dict(row.params)).describe()
    except Exception as error:
        description = {"class": f"(cannot build this trial's pipeline: {error})"}
    return trial_tree_html(description, row, note=note)


def trial_tree_html(description: Mapping[str, Any], row: TrialRow, *, note: str = "") -> str:
    """A trial's pipeline: its steps, the chosen branches lit, the sampled values in bold."""
    sampled = row.params
    lines: list[str] = []

    def visit(node: Mapping[str, Any], depth: int) -> None:
        path = node.get("path") or ""
        active = node.get("active", True)
        name = html.escape(str(node.get("name") or node.get("class", "")))
        cls = html.escape(str(node.get("class", "")))
        classes = "wb-node" + ("" if active else " wb-inactive")
        badge = ""
        parent_choice = f"{path.rpartition('__')[0]}__choice" if "__" in path else "choice"
        if parent_choice in sampled and sampled[parent_choice] == node.get("name"):
            badge = ' <span class="wb-chosen">chosen</span>'
        values = "".join(
            f'<div class="wb-param" style="margin-left:{depth + 1}em">'
            f"<b>{html.escape(key)}</b> = {html.escape(repr(sampled[full]))}</div>"
            for key in node.get("hyperparams", {})
            if (full := join_path(path, key)) in sampled and key != "choice"
        )
        label = f"{name} <span class='wb-class'>({cls})</span>" if path else cls
        lines.append(
            f'<div class="{classes}" style="margin-left:{depth}em">{label}{badge}</div>'
            f"{values if active else ''}"
        )
        for child in node.get("children", ()):
            visit(child, depth + 1)

    visit(description, 0)
    value = "none" if row.value is None else f"{row.value:.6g}"
    aside = f" ({html.escape(note)})" if note else ""
    aside += f" · {html.escape(row.lineage)}" if row.lineage else ""
    head = (
        f'<div class="wb-trial-head"><b>Trial {row.number}</b>{aside} · '
        f"{html.escape(row.state)} · value {value}</div>"
    )
    error = (
        f'<div class="wb-error">{html.escape(row.error)}</div>' if row.error is not None else ""
    )
    return f'<div class="wb-trial">{head}{error}{"".join(lines)}</div>'
