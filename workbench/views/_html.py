"""Shared pieces of the HTML views: one stylesheet on JupyterLab's theme variables, escaping,
short readings of values and distributions, and tiny inline SVG plots."""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

# The stylesheet of live widgets: JupyterLab's CSS variables follow its light and dark themes;
# the fallbacks serve other front ends in a light theme. HTML outputs use inline styles (view).
STYLE = """<style>
.wb-view{font-family:var(--jp-ui-font-family,system-ui,sans-serif);
font-size:var(--jp-ui-font-size1,13px);
color:var(--jp-ui-font-color1,#1f1f1f);line-height:1.45}
.wb-view details{margin:2px 0 2px 0}
.wb-view summary{cursor:pointer;padding:2px 4px;border-radius:3px;list-style-position:outside}
.wb-view summary:hover{background:var(--jp-layout-color2,#eeeeee)}
.wb-view .wb-children{margin-left:10px;padding-left:10px;
border-left:1px solid var(--jp-border-color1,#bdbdbd)}
.wb-view .wb-body{margin:2px 0 4px 18px}
.wb-view .wb-name{font-weight:600}
.wb-view .wb-class{font-family:var(--jp-code-font-family,monospace);
color:var(--jp-ui-font-color2,#555)}
.wb-view .wb-index{color:var(--jp-ui-font-color3,#888);font-size:90%}
.wb-view .wb-badge{display:inline-block;font-size:85%;padding:0 6px;margin-left:4px;
border-radius:8px;
border:1px solid var(--jp-border-color1,#bdbdbd);color:var(--jp-ui-font-color1,#1f1f1f)}
.wb-view .wb-fitted{border-color:var(--jp-success-color1,#388e3c);
color:var(--jp-success-color1,#388e3c)}
.wb-view .wb-frozen{border-color:var(--jp-info-color1,#0288d1);
color:var(--jp-info-color1,#0288d1)}
.wb-view .wb-muted{color:var(--jp-ui-font-color2,#555)}
.wb-view .wb-inactive{opacity:.55}
.wb-view .wb-switch{display:inline-flex;margin-left:6px;
border:1px solid var(--jp-border-color1,#bdbdbd);
border-radius:4px;overflow:hidden;vertical-align:middle;font-size:90%}
.wb-view .wb-switch span{padding:0 7px;color:var(--jp-ui-font-color3,#888)}
.wb-view .wb-switch span.wb-on{background:var(--jp-brand-color1,#1976d2);color:#fff;
font-weight:600}
.wb-view table.wb-table{border-collapse:collapse;margin:2px 0 4px 0;font-size:inherit}
.wb-view table.wb-table th{text-align:left;font-weight:600;color:var(--jp-ui-font-color2,#555);
padding:1px 10px 1px 0;border-bottom:1px solid var(--jp-border-color2,#e0e0e0)}
.wb-view table.wb-table td{padding:1px 10px 1px 0;vertical-align:top;text-align:left;
border-bottom:1px solid var(--jp-border-color3,#eeeeee)}
.wb-view table.wb-table tr.wb-group td{font-weight:600;padding-top:6px;border-bottom:none}
.wb-view code,.wb-view .wb-code{font-family:var(--jp-code-font-family,monospace);font-size:95%;
background:none;color:inherit}
.wb-view .wb-changed{font-weight:600;color:var(--jp-warn-color1,#e65100)}
.wb-view .wb-error{color:var(--jp-error-color1,#d32f2f)}
.wb-view .wb-legend{color:var(--jp-ui-font-color3,#888);font-size:90%;margin:4px 0 0 2px}
.wb-view svg text{fill:var(--jp-ui-font-color2,#555);font-size:10px}
</style>"""


def esc(value: Any) -> str:
    """HTML-escaped text of anything a user supplied (names, values, reprs)."""
    return html.escape(str(value), quote=True)


# The same look as inline styles, for HTML that a sanitizer strips of ``<style>`` blocks (an
# untrusted notebook in JupyterLab): only properties and literal colours JupyterLab's sanitizer
# keeps, chosen to read on light and dark themes (text inherits the theme's colour).
_RULE = "rgba(128,128,128,0.45)"
INLINE_BY_CLASS = {
    "wb-view": "line-height:1.45;text-align:left",
    "wb-name": "font-weight:600",
    "wb-class": "font-family:monospace;opacity:0.8",
    "wb-index": "opacity:0.6;font-size:90%",
    "wb-badge": "display:inline-block;font-size:85%;padding:0 6px;margin-left:4px;"
    f"border-radius:8px;border:1px solid {_RULE};line-height:1.3",
    "wb-fitted": "border-color:#43a047;color:#43a047",
    "wb-frozen": "border-color:#0288d1;color:#0288d1",
    "wb-muted": "opacity:0.7",
    "wb-inactive": "opacity:0.55",
    "wb-switch": f"display:inline-block;margin-left:6px;border:1px solid {_RULE};"
    "border-radius:4px;overflow:hidden;vertical-align:middle;font-size:90%",
    "wb-on": "display:inline-block;padding:0 7px;background:#1976d2;color:white;font-weight:600",
    "wb-off": "display:inline-block;padding:0 7px;opacity:0.6",
    "wb-chosen": "border-left:3px solid #1976d2;padding-left:3px",
    "wb-children": f"margin-left:10px;padding-left:10px;border-left:1px solid {_RULE}",
    "wb-body": "margin:2px 0 4px 18px",
    "wb-table": "border-collapse:collapse;margin:2px 0 4px 0;font-size:inherit",
    "wb-group": "font-weight:600",
    "wb-code": "font-family:monospace;font-size:95%",
    "wb-changed": "font-weight:600;color:#e65100",
    "wb-error": "color:#e53935",
    "wb-legend": "opacity:0.6;font-size:90%;margin:4px 0 0 2px",
}
INLINE_BY_TAG = {
    "th": f"text-align:left;padding:1px 8px 1px 0;border-bottom:1px solid {_RULE}",
    "td": "text-align:left",
    "summary": "cursor:pointer",
}
_TAG = re.compile(r"<([a-z]+)((?:\s+[\w:-]+(?:=\"[^\"]*\")?)*)\s*(/?)>")
_CLASS = re.compile(r'\sclass="([^"]*)"')
# What inline styles cannot say: hover, for the live notebook only.
_HOVER = (
    "<style>.wb-view summary:hover{background:var(--jp-layout-color2,#eeeeee)}"
    ".wb-view svg text{fill:var(--jp-ui-font-color2,#555)}</style>"
)


def inline_styles(markup: str) -> str:
    """``markup`` (HTML these views wrote) with each tag's look written into its ``style``."""

    def styled(match: re.Match[str]) -> str:
        tag, attributes, closing = match.groups()
        found = _CLASS.search(attributes)
        classes = found.group(1).split() if found else []
        rules = [INLINE_BY_TAG.get(tag, "")] + [INLINE_BY_CLASS.get(name, "") for name in classes]
        style = ";".join(rule for rule in rules if rule)
        if not style or tag == "svg":
            return match.group(0)
        if ' style="' in attributes:
            attributes = attributes.replace(' style="', f' style="{style};', 1)
        else:
            attributes += f' style="{style}"'
        return f"<{tag}{attributes}{' /' if closing else ''}>"

    return _TAG.sub(styled, markup)


def view(body: str, *, extra_class: str = "") -> str:
    """A complete view: the body inside one ``wb-view`` block, styled inline (a sanitizer
    keeps it) with a hover rule for live notebooks."""
    classes = f"wb-view {extra_class}".strip()
    return _HOVER + inline_styles(f'<div class="{classes}">{body}</div>')


def number(value: Any) -> str:
    """A short reading of a number: ``0.01``, ``100``, ``1e-05``."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        return repr(value)
    if isinstance(value, int | np.integer):
        return str(int(value))
    return f"{float(value):g}"


def distribution_text(data: Mapping[str, Any], *, suggested: bool = False) -> str:
    """A short reading of a distribution's plain data: ``∈ [0.01, 100] log``; a space that
    only suggests where to search (a built-in one) reads ``search: [0.5, 0.999]``."""
    kind = data.get("type")
    lead = "search: " if suggested else "∈ "
    if kind == "categorical":
        return lead + "{" + ", ".join(repr(choice) for choice in data.get("choices", ())) + "}"
    text = f"{lead}[{number(data.get('low'))}, {number(data.get('high'))}]"
    if kind == "int":
        text += " int"
        if data.get("step") not in (None, 1):
            text += f" step {number(data['step'])}"
    elif data.get("step") is not None:
        text += f" step {number(data['step'])}"
    if data.get("log"):
        text += " log"
    return text


def value_text(value: Any, *, limit: int = 60) -> str:
    """A one-line reading of a value, cut to ``limit`` characters."""
    if isinstance(value, np.ndarray):
        text = np.array2string(value, threshold=6, edgeitems=2, precision=3, separator=", ")
        text = " ".join(text.split())
    elif isinstance(value, float | np.floating):
        text = number(value)
    else:
        try:
            text = repr(value)
        except Exception:
            text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def badge(text: str, kind: str = "") -> str:
    return f'<span class="wb-badge {kind}">{esc(text)}</span>'


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], *, raw: bool = False) -> str:
    """A table; cells are escaped unless ``raw`` (then they are HTML already)."""
    head = "".join(f"<th>{esc(header)}</th>" for header in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{cell if raw else esc(cell)}</td>" for cell in row) + "</tr>"
        for row in rows
    )
    return f'<table class="wb-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def shape_text(summary: Mapping[str, Any]) -> str:
    if "shape" in summary:
        return str(tuple(summary["shape"]))
    if "length" in summary:
        return f"len {summary['length']}"
    return ""


# -- tiny plots -----------------------------------------------------------------------------
def _finite(values: np.ndarray) -> np.ndarray:
    return values[np.isfinite(values)]


def sparkline_svg(values: Any, *, width: int = 260, height: int = 60) -> str:
    """A 1-D array as a small line (bars under 40 values), with its range labelled."""
    array = np.asarray(values, dtype=float).ravel()
    finite = _finite(array)
    if finite.size == 0:
        return ""
    low, high = float(finite.min()), float(finite.max())
    span = high - low or 1.0
    pad = 14

    def y_of(value: float) -> float:
        return pad / 2 + (height - pad) * (1 - (value - low) / span)

    if array.size <= 40:
        bar = (width - 2) / array.size
        base = y_of(min(max(0.0, low), high))
        shapes = "".join(
            f'<rect x="{1 + i * bar:.1f}" y="{min(y_of(v), base):.1f}" '
            f'width="{max(bar - 1, 1):.1f}" height="{max(abs(base - y_of(v)), 0.5):.1f}" '
            f'style="fill:var(--jp-brand-color1,#1976d2)"/>'
            for i, v in enumerate(array)
            if math.isfinite(v)
        )
    else:
        step = (width - 2) / (array.size - 1)
        points = " ".join(
            f"{1 + i * step:.1f},{y_of(v):.1f}" for i, v in enumerate(array) if math.isfinite(v)
        )
        shapes = (
            f'<polyline points="{points}" style="fill:none;stroke:var(--jp-brand-color1,#1976d2);'
            f'stroke-width:1.2"/>'
        )
    labels = (
        f'<text x="{width - 2}" y="9" text-anchor="end">max {esc(number(high))}</text>'
        f'<text x="{width - 2}" y="{height - 1}" text-anchor="end">min {esc(number(low))}</text>'
    )
    return (
        f'<svg class="wb-plot" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img">{shapes}{labels}</svg>'
    )


def heatmap_svg(values: Any, *, max_cells: int = 64, cell: int = 6) -> str:
    """A 2-D array as a small diverging heat map (rows and columns thinned to ``max_cells``)."""
    array = np.asarray(values, dtype=float)
    rows = np.linspace(0, array.shape[0] - 1, min(array.shape[0], max_cells)).astype(int)
    cols = np.linspace(0, array.shape[1] - 1, min(array.shape[1], max_cells)).astype(int)
    grid = array[np.ix_(rows, cols)]
    finite = _finite(grid)
    if finite.size == 0:
        return ""
    scale = float(np.abs(finite).max()) or 1.0
    # one path per colour and shade (opacity in steps of 0.05): a cell is "Mx yh6v6h-6z", so a
    # notebook that keeps the plot (a live Inspector's state) keeps some 15 bytes per cell
    shades: dict[tuple[str, int], list[str]] = {}
    for i, row in enumerate(grid):
        for j, value in enumerate(row):
            shade = round(min(abs(value) / scale, 1.0) * 20) if math.isfinite(value) else 0
            if shade:
                color = "#d84315" if value > 0 else "#1565c0"
                shades.setdefault((color, shade), []).append(f"M{j * cell} {i * cell}")
    square = f"h{cell}v{cell}h-{cell}z"
    cells = [
        f'<path fill="{color}" fill-opacity="{shade / 20:g}" d="{square.join(starts)}{square}"/>'
        for (color, shade), starts in sorted(shades.items())
    ]
    width, height = grid.shape[1] * cell, grid.shape[0] * cell
    return (
        f'<svg class="wb-plot" width="{width}" height="{height + 14}" '
        f'viewBox="0 0 {width} {height + 14}" role="img">{"".join(cells)}'
        f'<text x="0" y="{height + 11}">±{esc(number(scale))} (red +, blue -)</text></svg>'
    )


def array_plot_svg(value: Any) -> str:
    """A small plot of a numeric 1-D or 2-D array, or nothing for anything else."""
    if not isinstance(value, np.ndarray) or value.size < 2 or value.ndim not in (1, 2):
        return ""
    if not np.issubdtype(value.dtype, np.number) or np.issubdtype(value.dtype, np.complexfloating):
        return ""
    if value.ndim == 2 and 1 in value.shape:
        return sparkline_svg(value.ravel())
    return sparkline_svg(value) if value.ndim == 1 else heatmap_svg(value)
