"""Comparing runs and trials of several stores: :func:`compare`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from workbench.exceptions import StorageError
from workbench.store._browse import Store
from workbench.store._compare import (
    Comparison,
    ItemRef,
    compare_refs,
    find_items,
    is_number,
    kinds_of,
    listed_items,
    version_names,
)
from workbench.store._stores import open_store
from workbench.store._stores import stores as configured

Item = str | tuple[str, int]


def compare(
    items: Iterable[Item],
    *,
    stores: Mapping[str, Any] | None = None,
) -> Comparison:
    """Runs and trials side by side, from one store or several.

    Parameters
    ----------
    items : list
        Each a run's name, a study's name (its best complete trial), ``"study#12"``, a pair
        ``("study", 12)``, or ``"study@*"``: every version of a study (``study``,
        ``study@2``, ...), each by its best complete trial. With several stores,
        ``"key:item"`` takes the item from the store ``key`` of ``stores``; an item without a
        known key is looked for in each store in order, and the first that holds it gives it.
    stores : mapping of str to store, optional
        Key -> anything :func:`open_store` opens (a path, URL, Optuna storage, ``StoreInfo``)
        or an opened :class:`Store`. Default: the stores configured here, by
        :func:`stores`'s names (``"default"`` for the embedded one).

    Raises
    ------
    StorageError
        An item is in none of the stores (the message names it), or a store cannot be read.

    Examples
    --------
    >>> from workbench.store import open_store
    >>> compare(["nothing-here"], stores={"mem": ":memory:"})
    Traceback (most recent call last):
    ...
    workbench.exceptions.StorageError: Cannot compare 'nothing-here': no study or run named ...
    """
    listed = listed_items(items)
    if stores is None:
        opened = _configured_stores()
    else:
        opened = {
            str(key): value if isinstance(value, Store) else open_store(value, readonly=True)
            for key, value in stores.items()
        }
    if not opened:
        raise StorageError("compare() needs at least one store in stores=.")
    listings = _Listings(opened)
    refs = [ref for item in listed for ref in _find_anywhere(opened, item, listings)]
    return compare_refs(refs)


def _configured_stores() -> dict[str, Store]:
    """The stores configured here that open now; one that cannot (a database down) is left
    out, so that the others still compare, unless none opens."""
    opened: dict[str, Store] = {}
    failures = []
    for info in configured(probe=False):
        try:
            opened[info.name] = open_store(info, readonly=True)
        except StorageError as error:
            failures.append(str(error))
    if not opened and failures:
        raise StorageError(f"No configured store opens: {' '.join(failures)}")
    return opened


class _Listings(dict[str, dict[str, tuple[str, str, int]]]):
    """Each store's names, kinds and directions, read once per comparison."""

    def __init__(self, opened: Mapping[str, Store]):
        super().__init__()
        self.opened = opened

    def __missing__(self, key: str) -> dict[str, tuple[str, str, int]]:
        listing = self[key] = kinds_of(self.opened[key])
        return listing


def _find_anywhere(opened: Mapping[str, Store], item: Any, listings: _Listings) -> list[ItemRef]:
    if isinstance(item, str):
        key, sep, rest = item.partition(":")
        if sep and key in opened and rest:
            return find_items(opened[key], rest, store_key=key, kinds=listings[key])
    for key, store in opened.items():
        if _holds(store, item, listings[key]):
            return find_items(store, item, store_key=key, kinds=listings[key])
    first_key = next(iter(opened))
    if len(opened) == 1:
        return find_items(opened[first_key], item, store_key=first_key, kinds=listings[first_key])
    raise StorageError(
        f"Cannot compare {item!r}: no store of {sorted(opened)} holds it. Name the store "
        f"first, such as {first_key + ':' + str(item)!r}, or check the name."
    )


def _holds(store: Store, item: Any, names: Mapping[str, Any]) -> bool:
    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
        return is_number(item[1]) and store.has(item[0], int(item[1]))
    if not isinstance(item, str):
        return False
    if item in names or version_names(item, names):
        return True
    study, sep, tail = item.rpartition("#")
    return bool(sep and tail.isdigit() and study and store.has(study, int(tail)))
