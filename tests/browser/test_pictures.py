"""A notebook outlives its kernel: run it, save it without widget state, restart JupyterLab,
reopen it trusted and untrusted, and every view shows its picture (no "model not found")."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import nbformat
import pytest

from tests.browser.harness import Notebook, start_lab, wait_for, write_notebook

CELLS = [
    """\
from sklearn.linear_model import SGDClassifier
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler
from workbench import Choose, Pipeline, floats
from workbench.training import fit_epochs
from workbench.views import Progress, SpaceEditor, curves
X, y = load_digits(return_X_y=True)
model = Pipeline([("scale", StandardScaler()),
                  ("sgd", SGDClassifier(loss="log_loss", alpha=1e-3, random_state=0))])
view, bar = curves(), Progress()
display(view, bar)
fit_epochs(model, X, y, epochs=6, batch_size=256, validation_fraction=0.25,
           random_state=0, callbacks=[view, bar]);""",
    """\
pipe = Pipeline([("scale", StandardScaler()), ("reduce", PCA(n_components=8)),
                 ("model", Choose([("linear", SGDClassifier(random_state=0)),
                                   ("other", SGDClassifier(loss="hinge"))]))])
pipe.fit(X, y)
pipe""",
    "pipe.fitted_attributes()",
    "editor = SpaceEditor(pipe)\neditor",
    # a later cell edits the space: JupyterLab applies the picture's update_display_data only
    # to the cell that sent it; Workbench's extension brings it to the editor's output
    'editor.edit("reduce__n_components", low="0.6", high="0.9")',
]

_OUTPUTS = """() => Array.from(document.querySelectorAll('.wb-view-output')).map((o) => {
  const picture = o.querySelector('.wb-view-picture');
  const img = picture && picture.querySelector('img');
  const shown = (e) => !!e && e.offsetParent !== null;
  const live = o.children[1];
  return {picture: shown(picture), image: shown(img) && img.naturalWidth > 0,
          live: shown(live) && live.childElementCount > 0 && !shown(picture)};
})"""

_SANITIZED = """() => {
  const html = Array.from(document.querySelectorAll('.jp-RenderedHTMLCommon'));
  const shown = html.filter((e) => e.offsetParent !== null);
  const badges = Array.from(document.querySelectorAll('.jp-RenderedHTMLCommon .wb-badge'));
  const heads = Array.from(document.querySelectorAll('.jp-RenderedHTMLCommon .wb-view th'));
  return {
    pictures: shown.filter((e) => e.querySelector('.wb-picture')).length,
    images: shown.map((e) => Array.from(e.querySelectorAll('.wb-picture img')))
      .flat().filter((i) => i.naturalWidth > 0).length,
    badge_margins: badges.map((b) => parseFloat(getComputedStyle(b).marginLeft)),
    badge_borders: badges.map((b) => getComputedStyle(b).borderLeftStyle),
    head_align: heads.map((h) => getComputedStyle(h).textAlign),
    styles: document.querySelectorAll('.jp-RenderedHTMLCommon style').length,
  };
}"""


@pytest.fixture
def saved(tmp_path: Path, browser: Any) -> Iterator[tuple[Path, Path]]:
    """The notebook run and saved by JupyterLab (without widget state), and the lab's root."""
    root = tmp_path / "notebooks"
    path = write_notebook(root / "pictures.ipynb", CELLS)
    with start_lab(root) as lab, _page(browser) as page:
        notebook = Notebook.open(page, lab, path)
        notebook.run_all(timeout=240)
        # a live kernel: the live widget, the picture hidden (no second copy)
        wait_for(
            lambda: (
                (found := page.evaluate(_OUTPUTS))
                and len(found) == 3
                and all(out["live"] and not out["picture"] for out in found)
            ),
            timeout=60,
            what="three live Workbench views, their pictures hidden",
        )
        notebook.command("docmanager:save")
        wait_for(
            lambda: (
                "wb-picture" in path.read_text()
                and not page.evaluate(
                    "() => window.jupyterapp.shell.currentWidget.context.model.dirty"
                )
            ),
            timeout=30,
            what="the notebook to be saved",
        )
    saved_file = path.read_text()
    assert "application/vnd.jupyter.widget-state+json" not in saved_file
    editor = nbformat.reads(saved_file, as_version=4).cells[3].outputs[0]["data"]["text/html"]
    assert "∈ [0.6, 0.9]" in editor  # the edit made in the next cell
    yield root, path


@contextmanager
def _page(browser: Any) -> Iterator[Any]:
    """A fresh page of the session's Chromium (one Playwright per process: a second one
    would run inside the first one's event loop)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        yield context.new_page()
    finally:
        context.close()


def _look(notebook: Notebook, name: str) -> None:
    for theme in ("light", "dark"):
        notebook.set_theme(theme)
        notebook.screenshot(f"pictures-{name}-{theme}")
    notebook.set_theme("light")


def test_reopened_notebook_shows_pictures_not_model_not_found(
    saved: tuple[Path, Path], browser: Any
) -> None:
    root, path = saved
    with start_lab(root) as lab, _page(browser) as page:
        notebook = Notebook.open(page, lab, path)
        outputs = wait_for(
            lambda: (found := page.evaluate(_OUTPUTS)) and len(found) == 3 and found,
            timeout=60,
            what="the three views' outputs",
        )
        wait_for(
            lambda: all(out["picture"] for out in page.evaluate(_OUTPUTS)),
            timeout=30,
            what="every view to show its picture",
        )
        outputs = page.evaluate(_OUTPUTS)
        assert outputs[0]["image"], "the learning curve's picture is an image of its SVG"
        assert not any(out["live"] for out in outputs)
        assert notebook.problems()["widget_errors"] == 0
        _look(notebook, "trusted")


def test_untrusted_copy_shows_pictures_and_a_rich_display_that_reads(
    saved: tuple[Path, Path], browser: Any
) -> None:
    root, path = saved
    untrusted = root / "untrusted.ipynb"
    copy = nbformat.read(path, as_version=4)
    copy.metadata["copied_by"] = "someone else"  # content this server never signed
    nbformat.write(copy, untrusted)
    with start_lab(root) as lab, _page(browser) as page:
        notebook = Notebook.open(page, lab, untrusted)
        assert not page.evaluate(
            "() => window.jupyterapp.shell.currentWidget.content.widgets"
            ".some((c) => c.model.trusted)"
        )
        found = wait_for(
            lambda: (seen := page.evaluate(_SANITIZED))["pictures"] >= 3 and seen,
            timeout=60,
            what="the views' pictures in the sanitized HTML",
        )
        assert found["images"] >= 1, found
        assert found["styles"] == 0  # the sanitizer dropped every <style> block ...
        # ... and the rich display still reads: badges stand apart from names, boxed
        assert found["badge_margins"] and min(found["badge_margins"]) >= 3, found
        assert set(found["badge_borders"]) == {"solid"}, found
        assert found["head_align"] and set(found["head_align"]) == {"left"}, found
        assert notebook.problems()["widget_errors"] == 0
        _look(notebook, "untrusted")


_LIVE_DRAWN = """() => ({
  curves: Array.from(document.querySelectorAll('.wb-view-output svg polyline, '
    + '.wb-view-output svg path')).filter((e) => e.offsetParent !== null || e.closest('svg')).length,
  rows: document.querySelectorAll('.wb-space-editor .wb-space-row input[type=text]').length,
  edited: Array.from(document.querySelectorAll('.wb-path-reduce__n_components input[type=text]'))
    .map((i) => i.value),
})"""


def test_notebook_saved_with_widget_state_reopens_with_live_views(
    tmp_path: Path, browser: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Saved with its widget state (each view module's code once, in a shared model), the
    notebook reopens in a new JupyterLab with the live views drawn from that state."""
    from nbclient import NotebookClient
    from nbformat.sign import NotebookNotary

    root = tmp_path / "notebooks"
    path = write_notebook(root / "with_state.ipynb", [CELLS[0], CELLS[1], *CELLS[3:]])
    notebook = nbformat.read(path, as_version=4)
    monkeypatch.setenv("WORKBENCH_STORAGE", str(tmp_path / "journal.log"))
    NotebookClient(
        notebook, timeout=240, kernel_name="python3", store_widget_state=True,
        resources={"metadata": {"path": str(root)}},
    ).execute()  # fmt: skip
    NotebookNotary().sign(notebook)  # its author's own file: trusted, as `jupyter trust` does
    nbformat.write(notebook, path)
    assert path.read_text().count("export function placeLabels") == 1  # the code, saved once
    with start_lab(root) as lab, _page(browser) as page:
        opened = Notebook.open(page, lab, path)
        wait_for(
            lambda: (
                (found := page.evaluate(_OUTPUTS))
                and len(found) == 3
                and all(out["live"] for out in found)
            ),
            timeout=60,
            what="three live Workbench views drawn from the saved widget state",
        )
        drawn = wait_for(
            lambda: (seen := page.evaluate(_LIVE_DRAWN))["curves"] and seen["rows"] and seen,
            timeout=30,
            what="the learning curve's lines and the space editor's rows",
        )
        assert drawn["edited"][:2] == ["0.6", "0.9"], drawn  # the edit made in a later cell
        assert opened.problems()["widget_errors"] == 0
        _look(opened, "with-state")
