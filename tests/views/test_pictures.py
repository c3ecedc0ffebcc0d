"""Pictures: every view leaves its last state as SVG or HTML in its output."""

from __future__ import annotations

import base64
import re
import time
from typing import Any

import pytest
from sklearn.linear_model import LogisticRegression, SGDClassifier

from workbench import Pipeline
from workbench.views import Curves, Progress, SpaceEditor, _picture
from workbench.views._display import space_html, step_html
from workbench.views._html import inline_styles
from workbench.views._picture import (
    PICTURE_MIMETYPE,
    WIDGET_MIMETYPE,
    Picture,
    picture_changed,
    svg_as_images,
)


def _curve(epochs: int) -> Curves:
    view = Curves()
    view.on_fit_begin(kind="epochs", path="")
    for epoch in range(1, epochs + 1):
        view.on_epoch_end(epoch=epoch, row={"train_loss": 1 / epoch, "valid_loss": 2 / epoch})
    view.on_fit_end(kind="epochs", path="")
    return view


def polyline_points(svg: str) -> dict[str, int]:
    """Points per drawn series (``run/split``) of a curves picture."""
    return {
        f"{run}/{split}": len(points.split())
        for run, split, points in re.findall(
            r'<polyline class="wb-series" data-run="([^"]*)" data-split="([^"]*)"[^>]*'
            r'points="([^"]*)"',
            svg,
        )
    }


def test_curve_picture_holds_every_point_of_every_series() -> None:
    picture = _curve(7).picture()
    assert polyline_points(picture.svg or "") == {"run/train": 7, "run/valid": 7}
    # the HTML shows the same SVG as an image, which a sanitizer keeps
    data = re.search(r'<img src="data:image/svg\+xml;base64,([^"]+)"', picture.html)
    assert data and base64.b64decode(data.group(1)).decode() == picture.svg


def test_log_y_drops_points_a_log_axis_cannot_show() -> None:
    view = Curves(log_y=True)
    view.on_fit_begin(kind="epochs", path="")
    for epoch, loss in enumerate([1.0, 0.0, 0.5], start=1):
        view.on_epoch_end(epoch=epoch, row={"valid_loss": loss})
    assert polyline_points(view.picture().svg or "") == {"run/valid": 2}
    assert "loss (log)" in (view.picture().svg or "")


def test_bundle_carries_widget_picture_and_the_workbench_mimetype() -> None:
    view = _curve(3)
    bundle = view._picture_bundle(view.picture())
    assert bundle[PICTURE_MIMETYPE] == {
        "model_id": bundle[WIDGET_MIMETYPE]["model_id"],
        "display_id": view.picture_display_id,
    }
    # a renderer taking the first of SVG, PNG, HTML, text finds the picture, not a repr
    first = next(kind for kind in ("image/svg+xml", "image/png", "text/html") if kind in bundle)
    assert first == "image/svg+xml" and "<polyline" in bundle[first]
    assert bundle["text/plain"] == "learning curves: 1 run (a Workbench view: Curves)"


class Published:
    """Captures what a view sends to its output: the first display and each update."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.displayed: list[dict[str, Any]] = []
        self.updates: list[dict[str, Any]] = []
        import IPython.display

        monkeypatch.setattr(
            IPython.display, "display", lambda bundle, **kw: self.displayed.append(bundle)
        )
        monkeypatch.setattr(
            IPython.display, "update_display", lambda bundle, **kw: self.updates.append(bundle)
        )


def test_picture_follows_the_run_throttled_while_it_changes(monkeypatch) -> None:
    published = Published(monkeypatch)
    monkeypatch.setattr(_picture, "PICTURE_INTERVAL", 3600.0)
    view = Curves(throttle=0.0)
    view._ipython_display_()
    assert len(published.displayed) == 1 and "text/html" in published.displayed[0]
    view.on_fit_begin(kind="epochs", path="")
    for epoch in range(1, 51):
        view.on_epoch_end(epoch=epoch, row={"valid_loss": 1 / epoch})
    assert len(published.updates) <= 1  # 50 epochs, at most one picture while it changes
    view.on_fit_end(kind="epochs", path="")  # the run ended: its state settles
    assert polyline_points(published.updates[-1]["image/svg+xml"]) == {"run/valid": 50}
    count = len(published.updates)
    view.finish()  # nothing new: no new picture
    assert len(published.updates) == count


def test_a_view_never_displayed_sends_no_picture(monkeypatch) -> None:
    published = Published(monkeypatch)
    _curve(3).finish()
    assert published.updates == []


def test_picture_update_costs_a_few_milliseconds() -> None:
    view = _curve(500)
    view._picture_shown = True
    import IPython.display

    sent: list[Any] = []
    original = IPython.display.update_display
    IPython.display.update_display = lambda bundle, **kw: sent.append(bundle)
    try:
        start = time.perf_counter()
        for _ in range(5):
            view._picture_last = None
            picture_changed(view, settled=True)
        elapsed = (time.perf_counter() - start) / 5
    finally:
        IPython.display.update_display = original
    assert len(sent) == 5
    assert elapsed < 0.02, f"{elapsed * 1000:.1f} ms per picture of 2 x 500 points"


def test_a_broken_drawing_leaves_the_live_view_standing(monkeypatch) -> None:
    published = Published(monkeypatch)
    view = _curve(2)
    monkeypatch.setattr(Curves, "_draw_picture", lambda self: 1 / 0)
    view._ipython_display_()
    assert WIDGET_MIMETYPE in published.displayed[0]
    picture_changed(view, settled=True)
    assert published.updates == []


def test_progress_picture_shows_the_final_bar_and_text() -> None:
    bar = Progress()
    bar.on_fit_begin(kind="epochs", path="", epochs=4, statistics=["valid_accuracy"])
    bar.on_epoch_end(epoch=1, row={"valid_accuracy": 0.8})
    bar.on_fit_end(kind="epochs", path="", history=None)
    html = bar.picture().html
    assert "width:100.0%;background:#43a047" in html  # full and green
    assert "best valid_accuracy 0.8 at epoch 1" in html


def test_space_editor_picture_follows_an_applied_edit() -> None:
    pipe = Pipeline([("model", LogisticRegression())])
    editor = SpaceEditor(pipe)
    editor.edit("model__C", low="0.5", high="20")
    assert "∈ [0.5, 20] log" in editor.picture().html
    editor.close()


def test_inline_styles_survive_where_style_blocks_do_not() -> None:
    html = step_html(Pipeline([("m", SGDClassifier())]).fit([[0.0], [1.0]], [0, 1]))
    badge = re.search(r'<span class="wb-badge wb-fitted" style="([^"]*)"', html)
    assert badge and "margin-left:4px" in badge.group(1) and "border:1px solid" in badge.group(1)
    cells = re.findall(r"<t[hd]( [^>]*)?>", html)
    assert cells and all("text-align:left" in (cell or "") for cell in cells)
    assert "var(" not in re.sub(r"<style>.*?</style>", "", html)  # a sanitizer drops var()
    assert "text-align:left" in space_html({})


def test_inline_styles_keep_a_tags_own_style_last() -> None:
    styled = inline_styles('<span class="wb-muted" style="opacity:1">x</span><br/>')
    assert styled == '<span class="wb-muted" style="opacity:0.7;opacity:1">x</span><br/>'


def test_svg_as_images_turns_inline_plots_into_images() -> None:
    markup = svg_as_images('<td><svg width="2"><rect/></svg></td>')
    data = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', markup)
    assert data and base64.b64decode(data.group(1)).decode().startswith(
        '<svg xmlns="http://www.w3.org/2000/svg" width="2">'
    )


def test_picture_is_plain_data() -> None:
    assert Picture(html="<b>x</b>") == Picture("<b>x</b>", None)


def test_svg_as_images_leaves_out_plots_too_large_for_a_saved_file() -> None:
    big = '<svg width="9">' + "<rect/>" * 2000 + "</svg>"
    assert svg_as_images(big) == (
        '<div style="opacity:0.6">(the plot is drawn in the live view)</div>'
    )


def test_a_long_run_is_drawn_from_at_most_max_points_per_line() -> None:
    from workbench.views._picture_charts import MAX_POINTS

    view = _curve(3 * MAX_POINTS)
    points = polyline_points(view.picture().svg or "")
    assert points == {"run/train": MAX_POINTS, "run/valid": MAX_POINTS}
