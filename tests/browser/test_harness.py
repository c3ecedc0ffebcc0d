"""The harness itself: a notebook runs in the lab, its widgets render, the kernel answers."""

from __future__ import annotations

from tests.browser.harness import Lab, Notebook, write_notebook


def test_lab_runs_a_notebook_with_a_widget_and_reads_the_kernel(lab: Lab, page: object) -> None:
    path = write_notebook(
        lab.root / "harness.ipynb",
        ["import ipywidgets\nslider = ipywidgets.IntSlider(value=3, description='knob')\nslider"],
    )
    notebook = Notebook.open(page, lab, path)
    notebook.run_all(timeout=120)
    notebook.page.locator(".widget-slider").first.wait_for(timeout=30_000)
    notebook.assert_no_problems()
    assert notebook.evaluate("slider.value") == 3
    notebook.set_theme("dark")
    assert notebook.screenshot("harness-dark").stat().st_size > 0
    notebook.set_theme("light")
