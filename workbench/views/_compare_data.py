"""The comparison view's plain data: charts by statistic, downsampled series, group bands,
mutation marks, the differing hyperparams and the structure diff, ready to draw."""

from __future__ import annotations

import math
from typing import Any, TypedDict

import numpy as np
import pandas as pd

from workbench.store import Comparison
from workbench.store.shared import chart_of, to_json_value


class SeriesInfo(TypedDict):
    """One curve: an item's (or a group's) statistic; ``low``/``high`` only for a band."""

    key: str
    label: str
    color: int
    statistic: str
    split: str
    x: list[float]
    y: list[float | None]
    low: list[float | None] | None
    high: list[float | None] | None


class ChartInfo(TypedDict):
    """One chart per statistic (``loss``): its train (dashed) and valid (solid) curves."""

    statistic: str
    series: list[SeriesInfo]


class CompareInfo(TypedDict):
    """All the view draws."""

    labels: list[str]
    colors: dict[str, int]
    items: list[dict[str, Any]]
    charts: list[ChartInfo]
    marks: list[dict[str, Any]]
    differing: dict[str, Any]
    structure: list[dict[str, Any]]
    group_by: str | None
    groups: dict[str, list[str]]


def downsample(x: np.ndarray, y: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """At most about two points per pixel column of ``width``: each column keeps its first,
    least, greatest and last point, so that no peak a pixel could show is lost.

    Examples
    --------
    >>> xs, ys = downsample(np.arange(1000.0), np.sin(np.arange(1000.0)), 50)
    >>> len(xs) <= 200, bool(ys.max() == np.sin(np.arange(1000.0)).max())
    (True, True)
    """
    n = len(x)
    if n <= 2 * width or width < 1:
        return x, y
    edges = np.linspace(x[0], x[-1], width + 1)
    column = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, width - 1)
    keep = np.zeros(n, dtype=bool)
    starts = np.flatnonzero(np.r_[True, column[1:] != column[:-1]])
    ends = np.r_[starts[1:], n]
    keep[starts] = keep[ends - 1] = True
    filled = np.where(np.isnan(y), np.inf, y)
    for start, end in zip(starts, ends, strict=True):
        part = filled[start:end]
        keep[start + int(np.argmin(part))] = True
        keep[start + int(np.argmax(np.where(np.isinf(part), -np.inf, part)))] = True
    return x[keep], y[keep]


def _plain(values: np.ndarray) -> list[float | None]:
    return [None if math.isnan(v) else float(v) for v in values.tolist()]


def get_compare_info(
    comparison: Comparison,
    *,
    width: int = 800,
    group_by: str | None = None,
    band: str = "range",
) -> CompareInfo:
    """What :func:`workbench.views.compare` draws, as plain data.

    Curves longer than two points per pixel of ``width`` are downsampled; with ``group_by``
    (a hyperparam path) each group draws one mean curve and a band instead of its items.
    """
    labels = comparison.labels
    groups = comparison.group_labels(group_by) if group_by is not None else {}
    names = list(groups) if group_by is not None else labels
    colors = {name: index for index, name in enumerate(names)}
    if group_by is None:
        series = list(_item_series(comparison.curves, colors, width))
    else:
        series = list(_group_series(comparison.grouped(group_by, band=band), colors, width))
    charts: dict[str, ChartInfo] = {}
    for entry in series:
        chart = charts.setdefault(
            entry["statistic"], {"statistic": entry["statistic"], "series": []}
        )
        chart["series"].append(entry)
    plain = comparison.to_json(series=False)  # the series are drawn from the curves above
    return {
        "labels": labels,
        "colors": colors,
        "items": plain["items"],
        "charts": list(charts.values()),
        "marks": plain["marks"] if group_by is None else [],
        "differing": plain["differing"],
        "structure": _structure_rows(comparison.structure_diff, labels),
        "group_by": group_by,
        "groups": groups,
    }


def _item_series(curves: pd.DataFrame, colors: dict[str, int], width: int) -> Any:
    for (label, column), part in curves.groupby(["label", "statistic"], sort=False):
        x, y = downsample(
            part["epoch"].to_numpy(dtype=float), part["value"].to_numpy(dtype=float), width
        )
        yield {
            "key": f"{label}\u0000{column}",
            "label": str(label),
            "color": colors[str(label)],
            "statistic": chart_of(str(column)),
            "split": str(part["split"].iloc[0]),
            "x": x.tolist(),
            "y": _plain(y),
            "low": None,
            "high": None,
        }


def _group_series(frame: pd.DataFrame, colors: dict[str, int], width: int) -> Any:
    for (group, column, split), part in frame.groupby(["group", "statistic", "split"], sort=False):
        x = part["epoch"].to_numpy(dtype=float)
        keep = downsample(x, np.arange(len(x), dtype=float), width)[1].astype(int)
        yield {
            "key": f"{group}\u0000{column}",
            "label": str(group),
            "color": colors[str(group)],
            "statistic": chart_of(str(column)),
            "split": str(split),
            "x": x[keep].tolist(),
            "y": _plain(part["mean"].to_numpy(dtype=float)[keep]),
            "low": _plain(part["low"].to_numpy(dtype=float)[keep]),
            "high": _plain(part["high"].to_numpy(dtype=float)[keep]),
        }


def _structure_rows(diff: pd.DataFrame, labels: list[str]) -> list[dict[str, Any]]:
    """The structure diff as tree rows: each changed step under its parents' names."""
    rows = []
    for record in diff.to_dict(orient="records"):
        path = str(record["path"])
        rows.append(
            {
                "path": path,
                "name": path.rpartition("__")[2] or "(pipeline)",
                "parents": path.split("__")[:-1] if path else [],
                "change": record["change"],
                "depth": int(record["depth"]),
                "classes": [to_json_value(record[label]) for label in labels],
            }
        )
    return rows
