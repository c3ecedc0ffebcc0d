"""The pipeline views and the magics in a real JupyterLab: they render, the space editor
writes into the kernel's pipeline, the dark theme is readable; a screenshot per view."""

from __future__ import annotations

import pytest

from tests.browser.harness import Lab, Notebook, wait_for, write_notebook

CELLS = [
    """import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA, IncrementalPCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.preprocessing import StandardScaler
from workbench import Choose, Pipeline
from workbench.views import MutationPanel
X, y = load_digits(return_X_y=True)
pipe = Pipeline([("scale", StandardScaler()), ("reduce", PCA(n_components=16)),
                 ("model", Choose([("linear", LogisticRegression(C=0.5, max_iter=300)),
                                   ("forest", RandomForestClassifier(n_estimators=20))]))]).fit(X, y)""",
    "pipe",
    "%load_ext workbench",
    "%wb_space pipe",
    "%wb_inspect pipe --path reduce",
    """net = Pipeline([("scale", StandardScaler()), ("encoder", IncrementalPCA(n_components=12)),
                ("head", SGDClassifier(loss="log_loss", random_state=0))])
panel = MutationPanel(net, X, y, batch_size=200)
panel.run(3)
panel.freeze("encoder")
panel.run(2)
panel""",
]

VIEWS = {
    "display": ".jp-OutputArea-output .wb-view",
    "space-editor": ".wb-space-editor",
    "inspector": ".wb-inspector",
    "mutation-panel": ".wb-mutation-panel",
}

_CONTRAST = """(selector) => {
  const el = document.querySelector(selector);
  const rgb = (s) => (s.match(/[\\d.]+/g) || []).slice(0, 3).map(Number);
  const lum = (c) => { const [r, g, b] = c.map((v) => { v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  let node = el, bg = 'rgba(0, 0, 0, 0)';
  while (node && (bg === 'rgba(0, 0, 0, 0)' || bg === 'transparent')) {
    bg = getComputedStyle(node).backgroundColor; node = node.parentElement; }
  const a = lum(rgb(getComputedStyle(el).color)), b = lum(rgb(bg));
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


@pytest.fixture(scope="module")
def notebook(lab: Lab, browser: object):
    path = write_notebook(lab.root / "views_pipeline.ipynb", CELLS)
    context = browser.new_context(viewport={"width": 1400, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    opened = Notebook.open(page, lab, path)
    opened.run_all(timeout=240)
    yield opened
    context.close()


def test_each_view_renders_without_widget_errors(notebook: Notebook) -> None:
    for selector in VIEWS.values():
        notebook.page.locator(selector).first.wait_for(timeout=30_000)
    notebook.assert_no_problems()
    assert "Error displaying widget" not in notebook.page.inner_text("body")
    switch = notebook.page.locator(".wb-switch .wb-on").first.inner_text()
    assert switch == "linear"
    for theme in ("light", "dark"):
        notebook.set_theme(theme)
        for name, selector in VIEWS.items():
            locator = notebook.scroll_to(selector)
            assert notebook.screenshot(f"view-{name}-{theme}", locator=locator).stat().st_size
    notebook.set_theme("light")


def test_editing_a_bound_changes_the_space_in_the_kernel(notebook: Notebook) -> None:
    low = notebook.scroll_to(".wb-path-model__linear__C input[type=text]")
    low.fill("0.5")
    low.press("Enter")
    wait_for(
        lambda: notebook.evaluate("pipe.get_hyperparams_space()['model__linear__C'].low") == 0.5,
        timeout=10,
        what="the edited bound to reach the kernel",
    )
    high = notebook.page.locator(".wb-path-model__linear__C input[type=text]").nth(1)
    high.fill("0.1")  # below low: refused, shown next to the row
    high.press("Enter")
    error = notebook.page.locator(".wb-path-model__linear__C .wb-error").first
    error.wait_for(timeout=10_000)
    assert "low <= high must hold" in error.inner_text()
    assert notebook.evaluate("pipe.get_hyperparams_space()['model__linear__C'].high") == 10000.0
    # the bound in force shows beside the refused text, not hidden behind it (issue 17.10)
    row = notebook.page.locator(".wb-space-row.wb-path-model__linear__C").first.inner_text()
    assert "the space stays" in row and "0.5" in row, row
    notebook.screenshot(
        "view-space-editor-error", locator=notebook.scroll_to(VIEWS["space-editor"])
    )


def test_inspector_step_list_keeps_its_size_when_the_right_pane_changes(
    notebook: Notebook,
) -> None:
    """Issue 17.11: picking another step redraws the right pane; the list stays put."""
    steps = notebook.scroll_to(".wb-inspector select")
    before = steps.bounding_box()
    detail = notebook.page.locator(".wb-inspector").first.inner_text()
    options = steps.locator("option").all_inner_texts()
    other = next(text for text in options if "scale" in text)
    steps.select_option(label=other)
    wait_for(
        lambda: notebook.page.locator(".wb-inspector").first.inner_text() != detail,
        timeout=10,
        what="the right pane to show the other step",
    )
    after = steps.bounding_box()
    assert (after["x"], after["width"]) == (before["x"], before["width"])


def test_magics_answer_bad_input_with_usage(notebook: Notebook) -> None:
    # IPython prints a UsageError (on stderr), never a traceback
    out = notebook.execute("%wb_space pip")
    assert (
        "UsageError: No variable named 'pip'" in out["stdout"]
        and "Did you mean 'pipe'" in out["stdout"]
    )
    assert "Traceback" not in out["stdout"]
    out = notebook.execute("%wb_tune pipe X y --trials many")
    assert "invalid int value: 'many'\nUsage: %wb_tune" in out["stdout"]
    assert (
        notebook.evaluate("type(get_ipython().run_line_magic('wb_inspect', 'pipe')).__name__")
        == "Inspector"
    )


def test_dark_theme_is_readable(notebook: Notebook) -> None:
    notebook.set_theme("dark")
    try:
        for selector in (".wb-view .wb-name", ".wb-view .wb-class", ".wb-view table.wb-table td"):
            notebook.scroll_to(selector)
            ratio = notebook.page.evaluate(_CONTRAST, selector)
            assert ratio >= 4.5, f"{selector} has contrast {ratio:.1f} in the dark theme"
    finally:
        notebook.set_theme("light")
