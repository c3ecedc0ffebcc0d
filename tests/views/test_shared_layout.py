"""Widgets that keep the default look share one Layout model, so that a notebook saved with its
widget state does not carry a full copy of the defaults for each of them."""

from __future__ import annotations

import ipywidgets

from workbench.views._kernel import plain_layout


def test_plain_widgets_share_one_layout_and_a_closed_one_is_replaced() -> None:
    first, second = plain_layout(), plain_layout()
    assert first is second and first.width is None and first.display is None
    first.close()
    third = plain_layout()
    assert third is not first and third.comm is not None


def test_inspector_widgets_that_never_change_their_layout_share_it(nested) -> None:
    from workbench.views import Inspector

    inspector = Inspector(nested)
    assert inspector.detail.layout is inspector.error.layout is plain_layout()
    # a widget whose layout the view sets keeps its own
    assert inspector.tree.layout is not plain_layout()
    assert isinstance(inspector.tree.layout, ipywidgets.Layout)
