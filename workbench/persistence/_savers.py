"""Savers: how one step becomes bytes and comes back, and the registry that picks them.

Every leaf step is saved by a saver: the one registered for its class (or a base class), else
:class:`SkopsSaver`, the secure default. Composites (Pipeline, Choose, ...) are not saved by a
saver: the file format walks them and saves their children one by one.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import pickle
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextvars import ContextVar
from typing import Any

from workbench._internal.optional import optional_import
from workbench.core.authoring import (
    Composite,
    distribution_from_dict,
    distribution_to_dict,
    fitted_attributes_of,
)
from workbench.exceptions import (
    InvalidSaverError,
    PersistenceError,
    UnknownSaverError,
    UnsavableStepError,
)

# Built-in savers for classes of other subpackages, by public name: resolved only once their
# module is imported, so that saving never imports torch.
_LAZY_CLASSES = {"workbench.training.TorchStep": ("workbench.training", "TorchStep")}


def qualified_name(cls: Any) -> str:
    """``module.QualName`` of a class, the name files and trust lists use."""
    return f"{cls.__module__}.{cls.__qualname__}"


class Saver:
    """Base of savers: turns one step into bytes, and bytes back into a step.

    Subclass it for a step that pickle cannot handle (a C++ handle, an open file, a lock, a
    GPU model) and register it with :func:`register_saver`. ``dump`` runs when a pipeline is
    saved or shipped to a worker; ``load`` gets the bytes back with the step's class.

    Examples
    --------
    >>> import json
    >>> class Counter:
    ...     def __init__(self, start=0):
    ...         self.start = start
    >>> class CounterSaver(Saver):
    ...     def dump(self, step):
    ...         return json.dumps({"start": step.start}).encode()
    ...     def load(self, data, *, step_class, trusted=()):
    ...         return step_class(**json.loads(data))
    >>> saver = CounterSaver()
    >>> saver.load(saver.dump(Counter(3)), step_class=Counter).start
    3
    """

    def dump(self, step: Any) -> bytes:
        """The bytes that :meth:`load` turns back into ``step``."""
        raise NotImplementedError(f"{type(self).__name__} must define dump(step) -> bytes.")

    def load(self, data: bytes, *, step_class: type, trusted: Sequence[str] = ()) -> Any:
        """A step of ``step_class`` equal to the one :meth:`dump` saw."""
        raise NotImplementedError(
            f"{type(self).__name__} must define load(data, *, step_class, trusted)."
        )

    def untrusted_types(self, data: bytes) -> list[str]:
        """Types that :meth:`load` would build and nobody trusted yet (none by default)."""
        return []

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class SkopsSaver(Saver):
    """The default saver: scikit-learn's secure format, skops, which loads trusted types only.

    scikit-learn, NumPy and SciPy types are trusted by skops; Workbench's own step classes and
    Optuna's distributions (:data:`TRUSTED_TYPES`) are trusted by Workbench; any other type must
    be trusted explicitly with ``load(path, trusted=[...])``. Before dumping, the step must
    pickle: skops follows pickle's protocol, so a step pickle cannot handle needs a saver of
    its own.

    Examples
    --------
    >>> from sklearn.preprocessing import StandardScaler
    >>> saver = SkopsSaver()
    >>> saver.load(saver.dump(StandardScaler(with_mean=False)), step_class=StandardScaler)
    StandardScaler(with_mean=False)
    """

    def dump(self, step: Any) -> bytes:
        check_picklable(step)
        return skops_io().dumps(step)

    def load(
        self, data: bytes, *, step_class: type | None = None, trusted: Sequence[str] = ()
    ) -> Any:
        return skops_loads(data, trusted)

    def untrusted_types(self, data: bytes) -> list[str]:
        return skops_untrusted(data)


class FittedStateSaver(Saver):
    """Saves a step's hyperparams, its space and its fitted attributes (``name_``), nothing else.

    Made for steps that hold a resource (a handle, a file, a lock, a device): the resource is
    left behind, and the loaded step acquires a new one at its next ``setup()`` or first use.
    The values go through skops, so loading them is as safe as loading a scikit-learn model.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.preprocessing import StandardScaler
    >>> saver = FittedStateSaver()
    >>> scaler = StandardScaler().fit(np.array([[1.0], [3.0]]))
    >>> saver.load(saver.dump(scaler), step_class=StandardScaler).mean_
    array([2.])
    """

    def dump(self, step: Any) -> bytes:
        state: dict[str, Any] = {
            "params": step.get_params(deep=False),
            "fitted": fitted_attributes_of(step),
        }
        state["space"] = _plain_space(step)
        try:
            return encode_state(state)
        except Exception as error:
            raise UnsavableStepError(
                f"FittedStateSaver could not save the hyperparams or fitted attributes of "
                f"{type(step).__name__}: {error}. Write a Saver of your own for it."
            ) from error

    def load(self, data: bytes, *, step_class: type, trusted: Sequence[str] = ()) -> Any:
        state = decode_state(data, trusted, where=step_class.__name__)
        learned = [
            name
            for name in state["fitted"]
            if not (isinstance(name, str) and name.endswith("_") and not name.startswith("_"))
        ]
        if learned:  # only fitted attributes (name_) come back: never __class__ or a method
            raise PersistenceError(
                f"The saved state of a {step_class.__name__} names attributes that are not "
                f"fitted attributes (name_): {learned}. The file was tampered with."
            )
        step = step_class(**state["params"])
        for name, value in state["fitted"].items():
            setattr(step, name, value)
        _restore_space(step, state["space"])
        return step

    def untrusted_types(self, data: bytes) -> list[str]:
        return skops_untrusted(data)


class TorchStepSaver(Saver):
    """Saves ``workbench.training.TorchStep``: its hyperparams, its space and its state dicts.

    The state (``step.state_dict()``: module and optimizer tensors, fitted metadata) goes
    through ``torch.save`` and comes back through ``torch.load(weights_only=True)``, which
    builds tensors and plain containers only; the hyperparams go through skops, so a module
    factory of your own is an untrusted type until you trust it. Loading rebuilds the module
    from the hyperparams and loads the state into it. torch is imported only when such a step
    is saved or loaded.
    """

    def dump(self, step: Any) -> bytes:
        torch_state = None
        if hasattr(step, "module_"):
            torch = _import_torch()
            buffer = io.BytesIO()
            torch.save(step.state_dict(), buffer)
            torch_state = buffer.getvalue()
        state: dict[str, Any] = {
            "params": step.get_params(deep=False),
            "space": _plain_space(step),
            "torch_state": torch_state,
        }
        return encode_state(state)

    def load(self, data: bytes, *, step_class: type, trusted: Sequence[str] = ()) -> Any:
        state = decode_state(data, trusted, where=step_class.__name__)
        step = step_class(**state["params"])
        _restore_space(step, state["space"])
        if state["torch_state"] is not None:
            torch = _import_torch()
            torch_state = torch.load(io.BytesIO(state["torch_state"]), weights_only=True)
            step.load_state_dict(torch_state)
        return step

    def untrusted_types(self, data: bytes) -> list[str]:
        return skops_untrusted(data)


def _plain_space(step: Any) -> dict[str, Any] | None:
    if not hasattr(step, "get_hyperparams_space"):
        return None
    return {
        name: distribution_to_dict(distribution)
        for name, distribution in step.get_hyperparams_space().items()
    }


def _restore_space(step: Any, space: dict[str, Any] | None) -> None:
    if space is None or not hasattr(step, "set_hyperparams_space"):
        return
    values: dict[str, Any] = {name: distribution_from_dict(data) for name, data in space.items()}
    for name in step.get_hyperparams_space():
        values.setdefault(name, None)  # removed from the space when saved
    step.set_hyperparams_space(values)


# -- skops with Workbench's trust ---------------------------------------------------------------
def skops_io() -> Any:
    """``skops.io``, imported on first use: it imports every optional array library (torch)."""
    import skops.io

    return skops.io


def pickle_dumps(obj: Any) -> bytes:
    """cloudpickle bytes, for shipping to this session's own workers only (never files)."""
    import cloudpickle  # a dependency of joblib

    return cloudpickle.dumps(obj, protocol=5)


_SHIPPING: ContextVar[bool] = ContextVar("workbench_shipping", default=False)
_PICKLED = b"pickle:"  # skops data is a zip and starts with b"PK"


@contextlib.contextmanager
def shipping() -> Iterator[None]:
    """Within: built-in savers encode plain state as pickles, for the session's own workers."""
    token = _SHIPPING.set(True)
    try:
        yield
    finally:
        _SHIPPING.reset(token)


def encode_state(state: Any) -> bytes:
    """Plain state (params, arrays, ...) as skops bytes, or as a pickle while shipping."""
    check_picklable(state)
    if _SHIPPING.get():
        return _PICKLED + pickle_dumps(state)
    return skops_io().dumps(state)


def decode_state(data: bytes, trusted: Sequence[str], *, where: str = "a step") -> Any:
    """Inverse of :func:`encode_state`; a pickle opens only while shipping, never from files."""
    if data.startswith(_PICKLED):
        if not _SHIPPING.get():
            raise PersistenceError(
                f"The saved data of {where} is a pickle, and Workbench never loads pickles from "
                f"files. The file was not written by workbench.persistence.save(), or was "
                f"tampered with."
            )
        return pickle.loads(data[len(_PICKLED) :])
    return skops_loads(data, trusted)


#: What ``load()`` trusts without being told, beyond skops' own list (scikit-learn, NumPy,
#: SciPy): the Workbench step classes that saved files hold, and Optuna's distributions. Classes
#: only, each by name: never a function and never a whole namespace, since skops calls what a
#: file names (a function of the package, such as the one that opens steps shipped to workers,
#: would run with the file's data as its arguments).
TRUSTED_TYPES = (
    "optuna.distributions.CategoricalDistribution",
    "optuna.distributions.FloatDistribution",
    "optuna.distributions.IntDistribution",
    "workbench.core._choose.Choose",
    "workbench.core._pipeline.Pipeline",
    "workbench.core._train_only.TrainOnly",
    "workbench.parallel._transform.ParallelTransform",
    "workbench.parallel._union.ParallelUnion",
    "workbench.training._foreach.Flatten",
    "workbench.training._foreach.ForEach",
    "workbench.training._targets.InputAsTarget",
    "workbench.training._targets.NextValueTarget",
    "workbench.training._targets.TransformTarget",
    "workbench.training._torch.TorchStep",
)
_TRUSTED = frozenset(TRUSTED_TYPES)


def trusted_by_workbench(name: str) -> bool:
    """Whether ``name`` is one of :data:`TRUSTED_TYPES`, which files load without ``trusted=``."""
    return name in _TRUSTED


def trusted_names(trusted: Iterable[str | type]) -> tuple[str, ...]:
    """The type names ``trusted`` stands for, plus the classes with a saver registered here.

    A class (or function) counts under both names files give it: ``module.QualName`` in the
    manifest and ``module.Name`` in skops data (they differ for a nested class).
    """
    if isinstance(trusted, str | type):
        raise TypeError(
            f"trusted= takes a list of type names or classes, but got {trusted!r}; pass "
            f"trusted=[{trusted if isinstance(trusted, str) else trusted.__name__!r}]."
        )
    names: list[str] = []
    for entry in trusted:
        if isinstance(entry, str):
            names.append(entry)
        elif isinstance(entry, type) or inspect.isfunction(entry):
            names.extend(_names_of(entry))
        else:
            raise TypeError(
                f"trusted= takes type names ('module.Class'), classes or functions, but got "
                f"{entry!r} "
                f"({type(entry).__name__}). get_untrusted_types(path) lists the names a file "
                f"needs."
            )
    for registered, _ in _resolved_registry():
        names.extend(_names_of(registered))
    return tuple(dict.fromkeys(names))


def _names_of(cls: Any) -> tuple[str, str]:
    return qualified_name(cls), f"{cls.__module__}.{cls.__name__}"


def skops_untrusted(data: bytes) -> list[str]:
    """Types in skops ``data`` that neither skops nor Workbench trusts."""
    try:
        found = skops_io().get_untrusted_types(data=data)
    except Exception as error:
        raise PersistenceError(
            f"A saved step is corrupted: skops cannot read it ({error})."
        ) from error
    return sorted(name for name in found if not trusted_by_workbench(name))


def skops_loads(data: bytes, trusted: Sequence[str]) -> Any:
    """skops.loads trusting :data:`TRUSTED_TYPES` and ``trusted``; skops audits every type the
    data names before it builds anything."""
    return skops_io().loads(data, trusted=[*TRUSTED_TYPES, *trusted])


class _NullWriter:
    def write(self, data: Any) -> int:
        return len(data)


def check_picklable(step: Any) -> None:
    """Raise UnsavableStepError if pickle cannot handle ``step`` (arrays are not copied)."""
    pickler = pickle.Pickler(_NullWriter(), protocol=5, buffer_callback=lambda buffer: None)
    try:
        pickler.dump(step)
    except Exception as error:
        raise UnsavableStepError(
            f"{type(step).__name__} cannot be saved: it has no saver and pickle cannot handle "
            f"it ({error})."
        ) from error


# -- the registry --------------------------------------------------------------------------------
_REGISTRY: dict[type | str, Saver] = {"workbench.training.TorchStep": TorchStepSaver()}


def register_saver(step_class: type, saver: Saver) -> None:
    """Save and ship every step of ``step_class`` (and its subclasses) with ``saver``.

    Register it before saving and before loading a file that holds such steps: loading finds
    the saver by the class name written in the file. Registering again replaces the saver.

    Examples
    --------
    >>> from workbench import Step
    >>> class Handle(Step):
    ...     holds_resources = True
    >>> register_saver(Handle, FittedStateSaver())
    >>> saver_for(Handle())
    FittedStateSaver()
    >>> unregister_saver(Handle)
    """
    if not isinstance(step_class, type):
        raise InvalidSaverError(
            f"register_saver() needs a class as its first argument, but got {step_class!r}; "
            f"pass type(step) to register a saver for a step."
        )
    if not isinstance(saver, Saver):
        raise InvalidSaverError(
            f"register_saver() needs a workbench.persistence.Saver (with dump and load), but "
            f"got {saver!r}. Subclass Saver, or use FittedStateSaver()."
        )
    _REGISTRY[step_class] = saver


def unregister_saver(step_class: type) -> None:
    """Forget your saver for ``step_class`` (a built-in saver for it then applies again)."""
    keys: list[type | str] = [step_class] if step_class in _REGISTRY else []
    keys = keys or [key for key in _REGISTRY if _resolve(key) is step_class]  # a built-in
    if not keys:
        names = [key if isinstance(key, str) else qualified_name(key) for key in _REGISTRY]
        raise UnknownSaverError(
            f"No saver is registered for {qualified_name(step_class)!r}; savers are registered "
            f"for {sorted(names)}."
        )
    for key in keys:
        del _REGISTRY[key]


def _resolve(key: type | str) -> type | None:
    if isinstance(key, type):
        return key
    module_name, attribute = _LAZY_CLASSES[key]
    module = sys.modules.get(module_name)
    cls = getattr(module, attribute, None) if module is not None else None
    return cls if isinstance(cls, type) else None


def _resolved_registry() -> list[tuple[type, Saver]]:
    """``(class, saver)`` pairs; a class registered by the user wins over a built-in entry."""
    found: dict[type, Saver] = {}
    for key, saver in sorted(_REGISTRY.items(), key=lambda item: isinstance(item[0], type)):
        cls = _resolve(key)
        if cls is not None:
            found[cls] = saver
    return list(found.items())


def registered_saver(step: Any) -> tuple[type, Saver] | None:
    """The ``(registered class, saver)`` for ``step``'s class or its nearest base, or None."""
    entries = _resolved_registry()
    for cls in type(step).__mro__:
        for registered, saver in entries:
            if registered is cls:
                return registered, saver
    return None


def registered_class(name: str) -> tuple[type, Saver] | None:
    """The registered ``(class, saver)`` whose class is called ``name`` in files, or None."""
    for key, (module_name, _) in _LAZY_CLASSES.items():
        if key in _REGISTRY and module_name not in sys.modules and name in _TRUSTED:
            __import__(module_name)  # a file names a built-in class of ours (a fixed module)
    for registered, saver in _resolved_registry():
        if qualified_name(registered) == name:
            return registered, saver
    return None


def holds_resources(step: Any) -> bool:
    """Whether ``step`` is a leaf that declares ``holds_resources = True``."""
    return bool(getattr(type(step), "holds_resources", False)) and not isinstance(step, Composite)


def saver_for(step: Any) -> Saver:
    """The saver that would save ``step``: the registered one; else :class:`FittedStateSaver`
    for a step that declares ``holds_resources = True``; else :class:`SkopsSaver`.

    Examples
    --------
    >>> from sklearn.preprocessing import StandardScaler
    >>> from workbench import Step
    >>> class Handle(Step):
    ...     holds_resources = True
    >>> saver_for(Handle()), saver_for(StandardScaler())
    (FittedStateSaver(), SkopsSaver())
    """
    found = registered_saver(step)
    if found is not None:
        return found[1]
    return FittedStateSaver() if holds_resources(step) else SkopsSaver()


def _import_torch() -> Any:
    return optional_import("torch", extra="torch", needed_by="Saving or loading a TorchStep")
