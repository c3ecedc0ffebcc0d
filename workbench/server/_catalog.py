"""The stores one server shows: opened lazily, read-only, each failing on its own."""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from workbench.store import Store, StoreInfo, open_store, stores

#: Seconds before a store that failed to open is tried again (an unreachable database can take
#: seconds to refuse; the panel polls every second).
RETRY_AFTER = 10.0


class UnknownStoreError(LookupError):
    """A store id that this server does not show."""


class StoreUnavailableError(ConnectionError):
    """A configured store that cannot be opened now."""


@dataclass
class Entry:
    """One configured store: its id, what the listing says of it, and its opened Store."""

    id: str
    storage: StoreInfo
    opened: Store | None = None
    error: str | None = None
    failed_at: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    listing: tuple[str, pd.DataFrame] | None = None

    def summaries(self) -> pd.DataFrame:
        """Every study and run of the store (``Store.summaries()``), read again only when
        ``Store.changes`` says something was written since the last read."""
        store = self.open()
        cached = self.listing
        cursor, changed = store.changes(cached[0] if cached is not None else None)
        if cached is not None and not changed:
            return cached[1]
        frame = store.summaries()  # the cursor was taken first: a write meanwhile shows next time
        self.listing = (cursor, frame)
        return frame

    def open(self) -> Store:
        """The opened store; raises StoreUnavailableError with the store's own message."""
        with self.lock:
            if self.opened is not None:
                return self.opened
            if self.error is not None and time.monotonic() - self.failed_at < RETRY_AFTER:
                raise StoreUnavailableError(self.error)
            try:
                self.opened = open_store(self.storage, readonly=True)
            except Exception as error:  # any failure is this store's alone
                self.error = f"{type(error).__name__}: {error}"
                self.failed_at = time.monotonic()
                raise StoreUnavailableError(self.error) from error
            self.error = None
            return self.opened

    def describe(self) -> dict[str, Any]:
        """Id, name, URL (password hidden), kind, and whether it opens now."""
        with contextlib.suppress(StoreUnavailableError):  # the error is kept in self.error
            self.open()
        return {
            "id": self.id,
            "name": self.storage.name,
            "url": self.storage.url,
            "kind": self.storage.kind,
            "opens": self.error is None,
            "error": self.error,
        }


class StoreCatalog:
    """Every store a server shows, in a fixed order, with a thread pool for their calls.

    ``extra`` are storage URLs or journal paths beside the embedded store of ``root`` and
    ``$WORKBENCH_STORAGE``; store calls block, so handlers run them in :attr:`executor`.
    """

    def __init__(self, extra: Sequence[str] = (), *, root: str | None = None, workers: int = 4):
        self.extra = list(extra)
        self.root = root
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="workbench")
        self._entries: list[Entry] | None = None
        self._lock = threading.Lock()
        self.warming: list[Future[None]] = []  # see warm()

    def entries(self) -> list[Entry]:
        """The configured stores, listed once (the configuration does not change)."""
        with self._lock:
            if self._entries is None:
                infos = stores(extra=self.extra, root=self.root, probe=False)
                self._entries = [
                    Entry(id=str(number), storage=info) for number, info in enumerate(infos)
                ]
            return self._entries

    def entry(self, store_id: str) -> Entry:
        """The store with this id; UnknownStoreError lists the ids there are."""
        for entry in self.entries():
            if entry.id == store_id:
                return entry
        known = ", ".join(repr(entry.id) for entry in self.entries())
        raise UnknownStoreError(
            f"No store with id {store_id!r} on this server; the stores are {known}. "
            f"GET workbench/api/stores lists them."
        )

    def warm(self) -> list[Future[None]]:
        """Read every store's listing in the thread pool, now (the server is starting): a
        large journal file's index then is built by the time the panel asks. A store that
        fails keeps its error for the listing to report."""
        self.warming = [self.executor.submit(_warm, entry) for entry in self.entries()]
        return self.warming

    def close(self) -> None:
        """Stop the thread pool (the server is shutting down)."""
        self.executor.shutdown(wait=False, cancel_futures=True)


def _warm(entry: Entry) -> None:
    with contextlib.suppress(Exception):  # reported when the listing is asked for
        entry.summaries()


def encode_cursor(cursors: dict[str, Any]) -> str:
    """One opaque cursor for every store's own cursor."""
    text = json.dumps(cursors, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, Any]:
    """The per-store cursors :func:`encode_cursor` packed, as they were (each store's cursor
    is a string); ValueError when it is not one."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        cursors = json.loads(text)
    except (binascii.Error, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(
            f"since= must be a cursor this server handed out (the 'cursor' of an earlier "
            f"changes answer), but got {cursor!r}. Omit since= to get a fresh cursor."
        ) from error
    if not isinstance(cursors, dict):
        raise ValueError(
            f"since= must be a cursor this server handed out, but got {cursor!r}. Omit "
            f"since= to get a fresh cursor."
        )
    return cursors
