"""The manifest's frame: the format's name and version, the library versions it records, and
the check that a manifest is one this version reads."""

from __future__ import annotations

import functools
import platform
import sys
from importlib import metadata
from typing import Any

from workbench.exceptions import PersistenceError

FORMAT = "workbench-pipeline"
FORMAT_VERSION = 2  # 2: steps that hold resources saved by FittedStateSaver without registering
BATCH = "nodes/skops"  # one skops blob for every node without a registered saver
_LIBRARIES = ("workbench", "numpy", "scipy", "scikit-learn", "skops", "joblib", "optuna", "pandas")


def versions() -> dict[str, str]:
    """Versions of Python and of the libraries a file depends on (torch once imported)."""
    found = dict(_library_versions())
    if "torch" in sys.modules:
        found.update(_torch_version())
    return found


@functools.cache
def _torch_version() -> dict[str, str]:
    try:
        return {"torch": metadata.version("torch")}
    except metadata.PackageNotFoundError:
        return {}


@functools.cache
def _library_versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in _LIBRARIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def check_manifest(manifest: Any, where: str) -> dict[str, Any]:
    """Raise a PersistenceError unless ``manifest`` is one this version can read."""
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        got = manifest.get("format") if isinstance(manifest, dict) else type(manifest).__name__
        raise PersistenceError(
            f"{where} is not a Workbench pipeline file: expected a manifest with format "
            f"{FORMAT!r}, but got {got!r}. Save pipelines with workbench.persistence.save()."
        )
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION or version < 1:
        saved_with = manifest.get("versions", {}).get("workbench", "an unknown version")
        raise PersistenceError(
            f"{where} uses file format version {version!r} (saved by workbench "
            f"{saved_with}); this workbench reads versions 1 to {FORMAT_VERSION}. Load it with "
            f"the workbench version that saved it, or upgrade workbench."
        )
    listed = manifest.get("members")
    if not isinstance(listed, dict) or not all(
        isinstance(name, str) and isinstance(entry, dict) and isinstance(entry.get("sha256"), str)
        for name, entry in listed.items()
    ):
        raise corrupted(where, "its manifest does not list its saved data with checksums")
    if not isinstance(manifest.get("root"), dict):
        raise corrupted(where, "its manifest has no root step")
    return manifest


def corrupted(where: str, problem: str) -> PersistenceError:
    """The error for a file whose content is not what Workbench writes."""
    return PersistenceError(
        f"{where} is corrupted or was tampered with: {problem}. Save the pipeline again with "
        f"workbench.persistence.save()."
    )
