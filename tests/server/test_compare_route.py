"""``GET workbench/api/compare``: runs and trials of several stores side by side."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from workbench.server._compare import MAX_ITEMS
from workbench.store.shared import record_run

from ..store.test_compare import a_study, history, structure
from .test_routes import HTML_NAME

pytestmark = pytest.mark.filterwarnings("ignore:The value nan is not acceptable")


@pytest.fixture
def jp_server_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.delenv("WORKBENCH_STORAGE", raising=False)
    other = tmp_path / "other" / "journal.log"
    other.parent.mkdir()
    a_study(str(other), "far", [0.4, 0.6])
    return {
        "ServerApp": {"jpserver_extensions": {"workbench.server": True}},
        "WorkbenchApp": {"stores": [str(other)]},
    }


@pytest.fixture
def embedded(jp_root_dir: Path) -> str:
    path = str(jp_root_dir / ".workbench" / "journal.log")
    for name, alpha in (("run-a", 0.1), ("run-b", 0.01)):
        record_run(
            structure=structure(alpha=alpha),
            hyperparams={"model__alpha": alpha},
            history=history(),
            storage=path,
            run_name=name,
            value=0.5,
            metric="valid_loss",
        )
    a_study(path, HTML_NAME, [0.3, 0.8])
    return path


async def _compare(jp_fetch: Any, items: list[str], **kw: Any) -> Any:
    pairs = [("item", item) for item in items]  # urlencode repeats the key for each pair
    return await jp_fetch("workbench", "api", "compare", params=pairs, **kw)


async def _error(jp_fetch: Any, items: list[str]) -> tuple[int, str]:
    with pytest.raises(HTTPClientError) as caught:
        await _compare(jp_fetch, items)
    assert caught.value.response is not None
    return caught.value.code, json.loads(caught.value.response.body)["message"]


async def test_compare_route_gives_items_of_two_stores_side_by_side(
    jp_fetch: Any, embedded: str
) -> None:
    response = await _compare(jp_fetch, ["0/run-a", "0/run-b/0", "1/far/1", f"0/{HTML_NAME}"])
    data = json.loads(response.body)
    assert [item["label"] for item in data["items"]] == [
        "0:run-a",
        "0:run-b",
        "1:far#1",
        f"0:{HTML_NAME}#1",
    ]
    assert data["differing"]["paths"] == ["model__alpha"]
    assert data["differing"]["rows"] == [[0.1, 0.01, 0.01, 0.01]]
    series = {(s["label"], s["statistic"]) for s in data["series"]}
    assert ("1:far#1", "valid_loss") in series
    assert {s["split"] for s in data["series"]} == {"train", "valid"}


async def test_compare_route_refuses_a_request_without_token(jp_fetch: Any, embedded: str) -> None:
    with pytest.raises(HTTPClientError) as caught:
        await _compare(jp_fetch, ["0/run-a"], headers={"Authorization": ""})
    assert caught.value.code == 403
    assert b"run-a" not in (caught.value.response.body or b"")  # type: ignore[union-attr]


async def test_compare_route_answers_404_naming_a_missing_item(
    jp_fetch: Any, embedded: str
) -> None:
    code, message = await _error(jp_fetch, ["0/run-a", "0/run-zz"])
    assert code == 404
    assert "No such item '0/run-zz'" in message and "Did you mean" in message
    code, message = await _error(jp_fetch, ["0/run-a/5"])
    assert (code, "'run-a' has no trial 5" in message) == (404, True)
    code, message = await _error(jp_fetch, ["7/run-a"])
    assert code == 404 and "No store with id '7'" in message


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([], "Name at least one item"),
        (["run-a"], r"An item is '<store id>/<study or run>/<trial>'.*'run-a'"),
    ],
)
async def test_compare_route_answers_400_for_no_bad_or_too_many_items(
    jp_fetch: Any, embedded: str, items: list[str], message: str
) -> None:
    import re

    code, text = await _error(jp_fetch, items)
    assert code == 400
    assert re.search(message, text)


async def test_compare_route_answers_400_over_a_thousand_items(
    jp_fetch: Any, embedded: str
) -> None:
    # Tornado itself refuses a query of more than 1,000 fields, before the handler's own check
    with pytest.raises(HTTPClientError) as caught:
        await _compare(jp_fetch, ["0/run-a"] * (MAX_ITEMS + 1))
    assert caught.value.code == 400
    answered = await _compare(jp_fetch, ["0/run-a"] * MAX_ITEMS)  # a thousand: answered
    assert [item["label"] for item in json.loads(answered.body)["items"]] == ["run-a"]


async def test_importance_route_gives_paths_and_top_level_steps(
    jp_fetch: Any, embedded: str
) -> None:
    from ..store.test_importance import a_study as importance_study

    importance_study(embedded, "tuned", "maximize")
    answer = await jp_fetch("workbench", "api", "stores", "0", "studies", "tuned", "importance")
    data = json.loads(answer.body)
    assert data["message"] is None
    assert data["rows"][0]["path"] == "encoder__scale__power"
    assert sum(row["importance"] for row in data["rows"]) == pytest.approx(1.0)
    assert {row["step"] for row in data["steps"]} == {"encoder", "model"}
    a_study(embedded, "single", [0.5])
    few = await jp_fetch("workbench", "api", "stores", "0", "studies", "single", "importance")
    assert json.loads(few.body)["rows"] == []  # one trial: nothing to tell apart
    assert "at least two complete trials" in json.loads(few.body)["message"]
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch("workbench", "api", "stores", "0", "studies", "nope", "importance")
    assert caught.value.code == 404
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch(
            "workbench", "api", "stores", "0", "studies", "tuned", "importance",
            headers={"Authorization": ""},
        )  # fmt: skip
    assert caught.value.code == 403
