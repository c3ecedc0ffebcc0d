"""Live curves, progress and the tuning panel in a real JupyterLab and Chromium."""

from __future__ import annotations

import time
from pathlib import Path

from tests.browser.harness import Lab, Notebook, wait_for, write_notebook

SETUP = """\
import time
import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.datasets import load_digits
from sklearn.linear_model import RidgeClassifier, SGDClassifier
from sklearn.preprocessing import StandardScaler
from workbench import Callback, Hyperparam, Pipeline, Step, floats
from workbench.training import EarlyStopping, History, fit_epochs
from workbench.views import Progress, TuningPanel, curves
X, y = load_digits(return_X_y=True)
"""

_POINTS = """() => Array.from(document.querySelectorAll('.wb-curves .wb-panel path.wb-valid'))
  .map((p) => (p.getAttribute('d').match(/[ML]/g) || []).length)"""


def _boxes_overlap(boxes: list[dict[str, float]]) -> bool:
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            if (
                a["x"] < b["x"] + b["width"]
                and b["x"] < a["x"] + a["width"]
                and a["y"] < b["y"] + b["height"]
                and b["y"] < a["y"] + a["height"]
            ):
                return True
    return False


def _show_chart_then_start_run(page: object, lab: Lab, path: Path) -> Notebook:
    """Run the first cell (the chart) to the end, then start the second (the run) without
    waiting for it: the command's promise settles only when the cell is done."""
    notebook = Notebook.open(page, lab, path)
    notebook.page.locator(".jp-Notebook").first.wait_for()
    notebook.command("notebook:run-cell-and-select-next")
    notebook.page.locator(".wb-curves").first.wait_for(timeout=60_000)
    notebook.wait_idle(timeout=60)
    notebook.page.evaluate(
        "() => { window.jupyterapp.commands.execute('notebook:run-cell-and-select-next'); }"
    )
    return notebook


def test_live_curve_gains_points_while_an_epoch_run_proceeds(lab: Lab, page: object) -> None:
    path = write_notebook(
        lab.root / "curves.ipynb",
        [
            SETUP + "class Pace(Callback):\n"
            "    def on_epoch_end(self, **data):\n"
            "        time.sleep(0.25)  # a slower model's epoch\n"
            "pipe = Pipeline([('scale', StandardScaler()), ('model', SGDClassifier(loss='log_loss', random_state=0))])\n"
            "view = curves(throttle=0.1)\nbar = Progress()\ndisplay(view, bar)",
            "history = fit_epochs(pipe, X, y, epochs=16, batch_size=128, validation_fraction=0.2,"
            " train_metrics=True, callbacks=[view, bar, Pace()], progress=False, random_state=0)",
        ],
    )
    notebook = _show_chart_then_start_run(page, lab, path)
    seen: list[int] = []

    def grows() -> bool:
        counts = notebook.page.evaluate(_POINTS)
        if counts and (not seen or counts[0] != seen[-1]):
            seen.append(counts[0])
        return len([c for c in seen if 0 < c < 16]) >= 2

    wait_for(grows, timeout=60, what="the curve to gain points during the run")
    notebook.wait_idle(timeout=120)
    wait_for(lambda: notebook.page.evaluate(_POINTS) == [16], timeout=10, what="all 16 epochs")
    assert seen == sorted(seen), f"points only ever get added: {seen}"
    bar_text = notebook.page.locator(".wb-progress").first.inner_text()
    assert "✓ 16/16 epochs" in bar_text and "best valid_accuracy" in bar_text
    notebook.assert_no_problems()
    chart = notebook.scroll_to(".wb-curves")
    notebook.screenshot("curves-live-light", locator=chart.locator(".."))

    # the log-axis toggle reaches the kernel and redraws
    chart.locator("input[type=checkbox]").first.click()
    wait_for(
        lambda: notebook.evaluate("view.log_y") is True, timeout=10, what="log_y in the kernel"
    )
    wait_for(lambda: "(log)" in chart.inner_text(), timeout=10, what="the log axis label")
    notebook.set_theme("dark")
    notebook.screenshot("curves-live-dark", locator=chart.locator(".."))
    notebook.set_theme("light")


def test_live_updates_keep_applying_past_the_hundredth(lab: Lab, page: object) -> None:
    # updates are numbered modulo 100; the kernel stays busy after sending 150 of them, so the
    # chart can only show them all by applying each update (no state snapshot can come meanwhile)
    path = write_notebook(
        lab.root / "many.ipynb",
        [
            SETUP + "view = curves(throttle=0)\nview",
            "import os\nview.on_fit_begin(kind='epochs', path='')\n"
            "for epoch in range(1, 151):\n"
            "    view.on_epoch_end(epoch=epoch, row={'train_loss': 1 / epoch, 'valid_loss': 2 / epoch})\n"
            "deadline = time.monotonic() + 120  # busy, as in a long training cell, until released\n"
            "while not os.path.exists('release') and time.monotonic() < deadline:\n"
            "    time.sleep(0.05)",
        ],
    )
    notebook = _show_chart_then_start_run(page, lab, path)
    try:
        wait_for(
            lambda: notebook.page.evaluate(_POINTS) == [150],
            timeout=60,
            what="all 150 updates drawn while the kernel is still busy",
        )
        assert notebook.page.evaluate(
            "() => document.querySelectorAll('.jp-Notebook .jp-Cell')[1]"
            ".querySelector('.jp-InputPrompt').textContent.includes('*')"
        ), "the cell ended before the points were checked; the state snapshot may have drawn them"
    finally:
        (lab.root / "release").write_text("")
    notebook.wait_idle(timeout=60)
    notebook.assert_no_problems()


def test_mutation_labels_do_not_overlap_and_runs_share_a_legend(lab: Lab, page: object) -> None:
    rows = [
        "{'epoch': e, 'phase': 'pretrain' if e <= 10 else 'finetune', 'train_loss': 1 / e,"
        " 'valid_loss': 1.2 / e,"
        " 'mutation': {11: 'replace decoder with a linear head', 12: 'freeze encoder',"
        " 13: 'unfreeze encoder__layer2'}.get(e)}"
    ]
    path = write_notebook(
        lab.root / "mutations.ipynb",
        [
            SETUP + f"history = History.from_rows([{rows[0]} for e in range(1, 31)])\n"
            "other = History.from_rows([{'epoch': e, 'train_loss': 0.8 / e, 'valid_loss': 1.1 / e}"
            " for e in range(1, 26)])\n"
            "curves({'pretrain then finetune': history, 'from scratch': other})"
        ],
    )
    notebook = Notebook.open(page, lab, path)
    notebook.run_all(timeout=120)
    chart = notebook.scroll_to(".wb-curves")
    labels = chart.locator(".wb-panel").first.locator(".wb-mutation-label")
    assert labels.count() == 4  # the first phase and three changes
    boxes = [labels.nth(i).bounding_box() for i in range(labels.count())]
    assert not _boxes_overlap(boxes), boxes
    legend = chart.locator(".wb-legend").inner_text()
    assert "pretrain then finetune" in legend and "from scratch" in legend
    notebook.assert_no_problems()
    notebook.screenshot("curves-mutations-light", locator=chart.locator(".."))
    notebook.set_theme("dark")
    notebook.screenshot("curves-mutations-dark", locator=chart.locator(".."))
    notebook.set_theme("light")


PANEL = """\
class Slow(ClassifierMixin, Step):
    C = Hyperparam(1.0, space=floats(0.001, 100.0, log=True))
    def fit(self, X, y):
        time.sleep(0.5)  # a model that takes a while to train
        self.model_ = RidgeClassifier(alpha=1 / self.C).fit(X, y)
        self.classes_ = self.model_.classes_
        return self
    def predict(self, X):
        return self.model_.predict(X)

pipe = Pipeline([('scale', StandardScaler()), ('model', Slow())])
panel = TuningPanel(pipe, X[:600], y[:600], n_trials=200, holdout=0.25, scoring='accuracy',
                    study_name='browser-panel', random_state=0)
panel.start()
panel
"""


def test_tuning_panel_stops_within_three_seconds_and_resumes(lab: Lab, page: object) -> None:
    path = write_notebook(lab.root / "panel.ipynb", [SETUP, PANEL])
    notebook = Notebook.open(page, lab, path)
    notebook.run_all(timeout=120)  # the cell returns at once: the study runs off the main thread
    panel = notebook.scroll_to(".wb-tuning-panel")
    rows = panel.locator(".wb-table tr.wb-row")
    wait_for(lambda: rows.count() >= 3, timeout=60, what="three trials in the table")
    wait_for(  # the table and the status line are two widgets: each arrives in its own message
        lambda: "running trial" in panel.locator(".wb-tuning-status").inner_text(),
        timeout=10,
        what="the status line to name the running trial",
    )

    panel.get_by_role("button", name="Stop").click()
    clicked = time.monotonic()
    wait_for(
        lambda: "stopped after" in panel.locator(".wb-tuning-status").inner_text(),
        timeout=10,
        what="the panel to say it stopped",
    )
    assert time.monotonic() - clicked < 3.0
    assert notebook.evaluate("panel.state") == "stopped"
    stopped_at = notebook.evaluate("len(panel.info().trials)")

    panel.get_by_role("button", name="Resume").click()
    wait_for(
        lambda: notebook.evaluate("len(panel.info().trials)") > stopped_at + 1,
        timeout=30,
        what="trials to run again after Resume",
    )
    panel.get_by_role("button", name="Stop").click()
    wait_for(lambda: notebook.evaluate("panel.state") == "stopped", timeout=10, what="a stop")

    # sort by value (best first), select the best row, apply it
    panel.locator(".wb-table th", has_text="accuracy").click()
    values = [
        float(v) for v in panel.locator(".wb-table tr.wb-row td:nth-child(3)").all_inner_texts()
    ]
    assert values == sorted(values, reverse=True)
    best = panel.locator(".wb-table tr.wb-row").first
    number = int(best.get_attribute("data-number"))
    best.click()
    wait_for(
        lambda: f"Trial {number}" in panel.locator(".wb-trial").inner_text(),
        timeout=10,
        what="the selected trial's pipeline",
    )
    panel.get_by_role("button", name="Apply").click()
    wait_for(
        lambda: f"Applied trial {number}" in panel.locator(".wb-tuning-status").inner_text(),
        timeout=10,
        what="the applied values",
    )
    assert notebook.evaluate("pipe.get_hyperparams()['model__C']") == notebook.evaluate(
        f"panel.info().trials[{number}].params['model__C']"
    )
    notebook.assert_no_problems()
    notebook.screenshot("tuning-panel-light", locator=panel)
    notebook.set_theme("dark")
    notebook.screenshot("tuning-panel-dark", locator=panel)
    notebook.set_theme("light")


def test_tuning_panel_says_when_every_trial_failed(lab: Lab, page: object) -> None:
    path = write_notebook(
        lab.root / "failing.ipynb",
        [
            SETUP + "class Broken(ClassifierMixin, Step):\n"
            "    C = Hyperparam(1.0, space=floats(0.01, 10.0, log=True))\n"
            "    def fit(self, X, y):\n"
            "        raise ValueError('this model cannot be trained on this data')\n"
            "panel = TuningPanel(Pipeline([('model', Broken())]), X, y, n_trials=4, holdout=0.2,"
            " study_name='browser-failing')\n"
            "panel.start().wait(60)\npanel"
        ],
    )
    notebook = Notebook.open(page, lab, path)
    notebook.run_all(timeout=120)
    panel = notebook.scroll_to(".wb-tuning-panel")
    status = panel.locator(".wb-tuning-status").inner_text()
    # the study stops after three trials that fail the same way (Tuner's stop_after_failures);
    # the panel says so once, with the first error, not also as the tuner's long TuningError
    assert "browser-failing: stopped · 3 fail" in status
    assert "All 3 trials failed. First error (trial 0): ValueError: this model cannot" in status
    assert "stopped with an error" not in status
    notebook.assert_no_problems()  # no stack of red tracebacks
    notebook.screenshot("tuning-panel-all-failed", locator=panel)


_CONTRAST = """(selector) => {
  const rgb = (text) => (text.match(/[\\d.]+/g) || []).slice(0, 3).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map((c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; })
    .reduce((sum, c, i) => sum + c * [0.2126, 0.7152, 0.0722][i], 0);
  let node = document.querySelector('.wb-charts'), back = 'rgba(0, 0, 0, 0)';
  while (node && /rgba\\(0, 0, 0, 0\\)|transparent/.test(back)) { back = getComputedStyle(node).backgroundColor; node = node.parentElement; }
  return Array.from(document.querySelectorAll(selector)).map((dot) => {
    const style = getComputedStyle(dot), alpha = Number(style.opacity), under = rgb(back);
    const seen = rgb(style.fill).map((c, i) => alpha * c + (1 - alpha) * under[i]); // as drawn
    const [a, b] = [lum(seen), lum(under)];
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  });
}"""


WIDE = """\
knn = Pipeline([('scale', StandardScaler()), ('knn', __import__('sklearn.neighbors').neighbors.KNeighborsClassifier())])
tuning = TuningPanel(knn, X[:600], y[:600], n_trials=8, study_name='browser-wide', fresh=True)
tuning.start().wait(120)
tuning
"""

ONE_EPOCH = """\
one = curves()
fit_epochs(Pipeline([('model', SGDClassifier(random_state=0))]), X[:400], y[:400], epochs=1,
           batch_size=100, validation_fraction=0.25, callbacks=[one], progress=False)
one
"""


def test_tuning_panel_uses_the_width_and_stays_legible_in_both_themes(
    lab: Lab, page: object
) -> None:
    path = write_notebook(lab.root / "wide.ipynb", [SETUP, WIDE, ONE_EPOCH])
    notebook = Notebook.open(page, lab, path)
    notebook.run_all(timeout=180)
    panel = notebook.scroll_to(".wb-tuning-panel")
    wait_for(lambda: panel.locator(".wb-table tr.wb-row").count() == 8, timeout=30, what="rows")
    table = panel.locator(".wb-table")
    sizes = table.evaluate(
        "(t) => [t.clientWidth, t.scrollWidth, t.closest('.wb-tuning-panel').clientWidth]"
    )
    assert sizes[1] <= sizes[0] + 1, f"the table scrolls sideways: {sizes}"
    assert sizes[0] >= 0.75 * sizes[2], f"the table leaves the panel's width unused: {sizes}"
    labels = panel.locator(".wb-parallel text.wb-axis-label")
    assert labels.count() == 6  # five hyperparams and the value
    boxes = [labels.nth(i).bounding_box() for i in range(labels.count())]
    assert not _boxes_overlap(boxes), boxes
    for theme in ("light", "dark"):
        notebook.set_theme(theme)
        contrasts = notebook.page.evaluate(_CONTRAST, ".wb-best-chart circle.wb-dot-complete")
        assert contrasts and min(contrasts) >= 3.0, (theme, contrasts)
        notebook.screenshot(f"tuning-panel-wide-{theme}", locator=panel)
    chart = notebook.page.locator(".wb-curves").last  # the panel's own is hidden (no epochs)
    chart.scroll_into_view_if_needed(timeout=30_000)
    assert chart.locator("circle.wb-point-valid").count() == 1  # the one epoch, drawn
    notebook.screenshot("curves-one-epoch-dark", locator=chart)
    notebook.set_theme("light")
    notebook.assert_no_problems()
