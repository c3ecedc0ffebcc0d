"""Charts as standalone SVG for pictures: learning curves, drawn from the plain data the live
chart draws (``Curves.data``: runs, series of points, mutation segments).

The SVG is shown as an image, where JupyterLab's theme variables do not reach, so its colours
read on light and dark backgrounds alike: the live chart's palette, mid-grey text and axes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from workbench.views._html import esc

PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#b8860b", "#b07aa1")
INK = "#8c8c8c"  # text and axes: readable on white and on JupyterLab's dark grey
PANEL_WIDTH, PANEL_HEIGHT, COLUMNS = 300, 190, 3
LEFT, RIGHT, TOP, BOTTOM = 46, 10, 20, 26
LEGEND = 18


def _fmt(value: float) -> str:
    if value == 0:
        return "0"
    return f"{value:.1e}" if abs(value) >= 1e4 or abs(value) < 1e-3 else f"{value:.4g}"


#: At most this many points per line (about two per pixel of a panel): a longer run is drawn
#: from evenly spaced epochs, its first and last included.
MAX_POINTS = 400


def _thinned(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    if len(points) <= MAX_POINTS:
        return points
    step = (len(points) - 1) / (MAX_POINTS - 1)
    return [points[round(i * step)] for i in range(MAX_POINTS)]


def _extent(values: Sequence[float]) -> tuple[float, float]:
    low, high = min(values), max(values)
    if low == high:
        low, high = low - 0.5, high + 0.5
    return low, high


def _panel(
    stat: str, series: list[Mapping[str, Any]], colors: Mapping[str, str], log_y: bool, x0: int,
    y0: int, segments: Sequence[Mapping[str, Any]],
) -> str:  # fmt: skip
    """One statistic's panel: axes, min/max labels, a polyline per run and split."""

    def y_of(value: float | None) -> float | None:
        if value is None or not math.isfinite(value) or (log_y and value <= 0):
            return None
        return math.log10(value) if log_y else value

    xs = [x for s in series for x in s["x"]]
    ys = [v for s in series for v in map(y_of, s["y"]) if v is not None]
    if not xs or not ys:
        return ""
    (x_low, x_high), (y_low, y_high) = _extent(xs), _extent(ys)
    width, height = PANEL_WIDTH - LEFT - RIGHT, PANEL_HEIGHT - TOP - BOTTOM

    def px(x: float) -> float:
        return x0 + LEFT + width * (x - x_low) / (x_high - x_low)

    def py(y: float) -> float:
        return y0 + TOP + height * (1 - (y - y_low) / (y_high - y_low))

    label = 10**y_low if log_y else y_low, 10**y_high if log_y else y_high
    parts = [
        f'<text x="{x0 + LEFT}" y="{y0 + 13}" font-weight="600">{esc(stat)}'
        f"{' (log)' if log_y else ''}</text>",
        f'<rect x="{x0 + LEFT}" y="{y0 + TOP}" width="{width}" height="{height}" fill="none" '
        f'stroke="{INK}" stroke-opacity="0.5"/>',
        f'<text x="{x0 + LEFT - 3}" y="{y0 + TOP + 9}" text-anchor="end">{_fmt(label[1])}</text>',
        f'<text x="{x0 + LEFT - 3}" y="{y0 + TOP + height}" text-anchor="end">'
        f"{_fmt(label[0])}</text>",
        f'<text x="{x0 + LEFT}" y="{y0 + PANEL_HEIGHT - 12}">{_fmt(x_low)}</text>',
        f'<text x="{x0 + LEFT + width}" y="{y0 + PANEL_HEIGHT - 12}" text-anchor="end">'
        f"{_fmt(x_high)}</text>",
        f'<text x="{x0 + LEFT + width / 2}" y="{y0 + PANEL_HEIGHT - 12}" '
        'text-anchor="middle">epoch</text>',
    ]
    runs = {s["run"] for s in series}
    for mark in segments:
        if mark.get("run") in runs and x_low < mark.get("epoch", x_low) <= x_high:
            x = px(mark["epoch"] - 0.5)
            parts.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y0 + TOP}" y2="{y0 + TOP + height}" '
                f'stroke="#e08000" stroke-dasharray="3 3"><title>{esc(mark.get("label", ""))}'
                "</title></line>"
            )
    for s in series:
        kept = [(x, y) for x, y in zip(s["x"], map(y_of, s["y"]), strict=False) if y is not None]
        points = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in _thinned(kept))
        dash = ' stroke-dasharray="5 3"' if s["split"] == "train" else ""
        parts.append(
            f'<polyline class="wb-series" data-run="{esc(s["run"])}" '
            f'data-split="{esc(s["split"])}" fill="none" stroke="{colors[s["run"]]}" '
            f'stroke-width="1.6"{dash} '
            f'points="{points}"><title>{esc(s["run"])} · {esc(s["split"])} {esc(stat)}</title>'
            "</polyline>"
        )
    return "".join(parts)


def _legend(data: Mapping[str, Any], colors: Mapping[str, str], splits: set[str]) -> str:
    parts, x = [], 4
    for split in ("train", "valid"):
        if split in splits:
            dash = ' stroke-dasharray="5 3"' if split == "train" else ""
            parts.append(
                f'<line x1="{x}" x2="{x + 20}" y1="9" y2="9" stroke="{INK}" stroke-width="1.6"'
                f'{dash}/><text x="{x + 24}" y="13">{split}</text>'
            )
            x += 64
    runs = data.get("runs", [])
    if len(runs) > 1:
        for run in runs[:12]:
            name = str(run["name"]) + {"pruned": " \u00d7", "fail": " !"}.get(run.get("state"), "")
            parts.append(
                f'<rect x="{x}" y="4" width="10" height="10" fill="{colors[run["name"]]}"/>'
                f'<text x="{x + 14}" y="13">{esc(name)}</text>'
            )
            x += 22 + 7 * len(name)
        if len(runs) > 12:
            parts.append(f'<text x="{x}" y="13">+{len(runs) - 12} more</text>')
    return "".join(parts)


def curves_svg(data: Mapping[str, Any], *, log_y: bool = False) -> str:
    """The learning curves of ``Curves.data`` as one SVG: a panel per statistic, a line per
    run and split (training dashed), mutations as dashed vertical marks."""
    series = list(data.get("series", []))
    runs = [run["name"] for run in data.get("runs", [])]
    runs += [s["run"] for s in series if s["run"] not in runs]
    colors = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(runs)}
    stats = list(dict.fromkeys(s["stat"] for s in series))
    columns = max(1, min(len(stats), COLUMNS))
    rows = math.ceil(len(stats) / columns)
    width = columns * PANEL_WIDTH
    height = LEGEND + max(rows, 1) * PANEL_HEIGHT + (14 if data.get("title") else 0)
    top = LEGEND + (14 if data.get("title") else 0)
    body = [f'<text x="4" y="{LEGEND + 10}" font-weight="600">{esc(data["title"])}</text>'] * bool(
        data.get("title")
    )
    body.append(_legend(data, colors, {s["split"] for s in series}))
    for index, stat in enumerate(stats):
        row, column = divmod(index, columns)
        body.append(
            _panel(
                stat,
                [s for s in series if s["stat"] == stat],
                colors,
                log_y,
                column * PANEL_WIDTH,
                top + row * PANEL_HEIGHT,
                data.get("segments", []),
            )
        )
    if not stats:
        message = data.get("message") or "no statistics yet"
        body.append(f'<text x="4" y="{top + 16}">{esc(message)}</text>')
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="wb-curves-picture" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" '
        f'font-size="11" fill="{INK}">{"".join(body)}</svg>'
    )


def history_svg(info: Any) -> str:
    """A study's history (``TuningInfo``): each complete trial's value as a dot, the best so
    far as a line."""
    points = [(row.number, row.value) for row in info.trials if row.value is not None]
    points = [(x, float(y)) for x, y in points if math.isfinite(float(y))]
    width, height = 420, 180
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="wb-history-picture" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" '
        f'font-size="11" fill="{INK}">'
        f'<text x="{LEFT}" y="13" font-weight="600">objective value ({esc(info.direction)})'
        "</text>"
    )
    if not points:
        return head + f'<text x="{LEFT}" y="40">no complete trial yet</text></svg>'
    (x_low, x_high) = _extent([x for x, _ in points])
    (y_low, y_high) = _extent([y for _, y in points])
    inner_w, inner_h = width - LEFT - RIGHT, height - TOP - BOTTOM

    def px(x: float) -> float:
        return LEFT + inner_w * (x - x_low) / (x_high - x_low)

    def py(y: float) -> float:
        return TOP + inner_h * (1 - (y - y_low) / (y_high - y_low))

    dots = "".join(
        f'<circle class="wb-trial" cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" '
        f'fill="{PALETTE[0]}"><title>trial {x}: {_fmt(y)}</title></circle>'
        for x, y in points
    )
    best = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in info.best_so_far)
    return (
        head + f'<rect x="{LEFT}" y="{TOP}" width="{inner_w}" height="{inner_h}" fill="none" '
        f'stroke="{INK}" stroke-opacity="0.5"/>'
        f'<text x="{LEFT - 3}" y="{TOP + 9}" text-anchor="end">{_fmt(y_high)}</text>'
        f'<text x="{LEFT - 3}" y="{TOP + inner_h}" text-anchor="end">{_fmt(y_low)}</text>'
        f'<text x="{LEFT}" y="{height - 12}">{_fmt(x_low)}</text>'
        f'<text x="{LEFT + inner_w}" y="{height - 12}" text-anchor="end">{_fmt(x_high)}</text>'
        f'<text x="{LEFT + inner_w / 2}" y="{height - 12}" text-anchor="middle">trial</text>'
        f'<polyline class="wb-best" fill="none" stroke="{PALETTE[1]}" stroke-width="1.6" '
        f'points="{best}"><title>best so far</title></polyline>{dots}</svg>'
    )
