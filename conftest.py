"""Root of the suite: tests/ and the doctests under workbench/ both start here."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

# scikit-learn's estimator checks include one that runs with array API dispatch on NumPy
# inputs; SciPy reads this switch when first imported, so it is set before anything imports it.
os.environ.setdefault("SCIPY_ARRAY_API", "1")


@pytest.fixture(scope="session", autouse=True)
def _private_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Runs and studies the suite records (doctests included) go to a temporary store, never
    into the checkout. Tests of the default store (``.workbench/`` in the working directory)
    unset ``WORKBENCH_STORAGE`` with ``monkeypatch.delenv``."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WORKBENCH_STORAGE", str(tmp_path_factory.mktemp("store") / "journal.log"))
        yield


@pytest.fixture(autouse=True)
def _fresh_memory_store() -> Iterator[None]:
    """Each test (doctests included) starts with an empty ``":memory:"`` store, as a new process
    does: a study of one test never becomes the study another test resumes, whichever tests
    share a worker."""
    from workbench.store import _open

    def forget() -> None:
        with _open._CACHE_LOCK:
            for key in [key for key in _open._CACHE if key[0] == _open.MEMORY]:
                del _open._CACHE[key]

    forget()
    yield
    forget()
