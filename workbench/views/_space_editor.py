"""View 2: the space editor, one row per hyperparameter path, grouped by step.

Layers: ``_get_space_editor_info`` reads ``describe()`` into typed groups; ``parse_edit`` turns
what a user typed into a distribution or an error message; :class:`SpaceEditor` is the widget,
one anywidget (``_space_editor.js`` draws the rows) rather than a widget per control.
A valid edit goes straight into the pipeline's space (``set_hyperparams_space``, which emits
``space_changed``); a change made from Python refreshes the widget through the same event.
"""

from __future__ import annotations

import math
import pathlib
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import traitlets
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

from workbench.core import Callback
from workbench.core.authoring import (
    WorkbenchStep,
    distribution_to_dict,
    is_workbench_step,
    join_path,
)
from workbench.views._html import STYLE, badge, distribution_text, esc, number
from workbench.views._kernel import SharedCodeWidget, guarded
from workbench.views._picture import Picture, Pictured, picture_changed, watch_picture
from workbench.views._picture_draw import space_editor_picture


class SpaceRowInfo(NamedTuple):
    """One hyperparameter of the space: its full path, name and distribution (plain data)."""

    path: str
    name: str
    distribution: dict[str, Any]


class SpaceGroupInfo(NamedTuple):
    """The hyperparameters of one step, with how the editor shows that step."""

    path: str
    class_name: str
    depth: int
    active: bool
    frozen: bool
    rows: list[SpaceRowInfo]


def _get_space_editor_info(description: Mapping[str, Any]) -> list[SpaceGroupInfo]:
    """Groups by step, parents first; a step under a frozen one is frozen, under an unchosen
    branch inactive."""
    groups: list[SpaceGroupInfo] = []

    def visit(node: Mapping[str, Any], depth: int, frozen: bool) -> None:
        frozen = frozen or bool(node.get("frozen"))
        path = str(node.get("path", ""))
        rows = [
            SpaceRowInfo(join_path(path, name), name, dict(data))
            for name, data in node.get("space", {}).items()
        ]
        if rows:
            groups.append(
                SpaceGroupInfo(
                    path=path,
                    class_name=str(node.get("class", "")),
                    depth=depth,
                    active=bool(node.get("active", True)),
                    frozen=frozen,
                    rows=rows,
                )
            )
        for child in node.get("children", ()):
            visit(child, depth + 1, frozen)

    visit(description, 0, False)
    return groups


class EditError(ValueError):
    """What a user typed does not make a distribution; the message says why."""


def _parse_number(text: str, what: str, *, integer: bool) -> float | int:
    cleaned = str(text).strip()
    try:
        value = float(cleaned)
    except ValueError:
        kind = "an integer" if integer else "a number"
        raise EditError(f"{what} must be {kind}, but got {cleaned!r}.") from None
    if not math.isfinite(value):
        raise EditError(f"{what} must be finite, but got {cleaned!r}.")
    if integer:
        if not value.is_integer():
            raise EditError(f"{what} must be an integer, but got {cleaned!r}.")
        return int(value)
    return value


def parse_edit(
    kind: str,
    *,
    low: str = "",
    high: str = "",
    log: bool = False,
    step: str = "",
    choices: Sequence[Any] = (),
) -> BaseDistribution:
    """The distribution a row's controls describe, or an :class:`EditError` saying what to fix.

    Examples
    --------
    >>> parse_edit("float", low="0.01", high="10", log=True)
    FloatDistribution(high=10.0, log=True, low=0.01, step=None)
    >>> parse_edit("int", low="5", high="2")
    Traceback (most recent call last):
    ...
    workbench.views._space_editor.EditError: low <= high must hold, but got low=5, high=2.
    """
    if kind == "categorical":
        if not choices:
            raise EditError("Keep at least one choice, but none is ticked.")
        return CategoricalDistribution(choices=tuple(choices))
    integer = kind == "int"
    low_value = _parse_number(low, "low", integer=integer)
    high_value = _parse_number(high, "high", integer=integer)
    if low_value > high_value:
        raise EditError(
            f"low <= high must hold, but got low={number(low_value)}, high={number(high_value)}."
        )
    if log and low_value <= 0:
        raise EditError(
            f"A log scale needs low > 0, but got low={number(low_value)}. Raise low or untick log."
        )
    step_value = None if not str(step).strip() else _parse_number(step, "step", integer=integer)
    if step_value is not None and step_value <= 0:
        raise EditError(f"step must be > 0, but got step={number(step_value)}.")
    if log and step_value not in (None, 1):
        raise EditError(
            f"A log scale cannot have a step, but got step={number(step_value)}. "
            "Clear the step or untick log."
        )
    try:
        if integer:
            return IntDistribution(
                low=int(low_value), high=int(high_value), log=log, step=int(step_value or 1)
            )
        return FloatDistribution(low=low_value, high=high_value, log=log, step=step_value)
    except ValueError as error:  # Optuna's own checks, such as a range not a multiple of step
        raise EditError(str(error)) from None


_EMPTY = '<div class="wb-view wb-muted">This pipeline has no hyperparameter space to edit.</div>'


class _Row:
    """One hyperparameter as its controls show it: what was entered (the controls' contents,
    kept as typed until the space is refreshed) and the message beside it."""

    def __init__(self, info: SpaceRowInfo, known_choices: list[Any]):
        self.path = info.path
        self.name = info.name
        self.kind = str(info.distribution.get("type"))
        self.known_choices = known_choices
        self.entered: dict[str, Any] = {}
        self.message = ""
        self.set_distribution(info.distribution)

    def show_reading(self, data: Mapping[str, Any]) -> None:
        self.message = f'<span class="wb-muted">{esc(distribution_text(data))}</span>'

    def show_error(self, error: object, current: Mapping[str, Any] | None = None) -> None:
        """Show why an entry was refused and, beside it, the space that stays in force."""
        kept = (
            f' <span class="wb-muted">the space stays {esc(distribution_text(current))}</span>'
            if current
            else ""
        )
        self.message = (
            f'<span class="wb-view"><span class="wb-error">{esc(error)}</span>{kept}</span>'
        )

    def set_distribution(self, data: Mapping[str, Any]) -> None:
        """Show ``data`` in the controls."""
        if self.kind == "categorical":
            chosen = list(data.get("choices", ()))
            ticked = [any(_same(choice, item) for item in chosen) for choice in self.known_choices]
            self.entered = {"ticked": ticked}
        else:
            step = data.get("step")
            self.entered = {
                "low": number(data.get("low")),
                "high": number(data.get("high")),
                "log": bool(data.get("log")),
                "step": "" if step is None or (self.kind == "int" and step == 1) else number(step),
            }
        self.show_reading(data)

    def enter(self, values: Mapping[str, Any]) -> None:
        """Take what a user typed or ticked (only the controls named in ``values``)."""
        if self.kind == "categorical":
            if "ticked" in values:
                ticked = [bool(tick) for tick in values["ticked"]]
                if len(ticked) != len(self.known_choices):
                    raise EditError(
                        f"{self.path} has {len(self.known_choices)} choices, but got "
                        f"{len(ticked)} ticks."
                    )
                self.entered["ticked"] = ticked
            return
        for key in ("low", "high", "step"):
            if values.get(key) is not None:
                self.entered[key] = str(values[key])
        if values.get("log") is not None:
            self.entered["log"] = bool(values["log"])

    def distribution(self) -> BaseDistribution:
        if self.kind == "categorical":
            ticked = self.entered["ticked"]
            chosen = [
                choice for choice, tick in zip(self.known_choices, ticked, strict=True) if tick
            ]
            return parse_edit("categorical", choices=chosen)
        return parse_edit(self.kind, **self.entered)

    def plain(self) -> dict[str, Any]:
        """What the front end draws for this row."""
        row: dict[str, Any] = {"path": self.path, "name": self.name, "kind": self.kind}
        if self.kind == "categorical":
            row["choices"] = [repr(choice) for choice in self.known_choices]
        return {**row, **self.entered}


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


class _Listener(Callback):
    """Refreshes an editor when the pipeline's space, choice or shape changes."""

    def __init__(self, editor: SpaceEditor):
        self.editor = editor

    def on_space_changed(self, **data: Any) -> None:
        self.editor.refresh()

    def on_hyperparams_changed(self, **data: Any) -> None:
        self.editor.refresh(values=False)  # a new choice greys other branches; bounds stay

    def on_mutated(self, **data: Any) -> None:
        self.editor.refresh()


class SpaceEditor(Pictured, SharedCodeWidget):
    """Edit a pipeline's hyperparameter space in a notebook.

    One row per hyperparameter path, grouped by step: low/high, a log toggle and a step for
    numbers; tick boxes for the choices of a categorical. Branches a :class:`~workbench.Choose`
    did not choose are greyed; frozen steps are shown fixed. An edit that makes a valid
    distribution is written into the pipeline's space at once; an invalid one shows its error
    next to the row and changes nothing. Changing the space from Python refreshes the editor.

    Parameters
    ----------
    pipeline : Step
        A Workbench pipeline or step; the editor listens to its events until :meth:`close`.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from workbench import Pipeline
    >>> pipe = Pipeline([("model", LogisticRegression())])
    >>> editor = SpaceEditor(pipe)
    >>> editor.edit("model__C", low="0.1", high="10")
    >>> pipe.get_hyperparams_space()["model__C"]
    FloatDistribution(high=10.0, log=True, low=0.1, step=None)
    >>> editor.close()
    """

    _code_file = pathlib.Path(__file__).with_name("_space_editor.js")
    #: The steps and their rows as the front end draws them (plain data).
    groups: traitlets.List[Any] = traitlets.List().tag(sync=True)
    #: Path -> the reading or the error shown beside that row (HTML).
    messages = traitlets.Dict().tag(sync=True)
    #: The last edit applied, or what the editor has to say when there is nothing to edit.
    status = traitlets.Unicode("").tag(sync=True)
    #: The views' shared stylesheet (a `<style>` block), as every Workbench view carries it.
    css = traitlets.Unicode(STYLE).tag(sync=True)

    def __init__(self, pipeline: WorkbenchStep):
        if not is_workbench_step(pipeline):
            raise TypeError(
                f"SpaceEditor needs a Workbench step or pipeline, but got "
                f"{type(pipeline).__name__}. Wrap a scikit-learn estimator in "
                f"workbench.Pipeline([('model', estimator)]) first."
            )
        super().__init__()
        self.pipeline = pipeline
        self.rows: dict[str, _Row] = {}
        self._known_choices: dict[str, list[Any]] = {}
        self._heads: dict[str, dict[str, Any]] = {}
        self._writing = False
        self._listener = _Listener(self)
        self.refresh()
        self.on_msg(self._on_front_end_message)
        pipeline.add_callback(self._listener)
        watch_picture(self, self, names="status")  # an edit applied (the status line says so)

    # -- building and refreshing ---------------------------------------------------------------
    def refresh(self, *, values: bool = True) -> None:
        """Show the pipeline's current space; ``values=False`` only re-marks chosen, unchosen
        and frozen steps (what was typed in the rows stays)."""
        if self._writing:
            return
        groups = _get_space_editor_info(self.pipeline.describe())
        paths = [row.path for group in groups for row in group.rows]
        for group in groups:
            for info in group.rows:
                row = self.rows.get(info.path)
                known = self._known_choices.setdefault(info.path, [])
                for choice in info.distribution.get("choices", ()):
                    if not any(_same(choice, item) for item in known):
                        known.append(choice)
                if row is None or row.kind != info.distribution.get("type"):
                    self.rows[info.path] = _Row(info, known)
                elif values or len(row.entered.get("ticked", known)) != len(known):
                    row.set_distribution(info.distribution)
        self.rows = {path: self.rows[path] for path in paths}
        self._heads = {group.path: _group_head(group) for group in groups}
        self._show(groups)
        picture_changed(self, settled=True)  # the space changed, or an edit applied

    def _show(self, groups: list[SpaceGroupInfo] | None = None) -> None:
        """Send the rows and their messages to the front end."""
        with self.hold_sync():
            if groups is not None:
                self.groups = [
                    {
                        **self._heads[group.path],
                        "rows": [self.rows[r.path].plain() for r in group.rows],
                    }
                    for group in groups
                ]
                if not groups:
                    self.status = _EMPTY
                elif self.status == _EMPTY:
                    self.status = ""
            else:
                rows = {path: row.plain() for path, row in self.rows.items()}
                self.groups = [
                    {**group, "rows": [rows[row["path"]] for row in group["rows"]]}
                    for group in self.groups
                ]
            self.messages = {path: row.message for path, row in self.rows.items()}

    def _draw_picture(self) -> Picture:
        return space_editor_picture(_get_space_editor_info(self.pipeline.describe()))

    # -- editing -------------------------------------------------------------------------------
    def _on_front_end_message(self, _: Any, content: Any, buffers: Any) -> None:
        """A row's controls changed in the page: ``{"type": "edit", "path", ...values}``."""
        if not (isinstance(content, dict) and content.get("type") == "edit"):
            return
        path = content.get("path")
        row = self.rows.get(path) if isinstance(path, str) else None
        if row is None:
            return  # a row the kernel has replaced meanwhile; the page gets the new ones
        guarded(lambda: self._apply(row, content), lambda message: self._refuse(row, message))()

    def _apply(self, row: _Row, values: Mapping[str, Any]) -> None:
        try:
            row.enter(values)
            distribution = row.distribution()
        except EditError as error:
            self._refuse(row, error)
            return
        self._writing = True
        try:
            self.pipeline.set_hyperparams_space({row.path: distribution})
        finally:
            self._writing = False
        plain = distribution_to_dict(distribution)
        row.show_reading(plain)
        with self.hold_sync():
            self._show()
            self.status = (
                f'<span class="wb-view wb-muted">set {esc(row.path)} '
                f"{esc(distribution_text(plain))}</span>"
            )

    def _refuse(self, row: _Row, error: object) -> None:
        """Show ``error`` in the row, beside the distribution that stays in force."""
        row.show_error(error if isinstance(error, str) else str(error), self._current(row.path))
        self._show()

    def _current(self, path: str) -> dict[str, Any] | None:
        """The distribution in force at ``path`` as plain data (None if it cannot be read)."""
        try:
            distribution = self.pipeline.get_hyperparams_space().get(path)
        except Exception:  # the row still shows the refusal
            return None
        return distribution_to_dict(distribution) if distribution is not None else None

    def edit(
        self,
        path: str,
        *,
        low: str | float | None = None,
        high: str | float | None = None,
        log: bool | None = None,
        step: str | float | None = None,
        choices: Sequence[Any] | None = None,
    ) -> None:
        """Edit one row as a user would (what the widget's controls do), from Python.

        The row shows the error, and nothing changes, when the edit is not valid.
        """
        if path not in self.rows:
            raise KeyError(
                f"The space has no hyperparameter {path!r}; its paths are {list(self.rows)}."
            )
        row = self.rows[path]
        values: dict[str, Any] = {"low": low, "high": high, "log": log, "step": step}
        if row.kind == "categorical" and choices is not None:
            values["ticked"] = [
                any(_same(choice, item) for item in choices) for choice in row.known_choices
            ]
        guarded(lambda: self._apply(row, values), lambda message: self._refuse(row, message))()

    def close(self) -> None:
        """Stop listening to the pipeline and close the widget."""
        listener = getattr(self, "_listener", None)
        pipeline = getattr(self, "pipeline", None)
        if pipeline is not None and listener in getattr(pipeline, "callbacks", ()):
            pipeline.remove_callback(listener)
        super().close()


def _group_head(group: SpaceGroupInfo) -> dict[str, Any]:
    """How the front end draws one step's heading: name, class and marks."""
    marks = ""
    if group.frozen:
        marks += badge("frozen: fixed", "wb-frozen")
    if not group.active:
        marks += badge("not chosen")
    head = (
        f'<div class="wb-group-head"><span class="wb-name">{esc(group.path or "(root)")}</span> '
        f'<span class="wb-class">{esc(group.class_name)}</span>{marks}</div>'
    )
    return {
        "path": group.path,
        "head": head,
        "depth": group.depth,
        "active": group.active,
        "frozen": group.frozen,
    }
