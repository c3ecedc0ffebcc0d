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


def test_shared_styles_are_one_per_class_and_a_closed_one_is_replaced() -> None:
    from ipywidgets.widgets.widget_string import HTMLStyle

    from workbench.views._kernel import plain_style

    first = plain_style(ipywidgets.ButtonStyle)
    assert first is plain_style(ipywidgets.ButtonStyle) and first.button_color is None
    assert plain_style(HTMLStyle) is not first and isinstance(plain_style(HTMLStyle), HTMLStyle)
    first.close()
    assert plain_style(ipywidgets.ButtonStyle) is not first


def test_mutation_panel_buttons_share_one_style_and_views_keep_their_own_layout(nested) -> None:
    import numpy as np

    from workbench.views import MutationPanel, curves

    panel = MutationPanel(nested, np.zeros((4, 64)), np.zeros(4))
    buttons = [panel.replace_button, panel.freeze_button, panel.run_button, panel.reload_button]
    assert all(button.style is buttons[0].style for button in buttons)
    # a view a user holds (or a panel hides) has its own Layout: hiding one hides no other
    first, second = curves(), curves()
    first.layout.display = "none"
    assert second.layout.display is None and panel.layout.display is None


def test_views_carry_a_small_loader_and_share_one_model_with_their_code(nested) -> None:
    from workbench.views import SpaceEditor, curves
    from workbench.views._kernel import ViewCode

    first, second = curves(), curves()
    state = first.get_state()
    assert len(state["_esm"]) < 1_000  # the loader, not the 12 kB chart
    assert state["_code"] == second.get_state()["_code"] == f"IPY_MODEL_{first._code.model_id}"
    assert isinstance(first._code, ViewCode) and "placeLabels" in first._code.source
    editor = SpaceEditor(nested)
    assert editor._code is not first._code and "wb-space-row" in editor._code.source
    first._code.close()  # closed (a front end gone): the next view gets a new holder
    third = curves()
    assert third._code is not first._code and third._code.comm is not None


def test_two_inspectors_share_their_fixed_layouts_but_not_their_own(nested) -> None:
    from workbench.views import Inspector

    first, second = Inspector(nested), Inspector(nested)
    assert first.tree.layout is second.tree.layout  # one Layout(width="390px", ...) model
    assert first.tree.layout.width == "390px" and first.value.layout.width == "200px"
    assert plain_layout(width="390px") is not plain_layout(width="200px")
    assert first.layout is not second.layout  # the view itself, which a user may restyle
