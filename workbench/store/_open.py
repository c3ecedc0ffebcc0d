"""Which store, and opening it: for writing (runs, tuning) or read-only (browsing).

Resolution, first match wins:

1. an explicit ``storage`` argument: an Optuna storage object, a storage URL
   (``sqlite:///x.db``, ``postgresql://user@host/db``, any SQLAlchemy URL), a path to a journal
   file (or to a directory, which gets ``journal.log`` inside), or ``":memory:"``;
2. the ``WORKBENCH_STORAGE`` environment variable: one or more of the above separated by
   whitespace (a path holding spaces cannot be listed there); the first is where runs and
   studies are written, all are browsed;
3. the embedded store: Optuna's journal file ``.workbench/journal.log`` in the working directory.
"""

from __future__ import annotations

import os
import threading
import warnings
from pathlib import Path

import optuna
from optuna.storages import BaseStorage, InMemoryStorage, JournalStorage, RDBStorage

from workbench.exceptions import StorageError
from workbench.store._journal import JournalBackend
from workbench.store._retry import retry_resumable

ENV_VAR = "WORKBENCH_STORAGE"
DEFAULT_DIRECTORY = ".workbench"
JOURNAL_NAME = "journal.log"
MEMORY = ":memory:"

#: Seconds between heartbeats and before a silent trial counts as stale, on RDB storages.
DEFAULT_HEARTBEAT_INTERVAL = 10
DEFAULT_GRACE_PERIOD = 30

StorageLike = str | os.PathLike[str] | BaseStorage | None

_CACHE: dict[tuple[str, bool, int | None, int | None], BaseStorage] = {}
_CACHE_LOCK = threading.Lock()


def configured() -> list[str]:
    """The stores named by ``$WORKBENCH_STORAGE``, in order (empty when it is unset)."""
    return os.environ.get(ENV_VAR, "").split()


def resolve(storage: StorageLike = None) -> str | BaseStorage:
    """The storage to use: an Optuna storage object, an RDB URL, a journal path or ``:memory:``.

    Journal paths come back absolute, so that a later change of working directory does not
    move the store.
    """
    if isinstance(storage, BaseStorage):
        return storage
    if storage is None:
        named = configured()
        if not named and os.environ.get(ENV_VAR) is not None:
            raise StorageError(
                f"${ENV_VAR} is set but names no store ({os.environ[ENV_VAR]!r}); unset it for "
                f"the embedded store under {DEFAULT_DIRECTORY}/, or name a store URL or path."
            )
        storage = named[0] if named else None
    if storage is None:
        return str(Path.cwd() / DEFAULT_DIRECTORY / JOURNAL_NAME)
    if not isinstance(storage, str | os.PathLike):
        raise StorageError(
            f"A store must be an Optuna storage, a storage URL or a journal file path, but got "
            f"{storage!r}. For example 'sqlite:///studies.db', "
            f"'postgresql://user@host/db' or '.workbench/journal.log'."
        )
    text = os.fspath(storage).strip()
    if not text:
        raise StorageError(
            f"A store URL or path must not be empty (check ${ENV_VAR}); leave it unset for the "
            f"embedded store under {DEFAULT_DIRECTORY}/."
        )
    if text == MEMORY or "://" in text:
        return text
    path = Path(text).expanduser()
    if path.is_dir():
        path = path / JOURNAL_NAME
    return str(path.resolve())


def kind_of(resolved: str | BaseStorage) -> str:
    """``"journal"``, ``"memory"``, ``"sqlite"``, ``"postgresql"``, another SQLAlchemy dialect
    or, for a storage object, its class name."""
    if isinstance(resolved, JournalStorage):
        return "journal"
    if isinstance(resolved, InMemoryStorage):
        return "memory"
    if isinstance(resolved, RDBStorage):
        return resolved.engine.dialect.name
    if isinstance(resolved, BaseStorage):
        return type(resolved).__name__
    if resolved == MEMORY:
        return "memory"
    if "://" in resolved:
        return resolved.split("://", 1)[0].split("+", 1)[0]
    return "journal"


def describe(storage: StorageLike = None) -> str:
    """A printable name of the store, with any password hidden."""
    resolved = resolve(storage)
    if isinstance(resolved, BaseStorage):
        return type(resolved).__name__
    if "://" in resolved:
        return hide_password(resolved)
    return resolved


def hide_password(url: str) -> str:
    """``url`` with its password (if any) shown as ``***``."""
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not sep or not at or ":" not in credentials:
        return url
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"


def open_storage(
    storage: StorageLike = None,
    *,
    readonly: bool = False,
    heartbeat_interval: int | None = DEFAULT_HEARTBEAT_INTERVAL,
    grace_period: int | None = DEFAULT_GRACE_PERIOD,
) -> BaseStorage:
    """Open (once per process) the Optuna storage that :func:`resolve` names.

    ``readonly=True`` creates no folder, file or table and takes no lock: a store that does not
    exist opens as an empty one. Raises :class:`~workbench.exceptions.StorageError` when the
    store cannot be reached; nothing is created in that case.
    """
    resolved = resolve(storage)
    if isinstance(resolved, BaseStorage):
        return resolved
    if resolved == MEMORY:  # this process's in-memory store: readers see the writers' one
        if readonly:
            heartbeat_interval, grace_period = DEFAULT_HEARTBEAT_INTERVAL, DEFAULT_GRACE_PERIOD
        readonly = False
    elif readonly:
        heartbeat_interval = grace_period = None
    key = (resolved, readonly, heartbeat_interval, grace_period)
    with _CACHE_LOCK:
        if key in _CACHE:
            return _CACHE[key]
        if resolved == MEMORY:
            opened: BaseStorage = InMemoryStorage()
        elif "://" in resolved:
            rdb = _open_rdb(resolved, readonly, heartbeat_interval, grace_period)
            if rdb is None:  # read-only, and no store there yet: empty, not cached
                return InMemoryStorage()
            opened = rdb
        else:
            opened = _open_journal(resolved, readonly)
        _CACHE[key] = opened
        return opened


def _open_rdb(
    url: str, readonly: bool, heartbeat_interval: int | None, grace_period: int | None
) -> RDBStorage | None:
    if readonly and not _rdb_has_tables(url):
        return None
    attempts = 3  # workers that open a new database at once race to create its tables
    for attempt in range(attempts):
        try:
            with warnings.catch_warnings():  # heartbeats are "experimental" in Optuna
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                return RDBStorage(
                    url,
                    engine_kwargs={"pool_pre_ping": True},
                    heartbeat_interval=heartbeat_interval,
                    grace_period=grace_period,
                    heartbeat_stale_trial_callback=retry_resumable,
                    skip_table_creation=readonly,
                    skip_compatibility_check=readonly,
                )
        except ImportError as error:
            raise _missing_driver(url, error) from error
        except Exception as error:
            if _lost_creation_race(error) and attempt < attempts - 1:
                continue
            raise _unreachable(url, error) from error
    raise AssertionError("unreachable")  # pragma: no cover


def _rdb_has_tables(url: str) -> bool:
    """Whether the database at ``url`` holds Optuna's tables; creates nothing."""
    import sqlalchemy

    try:
        engine_url = sqlalchemy.engine.make_url(url)
    except Exception as error:
        raise _unreachable(url, error) from error
    if engine_url.get_backend_name() == "sqlite":
        database = engine_url.database or ""
        if database in ("", ":memory:") or not Path(database).is_file():
            return False
        # SQLite would create a missing file; read-only mode guarantees it writes nothing
        engine_url = engine_url.set(database=f"file:{database}?mode=ro", query={"uri": "true"})
    try:
        engine = sqlalchemy.create_engine(engine_url)
    except ImportError as error:
        raise _missing_driver(url, error) from error
    except Exception as error:
        raise _unreachable(url, error) from error
    try:
        with engine.connect() as connection:
            return bool(sqlalchemy.inspect(connection).has_table("studies"))
    except ImportError as error:
        raise _missing_driver(url, error) from error
    except Exception as error:
        raise _unreachable(url, error) from error
    finally:
        engine.dispose()


def _missing_driver(url: str, error: ImportError) -> StorageError:
    module = _missing_module(error)
    dialect = kind_of(url)
    fix = (
        "pip install 'workbench[postgres]' (psycopg 3, which a plain postgresql:// URL uses)"
        if dialect == "postgresql" and module.split(".")[0] == "psycopg"
        else f"install the Python package that provides the module {module!r}"
    )
    return StorageError(
        f"The store {hide_password(url)!r} needs the database driver module {module!r}, which "
        f"is not installed: {fix}."
    )


def _missing_module(error: BaseException) -> str:
    """The module an ImportError (or the one it wraps, as Optuna's does) failed to import."""
    seen: BaseException | None = error
    while seen is not None:
        name = getattr(seen, "name", None)
        if isinstance(seen, ImportError) and name:
            return str(name)
        seen = seen.__cause__ or seen.__context__
    return str(error)


def _unreachable(url: str, error: BaseException) -> StorageError:
    first_line = str(error).splitlines()[0] if str(error) else ""
    return StorageError(
        f"Cannot reach the store {hide_password(url)!r}: {type(error).__name__}: "
        f"{first_line}. Check that the server runs and the URL "
        f"(dialect://user:password@host:port/database) is right, or leave ${ENV_VAR} unset "
        f"to use the embedded store under {DEFAULT_DIRECTORY}/."
    )


def _lost_creation_race(error: Exception) -> bool:
    from sqlalchemy.exc import IntegrityError, ProgrammingError

    return isinstance(error, IntegrityError | ProgrammingError) and (
        "already exists" in str(error) or "duplicate key" in str(error)
    )


def prepare_journal(path: str, *, readonly: bool) -> bool:
    """Make a journal file ready to open; return whether this user may write it.

    Writable opens create the file (and its folder) and set a cut last line aside; read-only
    ones touch nothing.
    """
    file = Path(path)
    if readonly:
        return False
    if not file.exists():
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
            file.touch()
        except OSError as error:
            raise StorageError(
                f"Cannot open the journal file {path!r}: {error.strerror or error}. Choose a "
                f"writable directory, or set ${ENV_VAR} to a database URL."
            ) from error
    writable = os.access(file, os.W_OK)
    if writable:
        JournalBackend(path, writable=True)  # sets a cut last line aside
    return writable


def _open_journal(path: str, readonly: bool) -> BaseStorage:
    writable = prepare_journal(path, readonly=readonly)
    try:
        return JournalStorage(JournalBackend(path, writable=writable))
    except OSError as error:
        raise StorageError(
            f"Cannot read the journal file {path!r}: {error.strerror or error}. Check its "
            f"permissions, or set ${ENV_VAR} to another store."
        ) from error


def journal_path(storage: BaseStorage) -> str | None:
    """The file behind a journal file storage, or None for any other storage."""
    if isinstance(storage, JournalStorage):
        backend = getattr(storage, "_backend", None)
        if isinstance(backend, JournalBackend):
            return backend.path
        file_path = getattr(backend, "_file_path", None)  # Optuna's own file backend
        if isinstance(file_path, str):
            return file_path
    return None
