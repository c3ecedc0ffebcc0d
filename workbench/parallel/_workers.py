"""Running work on steps in joblib workers: shipping steps as savers' bytes, chunks, errors.

Steps travel to process workers packed by ``workbench.persistence.pack`` (their savers' bytes,
plus the registered savers and ``__main__`` classes a fresh process lacks), never as plain
pickles of the steps. Threads and in-process runs use the steps as they are.
"""

from __future__ import annotations

import math
import traceback
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import joblib
import numpy as np

from workbench._internal.names import did_you_mean
from workbench._internal.optional import optional_import
from workbench.core.authoring import Composite, join_path
from workbench.exceptions import HyperparamError, ParallelError
from workbench.persistence import Packed, pack

BACKENDS = ("loky", "multiprocessing", "threading", "sequential", "dask")
_IN_PROCESS = ("threading", "sequential")
_OPENED: OrderedDict[str, Any] = OrderedDict()  # per worker process: recently unpacked steps
_OPENED_SIZE = 4


def check_n_jobs(n_jobs: Any) -> None:
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int | np.integer) or n_jobs == 0:
        raise HyperparamError(
            f"n_jobs must be a non-zero integer (joblib's convention: -1 for every core, 2 for "
            f"two workers), but got {n_jobs!r}."
        )


def check_backend(backend: Any) -> None:
    if backend not in BACKENDS:
        raise HyperparamError(
            f"backend must be one of {list(BACKENDS)}, but got {backend!r}."
            f"{did_you_mean(str(backend), BACKENDS, n=1)}"
        )


def check_chunk_size(chunk_size: Any) -> None:
    if chunk_size is None:
        return
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int | np.integer):
        raise HyperparamError(
            f"chunk_size must be a number of rows >= 1, or None for one chunk per worker, but "
            f"got {chunk_size!r}."
        )
    if chunk_size < 1:
        raise HyperparamError(
            f"chunk_size must be >= 1 row, but got {chunk_size!r}. Pass None for one chunk per "
            f"worker."
        )


def effective_n_jobs(n_jobs: int, backend: str) -> int:
    """How many workers joblib would use."""
    if backend == "sequential":
        return 1
    _check_dask(backend)
    with joblib.parallel_config(backend=backend):
        return int(joblib.effective_n_jobs(n_jobs))


def _check_dask(backend: str) -> None:
    if backend != "dask":
        return
    distributed = optional_import("distributed", extra="dask", needed_by="backend='dask'")
    try:
        distributed.get_client()
    except ValueError as error:
        raise ParallelError(
            "backend='dask' runs on the current dask.distributed Client, and there is none. "
            "Start one first: Client(LocalCluster()) on this machine, or "
            "Client('tcp://scheduler:8786') for a remote cluster."
        ) from error


def in_process(n_jobs: int, backend: str) -> bool:
    """Whether work runs in this process (threads or one job), where steps need no shipping."""
    return backend in _IN_PROCESS or (backend != "dask" and effective_n_jobs(n_jobs, backend) == 1)


def ship(step: Any, n_jobs: int, backend: str, *, path: str) -> Any:
    """What a task carries: the step itself in this process, else the step packed by savers."""
    if in_process(n_jobs, backend):
        return step
    check_classes_travel(step, path)
    return pack(step, describe=False, path=path, secure=False)


def check_classes_travel(step: Any, path: str) -> None:
    """Raise a ParallelError if a class of the tree defined in ``__main__`` cannot be pickled.

    Such classes (defined in a notebook or a script) reach worker processes by value, with the
    globals their code uses; joblib would only say that it could not pickle the task.
    """
    import cloudpickle  # a dependency of joblib

    nodes = [(path, step)]
    if isinstance(step, Composite):
        nodes += [(join_path(path, name), node) for name, node in step.walk()]
    checked: set[type] = set()
    for node_path, node in nodes:
        cls = type(node)
        if cls.__module__ != "__main__" or cls in checked:
            continue
        checked.add(cls)
        try:
            cloudpickle.dumps(cls)
        except Exception as error:
            raise ParallelError(_untravelled(cls, node_path, error)) from error


def _untravelled(cls: type, path: str, error: Exception) -> str:
    found = _unpicklable_global(cls)
    if found is None:
        what = "something its code refers to"
    else:
        name, value = found
        what = f"{name!r} (a {type(value).__module__}.{type(value).__qualname__})"
    return (
        f"Cannot ship the step at {path!r} ({cls.__name__}, defined in __main__: a notebook or "
        f"a script) to worker processes. Such a class travels by value with the globals its "
        f"code uses, and {what} cannot be pickled ({type(error).__name__}: {error}). Keep the "
        f"resource on the instance instead: declare holds_resources = True on {cls.__name__}, "
        f"create it in acquire_resources() and drop it in release_resources(), so that each "
        f"worker makes its own; or define {cls.__name__} in a module file and import it; or "
        f"run in this process with backend='threading'."
    )


def _unpicklable_global(cls: type) -> tuple[str, Any] | None:
    """The first global, or class attribute, of ``cls``'s own code that cloudpickle refuses."""
    for klass in cls.__mro__:
        if klass.__module__ != "__main__":
            continue
        for attribute, value in vars(klass).items():
            found: list[Any] = [getattr(value, "__func__", value)]  # a static or class method
            if isinstance(value, property):
                found = [value.fget, value.fset, value.fdel]
            functions = [function for function in found if hasattr(function, "__code__")]
            if not functions and not attribute.startswith("__") and not _pickles(value):
                return f"{klass.__name__}.{attribute}", value
            for function in functions:
                for name in _global_names(function.__code__):
                    candidate = function.__globals__.get(name, _pickles)
                    if candidate is not _pickles and not _pickles(candidate):
                        return name, candidate
    return None


def _pickles(value: Any) -> bool:
    import cloudpickle

    try:
        cloudpickle.dumps(value)
    except Exception:
        return False
    return True


def _global_names(code: Any) -> list[str]:
    names = list(code.co_names)
    for constant in code.co_consts:
        if hasattr(constant, "co_names"):
            names.extend(_global_names(constant))
    return names


def receive(shipped: Any) -> Any:
    """The step a task works on; packed steps are unpacked once per worker process."""
    if not isinstance(shipped, Packed):
        return shipped
    digest = shipped.digest
    step = _OPENED.get(digest)
    if step is None:
        step = shipped.unpack()
        _OPENED[digest] = step
        while len(_OPENED) > _OPENED_SIZE:
            _OPENED.popitem(last=False)
    else:
        _OPENED.move_to_end(digest)
    return step


#: Arrays larger than this reach process workers as memory maps rather than as bytes.
MEMMAP_ABOVE = "64M"


def run(
    tasks: Sequence[tuple[Callable[..., Any], tuple[Any, ...]]],
    *,
    n_jobs: int,
    backend: str,
    labels: Sequence[str],
) -> list[Any]:
    """Run ``(function, args)`` tasks with joblib; the first failure stops the others.

    ``labels`` say what each task does (``transform() of the step at 'step' on rows 0:50``),
    for the ParallelError raised when a worker process dies under a task.
    """
    if backend == "sequential" or len(tasks) == 1:
        return [function(*args) for function, args in tasks]
    _check_dask(backend)
    # joblib memory-maps inputs above 1 MB by default: writing them to a temporary folder cost
    # ~0.1 s a call for an 8 MB array (measured) where sending the bytes costs 0.01 s. Only
    # inputs large enough for copies to hurt go through memory maps.
    jobs = (joblib.delayed(function)(*args) for function, args in tasks)
    results: list[Any] = []  # in task order: the first task without a result was unfinished
    try:
        if backend == "dask":  # distributed's joblib backend is reached through parallel_config
            with joblib.parallel_config(backend=backend, n_jobs=n_jobs):
                results.extend(joblib.Parallel(return_as="generator")(jobs))
        else:
            parallel = joblib.Parallel(
                n_jobs=n_jobs, backend=backend, max_nbytes=MEMMAP_ABOVE, return_as="generator"
            )
            results.extend(parallel(jobs))
    except Exception as error:
        if not _worker_died(error):
            raise
        unfinished = labels[len(results) :]
        later = len(unfinished) - 1
        others = f" ({later} later task{'s' if later > 1 else ''} dropped)"
        raise ParallelError(
            f"A worker process died while running {unfinished[0]}"
            f"{others if len(unfinished) > 1 else ''}. It was killed from outside (out of "
            f"memory, a signal) or crashed in native code. Nothing here changed; run again, "
            f"with fewer n_jobs or a smaller chunk_size if memory ran out.\n\n"
            f"{type(error).__name__}: {error}"
        ) from error
    return results


def _worker_died(error: BaseException) -> bool:
    """joblib's loky (TerminatedWorkerError), multiprocessing, or dask's KilledWorker."""
    return isinstance(error, BrokenProcessPool) or type(error).__name__ == "KilledWorker"


def failure(error: BaseException, step: Any, *, prefix: str, doing: str) -> ParallelError:
    """A ParallelError naming the failing step's path, with the worker's traceback as text."""
    path = _failing_path(error, step, prefix)
    trace = "".join(traceback.format_exception(error))
    return ParallelError(
        f"{doing} failed in a worker at step {path!r} ({_class_at(step, path, prefix)}): "
        f"{type(error).__name__}: {error}\n\nWorker traceback:\n{trace}"
    )


def _failing_path(error: BaseException, step: Any, prefix: str) -> str:
    """The deepest step of the tree whose method was running when ``error`` was raised."""
    paths = {id(step): prefix}
    if isinstance(step, Composite):
        for path, node in step.walk():
            paths.setdefault(id(node), join_path(prefix, path))
    found = prefix
    tb = error.__traceback__
    while tb is not None:
        owner = tb.tb_frame.f_locals.get("self")
        if owner is not None and id(owner) in paths:
            found = paths[id(owner)]
        tb = tb.tb_next
    return found


def _class_at(step: Any, path: str, prefix: str) -> str:
    if path == prefix or not isinstance(step, Composite):
        return type(step).__name__
    relative = path[len(prefix) + 2 :] if prefix else path
    try:
        return type(step[relative]).__name__
    except Exception:
        return type(step).__name__


# -- chunks ---------------------------------------------------------------------------------
def plain_array(X: Any) -> Any:
    """joblib hands large arrays to processes as read-only ``np.memmap``; a step sees a plain
    ndarray (a view, no copy), as it would in this process: every operation on a memmap
    subclass pays for wrapping its result."""
    return np.asarray(X) if isinstance(X, np.memmap) else X


def num_rows(X: Any) -> int:
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape):
        return int(shape[0])
    return len(X)


def chunk_bounds(n_rows: int, chunk_size: int | None, n_workers: int) -> list[tuple[int, int]]:
    """``(start, stop)`` of each chunk: ``chunk_size`` rows, or one chunk per worker."""
    if n_rows == 0:
        return [(0, 0)]
    size = chunk_size or math.ceil(n_rows / max(n_workers, 1))
    return [(start, min(start + size, n_rows)) for start in range(0, n_rows, size)]


def take(X: Any, start: int, stop: int) -> Any:
    if hasattr(X, "iloc"):
        return X.iloc[start:stop]
    if isinstance(X, list | tuple | range) or hasattr(X, "shape"):
        return X[start:stop]
    return np.asarray(X)[start:stop]


def concat_rows(parts: list[Any]) -> Any:
    first = parts[0]
    if len(parts) == 1:
        return first
    if hasattr(first, "iloc"):
        import pandas as pd

        return pd.concat(parts)
    if hasattr(first, "tocsr") and hasattr(first, "nnz"):
        import scipy.sparse

        return scipy.sparse.vstack(parts, format=first.format)
    return np.concatenate([np.asarray(part) for part in parts], axis=0)


def concat_columns(parts: list[Any]) -> Any:
    if any(hasattr(part, "tocsr") and hasattr(part, "nnz") for part in parts):
        import scipy.sparse

        return scipy.sparse.hstack(parts).tocsr()
    if all(hasattr(part, "iloc") for part in parts):
        import pandas as pd

        return pd.concat(parts, axis=1)
    return np.hstack([np.asarray(part).reshape(num_rows(part), -1) for part in parts])
