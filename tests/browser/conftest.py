"""Fixtures for tests that drive a real JupyterLab in Debian's Chromium (marker ``browser``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.harness import CHROMIUM, CHROMIUM_ARGS, Lab, start_lab


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """One JupyterLab per test process, on a temporary root folder with its own store."""
    base = tmp_path_factory.mktemp("lab")
    root = base / "notebooks"
    with start_lab(root, env={"WORKBENCH_STORAGE": str(base / "journal.log")}) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's Chromium, headless, driven by Python Playwright: one per test module, so that
    Playwright's event loop is gone before the next module's tests (pytest-jupyter's server
    tests run their own loop in the same process)."""
    assert Path(CHROMIUM).exists(), "Chromium is missing: scripts/test.sh installs it (apt)"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    """A fresh browser page, 1400 x 900."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    yield page
    context.close()
