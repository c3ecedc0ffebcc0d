"""Issue 17.4(b) in a real JupyterLab: a button whose action fails shows the error inside its
panel, with its message, and the panel is ready again (the next Run trains)."""

from __future__ import annotations

from typing import Any

from tests.browser.harness import Lab, Notebook, wait_for, write_notebook

CELLS = [
    """from sklearn.datasets import load_digits
from sklearn.decomposition import IncrementalPCA
from sklearn.linear_model import SGDClassifier
from sklearn.preprocessing import StandardScaler
from workbench import Pipeline
from workbench.views import MutationPanel
X, y = load_digits(return_X_y=True)
net = Pipeline([("scale", StandardScaler()), ("encoder", IncrementalPCA(n_components=12)),
                ("head", SGDClassifier(loss="log_loss", random_state=0))])
panel = MutationPanel(net, X, y, batch_size=200,
                      candidates={"classifier": SGDClassifier(random_state=1)})
panel.run(2)
panel.freeze("encoder")
panel""",
]


def _button(notebook: Notebook, text: str) -> Any:
    return notebook.page.locator(".wb-mutation-panel button", has_text=text).first


def _message(notebook: Notebook) -> str:
    return str(notebook.evaluate("panel.message.value"))


def test_a_failed_replace_shows_in_the_mutation_panel_which_runs_again(
    lab: Lab, page: Any
) -> None:
    path = write_notebook(lab.root / "panel_errors.ipynb", CELLS)
    notebook = Notebook.open(page, lab, path)
    notebook.run_all(timeout=240)
    page.locator(".wb-mutation-panel").first.wait_for(timeout=30_000)
    # the dropdowns left on the frozen encoder in the middle, a classifier offered for it
    notebook.execute("panel.target.value = 'encoder'; panel.replacement.value = 'classifier'")
    before = notebook.evaluate("[type(s).__name__ for _, s in net.steps]")
    _button(notebook, "Replace").click()
    shown = wait_for(
        lambda: (
            "Cannot put" in (text := page.locator(".wb-mutation-panel").first.inner_text())
            and text
        ),
        timeout=30,
        what="the refused replace's error inside the panel",
    )
    assert "encoder" in shown and "transform" in shown
    assert notebook.evaluate("[type(s).__name__ for _, s in net.steps]") == before
    notebook.assert_no_problems()  # nothing reached JupyterLab's log as an error output
    for theme in ("light", "dark"):
        notebook.set_theme(theme)
        notebook.screenshot(
            f"mutation-panel-error-{theme}", locator=page.locator(".wb-mutation-panel").first
        )
    notebook.set_theme("light")

    # ready again: Run trains two more epochs and says so
    epochs = notebook.evaluate("len(panel.history)")
    _button(notebook, "Run").click()
    wait_for(
        lambda: notebook.evaluate("len(panel.history)") >= epochs + 3,
        timeout=120,
        what="the next Run to train three more epochs",
    )
    assert "Cannot put" not in _message(notebook)
