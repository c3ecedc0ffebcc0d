"""A dead worker's trial and the retry that resumed it, linked in the Lab panel's study view,
in a real JupyterLab and Chromium; screenshots saved as artifacts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import optuna
import pytest

from tests.browser.harness import Lab, Notebook, start_lab, wait_for, write_notebook
from tests.store.test_resumes import died_with_checkpoint, objective
from workbench.store import shared

NAMES = "#workbench-panel .jp-Workbench-listing tr.jp-Workbench-row td.jp-Workbench-name"
TABLE = ".jp-Workbench-study:not(.lm-mod-hidden) .jp-Workbench-trials"


@pytest.fixture(scope="module")
def setting(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A lab whose store holds ``lost``: trial 0's worker died, trial 1 resumed it."""
    base = tmp_path_factory.mktemp("resumes")
    root = base / "notebooks"
    root.mkdir()
    journal = base / "store" / "journal.log"
    journal.parent.mkdir()
    storage = shared.open_storage(str(journal))
    study = optuna.create_study(storage=storage, study_name="lost", direction="maximize")
    died_with_checkpoint(storage, study)
    assert shared.fail_stale_trials(study) == [0]
    study.optimize(objective, n_trials=2)
    notebook = write_notebook(root / "resumes.ipynb", ["1 + 1"])
    with start_lab(root, env={"WORKBENCH_STORAGE": str(journal)}) as lab:
        yield {"lab": lab, "notebook": notebook}


def _texts(page: Any, selector: str) -> list[str]:
    return [str(text).strip() for text in page.locator(selector).all_text_contents()]


def _column(page: Any, header: str) -> list[str]:
    headers = _texts(page, f"{TABLE} thead th")
    if header not in headers:
        return []
    at = headers.index(header) + 1
    return _texts(page, f"{TABLE} tbody tr td:nth-child({at})")


def test_the_study_view_says_which_trial_a_retry_resumes_and_which_resumed_it(
    setting: dict[str, Any], page: Any
) -> None:
    lab: Lab = setting["lab"]
    notebook = Notebook.open(page, lab, Path(setting["notebook"]))
    notebook.command("workbench:open-panel")
    page.locator("#workbench-panel").wait_for(state="visible", timeout=30_000)
    wait_for(lambda: _texts(page, NAMES) == ["lost"], timeout=30, what="the study listed")
    page.locator(NAMES).first.click()
    wait_for(lambda: len(_column(page, "lineage")) == 3, timeout=30, what="the lineage column")
    assert _column(page, "lineage") == ["resumed by 1", "resumes 0", ""]
    assert _column(page, "state") == ["fail", "complete", "complete"]
    page.locator(f"{TABLE} tbody tr").nth(1).click()
    title = page.locator(".jp-Workbench-study .jp-Workbench-detailTitle")
    wait_for(
        lambda: title.inner_text().startswith("Trial 1 (complete"),
        timeout=30,
        what="the retry's detail",
    )
    assert "resumes trial 0" in title.inner_text()
    page.locator(f"{TABLE} tbody tr").nth(0).click()
    wait_for(
        lambda: title.inner_text().startswith("Trial 0 (fail) · resumed by trial 1 · WorkerLost"),
        timeout=30,
        what="the dead worker's trial's detail",
    )
    for theme in ("light", "dark"):
        before = page.evaluate(TICK_FILL)
        notebook.set_theme(theme)
        if theme != "light":  # the plots are drawn again in the theme's colours: wait for it
            wait_for(
                lambda before=before: page.evaluate(TICK_FILL) not in ("", before),
                timeout=20,
                what="the plots to be drawn again in the dark theme's colours",
            )
        notebook.screenshot(f"resumes_panel_{theme}")


TICK_FILL = """() => {
  const shown = [...document.querySelectorAll('.jp-Workbench-bestPlot .xtick text')]
    .filter(text => text.getBoundingClientRect().width > 0);
  return shown.length ? shown[0].style.fill : '';
}"""
