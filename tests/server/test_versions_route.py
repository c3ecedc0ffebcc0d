"""A study's versions and its trials' lineage through the REST routes of a real Jupyter server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from tests.store.test_versions import versioned
from workbench.store import open_store


@pytest.fixture
def jp_server_config() -> dict[str, Any]:
    return {"ServerApp": {"jpserver_extensions": {"workbench.server": True}}}


@pytest.fixture
def embedded(jp_root_dir: Path) -> None:
    """The server's embedded store: ``s`` in three versions, and ``other``."""
    (jp_root_dir / ".workbench").mkdir()
    versioned(open_store(str(jp_root_dir / ".workbench" / "journal.log")).storage)


async def _get(jp_fetch: Any, *parts: str, **params: str) -> Any:
    response = await jp_fetch("workbench", "api", *parts, params=params)
    return json.loads(response.body)


async def test_the_listing_sends_versions_together_with_where_each_came_from(
    jp_fetch: Any, embedded: None
) -> None:
    listing = (await _get(jp_fetch, "studies", store="0"))["stores"][0]
    rows = [
        (row["name"], row["version"], row["version_from"], row["reused"], row["under"])
        for row in listing["rows"]
    ]
    assert rows == [
        ("s", 1, None, 0, None),
        ("s@2", 2, 1, 2, "s"),
        ("s@3", 3, 2, 1, "s"),
        ("other", 1, None, 0, None),
    ]
    row = (await _get(jp_fetch, "stores", "0", "studies", "s@3"))["study"]
    assert (row["base"], row["versions"], row["version_from"]) == ("s", 3, 2)


async def test_the_versions_route_sends_every_version_and_their_trials_once(
    jp_fetch: Any, embedded: None
) -> None:
    answer = await _get(jp_fetch, "stores", "0", "studies", "s@2", "versions")
    assert [v["name"] for v in answer["versions"]] == ["s", "s@2", "s@3"]
    assert [v["reused"] for v in answer["versions"]] == [0, 2, 1]
    assert (answer["total"], answer["reused"]) == (7, 3)
    columns = answer["columns"]
    assert columns[:3] == ["study", "version", "number"]
    assert columns[-2:] == ["extends", "reused_in"]
    assert answer["params"] == ["C"]
    at = {name: columns.index(name) for name in ("study", "number", "extends", "reused_in")}
    rows = [[row[at[name]] for name in at] for row in answer["rows"]]
    assert rows[:4] == [["s", 0, None, []], ["s", 1, None, [2, 3]], ["s", 2, None, [2]],
                        ["s", 3, 1, []]]  # fmt: skip
    assert rows[-1] == ["s@3", 2, 0, []]
    page = await _get(
        jp_fetch, "stores", "0", "studies", "s", "versions", sort="value", descending="1",
        limit="2",
    )  # fmt: skip
    assert [(row[0], row[2]) for row in page["rows"]] == [("s@3", 2), ("s", 3)]


async def test_a_page_of_trials_says_which_trial_each_extends_or_reuses(
    jp_fetch: Any, embedded: None
) -> None:
    first = await _get(jp_fetch, "stores", "0", "studies", "s", "trials")
    assert first["extends"] == [None, None, None, 1]
    assert first["reused_from"] == [None, None, None, None]
    third = await _get(jp_fetch, "stores", "0", "studies", "s@3", "trials", sort="value")
    numbers = [row[third["columns"].index("number")] for row in third["rows"]]
    assert numbers == [0, 1, 2]
    assert third["reused_from"] == ["s@2#0", None, None]
    assert third["extends"] == [None, None, 0]


async def test_the_versions_route_answers_errors_with_the_stores_message(
    jp_fetch: Any, embedded: None
) -> None:
    for params, code, message in [
        ({}, 404, "No study or run named 's@9'"),
    ]:
        with pytest.raises(HTTPClientError) as caught:
            await jp_fetch("workbench", "api", "stores", "0", "studies", "s@9", "versions",
                           params=params)  # fmt: skip
        assert caught.value.code == code
        assert message in json.loads(caught.value.response.body)["message"]  # type: ignore[union-attr]
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch(
            "workbench", "api", "stores", "0", "studies", "s", "versions", params={"sort": "x"}
        )
    assert caught.value.code == 400
    body = json.loads(caught.value.response.body)  # type: ignore[union-attr]
    assert body["message"].startswith("Cannot sort the trials by 'x'")


async def test_the_compare_route_takes_every_version_of_a_study(
    jp_fetch: Any, embedded: None
) -> None:
    answer = await _get(jp_fetch, "compare", item="0/s@*")
    assert [item["label"] for item in answer["items"]] == ["s#3", "s@2#0", "s@3#2"]
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch("workbench", "api", "compare", params={"item": "0/nothing@*"})
    assert caught.value.code == 404
    body = json.loads(caught.value.response.body)  # type: ignore[union-attr]
    assert "Cannot compare 'nothing@*': no study of that name" in body["message"]
