"""The importance bars: by top-level step, then by path; names stay text; why none yet."""

from __future__ import annotations

import pandas as pd

from workbench.views._importance import importance_html, study_importance_html

from ..store.test_importance import a_study


def test_importance_bars_sum_steps_and_escape_names():
    frame = pd.DataFrame(
        {
            "path": ["encoder__pca__n", "encoder__scale__<b>", "model__C"],
            "step": ["encoder__pca", "encoder__scale", "model"],
            "importance": [0.5, 0.2, 0.3],
        }
    )
    shown = importance_html(frame)
    assert shown.index("<b>encoder</b>") < shown.index("<b>model</b>")
    assert "70%" in shown and "30%" in shown
    assert "encoder__scale__&lt;b&gt;" in shown and "encoder__scale__<b>" not in shown


def test_study_importance_says_why_there_are_no_bars_yet(tmp_path):
    path = str(tmp_path / "journal.log")
    a_study(path, "one", "maximize", n=1)
    from types import SimpleNamespace

    tuner = SimpleNamespace(storage=path, study_name="one")  # what the panel reads of a Tuner
    assert "at least two complete trials" in study_importance_html(tuner)
    a_study(path, "many", "maximize")
    shown = study_importance_html(SimpleNamespace(storage=path, study_name="many"))
    assert "<code>encoder__scale__power</code>" in shown
