"""Kept trials, extended trials and study versions, as the store records them.

A *kept* trial's fitted pipeline is an Optuna artifact of that trial; which trials are kept now
(a kept pipeline is deleted when better trials push it out) is recorded in the study's user
attributes, one key per kept trial, so that every worker may add or remove one at any time and
a reader learns it with the study's attributes alone::

    workbench:kept:<number>  -> {"artifact_id", "bytes", "sha256", "fitted_on", "store"}, or
                                None once removed ("store": where the artifact is)
    workbench:version        -> {"base", "version", "from", "reused"} on a study version >= 2
    workbench:extends        -> (a trial's user attribute) the number of the trial it extends
    workbench:resumes        -> (a trial's user attribute) the number of the trial whose worker
                                died and that this retry resumes from its epoch checkpoint
    workbench:checkpoint     -> (a trial's system attribute) where a retry of the trial resumes:
                                {"epoch": 0} before its first epoch ends, then its last epoch
                                checkpoint {"artifact_id", "sha256", "bytes", "epoch", "store",
                                "replaces"};
                                None once the trial ended (see ``workbench.tuning._resume``)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

KEPT_PREFIX = "workbench:kept:"
VERSION_KEY = "workbench:version"
EXTENDS_KEY = "workbench:extends"
RESUMES_KEY = "workbench:resumes"
CHECKPOINT_KEY = "workbench:checkpoint"
VERSION_SEPARATOR = "@"


def kept_key(number: int) -> str:
    """The study attribute that records trial ``number``'s kept pipeline."""
    return f"{KEPT_PREFIX}{int(number)}"


def kept_pipelines(attrs: Mapping[str, Any]) -> dict[int, dict[str, Any]]:
    """Trial number -> what is recorded of its kept pipeline, for the trials kept now.

    Examples
    --------
    >>> kept_pipelines({"workbench:kept:3": {"bytes": 10}, "workbench:kept:1": None})
    {3: {'bytes': 10}}
    """
    kept = {}
    for key, value in attrs.items():
        if key.startswith(KEPT_PREFIX) and isinstance(value, Mapping):
            suffix = key[len(KEPT_PREFIX) :]
            if suffix.isdigit():
                kept[int(suffix)] = dict(value)
    return dict(sorted(kept.items()))


def kept_bytes(attrs: Mapping[str, Any]) -> int:
    """The bytes the study's kept pipelines take in their artifact store."""
    return sum(int(info.get("bytes") or 0) for info in kept_pipelines(attrs).values())


def version_name(base: str, version: int) -> str:
    """The name of version ``version`` of the study ``base`` (version 1 is ``base`` itself).

    Examples
    --------
    >>> version_name("digits", 1), version_name("digits", 2)
    ('digits', 'digits@2')
    """
    return base if version == 1 else f"{base}{VERSION_SEPARATOR}{int(version)}"


def split_version(name: str) -> tuple[str, int]:
    """``(base, version)`` of a study name (``"digits@2"`` -> ``("digits", 2)``).

    Examples
    --------
    >>> split_version("digits@3"), split_version("digits")
    (('digits', 3), ('digits', 1))
    """
    base, separator, suffix = name.rpartition(VERSION_SEPARATOR)
    if separator and suffix.isdigit() and int(suffix) >= 2 and base:
        return base, int(suffix)
    return name, 1


def format_bytes(size: int) -> str:
    """A size as people read it: ``"812 B"``, ``"1.5 kB"``, ``"3.2 MB"``.

    Examples
    --------
    >>> format_bytes(812), format_bytes(1500), format_bytes(3_200_000)
    ('812 B', '1.5 kB', '3.2 MB')
    """
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"  # pragma: no cover
