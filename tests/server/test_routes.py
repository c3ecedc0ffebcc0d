"""The REST routes, through a real Jupyter server (pytest-jupyter's ``jp_fetch``)."""

from __future__ import annotations

import concurrent.futures
import gzip
import json
from pathlib import Path
from typing import Any

import optuna
import pytest
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend
from tornado.httpclient import HTTPClientError

from workbench.store import History
from workbench.store.shared import record_run

pytestmark = pytest.mark.filterwarnings("ignore:The value nan is not acceptable")

HTML_NAME = "<img src=x onerror=alert(1)>"
UNREACHABLE = "postgresql://nobody@127.0.0.1:9/none"


def _journal(path: Path) -> JournalStorage:
    path.parent.mkdir(parents=True, exist_ok=True)
    return JournalStorage(JournalFileBackend(str(path)))


def _study(storage: Any, name: str, values: list[float]) -> None:
    study = optuna.create_study(study_name=name, storage=storage, direction="maximize")
    for value in values:
        trial = study.ask()
        trial.suggest_float("alpha", 0.0, 1.0)
        trial.report(value / 2, step=0)
        study.tell(trial, value)


@pytest.fixture
def second_store(tmp_path: Path) -> Path:
    path = tmp_path / "elsewhere" / "journal.log"
    _study(_journal(path), "far-study", [0.1])
    return path


@pytest.fixture
def env_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The store named by $WORKBENCH_STORAGE, with one study."""
    path = tmp_path / "from-env" / "journal.log"
    _study(_journal(path), "env-study", [0.2, 0.4])
    monkeypatch.setenv("WORKBENCH_STORAGE", str(path))
    return path


@pytest.fixture
def jp_server_config(second_store: Path, env_store: Path) -> dict[str, Any]:
    return {
        "ServerApp": {"jpserver_extensions": {"workbench.server": True}},
        "WorkbenchApp": {"stores": [str(second_store), UNREACHABLE]},
    }


@pytest.fixture
def embedded(jp_root_dir: Path) -> JournalStorage:
    """The embedded store of the server's root directory, with two studies."""
    storage = _journal(jp_root_dir / ".workbench" / "journal.log")
    _study(storage, "digits", [0.5, 0.9, float("nan")])
    _study(storage, HTML_NAME, [0.3])
    return storage


async def _get(jp_fetch: Any, *parts: str, **params: str) -> Any:
    response = await jp_fetch("workbench", "api", *parts, params=params)
    assert response.headers["Content-Type"].startswith("application/json")
    return json.loads(response.body)


async def _error(jp_fetch: Any, *parts: str, **params: str) -> tuple[int, dict[str, Any]]:
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch("workbench", "api", *parts, params=params)
    response = caught.value.response
    assert response is not None
    return caught.value.code, json.loads(response.body)


ROUTES = [
    ("stores",),
    ("studies",),
    ("runs",),
    ("changes",),
    ("stores", "0", "studies", "digits"),
    ("stores", "0", "studies", "digits", "trials"),
    ("stores", "0", "studies", "digits", "values"),
    ("stores", "0", "studies", "digits", "trials", "0"),
    ("stores", "0", "studies", "digits", "versions"),
]


@pytest.mark.parametrize("parts", ROUTES, ids="/".join)
async def test_every_route_refuses_a_request_without_token(
    jp_fetch: Any, embedded: Any, parts: tuple[str, ...]
) -> None:
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch("workbench", "api", *parts, headers={"Authorization": ""})
    assert caught.value.code == 403
    assert b"digits" not in (caught.value.response.body or b"")  # type: ignore[union-attr]
    answered = await jp_fetch("workbench", "api", *parts)  # the same route with the token
    assert answered.code == 200


async def test_no_route_answers_a_path_it_does_not_know(jp_fetch: Any, embedded: Any) -> None:
    for parts in [("anything",), ("stores", "0", "studies", "digits", "extra", "x")]:
        with pytest.raises(HTTPClientError) as caught:
            await jp_fetch("workbench", "api", *parts)
        assert caught.value.code == 404


async def test_routes_are_read_only(jp_fetch: Any, embedded: Any) -> None:
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch("workbench", "api", "studies", method="POST", body="{}")
    assert caught.value.code == 405


async def test_stores_lists_each_store_and_says_which_cannot_open(
    jp_fetch: Any, embedded: Any, jp_root_dir: Path, second_store: Path, env_store: Path
) -> None:
    stores = (await _get(jp_fetch, "stores"))["stores"]
    assert [store["id"] for store in stores] == ["0", "1", "2", "3"]
    assert [store["opens"] for store in stores] == [True, True, True, False]
    assert stores[0]["name"] == "default"
    assert stores[0]["url"] == str(jp_root_dir.resolve() / ".workbench" / "journal.log")
    assert stores[1]["url"] == str(env_store)
    assert stores[2]["url"] == str(second_store)
    assert stores[3]["url"] == UNREACHABLE
    assert "Cannot reach the store" in stores[3]["error"]


async def test_studies_lists_every_store_and_a_broken_one_fails_alone(
    jp_fetch: Any, embedded: Any
) -> None:
    listed = (await _get(jp_fetch, "studies"))["stores"]
    assert [store["error"] is None for store in listed] == [True, True, True, False]
    assert f"Cannot reach the store {UNREACHABLE!r}" in listed[3]["error"]
    assert listed[3]["rows"] == []
    rows = {row["name"]: row for row in listed[0]["rows"]}
    assert set(rows) == {"digits", HTML_NAME}
    assert rows["digits"]["best_value"] == 0.9
    assert rows["digits"]["complete"] == 2 and rows["digits"]["fail"] == 1
    assert [row["name"] for row in listed[1]["rows"]] == ["env-study"]
    assert [row["name"] for row in listed[2]["rows"]] == ["far-study"]
    # the broken store fails on its own routes with a JSON error, and the server keeps working
    code, error = await _error(jp_fetch, "stores", "3", "studies", "digits", "trials")
    assert code == 503
    assert f"The store 3 ({UNREACHABLE}) cannot be opened" in error["message"]
    assert "Cannot reach the store" in error["message"]
    assert (await _get(jp_fetch, "stores", "2", "studies", "far-study"))["study"]["n_trials"] == 1


async def test_names_holding_html_come_back_as_plain_json_strings(
    jp_fetch: Any, embedded: Any
) -> None:
    response = await jp_fetch("workbench", "api", "studies")
    assert response.headers["Content-Type"].startswith("application/json")
    listed = json.loads(response.body)["stores"][0]["rows"]
    assert HTML_NAME in [row["name"] for row in listed]
    study = await _get(jp_fetch, "stores", "0", "studies", HTML_NAME)
    assert study["study"]["name"] == HTML_NAME
    trials = await _get(jp_fetch, "stores", "0", "studies", HTML_NAME, "trials")
    assert trials["study"] == HTML_NAME


async def test_unknown_study_answers_404_with_a_json_error(jp_fetch: Any, embedded: Any) -> None:
    for parts in [
        ("stores", "0", "studies", "no-such-study"),
        ("stores", "0", "studies", "no-such-study", "trials"),
        ("stores", "0", "studies", "no-such-study", "values"),
        ("stores", "0", "studies", "no-such-study", "trials", "0"),
    ]:
        code, error = await _error(jp_fetch, *parts)
        assert code == 404
        assert "'no-such-study'" in error["message"]
    code, error = await _error(jp_fetch, "stores", "0", "studies", "digits", "trials", "7")
    assert code == 404
    assert "no trial 7" in error["message"]


async def test_unknown_store_answers_404_naming_the_stores(jp_fetch: Any, embedded: Any) -> None:
    code, error = await _error(jp_fetch, "stores", "9", "studies", "digits", "trials")
    assert code == 404
    assert error["message"] == (
        "No store with id '9' on this server; the stores are '0', '1', '2', '3'. "
        "GET workbench/api/stores lists them."
    )


async def test_trials_come_in_pages_and_nan_becomes_null(jp_fetch: Any, embedded: Any) -> None:
    page = await _get(
        jp_fetch, "stores", "0", "studies", "digits", "trials", offset="1", limit="2"
    )
    assert page["offset"] == 1 and page["limit"] == 2
    column = page["columns"].index("number")
    assert [row[column] for row in page["rows"]] == [1, 2]
    value = page["columns"].index("value")
    assert page["rows"][1][value] is None  # the NaN-valued trial failed: no value, not NaN
    assert "alpha" in page["columns"]  # sampled params by path


async def test_trials_sort_by_a_column_before_paging(jp_fetch: Any, embedded: Any) -> None:
    page = await _get(
        jp_fetch, "stores", "0", "studies", "digits", "trials",
        sort="value", descending="1", limit="1",
    )  # fmt: skip
    assert page["total"] == 3
    assert page["rows"][0][page["columns"].index("value")] == 0.9


@pytest.mark.parametrize("descending", ["0", "1"])
async def test_sorted_pages_put_the_failed_trial_last_either_way(
    jp_fetch: Any, embedded: Any, descending: str
) -> None:
    numbers = []
    for offset in ("0", "1", "2"):
        page = await _get(
            jp_fetch, "stores", "0", "studies", "digits", "trials",
            sort="value", descending=descending, offset=offset, limit="1",
        )  # fmt: skip
        numbers += [row[page["columns"].index("number")] for row in page["rows"]]
    assert numbers == ([1, 0, 2] if descending == "1" else [0, 1, 2])


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"limit": "0"}, "limit must be a whole number from 1 to 1000, but got '0'."),
        ({"offset": "x"}, "offset must be a whole number from 0 to 1000000000, but got 'x'."),
        ({"sort": "colour"}, "sort must name a column of the trials (number, "),
    ],
)
async def test_bad_paging_answers_400_saying_what_is_allowed(
    jp_fetch: Any, embedded: Any, params: dict[str, str], message: str
) -> None:
    code, error = await _error(jp_fetch, "stores", "0", "studies", "digits", "trials", **params)
    assert code == 400
    assert message in error["message"]


async def test_values_give_every_trial_with_the_stores_best_so_far(
    jp_fetch: Any, embedded: Any
) -> None:
    values = await _get(jp_fetch, "stores", "0", "studies", "digits", "values")
    assert values["columns"] == ["number", "state", "value", "best_number", "best_value"]
    # a maximized study: the best so far is computed by the store, not by the panel
    assert values["rows"] == [
        [0, "complete", 0.5, 0, 0.5],
        [1, "complete", 0.9, 1, 0.9],
        [2, "fail", None, 1, 0.9],  # a failed trial keeps the line going
    ]


async def test_values_from_a_start_give_only_the_later_trials(
    jp_fetch: Any, embedded: Any
) -> None:
    later = await _get(jp_fetch, "stores", "0", "studies", "digits", "values", start="1")
    assert later["start"] == 1
    assert [row[0] for row in later["rows"]] == [1, 2]
    beyond = await _get(jp_fetch, "stores", "0", "studies", "digits", "values", start="50")
    assert beyond["rows"] == []


async def test_values_from_a_start_continue_the_best_before_it(
    jp_fetch: Any, embedded: Any
) -> None:
    args = ("stores", "0", "studies", "digits", "values")
    later = await _get(jp_fetch, *args, start="2", best="1")
    assert later["rows"] == [[2, "fail", None, 1, 0.9]]
    code, error = await _error(jp_fetch, *args, start="1", best="1")
    assert code == 400
    assert error["message"] == "best must be a whole number from 0 to 0, but got '1'."
    code, error = await _error(jp_fetch, *args, best="0")
    assert (code, error["message"]) == (
        400,
        "best goes with a start above 0: the best trial before start.",
    )


async def test_values_from_a_bad_start_answer_400(jp_fetch: Any, embedded: Any) -> None:
    code, error = await _error(jp_fetch, "stores", "0", "studies", "digits", "values", start="-1")
    assert code == 400
    assert error["message"] == ("start must be a whole number from 0 to 1000000000, but got '-1'.")


async def test_record_holds_the_trial_params(jp_fetch: Any, embedded: Any) -> None:
    answer = await _get(jp_fetch, "stores", "0", "studies", "digits", "trials", "1")
    assert answer["trial"] == 1
    assert set(answer["record"]["params"]) == {"alpha"}


async def test_record_of_a_run_carries_what_the_lab_panel_draws(
    jp_fetch: Any, embedded: Any
) -> None:
    history = History.from_rows(
        [
            {"epoch": 1, "phase": "pretrain", "mutation": None, "train_loss": 0.9},
            {"epoch": 2, "phase": "finetune", "mutation": "freeze a", "train_loss": 0.5},
        ]
    )
    record_run(
        structure={"path": "", "class": "Pipeline", "hyperparams": {"x": None}, "children": []},
        hyperparams={"x": None},
        history=history,
        storage=embedded,
        run_name="a-run",
        value=0.5,
        metric="train_loss",
    )
    record = (await _get(jp_fetch, "stores", "0", "studies", "a-run", "trials", "0"))["record"]
    assert record["kind"] == "run" and record["direction"] == "minimize"
    assert record["statistics"] == [{"column": "train_loss", "split": "train", "name": "loss"}]
    assert record["final_statistics"] == {"train_loss": 0.5}
    assert record["marks"] == [[1, "pretrain"], [2, "finetune: freeze a"]]
    assert record["structure"]["hyperparams"] == {"x": None}


async def test_trials_page_names_its_param_columns(jp_fetch: Any, embedded: Any) -> None:
    page = await _get(jp_fetch, "stores", "0", "studies", "digits", "trials")
    assert page["params"] == ["alpha"]
    assert page["columns"][-1] == "alpha"


async def test_changes_say_nothing_changed_until_a_trial_is_added(
    jp_fetch: Any, embedded: Any
) -> None:
    first = await _get(jp_fetch, "changes")
    again = await _get(jp_fetch, "changes", since=first["cursor"])
    assert again["changed"] == [{"store": "3", "names": [], "error": again["changed"][0]["error"]}]
    assert "Cannot reach the store" in again["changed"][0]["error"]
    assert again["cursor"] == first["cursor"]
    _study(embedded, "new-study", [0.7])
    after = await _get(jp_fetch, "changes", since=again["cursor"])
    named = {entry["store"]: entry["names"] for entry in after["changed"]}
    assert "new-study" in named["0"]
    assert "1" not in named and "2" not in named
    assert after["cursor"] != again["cursor"]


async def test_changes_reject_a_cursor_it_did_not_hand_out(jp_fetch: Any, embedded: Any) -> None:
    code, error = await _error(jp_fetch, "changes", since="not-a-cursor!")
    assert code == 400
    assert "since= must be a cursor this server handed out" in error["message"]


async def test_an_idle_changes_request_reads_no_study_or_trial(
    jp_fetch: Any, embedded: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    cursor = (await _get(jp_fetch, "changes"))["cursor"]
    reads: list[str] = []
    for method in ("get_all_studies", "get_all_trials", "get_trial"):
        original = getattr(JournalStorage, method)

        def counted(
            self: Any, *args: Any, _name: str = method, _original: Any = original, **kwargs: Any
        ) -> Any:
            reads.append(_name)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(JournalStorage, method, counted)
    for _ in range(5):
        answer = await _get(jp_fetch, "changes", since=cursor)
        assert [entry for entry in answer["changed"] if entry["names"]] == []
    assert reads == []  # a stat of each journal file, nothing read from it
    _study(embedded, "one-more", [0.1])
    answer = await _get(jp_fetch, "changes", since=cursor)
    assert "one-more" in answer["changed"][0]["names"]
    assert reads  # a change is read


async def test_listings_are_read_again_only_after_a_change(
    jp_fetch: Any, embedded: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workbench.store import Store

    read: list[str] = []
    original = Store.summaries

    def counted(self: Store) -> Any:
        read.append(self.name)
        return original(self)

    monkeypatch.setattr(Store, "summaries", counted)
    await _get(jp_fetch, "studies", store="0")
    await _get(jp_fetch, "runs", store="0")
    await _get(jp_fetch, "stores", "0", "studies", "digits")
    assert len(read) == 1  # studies, runs and one study's row share one read
    _study(embedded, "later", [0.3])
    rows = (await _get(jp_fetch, "studies", store="0"))["stores"][0]["rows"]
    assert "later" in [row["name"] for row in rows]
    assert len(read) == 2


async def test_a_long_answer_goes_gzipped_to_a_client_that_accepts_it(
    jp_fetch: Any, embedded: Any
) -> None:
    _study(embedded, "long", [i / 40 for i in range(40)])  # a page of 40 rows: some KB
    parts = ("workbench", "api", "stores", "0", "studies", "long", "trials")
    plain = await jp_fetch(*parts, headers={"Accept-Encoding": "identity"})
    zipped = await jp_fetch(
        *parts, headers={"Accept-Encoding": "gzip, deflate"}, decompress_response=False
    )
    assert "Content-Encoding" not in plain.headers
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(zipped.body)) == json.loads(plain.body)
    assert len(zipped.body) < len(plain.body)


async def test_the_stores_are_read_as_the_server_starts(embedded: Any, jp_serverapp: Any) -> None:
    catalog = jp_serverapp.web_app.settings["workbench_catalog"]
    done, _ = concurrent.futures.wait(catalog.warming, timeout=60)
    assert len(done) == len(catalog.entries()) == len(catalog.warming)
    listing = catalog.entry("0").listing  # the embedded store, read before anyone asked
    assert listing is not None and "digits" in listing[1]["name"].tolist()
    unreachable = [entry for entry in catalog.entries() if entry.storage.url == UNREACHABLE]
    assert unreachable[0].error is not None  # kept for the listing to report
