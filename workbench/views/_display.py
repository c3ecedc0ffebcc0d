"""View 1: the rich display of a step (a collapsible tree) and of plain-data results.

Layers: ``_get_display_info`` turns ``describe()``'s plain data into typed nodes; ``_render_*``
draws them as HTML; ``step_html`` and friends are what a notebook's display calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from workbench.core.authoring import attribute_summary, distribution_to_dict
from workbench.views._html import (
    badge,
    distribution_text,
    esc,
    shape_text,
    table,
    value_text,
    view,
)


class HyperparamInfo(NamedTuple):
    """One hyperparam of one step, as the display shows it."""

    name: str
    value: str
    changed: bool
    space: str | None


class AttributeInfo(NamedTuple):
    """One fitted attribute: its type, shape and dtype (empty strings where it has none)."""

    name: str
    type: str
    shape: str
    dtype: str
    value: str


class NodeInfo(NamedTuple):
    """One step of the tree, with its children."""

    name: str
    path: str
    class_name: str
    fitted: bool
    frozen: bool
    active: bool
    chosen: str | None
    hyperparams: list[HyperparamInfo]
    fitted_attributes: list[AttributeInfo]
    children: list[NodeInfo]


def _attribute_info(name: str, summary: Mapping[str, Any], preview: str = "") -> AttributeInfo:
    return AttributeInfo(
        name=name,
        type=str(summary.get("type", "")),
        shape=shape_text(summary),
        dtype=str(summary.get("dtype", "")),
        value=value_text(summary["value"]) if "value" in summary else preview,
    )


def _get_display_info(description: Mapping[str, Any]) -> NodeInfo:
    """Typed nodes from ``describe()``'s plain data (what the display draws)."""
    space = description.get("space", {})
    changed = set(description.get("changed", ()))
    binding = set(description.get("space_binding", space))  # the others only suggest
    if description.get("chosen") is not None:
        changed.discard("choice")  # the switch shows which branch is in use
    hyperparams = [
        HyperparamInfo(
            name=name,
            value=value_text(value),
            changed=name in changed,
            space=(
                distribution_text(space[name], suggested=name not in binding)
                if name in space
                else None
            ),
        )
        for name, value in description.get("hyperparams", {}).items()
    ]
    return NodeInfo(
        name=str(description.get("name", "")),
        path=str(description.get("path", "")),
        class_name=str(description.get("class", "")),
        fitted=bool(description.get("fitted")),
        frozen=bool(description.get("frozen")),
        active=bool(description.get("active", True)),
        chosen=description.get("chosen"),
        hyperparams=hyperparams,
        fitted_attributes=[
            _attribute_info(name, summary)
            for name, summary in description.get("fitted_attributes", {}).items()
        ],
        children=[_get_display_info(child) for child in description.get("children", ())],
    )


# -- rendering ------------------------------------------------------------------------------
def _summary_line(node: NodeInfo, index: int | None) -> str:
    parts = []
    if index is not None:
        parts.append(f'<span class="wb-index">{index}</span> ')
    if node.name:
        parts.append(f'<span class="wb-name">{esc(node.name)}</span> ')
    parts.append(f'<span class="wb-class">{esc(node.class_name)}</span>')
    if node.chosen is not None and node.children:
        positions = "".join(
            f'<span class="{"wb-on" if child.name == node.chosen else "wb-off"}">'
            f"{esc(child.name)}</span>"
            for child in node.children
        )
        parts.append(f'<span class="wb-switch" title="choice">{positions}</span>')
    if node.frozen:
        parts.append(badge("frozen", "wb-frozen"))
    if node.fitted and node.class_name != "passthrough":
        parts.append(badge("fitted", "wb-fitted"))
    if not node.active:
        parts.append(badge("not chosen"))
    changed = [param for param in node.hyperparams if param.changed]
    if changed:
        text = ", ".join(f"{param.name}={param.value}" for param in changed[:4])
        more = f" +{len(changed) - 4}" if len(changed) > 4 else ""
        parts.append(f' <span class="wb-muted wb-code">{esc(text + more)}</span>')
    return "".join(parts)


def _hyperparams_table(node: NodeInfo) -> str:
    if not node.hyperparams:
        return ""
    rows = [
        (
            esc(param.name),
            f'<span class="{"wb-changed" if param.changed else ""}">{esc(param.value)}</span>',
            esc(param.space or ""),
        )
        for param in node.hyperparams
    ]
    return table(["hyperparam", "value", "space"], rows, raw=True)


def _attributes_table(attributes: list[AttributeInfo]) -> str:
    if not attributes:
        return ""
    rows = [(item.name, item.type, item.shape, item.dtype, item.value) for item in attributes]
    return table(["fitted attribute", "type", "shape", "dtype", "value"], rows)


def _render_node(
    node: NodeInfo, *, index: int | None = None, depth: int = 0, lit: bool = False
) -> str:
    body = _hyperparams_table(node)
    if node.fitted_attributes:
        body += (
            f'<details><summary class="wb-muted">fitted attributes '
            f"({len(node.fitted_attributes)})</summary>{_attributes_table(node.fitted_attributes)}"
            f"</details>"
        )
    children = ""
    if node.children:
        switch = node.chosen is not None
        children = (
            '<div class="wb-children">'
            + "".join(
                _render_node(
                    child,
                    index=None if switch else position,
                    depth=depth + 1,
                    lit=switch and child.name == node.chosen,
                )
                for position, child in enumerate(node.children, start=1)
            )
            + "</div>"
        )
    classes = []
    if not node.active:
        classes.append("wb-inactive")
    if lit:
        classes.append("wb-chosen")
    # Composites start open (their children are the point); leaves and unchosen branches closed.
    is_open = depth == 0 or (bool(node.children) and node.active)
    return (
        f'<details class="{" ".join(classes)}"{" open" if is_open else ""}>'
        f"<summary>{_summary_line(node, index)}</summary>"
        f'<div class="wb-body">{body}</div>{children}</details>'
    )


def render_tree(info: NodeInfo) -> str:
    """The whole tree as one view."""
    legend = (
        '<div class="wb-legend">click a step to open it · '
        '<span class="wb-changed">bold</span> values differ from the defaults</div>'
    )
    return view(_render_node(info) + legend)


# -- public functions (what a notebook's display calls) --------------------------------------
def step_html(step: Any) -> str:
    """The HTML a notebook shows for a Workbench step: its tree, hyperparams, spaces, badges.

    Parameters
    ----------
    step : Step
        Any Workbench step or pipeline.

    Returns
    -------
    str
        Self-contained HTML (its own stylesheet on JupyterLab's theme variables).

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from workbench import Pipeline
    >>> html = step_html(Pipeline([("model", LogisticRegression(C=0.5))]))
    >>> "LogisticRegression" in html and "C=0.5" in html
    True
    """
    return render_tree(_get_display_info(step.describe()))


def description_html(description: Mapping[str, Any]) -> str:
    """The HTML of ``describe()``'s plain data: the same tree as :func:`step_html`.

    Examples
    --------
    >>> from workbench import Pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> "StandardScaler" in description_html(Pipeline([("s", StandardScaler())]).describe())
    True
    """
    return render_tree(_get_display_info(description))


class SpaceRow(NamedTuple):
    """One hyperparam of a flat space: the step path it belongs to, its name, its reading."""

    step: str
    name: str
    distribution: str


def _get_space_info(space: Mapping[str, Any]) -> list[SpaceRow]:
    rows = []
    for path, distribution in space.items():
        step, _, name = str(path).rpartition("__")
        try:
            text = distribution_text(distribution_to_dict(distribution))
        except Exception:
            text = value_text(distribution)
        rows.append(SpaceRow(step, name, text))
    return rows


def space_html(space: Mapping[str, Any]) -> str:
    """A flat space (``get_hyperparams_space()``) as a compact table grouped by step.

    Examples
    --------
    >>> from workbench import floats
    >>> "∈ [0.01, 100] log" in space_html({"model__C": floats(0.01, 100.0, log=True)})
    True
    """
    rows = _get_space_info(space)
    if not rows:
        return view('<span class="wb-muted">an empty space: nothing to tune</span>')
    body, current = [], None
    for row in rows:
        if row.step != current:
            current = row.step
            body.append(
                f'<tr class="wb-group"><td colspan="2">{esc(row.step or "(root)")}</td></tr>'
            )
        body.append(f"<tr><td>{esc(row.name)}</td><td>{esc(row.distribution)}</td></tr>")
    count = f'<div class="wb-legend">{len(rows)} hyperparameters in the space</div>'
    return view(
        '<table class="wb-table"><thead><tr><th>hyperparam</th><th>space</th></tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>{count}"
    )


def _get_fitted_attributes_info(
    found: Mapping[str, Mapping[str, Any]],
) -> list[tuple[str, AttributeInfo]]:
    return [
        (str(path), _attribute_info(str(name), attribute_summary(value), value_text(value)))
        for path, attributes in found.items()
        for name, value in attributes.items()
    ]


def fitted_attributes_html(found: Mapping[str, Mapping[str, Any]]) -> str:
    """``fitted_attributes()`` (step path -> name -> value) as a table of type, shape, dtype.

    Examples
    --------
    >>> import numpy as np
    >>> "(2, 3)" in fitted_attributes_html({"pca": {"components_": np.zeros((2, 3))}})
    True
    """
    rows = _get_fitted_attributes_info(found)
    if not rows:
        return view('<span class="wb-muted">no fitted attributes: fit the pipeline first</span>')
    body, current = [], None
    for path, item in rows:
        if path != current:
            current = path
            body.append(f'<tr class="wb-group"><td colspan="5">{esc(path or "(root)")}</td></tr>')
        cells = (item.name, item.type, item.shape, item.dtype, item.value)
        body.append("<tr>" + "".join(f"<td>{esc(cell)}</td>" for cell in cells) + "</tr>")
    head = "".join(f"<th>{name}</th>" for name in ("attribute", "type", "shape", "dtype", "value"))
    return view(
        f'<table class="wb-table"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody>'
        "</table>"
    )
