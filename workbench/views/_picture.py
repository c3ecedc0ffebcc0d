"""Pictures: the static image a view leaves in its output, so a notebook keeps its last state.

A live view is an ipywidget, and a widget is drawn only by a front end that holds its model: a
notebook reopened after its kernel is gone, opened untrusted, exported by nbconvert or shown by
a renderer without JavaScript has none. So a view displays one output with, beside the widget:

- ``text/html``: the picture as HTML that survives JupyterLab's sanitizer (inline styles, charts
  as ``<img>`` of SVG data), what untrusted JupyterLab and nbconvert show;
- ``image/svg+xml`` for a chart, what a renderer that takes SVG first shows;
- :data:`PICTURE_MIMETYPE`, which Workbench's JupyterLab extension renders: the live widget when
  its model exists, the picture when it does not (instead of "model not found").

The picture is drawn from the view's plain data (its ``_get_*_info`` or ``info()``) by a
function the view names, and republished with ``update_display`` under one display id: at once
when the view's state settles (``picture_changed(self, settled=True)``), at most once every
``PICTURE_INTERVAL`` seconds while it changes, and only when it differs from the last one.

A view takes part in three lines: mix in :class:`Pictured`, define ``_draw_picture`` (return a
:class:`Picture`), and call :func:`picture_changed` where its state changes. A comparison view
(``views/_compare.py``) does the same.
"""

from __future__ import annotations

import base64
import re
import time
from typing import Any, NamedTuple

from workbench.views._html import esc

#: The mimetype Workbench's JupyterLab renderer claims: ``{"model_id", "display_id"}``.
PICTURE_MIMETYPE = "application/vnd.workbench.view+json"
WIDGET_MIMETYPE = "application/vnd.jupyter.widget-view+json"
#: Least seconds between two pictures of a view whose state is still changing.
PICTURE_INTERVAL = 2.0


class Picture(NamedTuple):
    """A view's last state: HTML safe for a sanitizer, and the same chart as SVG if it is one."""

    html: str
    svg: str | None = None
    text: str = ""


def svg_data_uri(svg: str) -> str:
    """An SVG as a ``data:`` address for ``<img>`` (a sanitizer keeps it, drops ``<svg>``)."""
    if "xmlns=" not in svg[:200]:
        svg = svg.replace("<svg", '<svg xmlns="http://www.w3.org/2000/svg"', 1)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


_STYLE_BLOCK = re.compile(r"<style>.*?</style>", re.DOTALL)
_SVG = re.compile(r"<svg\b.*?</svg>", re.DOTALL)


#: Inline plots larger than this stay in the live view (a 64 x 64 heat map is some 40 KB).
PLOT_LIMIT = 8_000


def svg_as_images(markup: str) -> str:
    """``markup`` with each inline ``<svg>`` turned into an ``<img>`` of it; a plot over
    :data:`PLOT_LIMIT` characters is left out, with a note, to keep the saved file small."""

    def image(found: re.Match[str]) -> str:
        svg = found.group(0)
        if len(svg) > PLOT_LIMIT:
            return '<div style="opacity:0.6">(the plot is drawn in the live view)</div>'
        return f'<img src="{svg_data_uri(svg)}" alt="plot"/>'

    return _SVG.sub(image, markup)


def svg_picture(svg: str, *, caption: str = "") -> Picture:
    """A chart: the SVG itself, and HTML that shows it as an image."""
    html = f'<img src="{svg_data_uri(svg)}" alt="{esc(caption or "chart")}"/>'
    return Picture(html=html_picture(html, caption=caption), svg=svg, text=caption)


def page_picture(body: str, *, caption: str) -> Picture:
    """A view drawn as HTML (tables, text), with ``caption`` as its plain text."""
    return Picture(html=html_picture(body, caption=caption), text=caption)


def html_picture(body: str, *, caption: str = "") -> str:
    """The picture's HTML: the body and a muted line saying what it is."""
    note = (
        '<div style="opacity:0.6;font-size:85%;margin-top:2px">'
        f"{esc(caption)}{' · ' if caption else ''}"
        "a picture of the view's last state; run the cell for the live view</div>"
    )
    body = _STYLE_BLOCK.sub("", body)  # a sanitizer drops them: the picture is styled inline
    return f'<div class="wb-picture" style="line-height:1.45">{body}{note}</div>'


class Pictured:
    """Mixin for a view widget: it displays with its picture and keeps the picture current."""

    _picture_last: Picture | None = None
    _picture_time: float = float("-inf")
    _picture_shown: bool = False

    def _draw_picture(self) -> Picture:
        raise NotImplementedError(f"{type(self).__name__} must define _draw_picture()")

    @property
    def picture_display_id(self) -> str:
        """The display id under which this view's output is updated."""
        return f"workbench-{getattr(self, 'model_id', id(self))}"

    def picture(self) -> Picture:
        """The view's last state as a :class:`Picture` (what a saved notebook shows)."""
        return self._draw_picture()

    def _picture_bundle(self, picture: Picture) -> dict[str, Any]:
        base = super()._repr_mimebundle_()  # type: ignore[misc]
        bundle: dict[str, Any] = dict((base[0] if isinstance(base, tuple) else base) or {})
        widget = bundle.get(WIDGET_MIMETYPE)
        if widget:
            bundle[PICTURE_MIMETYPE] = {
                "model_id": widget["model_id"],
                "display_id": self.picture_display_id,
            }
        if picture.svg is not None:
            bundle["image/svg+xml"] = picture.svg
        bundle["text/html"] = picture.html
        if picture.text:
            bundle["text/plain"] = f"{picture.text} (a Workbench view: {type(self).__name__})"
        return bundle

    def _ipython_display_(self) -> None:
        from IPython.display import display

        picture = _safe_draw(self)
        self._picture_last, self._picture_time = picture, time.monotonic()
        self._picture_shown = True
        display(
            self._picture_bundle(picture or Picture(html="")),
            raw=True,
            display_id=self.picture_display_id,
        )


def _safe_draw(view: Pictured) -> Picture | None:
    try:
        return view._draw_picture()
    except Exception:  # a picture must never break the live view
        return None


def picture_changed(view: Any, *, settled: bool = False) -> None:
    """The view's state changed: republish its picture now if ``settled``, else at most once
    every :data:`PICTURE_INTERVAL` seconds; nothing when it was never displayed."""
    if not isinstance(view, Pictured) or not view._picture_shown:
        return
    now = time.monotonic()
    if not settled and now - view._picture_time < PICTURE_INTERVAL:
        return
    picture = _safe_draw(view)
    view._picture_time = now
    if picture is None or picture == view._picture_last:
        return
    view._picture_last = picture
    from IPython.display import update_display

    update_display(view._picture_bundle(picture), raw=True, display_id=view.picture_display_id)


def watch_picture(view: Any, *widgets: Any, names: Any = "value") -> None:
    """Republish ``view``'s picture when a trait of ``widgets`` changes: throttled while the
    view's ``state`` is ``running`` or ``stopping``, at once otherwise."""

    def changed(_change: Any) -> None:
        busy = getattr(view, "state", None) in ("running", "stopping")
        picture_changed(view, settled=not busy)

    for widget in widgets:
        widget.observe(changed, names=names)
