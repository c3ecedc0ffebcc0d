"""REST routes under ``<base_url>/workbench/api/``: read-only, JSON, authenticated, every one.

No catch-all route: each path below is matched whole, and every method is wrapped in
``tornado.web.authenticated``, reads included, so a request without Jupyter's token is refused.
Store calls block (files, databases), so they run in the catalog's thread pool.
"""

from __future__ import annotations

import functools
import gzip
import json
from collections.abc import Callable
from typing import Any, TypeVar

import tornado.web
from jupyter_server.base.handlers import APIHandler
from tornado.ioloop import IOLoop

from workbench.exceptions import StoreQueryError
from workbench.server._catalog import (
    Entry,
    StoreCatalog,
    StoreUnavailableError,
    UnknownStoreError,
    decode_cursor,
    encode_cursor,
)
from workbench.store import Store
from workbench.store.shared import TRIAL_COLUMNS, to_json_value

T = TypeVar("T")

#: Largest page of trials one request returns.
MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
#: Answers longer than this many bytes go gzipped to a client that accepts it.
GZIP_OVER = 1024


def to_json(data: Any) -> str:
    """The one JSON encoding of the store (NaN and inf as null, datetimes as ISO 8601)."""
    return json.dumps(to_json_value(data), allow_nan=False)


def _missing(store: Store, study: str, trial: int | None) -> bool:
    """Whether ``study`` (or its trial ``trial``) is not in ``store``: after a failed read,
    tells a 404 from a store that failed."""
    return not store.has(study, trial)


class ApiError(tornado.web.HTTPError):
    """An HTTP error whose JSON ``message`` is ``message`` exactly (names may hold ``%``)."""

    def __init__(self, status_code: int, message: str):
        super().__init__(status_code, "%s", message)
        self.message = message


class _Handler(APIHandler):
    """Shared plumbing: the catalog, calls off the event loop, errors as JSON."""

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        error = kwargs.get("exc_info", (None, None, None))[1]
        if not isinstance(error, ApiError):
            super().write_error(status_code, **kwargs)
            return
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(to_json({"message": error.message, "reason": self._reason}))

    @property
    def catalog(self) -> StoreCatalog:
        catalog: StoreCatalog = self.settings["workbench_catalog"]
        return catalog

    async def call(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a blocking store call in the catalog's thread pool."""
        return await IOLoop.current().run_in_executor(
            self.catalog.executor, functools.partial(function, *args, **kwargs)
        )

    def reply(self, data: Any) -> None:
        """Answer ``data`` as JSON (NaN and inf as null), gzipped for a client that accepts
        it (every browser) when longer than :data:`GZIP_OVER` bytes: a page of trials is
        about a sixth as long on the wire."""
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        body = to_json(data).encode()
        if len(body) > GZIP_OVER:
            self.add_header("Vary", "Accept-Encoding")
            if "gzip" in self.request.headers.get("Accept-Encoding", ""):
                body = gzip.compress(body, compresslevel=6, mtime=0)
                self.set_header("Content-Encoding", "gzip")
        self.finish(body)

    def entry(self, store_id: str) -> Entry:
        try:
            return self.catalog.entry(store_id)
        except UnknownStoreError as error:
            raise ApiError(404, str(error)) from None

    async def opened(self, store_id: str) -> Any:
        """The opened store ``store_id``; 404 if there is none, 503 if it cannot open now."""
        entry = self.entry(store_id)
        try:
            return await self.call(entry.open)
        except StoreUnavailableError as error:
            raise ApiError(
                503, f"The store {store_id} ({entry.storage.url}) cannot be opened: {error}"
            ) from None

    async def read(
        self,
        store: Store,
        study: str,
        function: Callable[..., T],
        *args: Any,
        trial: int | None = None,
        **kwargs: Any,
    ) -> T:
        """A read of ``study`` in ``store``: 404 if the study (or ``trial``) is not there,
        503 if the store failed, both with the store's own message."""
        try:
            return await self.call(function, *args, **kwargs)
        except StoreQueryError as error:  # the request's fault: a bad sort column
            raise ApiError(400, str(error)) from None
        except Exception as error:
            if await self.call(_missing, store, study, trial):
                raise ApiError(404, str(error)) from None
            raise ApiError(
                503, f"Reading the store failed: {type(error).__name__}: {error}"
            ) from None

    def page_arguments(self) -> tuple[int, int, str | None, bool]:
        """``offset``, ``limit``, ``sort`` and ``descending`` of a request for a page."""
        offset = self.int_argument("offset", 0, low=0, high=10**9)
        limit = self.int_argument("limit", DEFAULT_LIMIT, low=1, high=MAX_LIMIT)
        assert offset is not None and limit is not None
        sort = self.get_query_argument("sort", None)
        descending = self.get_query_argument("descending", "0") in ("1", "true")
        return offset, limit, sort, descending

    def int_argument(self, name: str, default: int | None, *, low: int, high: int) -> int | None:
        text = self.get_query_argument(name, None)
        if text is None or text == "":
            return default
        try:
            value = int(text)
        except ValueError:
            value = low - 1
        if not low <= value <= high:
            raise ApiError(
                400, f"{name} must be a whole number from {low} to {high}, but got {text!r}."
            )
        return value


class StoresHandler(_Handler):
    """``GET stores``: every configured store, whether it opens, and why not."""

    @tornado.web.authenticated
    async def get(self) -> None:
        entries = self.catalog.entries()
        described = [await self.call(entry.describe) for entry in entries]
        self.reply({"stores": described})


class ListingHandler(_Handler):
    """``GET studies`` or ``GET runs``: per store, one row per study (or run), or its error."""

    def initialize(self, kind: str) -> None:
        self.kind = kind

    @tornado.web.authenticated
    async def get(self) -> None:
        wanted = self.get_query_argument("store", None)
        entries = [self.entry(wanted)] if wanted is not None else self.catalog.entries()
        listed = []
        for entry in entries:
            listed.append(await self._listing(entry))
        self.reply({"kind": self.kind, "stores": listed})

    async def _listing(self, entry: Entry) -> dict[str, Any]:
        try:
            frame = await self.call(entry.summaries)
        except Exception as error:
            message = (
                str(error)
                if isinstance(error, StoreUnavailableError)
                else f"{type(error).__name__}: {error}"
            )
            return {"store": entry.id, "url": entry.storage.url, "error": message, "rows": []}
        rows = frame[frame["kind"] == self.kind]
        return {
            "store": entry.id,
            "url": entry.storage.url,
            "error": None,
            "rows": rows.to_dict(orient="records"),
        }


class StudyHandler(_Handler):
    """``GET stores/<id>/studies/<name>``: one study's or run's row of the listing."""

    @tornado.web.authenticated
    async def get(self, store: str, study: str) -> None:
        opened = await self.opened(store)
        frame = await self.read(opened, study, self.entry(store).summaries)
        rows = frame[frame["name"] == study]
        if not len(rows):
            raise ApiError(
                404,
                f"No study or run named {study!r} in the store {opened.name!r}; "
                f"GET workbench/api/studies lists them.",
            )
        self.reply({"store": store, "study": rows.iloc[0].to_dict()})


class TrialsHandler(_Handler):
    """``GET stores/<id>/studies/<name>/trials?offset=&limit=&sort=&descending=``: one page,
    by number or sorted by a column (``Store.trials`` sorts; 400 for a column there is not),
    with each trial's lineage (``Store.lineage``): ``extends``, ``reused_from``, ``resumes``
    and ``resumed_by`` per row.
    """

    @tornado.web.authenticated
    async def get(self, store: str, study: str) -> None:
        offset, limit, sort, descending = self.page_arguments()
        opened = await self.opened(store)
        frame, lineage = await self.read(
            opened, study, _page_with_lineage, opened, study, offset, limit, sort, descending
        )
        total = None if sort is None else frame.attrs["total"]
        numbers = [int(number) for number in frame["number"]]
        self.reply(
            {
                "store": store,
                "study": study,
                "offset": offset,
                "limit": limit,
                "total": total,
                **_table(frame),
                "extends": [lineage[n]["extends"] for n in numbers],
                "reused_from": [lineage[n]["reused_from"] for n in numbers],
                "resumes": [lineage[n]["resumes"] for n in numbers],
                "resumed_by": [lineage[n]["resumed_by"] for n in numbers],
            }
        )


def _page_with_lineage(
    store: Store, study: str, offset: int, limit: int, sort: str | None, descending: bool
) -> tuple[Any, dict[int, dict[str, Any]]]:
    frame = store.trials(study, offset=offset, limit=limit, sort=sort, descending=descending)
    return frame, store.lineage(study, [int(number) for number in frame["number"]])


def _table(frame: Any) -> dict[str, Any]:
    """A page of trials as columns, the sampled params' columns, and rows."""
    return {
        "columns": [str(column) for column in frame.columns],
        "params": [
            str(column)
            for column in frame.columns
            if column not in TRIAL_COLUMNS and column not in _NOT_PARAMS
        ],
        "rows": frame.to_dict(orient="split")["data"],
    }


_NOT_PARAMS = frozenset(
    {"values", "study", "version", "resumes", "resumed_by", "extends", "reused_in"}
)


class VersionsHandler(_Handler):
    """``GET stores/<id>/studies/<name>/versions?offset=&limit=&sort=&descending=``: every
    version of the study (rows of the listing, by number: where each came from, how many
    trials it reused) and one page of the trials of all of them together, each trial once
    (``Store.version_trials``: columns ``study`` and ``version`` first, ``resumes``,
    ``resumed_by``, ``extends`` and ``reused_in`` last)."""

    @tornado.web.authenticated
    async def get(self, store: str, study: str) -> None:
        offset, limit, sort, descending = self.page_arguments()
        opened = await self.opened(store)
        versions = await self.read(opened, study, opened.versions, study)
        frame = await self.read(
            opened,
            study,
            opened.version_trials,
            study,
            offset=offset,
            limit=limit,
            sort=sort,
            descending=descending,
        )
        self.reply(
            {
                "store": store,
                "study": study,
                "versions": versions.to_dict(orient="records"),
                "offset": offset,
                "limit": limit,
                "total": frame.attrs["total"],
                "reused": frame.attrs["reused"],
                **_table(frame),
            }
        )


class ValuesHandler(_Handler):
    """``GET stores/<id>/studies/<name>/values?start=&best=``: number, state, value and the
    best so far (``best_number``, ``best_value``, computed by the store) of every trial
    numbered ``start`` or more (default 0: all of them).

    What a best-so-far plot draws, without params or intermediate values. A view that follows
    a growing study asks from its first unfinished trial on, passing as ``best`` the
    ``best_number`` it had for the trial before, so each refresh reads the new trials only.
    """

    @tornado.web.authenticated
    async def get(self, store: str, study: str) -> None:
        start = self.int_argument("start", 0, low=0, high=10**9)
        assert start is not None
        # the best trial before start; a trial that is not there answers 404
        best = self.int_argument("best", None, low=0, high=start - 1) if start else None
        if not start and self.get_query_argument("best", ""):
            raise ApiError(400, "best goes with a start above 0: the best trial before start.")
        opened = await self.opened(store)
        frame = await self.read(
            opened, study, opened.values, study, start=start, best=best, trial=best
        )
        self.reply(
            {
                "store": store,
                "study": study,
                "start": start,
                "columns": [str(column) for column in frame.columns],
                "rows": frame.astype(object)
                .where(frame.notna(), None)
                .to_dict(orient="split")["data"],
            }
        )


class RecordHandler(_Handler):
    """``GET stores/<id>/studies/<name>/trials/<n>``: History, structure, mutations, params."""

    @tornado.web.authenticated
    async def get(self, store: str, study: str, trial: str) -> None:
        opened = await self.opened(store)
        record = await self.read(opened, study, opened.record, study, int(trial), trial=int(trial))
        self.reply(
            {"store": store, "study": study, "trial": int(trial), "record": record.to_json()}
        )


class ChangesHandler(_Handler):
    """``GET changes?since=<cursor>``: which studies and runs changed since that cursor.

    Without ``since`` it answers a fresh cursor and names everything. With nothing changed the
    answer is ``{"changed": []}`` with the same cursor: each store compares its own cheap
    marker (a journal's size, a database's latest ids) and reads no trial.
    """

    @tornado.web.authenticated
    async def get(self) -> None:
        since = self.get_query_argument("since", None)
        try:
            previous = decode_cursor(since) if since else {}
        except ValueError as error:
            raise ApiError(400, str(error)) from None
        cursors, changed = await self.call(_changes, self.catalog.entries(), previous, bool(since))
        self.reply({"cursor": encode_cursor(cursors), "changed": changed})


def _changes(
    entries: list[Entry], previous: dict[str, Any], asked_since: bool
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Every store's cursor and what changed in it, in one trip to the thread pool."""
    cursors: dict[str, Any] = {}
    changed: list[dict[str, Any]] = []
    for entry in entries:
        try:
            cursor, names = entry.open().changes(previous.get(entry.id))
        except Exception as error:  # this store's failure is reported, the others go on
            cursors[entry.id] = previous.get(entry.id)
            changed.append({"store": entry.id, "names": [], "error": str(error)})
            continue
        cursors[entry.id] = cursor
        if names or (entry.id not in previous and asked_since):
            changed.append({"store": entry.id, "names": list(names), "error": None})
    return cursors, changed


_STUDY = r"/workbench/api/stores/(?P<store>[^/]+)/studies/(?P<study>[^/]+)"


def routes() -> list[tuple[str, type[APIHandler], dict[str, Any]]]:
    """Every route of the extension, relative to the server's base URL."""
    return [
        (r"/workbench/api/stores", StoresHandler, {}),
        (r"/workbench/api/studies", ListingHandler, {"kind": "study"}),
        (r"/workbench/api/runs", ListingHandler, {"kind": "run"}),
        (r"/workbench/api/changes", ChangesHandler, {}),
        (_STUDY, StudyHandler, {}),
        (_STUDY + r"/trials", TrialsHandler, {}),
        (_STUDY + r"/versions", VersionsHandler, {}),
        (_STUDY + r"/values", ValuesHandler, {}),
        (_STUDY + r"/trials/(?P<trial>[0-9]+)", RecordHandler, {}),
    ]
