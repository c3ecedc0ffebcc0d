"""Each public surface exports exactly what its ``__all__`` says, and the user surface stays
apart from the authors' one (``workbench.core.authoring``)."""

from __future__ import annotations

import importlib
import types
from pathlib import Path

import pytest

import workbench

PACKAGE_ROOT = Path(workbench.__file__).parent


def _public_surfaces() -> list[str]:
    """Every public package of workbench, plus the public modules that are surfaces too."""
    names = ["workbench.core.authoring", "workbench.exceptions"]
    for init in PACKAGE_ROOT.rglob("__init__.py"):
        parts = init.parent.relative_to(PACKAGE_ROOT.parent).parts
        if not any(part.startswith("_") for part in parts):
            names.append(".".join(parts))
    return sorted(names)


def _isort_key(name: str) -> tuple[int, str]:
    """Constants, then classes, then functions: ruff's order for ``__all__`` (RUF022)."""
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


def _exported(module: types.ModuleType) -> set[str]:
    return {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and value is not annotations  # ``from __future__ import annotations`` binds a name
    }


@pytest.mark.parametrize("name", _public_surfaces())
def test_all_is_exactly_what_the_module_exports(name):
    module = importlib.import_module(name)
    declared = list(module.__all__)
    assert declared == sorted(declared, key=_isort_key), f"{name}.__all__ is not sorted"
    assert len(declared) == len(set(declared)), f"{name}.__all__ names something twice"
    for exported in declared:  # names a module's __getattr__ loads on first use come in now
        getattr(module, exported)
    assert set(declared) == _exported(module) | ({"__version__"} & set(declared))


def test_user_names_and_author_names_live_in_one_place_each():
    import workbench.core
    import workbench.core.authoring

    assert not set(workbench.core.__all__) & set(workbench.core.authoring.__all__)
    own = {"__version__", "load_ipython_extension"}
    assert set(workbench.__all__) - own <= set(workbench.core.__all__)
    assert {"fit_transform_step", "route_fit_params", "plain_value", "nest", "FitEmitter"} <= set(
        workbench.core.authoring.__all__
    )
