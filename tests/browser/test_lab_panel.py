"""The Workbench side panel in a real JupyterLab and Chromium, fed by real tuning processes.

A study is tuned by a Python process outside the browser, then a ``workbench worker`` process
adds trials while the panel is open; the panel, the study view and the insert-code command are
checked as a user would see them, and screenshots are saved as artifacts.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import optuna
import pytest
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend
from optuna.trial import TrialState

from tests.browser.harness import REPO, Lab, Notebook, start_lab, wait_for, write_notebook

STUDY = "sgd-classifier"
HTML_NAME = "<img src=x onerror=alert(1)>"

TUNE = textwrap.dedent(
    """
    import optuna
    from sklearn.datasets import make_classification
    from sklearn.linear_model import SGDClassifier
    from sklearn.preprocessing import StandardScaler

    from workbench import Pipeline
    from workbench.tuning import Tuner

    X, y = make_classification(n_samples=400, n_features=8, flip_y=0.1, random_state=0)
    pipe = Pipeline([("scale", StandardScaler()), ("model", SGDClassifier(random_state=0))])
    pipe.set_hyperparams_space(scale__with_mean=None, scale__with_std=None)
    tuner = Tuner(
        pipe,
        scoring="accuracy",
        epochs={"epochs": 6, "batch_size": 40, "random_state": 0},
        sampler=optuna.samplers.RandomSampler(),
        pruner=optuna.pruners.NopPruner(),
        study_name=STUDY,
    )
    """
).replace("STUDY", repr(STUDY))


def _python(root: Path, env: dict[str, str], code: str) -> None:
    subprocess.run(
        [sys.executable, "-c", code], cwd=root, env=env, check=True, capture_output=True
    )


@pytest.fixture(scope="module")
def setting(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A lab whose store already holds a study tuned by a Python process, and a hostile name."""
    base = tmp_path_factory.mktemp("panel")
    root = base / "notebooks"
    root.mkdir()
    journal = base / "store" / "journal.log"
    env = dict(
        os.environ,
        WORKBENCH_STORAGE=str(journal),
        PYTHONPATH=os.pathsep.join([str(REPO), str(root)]),
    )
    (root / "tune.py").write_text(TUNE)
    _python(root, env, "from tune import tuner, X, y; tuner.optimize(X, y, n_trials=3)")
    hostile = optuna.create_study(study_name=HTML_NAME, storage=_storage(journal))
    hostile.optimize(lambda trial: trial.suggest_float("x", 0, 1), n_trials=2)
    # the notebook's pipeline is not called `pipe`: the inserted code must find its name
    notebook = write_notebook(root / "panel.ipynb", ["from tune import pipe as sgd_pipe"])
    with start_lab(root, env={"WORKBENCH_STORAGE": str(journal), "PYTHONPATH": str(root)}) as lab:
        yield {"lab": lab, "journal": journal, "env": env, "root": root, "notebook": notebook}


TITLE_FILL = """() => {
  const shown = [...document.querySelectorAll('.jp-Workbench-bestPlot .xtick text')]
    .filter(text => text.getBoundingClientRect().width > 0);
  return shown.length ? shown[0].style.fill : '';
}"""

RUNS = textwrap.dedent(
    """
    from sklearn.datasets import make_classification
    from sklearn.linear_model import SGDClassifier
    from sklearn.preprocessing import StandardScaler

    from workbench import Pipeline
    from workbench.training import fit_epochs

    X, y = make_classification(n_samples=200, n_features=6, random_state=0)
    options = dict(epochs=2, batch_size=40, validation_fraction=0.25, random_state=0,
                   metrics="accuracy", train_metrics=True)
    pipe = Pipeline([("scale", StandardScaler()), ("model", SGDClassifier(random_state=0))])
    history = fit_epochs(pipe, X, y, phase="pretrain", **options)
    pipe.freeze("scale")
    fit_epochs(pipe, X, y, phase="finetune", history=history, run_name=None, **options)
    fit_epochs(Pipeline([("model", SGDClassifier(random_state=1))]), X, y, **options)
    """
)

# Where each chart's title and Plotly's toolbar are, for every chart shown.
OVERLAPS = """() => [...document.querySelectorAll('.jp-Workbench-plotFrame')]
  .filter(frame => frame.getBoundingClientRect().width > 0)
  .map(frame => {
    const title = frame.querySelector('.jp-Workbench-plotTitle').getBoundingClientRect();
    const bar = frame.querySelector('.modebar');
    if (!bar) { return false; }
    const box = bar.getBoundingClientRect();
    return !(box.bottom <= title.top || box.top >= title.bottom
             || box.right <= title.left || box.left >= title.right);
  })"""

# The trial dots' colour and opacity, and the colour behind them.
DOT_COLOURS = r"""() => {
  const dot = document.querySelector('.jp-Workbench-bestPlot .scatterlayer .trace .point');
  let node = document.querySelector('.jp-Workbench-bestPlot');
  let background = 'rgba(0, 0, 0, 0)';
  while (node && /rgba\(0, 0, 0, 0\)|transparent/.test(background)) {
    background = getComputedStyle(node).backgroundColor;
    node = node.parentElement;
  }
  return { fill: dot ? getComputedStyle(dot).fill : '', opacity: dot ?
    Number(getComputedStyle(dot).opacity) * Number(getComputedStyle(dot.parentElement).opacity)
    : 0, background };
}"""


def _rgb(css: str) -> tuple[float, ...]:
    return tuple(float(part) for part in css[css.index("(") + 1 : css.index(")")].split(",")[:3])


def _contrast(one: tuple[float, ...], two: tuple[float, ...]) -> float:
    def luminance(rgb: tuple[float, ...]) -> float:
        linear = [c / 255 / 12.92 if c / 255 <= 0.03928 else ((c / 255 + 0.055) / 1.055) ** 2.4
                  for c in rgb]  # fmt: skip
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(one), luminance(two)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _storage(journal: Path) -> JournalStorage:
    return JournalStorage(JournalFileBackend(str(journal)))


def _trial_count(journal: Path, state: TrialState | None = None) -> int:
    study = optuna.load_study(study_name=STUDY, storage=_storage(journal))
    states = None if state is None else (state,)
    return len(study.get_trials(deepcopy=False, states=states))


def _row(page: Any, name: str) -> Any:
    return page.locator("#workbench-panel tr.jp-Workbench-row").filter(
        has=page.locator("td.jp-Workbench-name", has_text=name)
    )


def _cell(page: Any, name: str, column: int) -> str:
    row = _row(page, name)
    if not row.count():
        return ""
    # textContent: a name cut in the middle is two spans, read as one text; the checkbox
    # cell comes first
    cells = row.first.locator("td:not(.jp-Workbench-compareCell)")
    return str(cells.nth(column).text_content()).strip()


def test_panel_shows_live_studies_curves_and_inserts_best_pipeline_code(
    setting: dict[str, Any], page: Any
) -> None:
    lab: Lab = setting["lab"]
    alerts: list[str] = []
    page.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))
    notebook = Notebook.open(page, lab, setting["notebook"])
    notebook.run_all()
    notebook.command("workbench:open-panel")
    panel = page.locator("#workbench-panel")
    panel.wait_for(state="visible", timeout=30_000)

    # the study tuned by a Python process outside the browser is there, with its 3 trials
    wait_for(
        lambda: _cell(page, STUDY, 1) == "3", timeout=30, what="the study's row with 3 trials"
    )
    notebook.screenshot("lab_panel_listing")
    # a name holding HTML is shown as text: no image element, no script ran
    wait_for(lambda: _row(page, HTML_NAME).count() == 1, timeout=10, what="the HTML-named row")
    assert _cell(page, HTML_NAME, 0) == HTML_NAME
    assert panel.locator("img").count() == 0

    # a worker process adds trials; the panel follows without a reload
    page.evaluate("() => { window.__sameDocument = true; }")
    worker = subprocess.Popen(
        [sys.executable, "-m", "workbench.cli", "worker", "tune.py", "--n-trials", "40"],
        cwd=setting["root"],
        env=setting["env"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        seen = wait_for(
            lambda: int(_cell(page, STUDY, 1) or 0) > 3 and _cell(page, STUDY, 1),
            timeout=90,
            what="the panel to show the worker's new trials",
        )
        assert worker.poll() is None, "the worker finished before the panel was checked"
        assert int(seen) <= _trial_count(setting["journal"])
        # it keeps following: a later count is larger still
        wait_for(
            lambda: int(_cell(page, STUDY, 1) or 0) > int(seen),
            timeout=60,
            what="a second update from the worker's trials",
        )
        assert page.evaluate("() => window.__sameDocument === true")
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    final = _trial_count(setting["journal"])
    wait_for(
        lambda: _cell(page, STUDY, 1) == str(final),
        timeout=10,
        what=f"the panel to show all {final} trials once the worker stopped",
    )

    # opening the study shows the best so far, per-trial learning curves and the History
    _row(page, STUDY).first.click()
    view = page.locator(".jp-Workbench-study").filter(has_text=STUDY).first
    view.wait_for(state="visible", timeout=30_000)
    wait_for(
        lambda: view.locator(".jp-Workbench-curvePlot .scatterlayer .trace").count() >= 3,
        timeout=30,
        what="learning curves of the trials",
    )
    wait_for(
        lambda: view.locator(".jp-Workbench-bestPlot .scatterlayer .trace").count() == 2,
        timeout=30,
        what="the best-so-far plot (trial values and the best line)",
    )
    wait_for(
        lambda: view.locator(".jp-Workbench-historyPlot .scatterlayer .trace").count() >= 1,
        timeout=30,
        what="the best trial's History",
    )
    wait_for(
        lambda: view.locator(".jp-Workbench-trials tbody tr").count() == min(final, 100),
        timeout=30,
        what=f"{min(final, 100)} rows in the trials table",
    )
    notebook.screenshot("lab_panel_study")

    # while the study is open a worker adds five trials: the best-so-far plot gains their
    # points, read from the first new trial on rather than every trial again
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    subprocess.run(
        [sys.executable, "-m", "workbench.cli", "worker", "tune.py", "--n-trials", str(final + 5)],
        cwd=setting["root"],
        env=setting["env"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    complete = _trial_count(setting["journal"], state=TrialState.COMPLETE)
    wait_for(
        lambda: (
            view.locator(".jp-Workbench-bestPlot").evaluate(
                "node => node.data.find(trace => trace.name === 'trial').x.length"
            )
            == complete
        ),
        timeout=30,
        what=f"{complete} complete trials in the best-so-far plot",
    )
    starts = [
        int(parse_qs(urlparse(url).query).get("start", ["0"])[0])
        for url in asked
        if urlparse(url).path.endswith("/values")
    ]
    assert starts and min(starts) > 0, starts  # never every trial again
    # each of those asks the store to continue from the best trial before its start
    bests = [
        parse_qs(urlparse(url).query).get("best")
        for url in asked
        if urlparse(url).path.endswith("/values")
    ]
    assert all(best is not None for best in bests), bests

    # the insert-code command writes a cell that loads the best trial's kept pipeline
    study = optuna.load_study(study_name=STUDY, storage=_storage(setting["journal"]))
    best = study.best_trial
    cells_before = page.locator(".jp-Notebook .jp-Cell").count()
    view.get_by_role("button", name="Insert code for the best pipeline").click()
    wait_for(
        lambda: page.locator(".jp-Notebook .jp-Cell").count() == cells_before + 1,
        timeout=10,
        what="a new cell in the notebook",
    )
    notebook.page.wait_for_function(
        "() => window.jupyterapp.shell.currentWidget"
        " && window.jupyterapp.shell.currentWidget.content"
        " && window.jupyterapp.shell.currentWidget.content.activeCell"
    )
    source = page.evaluate(
        "() => window.jupyterapp.shell.currentWidget.content.activeCell.model.sharedModel"
        ".getSource()"
    )
    assert f'load_trial("{STUDY}", {best.number}, storage=' in source
    notebook.command("notebook:run-cell")
    notebook.wait_idle(timeout=60)
    notebook.assert_no_problems()
    loaded = notebook.evaluate("best_pipeline.get_hyperparams()")
    for path, value in best.params.items():
        assert loaded[path] == value
    notebook.screenshot("lab_panel_inserted_code")

    # the hostile name opens as text too, and nothing ran
    _row(page, HTML_NAME).first.click()
    hostile = page.locator(".jp-Workbench-study").filter(has_text="onerror").first
    hostile.wait_for(state="visible", timeout=30_000)
    assert hostile.locator(".jp-Workbench-studyName").inner_text() == HTML_NAME
    assert page.locator(".jp-Workbench-study img, #workbench-panel img").count() == 0
    notebook.screenshot("lab_panel_html_name")
    assert alerts == []

    # the dark theme redraws the plots in its colours (looked at in the screenshot)
    _row(page, STUDY).first.click()
    light_fill = page.evaluate(TITLE_FILL)
    assert light_fill
    notebook.set_theme("dark")
    wait_for(
        lambda: page.evaluate(TITLE_FILL) not in ("", light_fill),
        timeout=20,
        what="the plots to be drawn again in the dark theme's colours",
    )
    notebook.screenshot("lab_panel_study_dark")
    notebook.set_theme("light")


def _run_rows(page: Any) -> Any:
    runs = page.locator("#workbench-panel .jp-Workbench-listing").filter(has_text="Runs")
    return runs.locator("tr.jp-Workbench-row")


def test_lab_panel_runs_open_as_runs_and_trials_show_their_own_pipeline(
    setting: dict[str, Any], page: Any
) -> None:
    """Issues 19.4 (runs as runs), 17.6 (a trial's own pipeline), 17.10 (titles, dots) and
    17.11 (names that differ where they are cut), in both themes."""
    _python(setting["root"], setting["env"], RUNS)
    lab: Lab = setting["lab"]
    notebook = Notebook.open(page, lab, setting["notebook"])
    notebook.set_theme("light")
    notebook.command("workbench:open-panel")
    wait_for(lambda: _run_rows(page).count() >= 2, timeout=30, what="two runs in the panel")

    # runs named alike at their start differ where the panel cuts them: their tails show
    tails = []
    for index in range(_run_rows(page).count()):
        cell = _run_rows(page).nth(index).locator("td.jp-Workbench-name")
        tail = cell.locator(".jp-Workbench-nameTail")
        assert tail.count() == 1
        shown = tail.evaluate(
            "(tail) => { const box = tail.getBoundingClientRect();"
            " const cell = tail.closest('td').getBoundingClientRect();"
            " return tail.scrollWidth <= tail.clientWidth + 1 && box.right <= cell.right + 1; }"
        )
        assert shown, "a run name's distinguishing end is cut off"
        tails.append(tail.inner_text())
    assert len(set(tails)) == len(tails), tails
    notebook.screenshot("lab_panel_run_names", locator=page.locator("#workbench-panel"))

    # the run with a mutation opens as a run: History, marks, final statistics, structure
    from workbench.store import open_store

    stored = open_store(setting["journal"], readonly=True)
    mutated = next(
        name for name in stored.runs()["name"] if len(stored.history(name)) == 4
    )  # pretrain 2 epochs, freeze, finetune 2 more
    _run_rows(page).filter(has=page.locator(f'[data-name="{mutated}"]')).first.click()
    run = page.locator(".jp-Workbench-run").filter(has_text=mutated).first
    run.wait_for(state="visible", timeout=30_000)
    wait_for(
        lambda: run.locator(".jp-Workbench-historyPlot .scatterlayer .trace").count() >= 2,
        timeout=30,
        what="the run's History (train and valid curves)",
    )
    annotations = run.locator(".jp-Workbench-historyPlot .annotation-text").evaluate_all(
        "(texts) => texts.map(text => text.textContent)"
    )
    assert any("freeze scale" in text for text in annotations), annotations
    assert run.locator(".jp-Workbench-historyPlot .shapelayer path").count() >= 1
    dashes = run.locator(".jp-Workbench-historyPlot .scatterlayer .trace .js-line").evaluate_all(
        "(lines) => lines.map(line => line.style.strokeDasharray || 'solid')"
    )
    assert "solid" in dashes and any(dash != "solid" for dash in dashes), dashes
    finals = run.locator(".jp-Workbench-finals").inner_text()
    assert "train_accuracy" in finals and "valid_accuracy" in finals
    structure = run.locator(".jp-Workbench-structure").inner_text()
    assert "Mutations:" in structure and "freeze scale" in structure
    assert "scale: StandardScaler  (frozen)" in structure
    assert "class_weight = None" in structure  # None reads None, not blank
    # no study furniture: no best so far, no trial table, no insert button
    assert run.locator(".jp-Workbench-bestPlot, .jp-Workbench-trials").count() == 0
    assert run.get_by_role("button", name="Insert code for the best pipeline").count() == 0
    run.locator(".jp-Workbench-historyPlot").hover()
    assert page.evaluate(OVERLAPS) and not any(page.evaluate(OVERLAPS))
    notebook.screenshot("lab_panel_run")
    # asked for a best pipeline from the palette, a run says it has none
    notebook.command("workbench:insert-best-pipeline-code")
    page.locator(".jp-Notification-Status").click()  # the notification centre lists it
    page.get_by_text("is a run, not a study").first.wait_for(state="visible", timeout=10_000)
    page.keyboard.press("Escape")

    # a study's trial: its structure shows its own sampled values, marked, as its params say
    _row(page, STUDY).first.click()
    view = page.locator(".jp-Workbench-study").filter(has_text=STUDY).first
    view.wait_for(state="visible", timeout=30_000)
    for trial in range(3):
        view.locator(f'.jp-Workbench-trials tr[data-trial="{trial}"]').click()
        wait_for(
            lambda trial=trial: (
                view.locator(".jp-Workbench-detailTitle")
                .inner_text()
                .startswith(f"Trial {trial} ")
            ),
            timeout=20,
            what=f"trial {trial}'s details",
        )
        wait_for(
            lambda: view.locator(".jp-Workbench-structure .jp-Workbench-sampled").count() >= 2,
            timeout=20,
            what="the sampled values marked in the trial's pipeline",
        )
        params = {
            row.locator("td").nth(0).inner_text(): row.locator("td").nth(1).inner_text()
            for row in view.locator(".jp-Workbench-params tr").all()[1:]
        }
        sampled = view.locator(".jp-Workbench-structure .jp-Workbench-sampled").all_inner_texts()
        for path, value in params.items():
            key = path.rpartition("__")[2]
            assert any(line.strip().startswith(f"{key} = {value}") for line in sampled), (
                path,
                value,
                sampled,
            )
    view.locator(".jp-Workbench-historyPlot").hover()
    assert not any(page.evaluate(OVERLAPS))

    # dark theme: the trial dots stand out at least 3:1 from the background, titles uncovered
    for theme in ("light", "dark"):
        notebook.set_theme(theme)
        wait_for(
            lambda: page.evaluate(DOT_COLOURS)["fill"].startswith("rgb"),
            timeout=20,
            what="the best-so-far plot's trial dots",
        )
        colours = wait_for(
            lambda theme=theme: (
                (
                    (found := page.evaluate(DOT_COLOURS))["background"] != "rgb(255, 255, 255)"
                    or theme == "light"
                )
                and found
            ),
            timeout=20,
            what=f"the {theme} theme's background",
        )
        assert colours["opacity"] == 1, colours
        ratio = _contrast(_rgb(colours["fill"]), _rgb(colours["background"]))
        assert ratio >= 3, (theme, colours, ratio)
        view.locator(".jp-Workbench-bestPlot").hover()
        assert not any(page.evaluate(OVERLAPS))
        notebook.screenshot(f"lab_panel_study_dots_{theme}")
        view.locator(".jp-Workbench-structure").scroll_into_view_if_needed()
        notebook.screenshot(f"lab_panel_trial_structure_{theme}")
    _run_rows(page).filter(has=page.locator(f'[data-name="{mutated}"]')).first.click()
    run.wait_for(state="visible", timeout=30_000)
    notebook.screenshot("lab_panel_run_dark")
    notebook.set_theme("light")
