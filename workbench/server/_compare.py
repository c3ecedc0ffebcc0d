"""``GET compare?item=<store id>/<study or run>/<trial>&item=...``: runs and trials side by
side, from any of the server's stores (see :class:`workbench.store.Comparison`)."""

from __future__ import annotations

from typing import Any

import tornado.web

from workbench.exceptions import StorageError
from workbench.server._catalog import StoreUnavailableError
from workbench.server._handlers import ApiError, _Handler
from workbench.store import Comparison, Store
from workbench.store.shared import ItemRef, compare_refs, find_items

#: The most items one comparison takes.
MAX_ITEMS = 1000


def parse_item(text: str) -> tuple[str, str, int | None]:
    """``"<store id>/<study or run>[/<trial>]"`` as (store id, name, trial or None)."""
    store_id, sep, rest = text.partition("/")
    if not sep or not store_id or not rest:
        raise ApiError(
            400,
            f"An item is '<store id>/<study or run>/<trial>' (the trial may be left out for a "
            f"run, or for a study's best trial), but got {text!r}.",
        )
    name, sep, tail = rest.rpartition("/")
    if sep and name and tail.isdigit():
        return store_id, name, int(tail)
    return store_id, rest, None


class CompareHandler(_Handler):
    """``GET compare?item=...&item=...``: items, curves, marks, differing hyperparams and the
    structure diff as :meth:`Comparison.to_json` has them."""

    @tornado.web.authenticated
    async def get(self) -> None:
        texts = self.get_query_arguments("item")
        if not texts:
            raise ApiError(400, "Name at least one item: ?item=<store id>/<study or run>/<trial>.")
        if len(texts) > MAX_ITEMS:
            raise ApiError(
                400, f"At most {MAX_ITEMS} items compare at once, but {len(texts)} were asked."
            )
        parsed = [parse_item(text) for text in texts]
        opened: dict[str, Store] = {}
        for store_id, _, _ in parsed:
            if store_id not in opened:
                opened[store_id] = await self._open(store_id)
        refs = [
            ref
            for (store_id, name, trial), text in zip(parsed, texts, strict=True)
            for ref in await self._find(opened[store_id], store_id, name, trial, text)
        ]
        comparison: Comparison = await self._compare(refs)
        self.reply({"items_asked": texts, **comparison.to_json()})

    async def _open(self, store_id: str) -> Store:
        entry = self.entry(store_id)
        try:
            store: Store = await self.call(entry.open)
        except StoreUnavailableError as error:
            raise ApiError(
                503, f"The store {store_id} ({entry.storage.url}) cannot be opened: {error}"
            ) from None
        return store

    async def _find(
        self, store: Store, store_id: str, name: str, trial: int | None, text: str
    ) -> list[ItemRef]:
        """The run or trial ``text`` names; ``<store id>/<study>@*``: each version's best."""
        item: Any = name if trial is None else (name, trial)
        try:
            return await self.call(find_items, store, item, store_key=store_id)
        except Exception as error:
            found = await self.call(store.has, name, trial)
            # a study named alone that has no complete trial is no item either
            if not found or (trial is None and isinstance(error, StorageError)):
                raise ApiError(404, f"No such item {text!r}: {error}") from None
            raise ApiError(
                503, f"Reading the store failed: {type(error).__name__}: {error}"
            ) from None

    async def _compare(self, refs: list[ItemRef]) -> Comparison:
        try:
            return await self.call(compare_refs, refs)
        except Exception as error:
            raise ApiError(
                503, f"Reading the store failed: {type(error).__name__}: {error}"
            ) from None


class ImportanceHandler(_Handler):
    """``GET stores/<id>/studies/<name>/importance``: each sampled hyperparam's importance
    (PED-ANOVA, summing to 1) and each top-level step's; ``message`` says why there is none
    yet (too few complete trials)."""

    @tornado.web.authenticated
    async def get(self, store: str, study: str) -> None:
        opened = await self.opened(store)
        try:
            frame = await self.call(opened.importance, study)
        except StorageError as error:
            if not await self.call(opened.has, study):
                raise ApiError(404, str(error)) from None
            self.reply({"store": store, "study": study, "rows": [], "steps": [],
                        "message": str(error)})  # fmt: skip
            return
        steps = await self.call(opened.importance, study, by="step", depth=1)
        self.reply(
            {
                "store": store,
                "study": study,
                "rows": frame.to_dict(orient="records"),
                "steps": steps.to_dict(orient="records"),
                "message": None,
            }
        )


def compare_routes() -> list[tuple[str, type[_Handler], dict[str, Any]]]:
    """The comparison's and importance's routes, relative to the server's base URL."""
    study = r"/workbench/api/stores/(?P<store>[^/]+)/studies/(?P<study>[^/]+)"
    return [
        (r"/workbench/api/compare", CompareHandler, {}),
        (study + r"/importance", ImportanceHandler, {}),
    ]
