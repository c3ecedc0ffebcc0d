"""Optuna's journal file, read without creating anything and never broken by a cut last line.

A crash or a full disk during a write can leave the file's last line cut. Optuna then appends
the next record to that stub, and the merged line makes every later read fail. Before each
append (under Optuna's own journal lock, so no writer is half-way through a line) the backend
checks that the file ends with a newline; if not, the cut bytes are moved to a side file next
to the journal (``<journal>.cut``) with a :class:`~workbench.exceptions.WorkbenchWarning`
naming both files, and the store works on. Readers skip a cut last line (it may also be a line
being written right now).
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import warnings
from collections.abc import Generator, Iterator
from typing import Any

from filelock import FileLock
from optuna.storages.journal import JournalFileBackend, JournalFileSymlinkLock

from workbench.exceptions import StorageError, WorkbenchWarning

CUT_SUFFIX = ".cut"
WRITER_SUFFIX = ".writer"  # the OS lock a Workbench writer holds with Optuna's journal lock
WRITER_MARK = "#workbench"  # the target of a Workbench writer's lock symlink


class JournalBackend(JournalFileBackend):
    """Optuna's journal file backend that creates nothing when read-only and repairs a cut
    last line before writing.

    ``writable=False`` (a read-only open, or a file this user cannot write): reads only; a
    missing file reads as empty; writing raises :class:`~workbench.exceptions.StorageError`.
    """

    def __init__(self, path: str, *, writable: bool = True) -> None:
        # Optuna's __init__ would create the file; set its fields here instead
        self._file_path = path
        self._lock = JournalLock(path)
        self._log_number_offset: dict[int, int] = {0: 0}
        self.path = path
        self.writable = writable
        if writable:
            self.set_aside_cut_line()

    def read_logs(self, log_number_from: int) -> Generator[dict[str, Any], None, None]:
        if os.path.exists(self._file_path):  # a missing file reads as empty
            yield from super().read_logs(log_number_from)

    def append_logs(self, logs: list[dict[str, Any]]) -> None:
        if not self.writable:
            raise StorageError(
                f"The store {self.path!r} is read-only here: this user cannot write the journal "
                f"file (or it was opened with readonly=True). Ask its owner for write access, or "
                f"record into a store you can write: pass storage=... or set $WORKBENCH_STORAGE."
            )
        try:
            with _locked(self._lock):
                self._set_aside_cut_line_locked()
                text = "\n".join(json.dumps(log, separators=(",", ":")) for log in logs) + "\n"
                with open(self._file_path, "ab") as journal:  # as Optuna writes it
                    journal.write(text.encode("utf-8"))
                    journal.flush()
                    os.fsync(journal.fileno())
        except OSError as error:
            raise StorageError(
                f"Cannot write to the store {self.path!r}: {error.strerror or error} "
                f"({error.filename or self.path}). Make the file and its folder writable for "
                f"this user, free some disk space, or record into another store (storage=... "
                f"or $WORKBENCH_STORAGE)."
            ) from error

    def size(self) -> int:
        """The journal file's size in bytes (0 when it does not exist)."""
        try:
            return os.stat(self._file_path).st_size
        except FileNotFoundError:
            return 0

    def set_aside_cut_line(self) -> str | None:
        """Move a cut last line to the side file; return the side file's path if one moved."""
        if self.size() == 0 or _ends_with_newline(self._file_path):
            return None
        try:
            with _locked(self._lock):
                return self._set_aside_cut_line_locked()
        except OSError as error:
            raise StorageError(
                f"The journal file {self.path!r} ends in a cut line, which cannot be set aside: "
                f"{error.strerror or error}. Make the file and its folder writable for this user."
            ) from error

    def _set_aside_cut_line_locked(self) -> str | None:
        path = self._file_path
        if os.stat(path).st_size == 0 or _ends_with_newline(path):
            return None
        with open(path, "rb+") as journal:
            keep = _end_of_last_line(journal)
            journal.seek(keep)
            cut = journal.read()
            side = path + CUT_SUFFIX
            with open(side, "ab") as side_file:
                side_file.write(cut + b"\n")
                side_file.flush()
                os.fsync(side_file.fileno())
            journal.truncate(keep)
            journal.flush()
            os.fsync(journal.fileno())
        self._log_number_offset = {0: 0}  # offsets past the cut are gone: read from the start
        warnings.warn(
            f"The journal file {path} ended in a cut line ({len(cut)} bytes, left by a crash or "
            f"a full disk during a write). It was moved to {side}, and the store works on "
            f"without it; the record it held (one update of one trial or study) is lost.",
            WorkbenchWarning,
            stacklevel=4,
        )
        return side


class JournalLock(JournalFileSymlinkLock):
    """Optuna's symlink lock on the journal, which a killed Workbench writer never leaves held.

    Optuna's lock is a symlink beside the journal; a process killed while it holds it leaves
    it, and every other writer waits out Optuna's grace period (30 s) before forcing it. A
    Workbench writer also holds an OS lock (``<journal>.writer``, released by the kernel when
    its process dies) for as long as it holds the symlink, and marks the symlink as its own.
    So a Workbench writer that finds a Workbench symlink while holding the OS lock knows its
    holder died, and releases it at once. A symlink of any other writer (plain Optuna) is
    waited for as Optuna waits for it.
    """

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self._lock_target_file = path + WRITER_MARK  # the symlink's target says whose it is
        self._writer = FileLock(path + WRITER_SUFFIX, thread_local=False)
        self._thread = threading.Lock()  # the OS lock is reentrant: one thread at a time

    def acquire(self) -> bool:
        self._thread.acquire()
        try:
            self._writer.acquire()
            try:
                with contextlib.suppress(OSError):  # no symlink, or another's: Optuna's way
                    if os.readlink(self._lock_file) == self._lock_target_file:
                        super().release()  # left by a Workbench writer that died holding it
                return super().acquire()
            except BaseException:
                self._writer.release()
                raise
        except BaseException:
            self._thread.release()
            raise

    def release(self) -> None:
        try:
            super().release()
        finally:
            self._writer.release()
            self._thread.release()


@contextlib.contextmanager
def _locked(lock: Any) -> Iterator[None]:
    """Optuna's journal lock (the one its own writers take), held for the block."""
    lock.acquire()
    try:
        yield
    finally:
        lock.release()


def _ends_with_newline(path: str) -> bool:
    with open(path, "rb") as file:
        file.seek(-1, os.SEEK_END)
        return file.read(1) == b"\n"


def _end_of_last_line(file: Any) -> int:
    """The offset just past the last newline of ``file`` (0 if it has none)."""
    end = file.seek(0, os.SEEK_END)
    position = end
    while position > 0:
        start = max(0, position - 65536)
        file.seek(start)
        chunk = file.read(position - start)
        newline = chunk.rfind(b"\n")
        if newline >= 0:
            return start + newline + 1
        position = start
    return 0
