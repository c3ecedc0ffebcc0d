"""Importance of hyperparams as bars, by step and by path (what the TuningPanel shows)."""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

from workbench import store
from workbench.exceptions import StorageError


def importance_html(by_path: pd.DataFrame) -> str:
    """Bars of ``Store.importance``'s rows: each top-level step's share, then each path's.

    Examples
    --------
    >>> frame = pd.DataFrame({"path": ["model__C", "scale__with_mean"],
    ...                       "step": ["model", "scale"], "importance": [0.75, 0.25]})
    >>> "75%" in importance_html(frame)
    True
    """
    tops = by_path.assign(top=[str(s).split("__")[0] or "(pipeline)" for s in by_path["step"]])
    steps = tops.groupby("top", sort=False)["importance"].sum().sort_values(ascending=False)
    rows = [_bar(str(step), float(share), strong=True) for step, share in steps.items()]
    rows += [
        _bar(str(p), float(v)) for p, v in zip(by_path["path"], by_path["importance"], strict=True)
    ]
    return (
        '<div class="wb-importance"><b>Importance</b> (PED-ANOVA, by step then by '
        "hyperparam)<table>" + "".join(rows) + "</table></div>"
    )


def _bar(name: str, share: float, *, strong: bool = False) -> str:
    label = f"<b>{html.escape(name)}</b>" if strong else f"<code>{html.escape(name)}</code>"
    width = max(0.0, min(share, 1.0)) * 160
    return (
        f"<tr><td>{label}</td><td><span style='display:inline-block;height:9px;"
        f"width:{width:.0f}px;background:var(--jp-brand-color1,#4e79a7)'></span></td>"
        f"<td style='text-align:right'>{share:.0%}</td></tr>"
    )


def study_importance_html(tuner: Any) -> str:
    """The importance bars of a Tuner's study, or why there are none (yet)."""
    try:
        opened = store.open_store(tuner.storage, readonly=True)
        frame = opened.importance(tuner.study_name)
    except Exception as error:  # too few trials, or a store that fails now: said, not raised
        text = (
            str(error) if isinstance(error, StorageError) else f"{type(error).__name__}: {error}"
        )
        return f'<div class="wb-importance wb-muted">{html.escape(text)}</div>'
    return importance_html(frame)
