"""A study's versions together in the Lab panel, and its trials' lineage in the study view's
table, in a real JupyterLab and Chromium, both themes; screenshots saved as artifacts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.harness import Lab, Notebook, start_lab, wait_for, write_notebook
from tests.store.test_versions import versioned
from workbench.store import open_store

NAMES = "#workbench-panel .jp-Workbench-listing tr.jp-Workbench-row td.jp-Workbench-name"
TABLE = ".jp-Workbench-study:not(.lm-mod-hidden) .jp-Workbench-trials"


@pytest.fixture(scope="module")
def setting(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A lab whose store holds ``s`` in three versions (reused and extended trials) and
    ``other``."""
    base = tmp_path_factory.mktemp("versions")
    root = base / "notebooks"
    root.mkdir()
    journal = base / "store" / "journal.log"
    journal.parent.mkdir()
    versioned(open_store(str(journal)).storage)
    notebook = write_notebook(root / "versions.ipynb", ["1 + 1"])
    with start_lab(root, env={"WORKBENCH_STORAGE": str(journal)}) as lab:
        yield {"lab": lab, "notebook": notebook}


def _texts(page: Any, selector: str) -> list[str]:
    return [str(text).strip() for text in page.locator(selector).all_text_contents()]


def _column(page: Any, header: str) -> list[str]:
    headers = _texts(page, f"{TABLE} thead th")
    if header not in headers:
        return []
    at = headers.index(header) + 1
    return _texts(page, f"{TABLE} tbody tr td:nth-child({at})")


def test_versions_are_listed_together_and_the_study_view_shows_them_with_lineage(
    setting: dict[str, Any], page: Any
) -> None:
    lab: Lab = setting["lab"]
    notebook = Notebook.open(page, lab, Path(setting["notebook"]))
    notebook.command("workbench:open-panel")
    page.locator("#workbench-panel").wait_for(state="visible", timeout=30_000)

    # one row for the study, its later versions under it, each saying where it came from
    expected = ["s", "v2 · reused 2", "v3 · reused 1", "other"]
    wait_for(lambda: _texts(page, NAMES) == expected, timeout=30, what="the versions listed")
    later = page.locator("#workbench-panel tr.jp-Workbench-versionRow")
    assert later.count() == 2
    assert later.first.locator("td.jp-Workbench-name").get_attribute("title") == (
        "s@2: version 2 of 3 of s · from version 1, reused 2 trials"
    )
    indent = page.evaluate(
        """() => [...document.querySelectorAll('#workbench-panel td.jp-Workbench-name')]
        .slice(0, 2).map(cell => parseFloat(getComputedStyle(cell).paddingLeft))"""
    )
    assert indent[1] > indent[0] + 8  # drawn under its study, not beside it

    # the version opens in its own view: which version, from where, which trials it reused
    later.first.click()
    note = page.locator(".jp-Workbench-study .jp-Workbench-versionNote").first
    wait_for(
        lambda: note.is_visible() and "from version 1, reused 2 trials" in note.inner_text(),
        timeout=30,
        what="the version note",
    )
    wait_for(lambda: len(_column(page, "lineage")) == 3, timeout=30, what="the lineage column")
    assert _column(page, "lineage") == ["reused from s#1", "reused from s#2", ""]

    # all versions together: each trial once, marked with its version, reused ones said so
    page.get_by_role("checkbox", name="All versions in the table").check()
    wait_for(lambda: len(_column(page, "version")) == 7, timeout=30, what="all versions")
    assert _column(page, "version") == ["v1", "v1", "v1", "v1", "v2", "v3", "v3"]
    assert _column(page, "lineage") == [
        "",
        "reused in v2, v3",
        "reused in v2",
        "extends 1",
        "",
        "",
        "extends 0",
    ]
    together = page.locator(".jp-Workbench-study .jp-Workbench-versionNote").nth(1)
    assert together.inner_text() == (
        "3 versions · 7 trials (3 reused, shown once) · v2 from v1 (2 reused) · "
        "v3 from v2 (1 reused)"
    )

    # a trial of another version opens in the detail, named with its version
    page.locator(f"{TABLE} tbody tr").nth(6).click()
    title = page.locator(".jp-Workbench-study .jp-Workbench-detailTitle")
    wait_for(
        lambda: title.inner_text().startswith("Trial s@3#2 (complete)"),
        timeout=30,
        what="the other version's trial",
    )
    assert "extends trial 0" in title.inner_text()
    for theme in ("light", "dark"):
        notebook.set_theme(theme)
        notebook.screenshot(f"versions_panel_{theme}")

    # the versions compared: each version's best trial, side by side
    page.get_by_role("checkbox", name="Compare the versions").check()
    page.locator("#workbench-panel .jp-Workbench-compareButton").click()
    names = (
        ".jp-Workbench-compare:not(.lm-mod-hidden) .jp-Workbench-compareItems td.jp-Workbench-name"
    )
    wait_for(lambda: _texts(page, names) == ["s#3", "s@2#0", "s@3#2"], timeout=30,
             what="the versions compared")  # fmt: skip
