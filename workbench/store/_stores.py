"""Opening a :class:`Store`, and the list of the stores configured here."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optuna.storages import BaseStorage, RDBStorage

from workbench.exceptions import StorageError
from workbench.store._browse import LISTED_ATTRS, Store
from workbench.store._open import (
    DEFAULT_DIRECTORY,
    JOURNAL_NAME,
    MEMORY,
    StorageLike,
    configured,
    describe,
    hide_password,
    journal_path,
    kind_of,
    open_storage,
    prepare_journal,
    resolve,
)
from workbench.store._sources import JournalSource, RDBSource, Source, StorageSource


@dataclass(frozen=True)
class StoreInfo:
    """One configured store, as :func:`stores` lists it.

    Attributes
    ----------
    name : str
        ``"default"`` for the embedded store of the working directory, else the store's
        location with any password hidden.
    url : str
        The location (a journal file's absolute path, or a database URL), password hidden.
    kind : str
        ``"journal"``, ``"sqlite"``, ``"postgresql"``, ``"memory"``, ...
    opens : bool
        Whether it opened read-only just now (a store that does not exist yet opens, empty).
    error : str or None
        Why it did not open.
    storage : str
        What to pass to :func:`open_store` (may hold a password: never shown or sent).
    """

    name: str
    url: str
    kind: str
    opens: bool
    error: str | None
    storage: str = field(repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        """The public fields as JSON-ready data (``storage`` left out: it may hold a
        password)."""
        return {
            "name": self.name,
            "url": self.url,
            "kind": self.kind,
            "opens": self.opens,
            "error": self.error,
        }


def open_store(storage: StorageLike | StoreInfo = None, *, readonly: bool = False) -> Store:
    """Open a run/study store to browse it.

    Parameters
    ----------
    storage : str, path, optuna storage, StoreInfo or None
        A journal file (or a folder, which gets ``journal.log``), ``"sqlite:///x.db"``,
        ``"postgresql://user@host/db"`` (``pip install 'workbench[postgres]'``), ``":memory:"``,
        an Optuna storage, or an entry of :func:`stores`. Default: the first store named by
        ``$WORKBENCH_STORAGE``, else the embedded ``.workbench/journal.log`` here.
    readonly : bool
        Create no folder, file or table and take no lock; a store that does not exist lists
        as empty. A journal file this user cannot write always opens read-only.

    Raises
    ------
    StorageError
        The store cannot be reached (with what to check), or is not a store at all.

    Examples
    --------
    >>> from optuna.storages import InMemoryStorage
    >>> store = open_store(InMemoryStorage(), readonly=True)
    >>> store.kind, len(store.studies()), len(store.runs())
    ('memory', 0, 0)
    """
    if isinstance(storage, StoreInfo):
        storage = storage.storage
    resolved = resolve(storage)
    name = describe(storage)
    if isinstance(resolved, str) and resolved != MEMORY and "://" not in resolved:
        writable = prepare_journal(resolved, readonly=readonly)
        return Store(
            JournalSource(resolved),
            functools.partial(open_storage, resolved, readonly=readonly),
            name=resolved,
            kind="journal",
            readonly=not writable,
        )
    opened = open_storage(resolved, readonly=readonly)
    journal = journal_path(opened)
    source: Source
    if journal is not None:
        source = JournalSource(journal)
    elif isinstance(opened, RDBStorage):
        source = RDBSource(opened, LISTED_ATTRS)
    else:
        source = StorageSource(opened)
    kind = kind_of(opened if isinstance(resolved, BaseStorage) else resolved)
    return Store(source, lambda: opened, name=journal or name, kind=kind, readonly=readonly)


def stores(
    extra: Iterable[str] = (),
    *,
    root: str | os.PathLike[str] | None = None,
    probe: bool = True,
) -> list[StoreInfo]:
    """The stores configured here, each opened read-only to say whether it can be.

    They are, in order and without repeats: the embedded store of ``root`` (default: the
    working directory), those named by ``$WORKBENCH_STORAGE`` (one or more, separated by
    whitespace), then ``extra`` (such as the Jupyter server's configured stores).

    Parameters
    ----------
    extra : list of str
        Storage URLs or journal paths listed after the configured ones.
    root : str or path, optional
        The folder whose embedded store comes first (default: the working directory).
    probe : bool
        Open each store read-only to fill ``opens`` and ``error`` (default). With
        ``probe=False`` none is opened (opening a journal replays the whole file): each
        entry that resolves lists with ``opens=True`` and ``error=None``, for a caller that
        opens the stores itself.

    Examples
    --------
    >>> [info.name for info in stores(extra=[":memory:"])][-1]
    ':memory:'
    """
    base = Path.cwd() if root is None else Path(root)
    default = str((base / DEFAULT_DIRECTORY / JOURNAL_NAME).resolve())
    entries: list[tuple[str, str]] = [("default", default)]
    entries += [("", text) for text in configured()]
    if isinstance(extra, str):
        raise StorageError(
            f"extra must be a list of store URLs or paths, but got the string {extra!r}; "
            f"wrap it in a list: extra=[{extra!r}]."
        )
    entries += [("", str(text)) for text in extra]
    seen: set[str] = set()
    listed = []
    for label, text in entries:
        try:
            resolved = resolve(text)
        except StorageError as error:
            shown = hide_password(text)
            listed.append(StoreInfo(shown, shown, "unknown", False, str(error), text))
            continue
        key = str(resolved)
        if key in seen:
            continue
        seen.add(key)
        url = describe(text)
        kind = kind_of(resolved)
        if not probe:
            listed.append(StoreInfo(label or url, url, kind, True, None, key))
            continue
        try:
            open_storage(text, readonly=True)
        except StorageError as error:
            listed.append(StoreInfo(label or url, url, kind, False, str(error), key))
            continue
        listed.append(StoreInfo(label or url, url, kind, True, None, key))
    return listed
