"""View 5: the inspector, a tree of the nested steps and the details of the one selected.

Layers: ``_get_tree_info`` and ``_get_step_info`` return typed plain data (from ``describe()``
and the core's ``fitted_attributes_of``); ``_render_step`` draws a step's details as HTML with a
small plot for 1-D and 2-D numeric arrays; :class:`Inspector` is the widget, which also sets a
hyperparameter in place (validated by the core, as ``set_hyperparams`` does).
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import Any, NamedTuple, cast

import ipywidgets as widgets
import numpy as np
from ipywidgets.widgets.widget_description import DescriptionStyle
from ipywidgets.widgets.widget_string import HTMLStyle, TextStyle

from workbench.core import Callback
from workbench.core.authoring import (
    WorkbenchPipeline,
    WorkbenchStep,
    attribute_summary,
    fitted_attributes_of,
    is_workbench_step,
    join_path,
)
from workbench.views._html import (
    STYLE,
    array_plot_svg,
    badge,
    distribution_text,
    esc,
    shape_text,
    value_text,
    view,
)
from workbench.views._kernel import error_text, guarded, plain_layout, plain_style
from workbench.views._picture import Picture, Pictured, watch_picture
from workbench.views._picture_draw import inspector_picture

_PLOT_LIMIT = 64  # rows and columns kept for a plot


class TreeEntry(NamedTuple):
    """One line of the inspector's tree."""

    path: str
    label: str
    depth: int


class AttributeDetail(NamedTuple):
    """A fitted attribute in detail: its reading, and numbers to plot (lists) where it has
    them."""

    name: str
    type: str
    shape: str
    dtype: str
    preview: str
    values: list[Any] | None


class StepInfo(NamedTuple):
    """What the inspector shows of one step."""

    path: str
    class_name: str
    fitted: bool
    frozen: bool
    active: bool
    hyperparams: list[tuple[str, str, bool, str]]  # name, value, changed, space
    attributes: list[AttributeDetail]


def _find(description: Mapping[str, Any], path: str) -> Mapping[str, Any] | None:
    if description.get("path", "") == path:
        return description
    for child in description.get("children", ()):
        found = _find(child, path)
        if found is not None:
            return found
    return None


def _get_tree_info(description: Mapping[str, Any]) -> list[TreeEntry]:
    """The tree, parents first, as labelled lines."""
    entries: list[TreeEntry] = []

    def visit(node: Mapping[str, Any], depth: int) -> None:
        marks = []
        if node.get("frozen"):
            marks.append("frozen")
        if not node.get("active", True):
            marks.append("not chosen")
        name = node.get("name") or "(root)"
        label = f"{name} · {node.get('class', '')}" + (f"  [{', '.join(marks)}]" if marks else "")
        entries.append(TreeEntry(str(node.get("path", "")), label, depth))
        for child in node.get("children", ()):
            visit(child, depth + 1)

    visit(description, 0)
    return entries


def _plot_values(value: Any) -> list[Any] | None:
    if not isinstance(value, np.ndarray) or value.ndim not in (1, 2) or value.size < 2:
        return None
    if not np.issubdtype(value.dtype, np.number) or np.issubdtype(value.dtype, np.complexfloating):
        return None
    array = np.asarray(value, dtype=float)
    if array.ndim == 1:
        keep = np.linspace(0, array.size - 1, min(array.size, 4 * _PLOT_LIMIT)).astype(int)
        return [float(item) for item in array[keep]]
    rows = np.linspace(0, array.shape[0] - 1, min(array.shape[0], _PLOT_LIMIT)).astype(int)
    cols = np.linspace(0, array.shape[1] - 1, min(array.shape[1], _PLOT_LIMIT)).astype(int)
    return [[float(item) for item in row] for row in array[np.ix_(rows, cols)]]


def _get_step_info(pipeline: WorkbenchStep, path: str, description: Any = None) -> StepInfo:
    """Plain data on the step at ``path``: hyperparams, space, fitted attributes
    (``description``: the pipeline's ``describe()``, when the caller has it already)."""
    node = _find(pipeline.describe() if description is None else description, path)
    if node is None:
        raise KeyError(f"No step at path {path!r}.")
    step = (
        cast(WorkbenchPipeline, pipeline)[path] if path else pipeline
    )  # only a composite has paths
    space = node.get("space", {})
    changed = set(node.get("changed", ()))
    binding = set(node.get("space_binding", space))
    hyperparams = [
        (
            name,
            value_text(value),
            name in changed,
            distribution_text(space[name], suggested=name not in binding) if name in space else "",
        )
        for name, value in node.get("hyperparams", {}).items()
    ]
    attributes = []
    for name, value in fitted_attributes_of(step).items():
        summary = attribute_summary(value)
        attributes.append(
            AttributeDetail(
                name=name,
                type=str(summary.get("type", "")),
                shape=shape_text(summary),
                dtype=str(summary.get("dtype", "")),
                preview=value_text(value, limit=80),
                values=_plot_values(value),
            )
        )
    return StepInfo(
        path=path,
        class_name=str(node.get("class", "")),
        fitted=bool(node.get("fitted")),
        frozen=bool(node.get("frozen")),
        active=bool(node.get("active", True)),
        hyperparams=hyperparams,
        attributes=attributes,
    )


def _render_step(info: StepInfo) -> str:
    marks = ""
    if info.frozen:
        marks += badge("frozen", "wb-frozen")
    if info.fitted and info.class_name != "passthrough":
        marks += badge("fitted", "wb-fitted")
    if not info.active:
        marks += badge("not chosen")
    head = (
        f'<div><span class="wb-name">{esc(info.path or "(root)")}</span> '
        f'<span class="wb-class">{esc(info.class_name)}</span>{marks}</div>'
    )
    if info.hyperparams:
        rows = "".join(
            f"<tr><td>{esc(name)}</td>"
            f'<td class="wb-code{" wb-changed" if changed else ""}">{esc(value)}</td>'
            f"<td>{esc(space)}</td></tr>"
            for name, value, changed, space in info.hyperparams
        )
        params = (
            '<table class="wb-table"><thead><tr><th>hyperparam</th><th>value</th>'
            f"<th>space</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    else:
        params = '<div class="wb-muted">no hyperparameters of its own</div>'
    if info.attributes:
        rows = ""
        for item in info.attributes:
            plot = array_plot_svg(np.asarray(item.values)) if item.values is not None else ""
            rows += (
                f"<tr><td>{esc(item.name)}</td><td>{esc(item.type)}</td>"
                f"<td>{esc(item.shape)}</td><td>{esc(item.dtype)}</td>"
                f'<td><div class="wb-code">{esc(item.preview)}</div>{plot}</td></tr>'
            )
        attributes = (
            '<table class="wb-table"><thead><tr><th>fitted attribute</th><th>type</th>'
            "<th>shape</th><th>dtype</th><th>value</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>"
        )
    elif info.fitted:  # a pipeline is fitted when its steps are; it holds nothing itself
        attributes = '<div class="wb-muted">no fitted attributes of its own</div>'
    else:
        attributes = '<div class="wb-muted">no fitted attributes (not fitted yet)</div>'
    return view(head + params + attributes)


def parse_value(text: str) -> Any:
    """A Python literal from what a user typed (``0.1``, ``None``, ``'l2'``, ``(8, 8)``), or
    the text itself as a string.

    Examples
    --------
    >>> parse_value("0.1"), parse_value("None"), parse_value("l2")
    (0.1, None, 'l2')
    """
    cleaned = text.strip()
    try:
        return ast.literal_eval(cleaned)
    except (ValueError, SyntaxError):
        return cleaned


class _Listener(Callback):
    def __init__(self, inspector: Inspector):
        self.inspector = inspector

    def on_hyperparams_changed(self, **data: Any) -> None:
        self.inspector.refresh()

    def on_space_changed(self, **data: Any) -> None:
        self.inspector.refresh()

    def on_mutated(self, **data: Any) -> None:
        self.inspector.refresh()

    def on_fit_end(self, **data: Any) -> None:
        self.inspector.refresh()


class Inspector(Pictured, widgets.HBox):
    """Browse a pipeline's nested steps; see and edit the selected one.

    The tree lists every step (frozen and unchosen ones marked). The selected step shows its
    hyperparams (changed ones in bold) with their spaces, and its fitted attributes with type,
    shape, dtype, a preview and a small plot for 1-D and 2-D arrays. A hyperparameter can be
    set in place; the core validates it against its space, and an error is shown next to the
    control with nothing changed.

    Parameters
    ----------
    pipeline : Step
        A Workbench pipeline or step; the inspector refreshes on its events until
        :meth:`close`.
    path : str, optional
        The step selected first (the root by default).

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from workbench import Pipeline
    >>> pipe = Pipeline([("model", LogisticRegression())])
    >>> inspector = Inspector(pipe, path="model")
    >>> inspector.set_value("C", "0.5")
    >>> pipe["model"].C
    0.5
    >>> inspector.close()
    """

    def __init__(self, pipeline: WorkbenchStep, *, path: str = ""):
        if not is_workbench_step(pipeline):
            raise TypeError(
                f"Inspector needs a Workbench step or pipeline, but got "
                f"{type(pipeline).__name__}. Wrap a scikit-learn estimator in "
                f"workbench.Pipeline([('model', estimator)]) first."
            )
        self.pipeline = pipeline
        self.tree = widgets.Select(  # a fixed width: the list never jumps with the right pane
            options=[], rows=12, layout=plain_layout(width="390px", flex="0 0 390px")
        )
        html_style = plain_style(HTMLStyle)
        self.detail = widgets.HTML(value="", layout=plain_layout(), style=html_style)
        self.param = widgets.Dropdown(
            options=[],
            description="set",
            layout=plain_layout(width="220px"),
            style=plain_style(DescriptionStyle, description_width="28px"),
        )
        self.value = widgets.Text(
            placeholder="new value (a Python literal)",
            layout=plain_layout(width="200px"),
            style=plain_style(TextStyle),
        )
        self.apply = widgets.Button(
            description="Apply",
            layout=plain_layout(width="70px"),
            style=plain_style(widgets.ButtonStyle),
        )
        self.error = widgets.HTML(value="", layout=plain_layout(), style=html_style)
        editor = widgets.HBox(
            [self.param, self.value, self.apply, self.error],
            layout=plain_layout(align_items="center", flex_flow="row wrap"),
        )
        right = widgets.VBox(
            [editor, self.detail], layout=plain_layout(flex="1 1 0%", min_width="0")
        )
        super().__init__(
            [widgets.HTML(value=STYLE, layout=plain_layout(), style=html_style), self.tree, right],
            layout=widgets.Layout(width="100%", align_items="flex-start"),
        )
        self.add_class("wb-inspector")
        watch_picture(self, self.detail, self.error)  # a step shown, an edit applied or refused
        self._listener = _Listener(self)
        self.tree.observe(guarded(self._show, self._show_error), names="value")
        self.param.observe(guarded(self._fill_value, self._show_error), names="value")
        self.apply.on_click(
            guarded(lambda: self.set_value(self.param.value, self.value.value), self._show_error)
        )
        self._values: dict[str, str] = {}
        self.refresh(select=path)
        pipeline.add_callback(self._listener)

    @property
    def selected(self) -> str:
        """The path of the selected step (``""`` for the root)."""
        return str(self.tree.value or "")

    def select(self, path: str) -> None:
        """Select the step at ``path``."""
        paths = [value for _, value in self.tree.options]
        if path not in paths:
            raise KeyError(f"No step at path {path!r}; the steps are {[p for p in paths if p]}.")
        self.tree.value = path

    def refresh(self, *, select: str | None = None) -> None:
        """Re-read the pipeline (its tree may have changed shape)."""
        description = self.pipeline.describe()
        entries = _get_tree_info(description)
        options = [
            ("\u00a0\u00a0\u00a0" * entry.depth + entry.label, entry.path) for entry in entries
        ]
        keep = self.selected if select is None else select
        paths = [entry.path for entry in entries]
        if keep not in paths:
            if select is not None:
                raise KeyError(f"No step at path {select!r}; the steps are {paths[1:]}.")
            keep = ""
        with self.hold_trait_notifications():
            self.tree.options = options
            self.tree.rows = min(max(len(options), 4), 16)
            self.tree.value = keep
        self._show(description)

    def _show(self, description: Any = None) -> None:
        info = _get_step_info(self.pipeline, self.selected, description)
        self.detail.value = _render_step(info)
        self._values = {name: value for name, value, _, _ in info.hyperparams}
        names = list(self._values)
        current = self.param.value if self.param.value in names else (names[0] if names else None)
        self.param.options = names
        self.param.value = current
        self.param.disabled = self.value.disabled = self.apply.disabled = not names
        self._fill_value()

    def _draw_picture(self) -> Picture:
        entries = _get_tree_info(self.pipeline.describe())
        return inspector_picture(entries, self.selected, self.detail.value, self.error.value)

    def _fill_value(self) -> None:
        self.value.value = self._values.get(self.param.value or "", "")
        self.error.value = ""

    def set_value(self, name: str, text: str) -> None:
        """Set hyperparameter ``name`` of the selected step from text (a Python literal, else
        a string), as the Apply button does; an invalid value shows its error and changes
        nothing."""
        path = join_path(self.selected, name)
        value = parse_value(text)
        try:
            self.pipeline.set_hyperparams({path: value})
        except Exception as error:  # shown beside Apply; the pipeline is unchanged
            self._show_error(error_text(error))
            return
        self._show()
        self.error.value = (
            f'<span class="wb-view wb-muted">set {esc(path)} = {esc(value_text(value))}</span>'
        )

    def _show_error(self, message: str) -> None:
        self.error.value = (
            f'<span class="wb-view"><span class="wb-error">{esc(message)}</span></span>'
        )
        self.apply.disabled = not getattr(self, "_values", None)  # ready again for another value

    def close(self) -> None:
        """Stop listening to the pipeline and close the widget."""
        listener = getattr(self, "_listener", None)
        pipeline = getattr(self, "pipeline", None)
        if pipeline is not None and listener in getattr(pipeline, "callbacks", ()):
            pipeline.remove_callback(listener)
        super().close()
