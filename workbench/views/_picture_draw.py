"""The picture of each view, drawn from the plain data its widget draws.

Each function takes a view's plain data (``Curves.data``, ``ProgressInfo``, ``TuningInfo``,
``describe()``, ...) and returns a :class:`~workbench.views._picture.Picture`; a view's
``_draw_picture`` is one call to one of them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from workbench.views._html import badge, distribution_text, esc, table, value_text, view
from workbench.views._picture import (
    Picture,
    page_picture,
    svg_as_images,
    svg_data_uri,
    svg_picture,
)
from workbench.views._picture_charts import curves_svg, history_svg
from workbench.views._tuning_status import _get_status_info, status_html


def curves_picture(data: Mapping[str, Any], *, log_y: bool = False) -> Picture:
    """Learning curves (``Curves.data``) as an SVG chart."""
    runs = len(data.get("runs", []))
    caption = f"learning curves: {runs} run{'s' * (runs != 1)}"
    if data.get("title"):
        caption = f"{data['title']}: {caption}"
    return svg_picture(curves_svg(data, log_y=log_y), caption=caption)


_BAR_COLORS = {
    "": "#1976d2",
    "success": "#43a047",
    "info": "#0288d1",
    "warning": "#fb8c00",
    "danger": "#e53935",
}


def progress_picture(info: Any) -> Picture:
    """A progress bar (``ProgressInfo``): the bar, filled as the live one, and its text."""
    total = info.total or max(info.done, 1)
    if info.status in ("complete", "stopped") and info.kind == "epochs":
        total = max(info.done, 1)
    share = min(info.done / max(total, 1), 1.0)
    color = _BAR_COLORS.get(info.bar_style, _BAR_COLORS[""])
    bar = (
        '<span style="display:inline-block;width:220px;height:12px;vertical-align:middle;'
        'border:1px solid rgba(128,128,128,0.45);border-radius:3px;margin-right:8px">'
        f'<span style="display:block;height:12px;width:{100 * share:.1f}%;'
        f'background:{color}"></span></span>'
    )
    body = f'<div class="wb-progress">{bar}<span>{esc(info.text)}</span></div>'
    return page_picture(body, caption=f"progress: {info.status}")


def space_editor_picture(groups: Sequence[Any]) -> Picture:
    """The space editor (``_get_space_editor_info``): each step's hyperparameters and their
    distributions, unchosen branches greyed, frozen steps marked."""
    if not groups:
        body = '<div class="wb-muted">This pipeline has no hyperparameter space to edit.</div>'
        return page_picture(view(body), caption="space editor")
    rows = []
    for group in groups:
        marks = badge("frozen: fixed", "wb-frozen") * group.frozen
        marks += badge("not chosen") * (not group.active)
        shade = "" if group.active else ' class="wb-inactive"'
        rows.append(
            f'<tr class="wb-group"><td colspan="2"{shade}>'
            f'<span style="margin-left:{12 * group.depth}px">{esc(group.path or "(root)")}</span> '
            f'<span class="wb-class">{esc(group.class_name)}</span>{marks}</td></tr>'
        )
        rows.extend(
            f'<tr><td{shade}><span style="margin-left:{12 * group.depth + 12}px">'
            f"{esc(row.name)}</span></td><td{shade}>"
            f"{esc(distribution_text(row.distribution))}</td></tr>"
            for row in group.rows
        )
    count = sum(len(group.rows) for group in groups)
    body = (
        '<table class="wb-table"><thead><tr><th>hyperparam</th><th>space</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
    return page_picture(view(body), caption=f"space editor: {count} hyperparameters")


def tuning_panel_picture(info: Any, runner: Any) -> Picture:
    """The tuning panel (``TuningInfo`` and its study's status): the status line, the study's
    history as a chart and the trials as a table, the best one marked."""
    status = status_html(_get_status_info(info, runner))
    svg = history_svg(info)
    chart = f'<img src="{svg_data_uri(svg)}" alt="objective value by trial"/>'
    paths = list(dict.fromkeys(path for row in info.trials for path in row.params))
    best = info.best.number if info.best is not None else None
    shown = info.trials[-40:]
    lineage = any(row.lineage for row in shown)  # a column only when a trial has one
    rows = [
        [
            f"{row.number}{' ★' if row.number == best else ''}",
            *([row.lineage] if lineage else []),
            row.state,
            "" if row.value is None else f"{row.value:.6g}",
            "" if row.duration is None else f"{row.duration:.1f} s",
            *(
                value_text(row.params[path], limit=24) if path in row.params else ""
                for path in paths
            ),
        ]
        for row in shown
    ]
    more = len(info.trials) - len(rows)
    note = f'<div class="wb-legend">the last 40 of {len(info.trials)} trials</div>' * (more > 0)
    head = ["trial", *(["lineage"] if lineage else []), "state", "value", "time", *paths]
    body = status + chart + table(head, rows) + note
    return page_picture(view(body), caption=f"tuning panel: {info.study_name}")


def inspector_picture(
    entries: Sequence[Any], selected: str, step_html: str, error_html: str
) -> Picture:
    """The inspector (``_get_tree_info`` and the selected step's HTML): the tree with the
    selected step marked, beside that step's hyperparams and fitted attributes."""
    tree = "".join(
        f'<div style="margin-left:{12 * entry.depth}px;padding:0 4px'
        f'{";background:#1976d2;color:white" if entry.path == selected else ""}">'
        f"{esc(entry.label)}</div>"
        for entry in entries
    )
    body = (
        '<div style="display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start">'
        f'<div style="min-width:200px;border:1px solid rgba(128,128,128,0.45);padding:2px">'
        f"{tree}</div><div>{error_html}{svg_as_images(step_html)}</div></div>"
    )
    return page_picture(view(body), caption=f"inspector: {selected or '(root)'}")


def mutation_picture(curve: Mapping[str, Any], log_html: str, message_html: str) -> Picture:
    """The mutation panel: its learning curve (``Curves.data``), the mutation log, the last
    message."""
    svg = curves_svg(curve)
    chart = f'<img src="{svg_data_uri(svg)}" alt="learning curves"/>'
    body = (
        f"{message_html}"
        '<div style="display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start">'
        f"<div>{chart}</div><div>{log_html}</div></div>"
    )
    return page_picture(body, caption="mutation panel")


def compare_picture(data: Mapping[str, Any]) -> Picture:
    """The comparison view (``get_compare_info``): its charts drawn as learning curves, one
    colour per item, and the hyperparameters that differ between the items."""
    series = [
        {"run": s["label"], "stat": s["statistic"], "split": s["split"], "x": s["x"], "y": s["y"]}
        for chart in data.get("charts", [])
        for s in chart["series"]
    ]
    runs = [{"name": item["label"], "state": item.get("state")} for item in data.get("items", [])]
    marks = [
        {"run": m["label"], "epoch": m["epoch"], "label": m["mark"]} for m in data.get("marks", [])
    ]
    svg = curves_svg({"title": "", "runs": runs, "series": series, "segments": marks})
    chart = f'<img src="{svg_data_uri(svg)}" alt="compared curves"/>'
    differing = data.get("differing") or {}
    rows = [
        [path, *(value_text(value, limit=24) for value in values)]
        for path, values in zip(
            differing.get("paths", []), differing.get("rows", []), strict=False
        )
    ]
    hyperparams = table(["hyperparam", *differing.get("labels", [])], rows) if rows else ""
    caption = f"comparison of {len(runs)} runs and trials"
    return page_picture(chart + view(hyperparams), caption=caption)
