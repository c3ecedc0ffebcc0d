"""The Lab panel's "insert code" in a real JupyterLab: a kept trial's pipeline is loaded as it
was trained; otherwise the params go on the notebook variable whose pipeline has every path the
study tuned, and when none has, the inserted code says so instead of failing."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import optuna
import pytest
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend

from tests.browser.harness import REPO, Notebook, start_lab, wait_for, write_notebook

TUNE = textwrap.dedent(
    """
    import optuna
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression, SGDClassifier
    from sklearn.preprocessing import StandardScaler

    from workbench import Pipeline
    from workbench.tuning import Tuner

    X, y = make_classification(n_samples=300, n_features=6, random_state=0)
    pipe = Pipeline([("scale", StandardScaler()), ("model", SGDClassifier(random_state=0))])
    pipe.set_hyperparams_space(scale__with_mean=None, scale__with_std=None)
    other = Pipeline([("lr", LogisticRegression())])

    def grow():
        epochs = {"epochs": 2, "batch_size": 50, "random_state": 0}
        tuner = Tuner(pipe, scoring="accuracy", epochs=epochs, study_name="grown", refit=False,
                      sampler=optuna.samplers.RandomSampler(seed=0))
        tuner.optimize(X, y, n_trials=2)
        return tuner.extend(tuner.study.best_trial.number, epochs=1)

    def tune(name, keep):
        sampler = optuna.samplers.RandomSampler(seed=0)
        Tuner(pipe, scoring="accuracy", cv=2, study_name=name, keep=keep, sampler=sampler,
              refit=False).optimize(X, y, n_trials=4)
    """
)


@pytest.fixture(scope="module")
def setting(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    base = tmp_path_factory.mktemp("insert")
    root = base / "notebooks"
    root.mkdir()
    journal = base / "store" / "journal.log"
    env = dict(
        os.environ,
        WORKBENCH_STORAGE=str(journal),
        PYTHONPATH=os.pathsep.join([str(REPO), str(root)]),
    )
    (root / "tune.py").write_text(TUNE)
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from tune import tune, grow; tune('kept', 'best'); tune('bare', False); grow()",
        ],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
    )
    # `other` sorts before `sgd_pipe` and lacks the study's paths: it must not be picked
    both = write_notebook(root / "both.ipynb", ["from tune import X, y, other, pipe as sgd_pipe"])
    params = write_notebook(root / "params.ipynb", ["from tune import other, pipe as sgd_pipe"])
    lacking = write_notebook(root / "lacking.ipynb", ["from tune import X, y, other"])
    with start_lab(root, env={"WORKBENCH_STORAGE": str(journal), "PYTHONPATH": str(root)}) as lab:
        yield {"lab": lab, "journal": journal, "both": both, "params": params, "lacking": lacking}


def _best(journal: Path, name: str) -> optuna.trial.FrozenTrial:
    storage = JournalStorage(JournalFileBackend(str(journal)))
    return optuna.load_study(study_name=name, storage=storage).best_trial


def _insert(notebook: Notebook, study: str) -> str:
    """Open the panel, insert the code of ``study``'s best trial, run it; the cell's source."""
    page = notebook.page
    stores = notebook.lab.get_json("/workbench/api/stores")["stores"]
    [store] = [info["id"] for info in stores if info["url"].endswith("store/journal.log")]
    notebook.command("workbench:open-panel")
    row = page.locator("#workbench-panel tr.jp-Workbench-row").filter(has_text=study)
    wait_for(lambda: row.count() >= 1, timeout=30, what=f"the panel's row of {study!r}")
    cells = page.locator(".jp-Notebook .jp-Cell").count()
    notebook.command("workbench:insert-best-pipeline-code", {"store": store, "study": study})
    wait_for(
        lambda: page.locator(".jp-Notebook .jp-Cell").count() == cells + 1,
        timeout=20,
        what="the inserted cell",
    )
    source = str(
        page.evaluate(
            "() => window.jupyterapp.shell.currentWidget.content.activeCell.model.sharedModel"
            ".getSource()"
        )
    )
    notebook.command("notebook:run-cell")
    notebook.wait_idle(timeout=60)
    notebook.assert_no_problems()
    return source


def test_insert_code_loads_the_kept_pipeline_of_the_best_trial(setting: dict[str, Any], page: Any):
    notebook = Notebook.open(page, setting["lab"], setting["both"])
    notebook.run_all()
    best = _best(setting["journal"], "kept")
    source = _insert(notebook, "kept")
    assert f'load_trial("kept", {best.number}, storage=' in source
    assert "clone(" not in source  # no variable to guess
    loaded = notebook.evaluate(
        "[best_pipeline.get_hyperparams()['model__alpha'], "
        "hasattr(best_pipeline['model'], 'coef_'), float(best_pipeline.score(X, y))]"
    )
    assert loaded[0] == pytest.approx(best.params["model__alpha"])
    assert loaded[1] is True and loaded[2] > 0.7  # fitted, as the trial trained it
    notebook.screenshot("insert_code_kept")


def test_insert_code_sets_params_on_the_variable_with_every_path(
    setting: dict[str, Any], page: Any
):
    notebook = Notebook.open(page, setting["lab"], setting["params"])
    notebook.run_all()
    best = _best(setting["journal"], "bare")
    source = _insert(notebook, "bare")
    assert "best_pipeline = clone(sgd_pipe).set_hyperparams(best_params)" in source
    assert "`sgd_pipe` has every hyperparam the study tuned (checked in the kernel)" in source
    loaded = notebook.evaluate("best_pipeline.get_hyperparams()")
    for path, value in best.params.items():
        assert loaded[path] == value


def test_insert_code_without_a_fitting_variable_says_so(setting: dict[str, Any], page: Any):
    notebook = Notebook.open(page, setting["lab"], setting["lacking"])
    notebook.run_all()
    source = _insert(notebook, "bare")
    assert "No pipeline in this notebook has every hyperparam the study tuned" in source
    assert "`other` lacks" in source
    assert "clone(other)" not in source
    shown = page.locator(".jp-Notebook .jp-Cell").last.locator(".jp-OutputArea-output")
    wait_for(lambda: "define it, then run" in shown.first.inner_text(), timeout=20, what="note")
    params = notebook.evaluate("sorted(best_params)")
    assert params == sorted(_best(setting["journal"], "bare").params)
    notebook.screenshot("insert_code_no_fitting_variable")


def test_the_study_view_shows_a_trials_lineage_and_that_it_is_kept(
    setting: dict[str, Any], page: Any
):
    notebook = Notebook.open(page, setting["lab"], setting["lacking"])
    stores = notebook.lab.get_json("/workbench/api/stores")["stores"]
    [store] = [info["id"] for info in stores if info["url"].endswith("store/journal.log")]
    storage = JournalStorage(JournalFileBackend(str(setting["journal"])))
    extended = optuna.load_study(study_name="grown", storage=storage).trials[2]
    origin = extended.user_attrs["workbench:extends"]
    notebook.command("workbench:open-panel")
    notebook.command("workbench:open-study", {"store": store, "study": "grown"})
    view = page.locator(".jp-Workbench-study").filter(has_text="grown").first
    view.wait_for(state="visible", timeout=30_000)
    rows = view.locator(".jp-Workbench-trials tbody tr")
    wait_for(lambda: rows.count() == 3, timeout=30, what="the 3 trials of 'grown'")
    numbers = [rows.nth(i).locator("td").first.inner_text().strip() for i in range(3)]
    rows.nth(numbers.index("2")).click()
    title = view.locator(".jp-Workbench-detailTitle")
    wait_for(
        lambda: "Trial 2 (complete" in title.inner_text(), timeout=20, what="trial 2's details"
    )
    assert f"extends trial {origin}" in title.inner_text()
    assert "fitted pipeline kept" in title.inner_text()
    notebook.screenshot("study_view_lineage", locator=view)
