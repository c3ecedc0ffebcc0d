"""What ``workbench worker STUDY`` runs: a tuner and its data, loaded from a file or a module.

The worker then joins the study with :func:`~workbench.tuning.run_worker`.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

from workbench.exceptions import TuningError
from workbench.tuning._tuner import Tuner


def load_target(target: str, *, tuner_name: str = "tuner") -> tuple[Tuner, Any, Any]:
    """``(tuner, X, y)`` from ``path/to/file.py[:name]`` or ``package.module[:name]``.

    The module defines the tuner (default name ``tuner``) and the data as ``X`` and ``y``
    (``y`` may be missing for unsupervised pipelines). A notebook exported with
    ``jupyter nbconvert --to script`` works as it is, if its calls to ``optimize`` are left out
    or guarded by ``if __name__ == "__main__":``.
    """
    location, _, name = target.partition(":")
    name = name or tuner_name
    module = _import(location)
    if not hasattr(module, name):
        tuners = [key for key, value in vars(module).items() if isinstance(value, Tuner)]
        raise TuningError(
            f"{location!r} defines no {name!r}; its Tuner objects are {tuners or 'none'}. "
            f"Name one after a colon: {location}:<name>."
        )
    tuner = getattr(module, name)
    if not isinstance(tuner, Tuner):
        raise TuningError(
            f"{location}:{name} must be a workbench.tuning.Tuner, but got {type(tuner).__name__}."
        )
    if not hasattr(module, "X"):
        raise TuningError(
            f"{location!r} defines no data: the worker reads the training data from its "
            f"module-level X (and y)."
        )
    return tuner, module.X, getattr(module, "y", None)


def _import(location: str) -> Any:
    if location.endswith(".py") or os.sep in location:
        path = Path(location).resolve()
        if not path.is_file():
            raise TuningError(
                f"No study file {str(path)!r}. Pass a Python file (a notebook exported with "
                f"jupyter nbconvert --to script) or an importable module name."
            )
        spec = importlib.util.spec_from_file_location(f"workbench_study_{path.stem}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.path.insert(0, str(path.parent))
        try:
            spec.loader.exec_module(module)
        finally:
            sys.path.remove(str(path.parent))
        return module
    try:
        return importlib.import_module(location)
    except ModuleNotFoundError as error:
        raise TuningError(
            f"Cannot import the study module {location!r}: {error}. Pass a file path "
            f"(study.py) or a module on sys.path."
        ) from error
