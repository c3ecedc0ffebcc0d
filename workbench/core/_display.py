"""Notebook display of steps and of plain-data results, without the core knowing any front end.

A notebook asks an object for ``_repr_mimebundle_``. The core answers with text/plain, always,
and adds text/html from a renderer that a higher layer registered by dotted name in
:mod:`workbench._internal.display` (``workbench/__init__.py`` registers the views). The
renderer is imported only when a notebook asks, and any failure in it leaves the text/plain
answer standing.
"""

from __future__ import annotations

import pprint
from collections.abc import Callable
from typing import Any

from workbench._internal.display import html_renderer


def safe_text(value: Any, fallback: Callable[[], str]) -> str:
    """``fallback()``'s text, or a one-line description of ``value`` when that raises."""
    try:
        return fallback()
    except Exception:
        return f"<{type(value).__name__} object (its repr failed)>"


def mimebundle(value: Any, kind: str, text: Callable[[], str]) -> dict[str, str]:
    """text/plain (never raising) plus text/html from the renderer of ``kind`` if it works."""
    bundle = {"text/plain": safe_text(value, text)}
    try:
        renderer = html_renderer(kind)
        if renderer is not None:
            bundle["text/html"] = renderer(value)
    except Exception:  # a broken renderer must not hide the object: text/plain stays
        pass
    return bundle


class _DisplayDict(dict):
    """A plain dict that a notebook draws as a compact table (its repr is a dict's)."""

    _display_kind = ""

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return mimebundle(self, self._display_kind, lambda: pprint.pformat(dict(self)))

    def __reduce__(self) -> Any:  # pickles and copies as the dict it is
        return (dict, (dict(self),))


class SpaceDict(_DisplayDict):
    """The flat space of a tree (path -> distribution), shown as a table by step."""

    _display_kind = "space"


class FittedAttributes(_DisplayDict):
    """Fitted attributes by step path, shown as a table of type, shape and dtype."""

    _display_kind = "fitted_attributes"


class Description(_DisplayDict):
    """``describe()``'s nested plain data, shown as the tree it describes."""

    _display_kind = "description"
