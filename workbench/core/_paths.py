"""Paths: ``encoder__pca__n_components`` names a hyperparameter, ``encoder__pca`` a step."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from workbench.exceptions import StructureError

SEPARATOR = "__"


def join_path(prefix: str, name: str) -> str:
    """``join_path("encoder", "pca") == "encoder__pca"``; an empty prefix gives ``name``."""
    return f"{prefix}{SEPARATOR}{name}" if prefix else name


def check_step_names(owner: str, names: list[str], reserved: Iterable[str] = ()) -> None:
    """Raise a StructureError unless ``names`` are unique, non-empty strings without ``__``."""
    seen: set[str] = set()
    reserved = set(reserved)
    for name in names:
        if not isinstance(name, str) or not name:
            raise StructureError(
                f"Step names in {owner} must be non-empty strings, but got {name!r}."
            )
        if SEPARATOR in name:
            raise StructureError(
                f"Step name {name!r} in {owner} contains {SEPARATOR!r}, which separates paths "
                f"(encoder__pca__n_components). Rename it, for example to "
                f"{name.replace(SEPARATOR, '_')!r}."
            )
        if name.startswith("_") or name.endswith("_"):
            raise StructureError(
                f"Step name {name!r} in {owner} starts or ends with '_', which would make paths "
                f"ambiguous ('a_' + '__' + 'b' reads as 'a' + '__' + '_b'). Rename it, for "
                f"example to {name.strip('_') or 'step'!r}."
            )
        if name in reserved:
            raise StructureError(
                f"Step name {name!r} in {owner} is taken by a hyperparameter of {owner}; "
                f"choose another name."
            )
        if name in seen:
            raise StructureError(
                f"Step names must be unique within a level, but {name!r} appears twice in "
                f"{owner}. Rename one of them."
            )
        seen.add(name)


def nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    """Turn flat paths into nested dicts.

    Examples
    --------
    >>> nest({"model__forest__n_estimators": 100, "model__choice": "forest"})
    {'model': {'forest': {'n_estimators': 100}, 'choice': 'forest'}}
    """
    nested: dict[str, Any] = {}
    for path, value in flat.items():
        *heads, leaf = path.split(SEPARATOR)
        node = nested
        for head in heads:
            node = node.setdefault(head, {})
        node[leaf] = value
    return nested
