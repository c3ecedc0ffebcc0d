"""Which function draws each kind of object as HTML in a notebook, named by dotted path.

The core asks here when a notebook displays a step or a plain-data result; ``workbench``'s
``__init__`` registers the views. Nothing is imported until a notebook asks.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

#: display kind -> "module:function" taking the object and returning HTML
_RENDERERS: dict[str, str] = {}


def register_html_renderer(kind: str, target: str) -> None:
    """Name the function (``"package.module:function"``) that draws objects of ``kind``
    (``"step"``, ``"space"``, ``"fitted_attributes"``, ``"description"``) as HTML."""
    module, separator, function = target.partition(":")
    if not separator or not module or not function:
        raise ValueError(f"A renderer is named as 'package.module:function', but got {target!r}.")
    _RENDERERS[kind] = target


def html_renderer(kind: str) -> Callable[[Any], str] | None:
    """The registered renderer of ``kind``, imported now, or None."""
    target = _RENDERERS.get(kind)
    if target is None:
        return None
    module, _, function = target.partition(":")
    renderer: Callable[[Any], str] = getattr(importlib.import_module(module), function)
    return renderer
