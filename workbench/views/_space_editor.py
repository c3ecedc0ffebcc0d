"""View 2: the space editor, one row per hyperparameter path, grouped by step.

Layers: ``_get_space_editor_info`` reads ``describe()`` into typed groups; ``parse_edit`` turns
what a user typed into a distribution or an error message; :class:`SpaceEditor` is the widget.
A valid edit goes straight into the pipeline's space (``set_hyperparams_space``, which emits
``space_changed``); a change made from Python refreshes the widget through the same event.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import ipywidgets as widgets
from ipywidgets.widgets.widget_bool import CheckboxStyle
from ipywidgets.widgets.widget_string import HTMLStyle, TextStyle
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
from workbench.views._kernel import error_text, guarded
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


def _close_all(widget: Any) -> None:
    """Close ``widget``, everything inside it, and their layouts and styles."""
    for child in getattr(widget, "children", ()):
        _close_all(child)
    for part in (getattr(widget, "layout", None), getattr(widget, "style", None)):
        if part is not None:
            part.close()
    widget.close()


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


_EDITOR_STYLE = """<style>
.wb-space-editor .wb-inactive{opacity:.5}
.wb-space-editor .wb-row-name{font-family:var(--jp-code-font-family,monospace)}
.wb-space-editor .wb-group-head{margin-top:6px}
.wb-space-editor .widget-text input{font-family:var(--jp-code-font-family,monospace)}
</style>"""


class _Kit:
    """Layouts and styles shared by every row of one editor: each widget would otherwise
    bring its own two models, saved with the notebook (three times the widget state)."""

    def __init__(self) -> None:
        self.name = widgets.Layout(width="150px")
        self.bound = widgets.Layout(width="110px")
        self.step = widgets.Layout(width="100px")
        self.log = widgets.Layout(width="50px")
        self.choice = widgets.Layout(width="auto", margin="0 12px 0 0")
        self.message = widgets.Layout(margin="0 0 0 8px")
        self.row = widgets.Layout(align_items="center", flex_flow="row wrap")
        self.text_style = TextStyle(description_width="32px")
        self.check_style = CheckboxStyle()
        self.html_style = HTMLStyle()
        self.plain = widgets.Layout()
        self._indents: dict[int, widgets.Layout] = {}

    def indent(self, depth: int) -> widgets.Layout:
        if depth not in self._indents:
            self._indents[depth] = widgets.Layout(margin=f"0 0 0 {16 * depth}px")
        return self._indents[depth]


class _Row:
    """The controls of one hyperparameter; ``message`` shows its reading, or its error."""

    def __init__(self, info: SpaceRowInfo, known_choices: list[Any], on_edit: Any, kit: _Kit):
        self.path = info.path
        self.kind = str(info.distribution.get("type"))
        self.known_choices = known_choices
        self.message = widgets.HTML(value="", layout=kit.message, style=kit.html_style)
        label = widgets.HTML(
            value=f'<span class="wb-row-name">{esc(info.name)}</span>',
            layout=kit.name,
            style=kit.html_style,
        )
        self.controls: list[widgets.Widget] = []
        if self.kind == "categorical":
            self.checks = [
                widgets.Checkbox(
                    value=False,
                    description=repr(choice),
                    indent=False,
                    layout=kit.choice,
                    style=kit.check_style,
                )
                for choice in known_choices
            ]
            self.controls = list(self.checks)
        else:
            self.low, self.high, self.step = (
                widgets.Text(
                    description=name,
                    continuous_update=False,
                    placeholder=placeholder,
                    layout=layout,
                    style=kit.text_style,
                )
                for name, placeholder, layout in (
                    ("low", "", kit.bound),
                    ("high", "", kit.bound),
                    ("step", "none" if self.kind == "float" else "1", kit.step),
                )
            )
            self.log = widgets.Checkbox(
                value=False, description="log", indent=False, layout=kit.log, style=kit.check_style
            )
            self.controls = [self.low, self.high, self.log, self.step]
        self.set_distribution(info.distribution)
        for control in self.controls:
            control.observe(guarded(lambda: on_edit(self), self.show_error), names="value")
        self.box = widgets.HBox([label, *self.controls, self.message], layout=kit.row)
        self.box.add_class("wb-space-row")
        self.box.add_class(f"wb-path-{info.path}")  # a handle for browser tests and styling

    def show_reading(self, data: Mapping[str, Any]) -> None:
        self.message.value = f'<span class="wb-muted">{esc(distribution_text(data))}</span>'

    def show_error(self, error: object, current: Mapping[str, Any] | None = None) -> None:
        """Show why an entry was refused and, beside it, the space that stays in force."""
        kept = (
            f' <span class="wb-muted">the space stays {esc(distribution_text(current))}</span>'
            if current
            else ""
        )
        self.message.value = (
            f'<span class="wb-view"><span class="wb-error">{esc(error)}</span>{kept}</span>'
        )

    def set_distribution(self, data: Mapping[str, Any]) -> None:
        """Show ``data`` in the controls (no edit is applied while setting them)."""
        if self.kind == "categorical":
            chosen = list(data.get("choices", ()))
            for choice, check in zip(self.known_choices, self.checks, strict=True):
                check.value = any(_same(choice, item) for item in chosen)
        else:
            self.low.value = number(data.get("low"))
            self.high.value = number(data.get("high"))
            self.log.value = bool(data.get("log"))
            step = data.get("step")
            self.step.value = (
                "" if step is None or (self.kind == "int" and step == 1) else (number(step))
            )
        self.show_reading(data)

    def distribution(self) -> BaseDistribution:
        if self.kind == "categorical":
            ticked = [
                choice
                for choice, check in zip(self.known_choices, self.checks, strict=True)
                if check.value
            ]
            return parse_edit("categorical", choices=ticked)
        return parse_edit(
            self.kind,
            low=self.low.value,
            high=self.high.value,
            log=self.log.value,
            step=self.step.value,
        )

    def set_enabled(self, enabled: bool) -> None:
        for control in self.controls:
            control.disabled = not enabled


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


class SpaceEditor(Pictured, widgets.VBox):
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

    def __init__(self, pipeline: WorkbenchStep):
        if not is_workbench_step(pipeline):
            raise TypeError(
                f"SpaceEditor needs a Workbench step or pipeline, but got "
                f"{type(pipeline).__name__}. Wrap a scikit-learn estimator in "
                f"workbench.Pipeline([('model', estimator)]) first."
            )
        super().__init__(layout=widgets.Layout(width="100%"))
        self.add_class("wb-space-editor")
        self.pipeline = pipeline
        self.rows: dict[str, _Row] = {}
        self._known_choices: dict[str, list[Any]] = {}
        self._paths: tuple[str, ...] | None = None  # None until first built
        self._group_boxes: dict[str, tuple[widgets.VBox, widgets.HTML]] = {}
        self._writing = False
        self._listener = _Listener(self)
        self.status = widgets.HTML(value="")
        self.refresh()
        pipeline.add_callback(self._listener)
        watch_picture(self, self.status)  # an edit applied (the status line says which)

    # -- building and refreshing ---------------------------------------------------------------
    def refresh(self, *, values: bool = True) -> None:
        """Show the pipeline's current space (rebuilding the rows if its paths changed);
        ``values=False`` only re-marks chosen, unchosen and frozen steps."""
        if self._writing:
            return
        groups = _get_space_editor_info(self.pipeline.describe())
        paths = tuple(row.path for group in groups for row in group.rows)
        kinds_changed = any(
            self.rows[row.path].kind != row.distribution.get("type")
            for group in groups
            for row in group.rows
            if row.path in self.rows
        )
        if paths != self._paths or kinds_changed or self._new_choices(groups):
            self._build(groups)
            return
        if not values:
            self._style_groups(groups)
            return
        self._writing = True
        try:
            for group in groups:
                for row in group.rows:
                    self.rows[row.path].set_distribution(row.distribution)
        finally:
            self._writing = False
        self._style_groups(groups)

    def _new_choices(self, groups: list[SpaceGroupInfo]) -> bool:
        for group in groups:
            for row in group.rows:
                known = self._known_choices.get(row.path, [])
                for choice in row.distribution.get("choices", ()):
                    if not any(_same(choice, item) for item in known):
                        return True
        return False

    def _build(self, groups: list[SpaceGroupInfo]) -> None:
        self._writing = True
        try:
            current: tuple[Any, ...] = tuple(getattr(self, "children", ()))
            old = [child for child in current if child is not self.status]
            self.rows = {}
            self._group_boxes = {}
            kit = _Kit()
            children: list[widgets.Widget] = [
                widgets.HTML(value=STYLE + _EDITOR_STYLE, layout=kit.plain, style=kit.html_style)
            ]
            for group in groups:
                rows = []
                for info in group.rows:
                    known = self._known_choices.setdefault(info.path, [])
                    for choice in info.distribution.get("choices", ()):
                        if not any(_same(choice, item) for item in known):
                            known.append(choice)
                    row = _Row(info, known, self._edited, kit)
                    self.rows[info.path] = row
                    rows.append(row.box)
                head = widgets.HTML(value="", layout=kit.plain, style=kit.html_style)
                box = widgets.VBox([head, *rows], layout=kit.indent(group.depth))
                box.add_class("wb-view")
                self._group_boxes[group.path] = (box, head)
                children.append(box)
            if not groups:
                children.append(
                    widgets.HTML(
                        value='<div class="wb-view wb-muted">This pipeline has no '
                        "hyperparameter space to edit.</div>"
                    )
                )
            children.append(self.status)
            self.children = children
            self._paths = tuple(self.rows)
            for widget in old:  # the replaced rows leave the front end (and the saved notebook)
                _close_all(widget)
        finally:
            self._writing = False
        self._style_groups(groups)

    def _style_groups(self, groups: list[SpaceGroupInfo]) -> None:
        for group in groups:
            box, head = self._group_boxes[group.path]
            marks = ""
            if group.frozen:
                marks += badge("frozen: fixed", "wb-frozen")
            if not group.active:
                marks += badge("not chosen")
            head.value = (
                f'<div class="wb-group-head"><span class="wb-name">'
                f"{esc(group.path or '(root)')}</span> "
                f'<span class="wb-class">{esc(group.class_name)}</span>{marks}</div>'
            )
            if group.active:
                box.remove_class("wb-inactive")
            else:
                box.add_class("wb-inactive")
            for info in group.rows:
                self.rows[info.path].set_enabled(not group.frozen)
        picture_changed(self, settled=True)  # the space changed, or an edit applied

    def _draw_picture(self) -> Picture:
        return space_editor_picture(_get_space_editor_info(self.pipeline.describe()))

    # -- editing -------------------------------------------------------------------------------
    def _edited(self, row: _Row) -> None:
        if self._writing:
            return
        try:
            distribution = row.distribution()
        except EditError as error:
            row.show_error(error, self._current(row.path))
            return
        self._writing = True
        try:
            self.pipeline.set_hyperparams_space({row.path: distribution})
        except Exception as error:  # shown in the row, never raised into the kernel's log
            row.show_error(error_text(error), self._current(row.path))
            return
        finally:
            self._writing = False
        row.show_reading(distribution_to_dict(distribution))
        self.status.value = (
            f'<span class="wb-view wb-muted">set {esc(row.path)} '
            f"{esc(distribution_text(distribution_to_dict(distribution)))}</span>"
        )

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
        self._writing = True
        try:
            if row.kind == "categorical":
                if choices is not None:
                    for choice, check in zip(row.known_choices, row.checks, strict=True):
                        check.value = any(_same(choice, item) for item in choices)
            else:
                if low is not None:
                    row.low.value = str(low)
                if high is not None:
                    row.high.value = str(high)
                if log is not None:
                    row.log.value = log
                if step is not None:
                    row.step.value = str(step)
        finally:
            self._writing = False
        self._edited(row)

    def close(self) -> None:
        """Stop listening to the pipeline and close the widget."""
        listener = getattr(self, "_listener", None)
        pipeline = getattr(self, "pipeline", None)
        if pipeline is not None and listener in getattr(pipeline, "callbacks", ()):
            pipeline.remove_callback(listener)
        super().close()
