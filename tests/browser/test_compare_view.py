"""Comparing in a real JupyterLab and Chromium: ticking runs and a trial in the side panel,
the comparison tab in light and dark, a hostile name kept as text, and the notebook view
drawing a thousand curves of 200 epochs."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.harness import REPO, Lab, Notebook, start_lab, wait_for, write_notebook
from tests.store.test_compare import a_run, a_study

HTML_NAME = "<img src=x onerror=alert(1)>"
THOUSAND = 1000


@pytest.fixture(scope="module")
def setting(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    base = tmp_path_factory.mktemp("compare")
    root = base / "notebooks"
    root.mkdir()
    journal = str(base / "store" / "journal.log")
    a_run(journal, "run-a", alpha=0.1, start=1.6)  # its own curves, not under run-b's
    a_run(journal, "run-b", alpha=0.01, model_class="MLPClassifier", extra="pca", mutation_at=2)
    a_study(journal, "search", [0.5, 0.9, 0.7])
    a_study(journal, HTML_NAME, [0.3, 0.8])
    a_study(journal, "live", [0.5], running=True)  # trial 1 runs: it reported two epochs
    sys.path.insert(0, str(REPO / "bench"))
    try:
        from compare import build_runs  # the bench's runs: 200 epochs, a mutation half-way
    finally:
        sys.path.remove(str(REPO / "bench"))
    many = str(base / "many.log")
    build_runs(many, THOUSAND, 200, accuracy=False)
    notebook = write_notebook(
        root / "compare.ipynb",
        [
            "from workbench.views import compare\n"
            f"view = compare([f'run-{{i:04d}}' for i in range({THOUSAND})], storage={many!r})\n"
            "view"
        ],
    )
    with start_lab(root, env={"WORKBENCH_STORAGE": journal}) as lab:
        yield {"lab": lab, "notebook": notebook, "root": root, "journal": journal}


def _row(page: Any, name: str) -> Any:
    return page.locator("#workbench-panel tr.jp-Workbench-row").filter(
        has=page.locator("td.jp-Workbench-name", has_text=name)
    )


def _tick(row: Any) -> None:
    row.first.locator("input.jp-Workbench-compareBox").check()


def _open_comparison(page: Any) -> Any:
    page.locator("#workbench-panel .jp-Workbench-compareButton").click()
    view = page.locator(".jp-Workbench-compare:visible").last
    view.wait_for(state="visible", timeout=30_000)
    return view


def test_tick_two_runs_and_a_trial_compare_them_in_light_and_dark(
    setting: dict[str, Any], page: Any
) -> None:
    lab: Lab = setting["lab"]
    alerts: list[str] = []
    page.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))
    notebook = Notebook.open(page, lab, setting["notebook"])
    notebook.command("workbench:open-panel")
    wait_for(lambda: _row(page, "run-b").count() == 1, timeout=30, what="the runs listed")
    button = page.locator("#workbench-panel .jp-Workbench-compareButton")
    assert button.inner_text() == "Compare (0)" and button.is_disabled()
    _tick(_row(page, "run-a"))
    _tick(_row(page, "run-b"))
    # a trial, ticked in its study's trial table
    _row(page, "search").first.click()
    study = page.locator(".jp-Workbench-study").filter(has_text="search").first
    wait_for(
        lambda: study.locator(".jp-Workbench-trials tbody tr").count() == 3,
        timeout=30,
        what="the study's three trials",
    )
    # the study view shows which hyperparams mattered, as bars the store computed
    bars = study.locator(".jp-Workbench-importanceBars td.jp-Workbench-name")
    wait_for(lambda: bars.count() == 2, timeout=30, what="the importance bars")
    assert bars.all_inner_texts() == ["model", "model__alpha"]
    notebook.screenshot("compare_lab_study_importance")
    study.locator('.jp-Workbench-trials tr[data-trial="2"] input.jp-Workbench-compareBox').check()
    wait_for(lambda: button.inner_text() == "Compare (3)", timeout=10, what="Compare (3)")
    view = _open_comparison(page)
    wait_for(
        lambda: view.locator("canvas.jp-Workbench-compareChart").count() == 2,
        timeout=30,
        what="a loss chart and an accuracy chart",
    )
    loss = view.locator('canvas[data-chart="loss"]')
    assert loss.get_attribute("data-curves") == "6"  # 3 items, train and valid each
    assert view.locator(".jp-Workbench-compareKey").all_inner_texts()[:3] == [
        "run-a", "run-b", "search#2"]  # fmt: skip
    differing = view.locator(".jp-Workbench-differing")
    assert differing.locator("td.jp-Workbench-name").all_inner_texts() == ["model__alpha"]
    assert differing.locator("tbody td").all_inner_texts()[1:] == ["0.1", "0.01", "0.001"]
    tree = view.locator(".jp-Workbench-tree").inner_text()
    assert "model" in tree and "pca" in tree and "added" in tree
    # the canvas really has curves: many pixels differ from the background
    painted = page.evaluate(
        """(canvas) => { const d = canvas.getContext('2d').getImageData(0, 0, canvas.width,
        canvas.height).data; let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++;
        return n; }""",
        loss.element_handle(),
    )
    assert painted > 5000
    notebook.screenshot("compare_lab_light")
    notebook.set_theme("dark")
    try:
        page.wait_for_function(
            "() => !document.querySelector('#jupyterlab-splash')", timeout=30_000
        )  # the theme's splash is gone: the charts were drawn again with its colours
        grid = page.evaluate(
            "() => getComputedStyle(document.body).getPropertyValue('--jp-layout-color1')"
        )
        assert grid.strip() not in ("", "white", "#fff", "#ffffff")
        view.locator("canvas.jp-Workbench-compareChart").first.wait_for(state="visible")
        notebook.screenshot("compare_lab_dark")
    finally:
        notebook.set_theme("light")
    assert alerts == []


def test_a_hostile_study_name_stays_text_in_a_comparison(
    setting: dict[str, Any], page: Any
) -> None:
    alerts: list[str] = []
    page.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))
    notebook = Notebook.open(page, setting["lab"], setting["notebook"])
    notebook.command("workbench:open-panel")
    wait_for(lambda: _row(page, HTML_NAME).count() == 1, timeout=30, what="the hostile study")
    _tick(_row(page, HTML_NAME))
    view = _open_comparison(page)
    wait_for(
        lambda: view.locator(".jp-Workbench-compareItems td.jp-Workbench-name").count() == 1,
        timeout=30,
        what="the comparison's item",
    )
    assert view.locator(".jp-Workbench-compareItems td.jp-Workbench-name").inner_text() == (
        f"{HTML_NAME}#1"
    )
    assert view.locator("img").count() == 0
    assert alerts == []


def test_compare_view_draws_a_thousand_curves_fast(setting: dict[str, Any], page: Any) -> None:
    notebook = Notebook.open(page, setting["lab"], setting["notebook"])
    notebook.run_all(timeout=600)
    notebook.assert_no_problems()
    chart = page.locator(".wb-compare canvas.wb-cmp-canvas").first
    chart.wait_for(state="visible", timeout=120_000)
    assert chart.get_attribute("data-curves") == str(2 * THOUSAND)  # train and valid loss
    # draw again, as a resize does, a few times: the slowest draw is the figure
    times = page.evaluate(
        """async () => {
          const root = document.querySelector('.wb-compare');
          const out = [];
          for (let i = 0; i < 5; i++) {
            root.dataset.drawMs = '';
            root.style.width = (900 + 10 * i) + 'px';  // the view draws again on resize
            const deadline = performance.now() + 10000;
            while (!root.dataset.drawMs && performance.now() < deadline) {
              await new Promise(r => setTimeout(r, 20));
            }
            out.push(parseFloat(root.dataset.drawMs));
          }
          return out;
        }"""
    )
    print(f"1,000 curves of 200 epochs (2,000 lines) drawn in {sorted(times)} ms")
    notebook.screenshot("compare_view_thousand", locator=page.locator(".wb-compare").first)
    assert sorted(times)[len(times) // 2] < 200, times


def test_a_running_trial_in_a_comparison_tab_gains_points(
    setting: dict[str, Any], page: Any
) -> None:
    import optuna

    from workbench.store.shared import open_storage

    notebook = Notebook.open(page, setting["lab"], setting["notebook"])
    notebook.command("workbench:open-panel")
    wait_for(lambda: _row(page, "live").count() == 1, timeout=30, what="the live study")
    store = page.evaluate(
        "() => document.querySelector('#workbench-panel tr[data-name=\"live\"]')"
        ".closest('section').querySelector('input').dataset.item.split('/')[0]"
    )
    notebook.command("workbench:compare", {"items": [f"{store}/live/1", f"{store}/live/0"]})
    view = page.locator(".jp-Workbench-compare:visible").last
    chart = view.locator('canvas[data-chart="accuracy"]')
    wait_for(lambda: chart.count() == 1, timeout=30, what="the accuracy chart")
    before = int(chart.get_attribute("data-points") or 0)
    study = optuna.load_study(study_name="live", storage=open_storage(setting["journal"]))
    optuna.trial.Trial(study, study.trials[1]._trial_id).report(0.75, step=3)
    wait_for(
        lambda: (
            int(view.locator('canvas[data-chart="accuracy"]').get_attribute("data-points") or 0)
            == before + 1
        ),
        timeout=30,
        what="the running trial's new point",
    )
