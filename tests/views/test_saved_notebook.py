"""``05_views.ipynb`` run by nbclient and saved without widget state (JupyterLab's default):
every view's output carries a picture of its final state, and nbconvert's HTML shows them.
Saved with its widget state, the same run stays small too."""

from __future__ import annotations

import ast
import base64
import json
import re
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from tests.views.test_pictures import polyline_points
from workbench.views._picture import PICTURE_MIMETYPE, WIDGET_MIMETYPE

NOTEBOOK = Path(__file__).parent.parent.parent / "example_notebooks" / "05_views.ipynb"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[nbformat.NotebookNode, Any]:
    """One execution: the notebook as saved without widget state, and that state."""
    folder = tmp_path_factory.mktemp("views")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    with pytest.MonkeyPatch.context() as patch:  # a store of its own: its study starts empty
        patch.setenv("WORKBENCH_STORAGE", str(folder / "journal.log"))
        NotebookClient(
            notebook,
            timeout=300,
            kernel_name="python3",
            store_widget_state=True,  # kept apart below: the outputs are the same without
            resources={"metadata": {"path": str(folder)}},
        ).execute()
    state = notebook.metadata.pop("widgets")
    nbformat.write(notebook, folder / "05_views.ipynb")
    return notebook, state


@pytest.fixture(scope="module")
def executed(run: tuple[nbformat.NotebookNode, Any]) -> nbformat.NotebookNode:
    return run[0]


def _views(notebook: nbformat.NotebookNode) -> list[tuple[str, dict[str, Any]]]:
    """(cell source, output data) of every output that shows a widget."""
    return [
        (cell.source, output["data"])
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if WIDGET_MIMETYPE in output.get("data", {})
    ]


def _view(notebook: nbformat.NotebookNode, source: str) -> dict[str, Any]:
    found = [data for cell, data in _views(notebook) if source in cell]
    assert found, f"no view output in the cell with {source!r}"
    return found[0]


def _text(data: dict[str, Any]) -> str:
    """The picture's HTML, with its embedded SVG images decoded."""
    html = data["text/html"]
    images = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', html)
    return html + "".join(base64.b64decode(image).decode() for image in images)


def test_every_view_output_carries_a_picture(executed) -> None:
    views = _views(executed)
    assert len(views) >= 13
    for source, data in views:
        assert "wb-picture" in data.get("text/html", ""), f"no picture for {source[:60]!r}"
        assert data[PICTURE_MIMETYPE]["model_id"] == data[WIDGET_MIMETYPE]["model_id"]
        assert "<style" not in data["text/html"]  # a sanitizer would drop it
        # a renderer without JavaScript (SVG, PNG, HTML, text: the first) shows the picture
        first = next(k for k in ("image/svg+xml", "image/png", "text/html") if k in data)
        assert "wb-picture" in data[first] or first == "image/svg+xml"


def test_live_curve_picture_holds_every_epoch_of_the_run(executed) -> None:
    shown = next(
        out["data"]["text/plain"]
        for cell in executed.cells
        if cell.source.startswith("bar.info()")
        for out in cell.outputs
        if out.get("output_type") == "execute_result"
    )
    bar = {
        "done": int(re.search(r"'done': (\d+)", shown).group(1)),
        "text": ast.literal_eval(re.search(r"'text': ('[^']*')", shown).group(1)),
    }
    data = _view(executed, "fit_epochs(")
    points = polyline_points(data["image/svg+xml"])
    assert points and set(points.values()) == {bar["done"]}, (points, bar["done"])
    progress = [d for cell, d in _views(executed) if "fit_epochs(" in cell][1]
    assert bar["text"] in progress["text/html"]  # the bar's last words


def test_space_editor_picture_shows_edits_made_in_later_cells(executed) -> None:
    html = _text(_view(executed, "editor = SpaceEditor(pipe)"))
    assert "∈ [0.01, 100] log" in html  # editor.edit(...) two cells below
    assert "∈ [8, 40] int" in html  # pipe.set_hyperparams_space(...) below


def test_inspector_picture_shows_the_last_selection_and_refusal(executed) -> None:
    html = _text(_view(executed, "inspector = Inspector(pipe"))
    assert "inspector: model__linear" in html
    assert re.search(r'class="wb-code wb-changed"[^>]*>2<', html)  # C set to 2.0, in bold
    assert "is outside the space" in html  # the refused 1e9, as the live view says


def test_tuning_panel_picture_lists_every_trial_of_the_finished_study(executed) -> None:
    html = _text(_view(executed, "tuning = TuningPanel("))
    assert "finished" in html
    trials = re.findall(r"<tr><td[^>]*>(\d+)", html)
    assert sorted(map(int, trials)) == list(range(8))
    assert '<circle class="wb-trial"' in html


def test_mutation_panel_picture_shows_log_and_curve(executed) -> None:
    html = _text(_view(executed, "panel = MutationPanel("))
    assert "mutation log" in html and "replace" in html
    assert polyline_points(html)


def test_saved_without_widget_state_is_small(executed, tmp_path) -> None:
    path = tmp_path / "saved.ipynb"
    nbformat.write(executed, path)
    assert "widget-state" not in json.dumps(executed.metadata)
    assert path.stat().st_size <= 300_000


def test_saved_with_widget_state_is_small(run, tmp_path) -> None:
    notebook, state = run
    with_state = nbformat.from_dict(
        {**notebook, "metadata": {**notebook.metadata, "widgets": state}}
    )
    path = tmp_path / "saved.ipynb"
    nbformat.write(with_state, path)
    models = state["application/vnd.jupyter.widget-state+json"]["state"]
    assert len(models) >= 100  # every view's models are there: live views when reopened
    assert path.stat().st_size <= 600_000
    # each view module's code is saved once, not once per view
    sources = [model["state"].get("source", "") for model in models.values()]
    assert sum("placeLabels" in source for source in sources) == 1
    assert not any("placeLabels" in model["state"].get("_esm", "") for model in models.values())


def test_nbconvert_html_shows_the_pictures(executed) -> None:
    from nbconvert import HTMLExporter

    html, _ = HTMLExporter().from_notebook_node(executed)
    assert html.count('class="wb-picture"') >= len(_views(executed))
    assert "Error displaying widget" not in html
    assert 'type="application/vnd.jupyter.widget-view+json"' not in html
