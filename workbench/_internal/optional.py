"""Optional dependencies (torch, dask), imported where they are needed, never at import time."""

from __future__ import annotations

import importlib
from types import ModuleType


def optional_import(module: str, *, extra: str, needed_by: str) -> ModuleType:
    """``module``, imported; or an ImportError that names the extra that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ImportError(
            f"{needed_by} needs {module!r}, which is not installed. Install the extra: "
            f"pip install 'workbench[{extra}]'."
        ) from error
