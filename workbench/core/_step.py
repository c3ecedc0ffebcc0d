"""Step: hyperparams declared once (default + space), modes, lifecycle, introspection, events."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar, Self

from optuna.distributions import BaseDistribution
from sklearn.base import BaseEstimator

from workbench._internal.names import did_you_mean
from workbench.core import _tree
from workbench.core._callbacks import EVENTS, notify
from workbench.core._display import Description, FittedAttributes, SpaceDict, mimebundle
from workbench.core._introspection import describe_tree, fitted_attributes_of
from workbench.core._paths import nest
from workbench.core._space import Space, check_distribution
from workbench.exceptions import InvalidCallbackError, LifecycleError

_RESOURCE_METHODS = (
    "fit",
    "partial_fit",
    "fit_transform",
    "fit_resample",
    "transform",
    "inverse_transform",
    "predict",
    "predict_proba",
    "predict_log_proba",
    "decision_function",
    "score",
)


class Hyperparam:
    """Declares a hyperparameter of a :class:`Step`: its default and, optionally, its space.

    Parameters
    ----------
    default : object
        The constructor's default.
    space : Optuna distribution, optional
        Where a tuner searches.
    doc : str
        One line on what it does.
    strict : bool, default True
        Whether ``set_hyperparams`` refuses values outside ``space``. Pass False when the space
        is only where to search and the step takes other values too (a learning rate, a batch
        size): a built-in space never refuses a value the step accepts.

    Examples
    --------
    >>> from workbench import Step, floats
    >>> class Noise(Step):
    ...     scale = Hyperparam(0.1, space=floats(0.0, 1.0))
    ...     rate = Hyperparam(0.01, space=floats(1e-4, 1e-1, log=True), strict=False)
    >>> Noise().set_hyperparams(scale=0.3, rate=0.5).get_hyperparams()
    {'rate': 0.5, 'scale': 0.3}
    """

    def __init__(
        self,
        default: Any = None,
        *,
        space: BaseDistribution | None = None,
        doc: str = "",
        strict: bool = True,
    ):
        if space is not None:
            check_distribution("this hyperparameter", space)
        self.default = default
        self.space = space
        self.doc = doc
        self.strict = strict

    def __repr__(self) -> str:
        strict = "" if self.strict else ", strict=False"
        return f"Hyperparam({self.default!r}, space={self.space!r}{strict})"


def _make_init(cls: type, declared: dict[str, Hyperparam]) -> Callable[..., None]:
    def __init__(self: Any, **params: Any) -> None:  # noqa: N807 - becomes cls.__init__
        for name in params:
            if name not in declared:
                raise TypeError(
                    f"{cls.__name__}() got an unexpected hyperparameter {name!r}; it declares "
                    f"{sorted(declared)}.{did_you_mean(name, declared)}"
                )
        for name, hyperparam in declared.items():
            setattr(self, name, params.get(name, hyperparam.default))

    parameters = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    parameters += [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=hyperparam.default)
        for name, hyperparam in declared.items()
    ]
    __init__.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    return __init__


def _with_lazy_setup(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def wrapper(self: Step, *args: Any, **kwargs: Any) -> Any:
        if not self._is_set_up:
            self.setup()
        return method(self, *args, **kwargs)

    wrapper._workbench_lazy_setup = True  # type: ignore[attr-defined]
    return wrapper


class Step(BaseEstimator):
    """Base of steps written for Workbench.

    Declare hyperparameters as class attributes with :class:`Hyperparam`; the class then gets a
    scikit-learn compatible keyword-only constructor, ``get_params``/``set_params`` and a space.
    A step that holds resources (a device, a file, a thread pool) sets ``holds_resources = True``
    and overrides :meth:`acquire_resources`/:meth:`release_resources`; it is set up lazily on
    first use when nobody called :meth:`setup`.

    Examples
    --------
    >>> import numpy as np
    >>> from workbench import Hyperparam, Step, floats
    >>> class Scale(Step):
    ...     factor = Hyperparam(2.0, space=floats(0.1, 10.0, log=True))
    ...     def fit(self, X, y=None):
    ...         self.n_features_in_ = np.shape(X)[1]
    ...         return self
    ...     def transform(self, X):
    ...         return np.asarray(X) * self.factor
    >>> Scale(factor=3.0).fit([[1.0]]).transform([[1.0]])
    array([[3.]])
    >>> Scale().get_hyperparams_space()
    {'factor': FloatDistribution(high=10.0, log=True, low=0.1, step=None)}
    """

    _workbench_node: ClassVar[bool] = True
    _declared_hyperparams: ClassVar[dict[str, Hyperparam]] = {}
    holds_resources: ClassVar[bool] = False

    # Private state lives in class-level defaults, so subclasses with hand-written
    # constructors need not call super().__init__().
    _training: bool = False
    _is_set_up: bool = False
    _space_overrides: dict[str, BaseDistribution | None] | None = None
    _callbacks: tuple[Any, ...] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = {name: value for name, value in vars(cls).items() if isinstance(value, Hyperparam)}
        for name in own:
            delattr(cls, name)
        declared = {**cls._declared_hyperparams, **own}
        cls._declared_hyperparams = declared
        if "__init__" not in vars(cls) and (own or declared) and _generated_init(cls):
            cls.__init__ = _make_init(cls, declared)  # type: ignore[method-assign]
            cls.__init__._workbench_generated = True  # type: ignore[attr-defined]
        if cls.holds_resources:
            for name in _RESOURCE_METHODS:
                method = vars(cls).get(name)
                if callable(method) and not getattr(method, "_workbench_lazy_setup", False):
                    setattr(cls, name, _with_lazy_setup(method))

    # -- tree primitives (overridden by composites) --------------------------------------
    def named_children(self) -> list[tuple[str, Any]]:
        """The direct sub-steps as ``(name, step)`` pairs; empty for a leaf."""
        return []

    def _own_hyperparams(self) -> dict[str, Any]:
        return _tree.shallow_params(self)

    def _declared_space(self) -> Space:
        return {
            name: hyperparam.space
            for name, hyperparam in self._declared_hyperparams.items()
            if hyperparam.space is not None
        }

    def _inactive_children(self) -> tuple[str, ...]:
        return ()

    def _check_own_hyperparam(self, name: str, value: Any) -> None:
        """Extra validation for one hyperparam value, before anything changes."""

    # -- hyperparams and spaces ----------------------------------------------------------
    def get_hyperparams(
        self, *, nested: bool = False, active_only: bool = False
    ) -> dict[str, Any]:
        """Every hyperparam of the tree, by flat path (``reduce__n_components``) or nested.

        ``active_only`` leaves out the branches a :class:`Choose` did not choose.
        """
        flat = _tree.flat_hyperparams(self, active_only=active_only)
        return nest(flat) if nested else flat

    def set_hyperparams(self, values: Mapping[str, Any] | None = None, /, **kwargs: Any) -> Self:
        """Set hyperparams by flat paths or nested dicts, validated against their spaces.

        A value must lie in the spaces that were declared: a step's ``Hyperparam(space=...)``
        (unless declared with ``strict=False``) and any space set with
        :meth:`set_hyperparams_space`. The built-in default space of a scikit-learn estimator
        only says where a tuner searches; the estimator judges the values it takes
        (``pca__n_components=12`` is accepted though PCA's default space is a variance
        fraction). Every value is checked before any is set: after an error nothing
        has changed. A value equal to the current one, or to the constructor's default, is
        always accepted.
        """
        changes = _tree.set_hyperparams(self, {**(values or {}), **kwargs})
        if changes:
            self._emit("hyperparams_changed", path="", step=self, values=changes)
        return self

    def get_hyperparams_space(self, *, nested: bool = False, active_only: bool = False) -> Space:
        """The space of the tree: flat path -> Optuna distribution (or nested dicts).

        ``active_only`` keeps what a tuner may change now: it leaves out the branches a
        :class:`Choose` did not choose and the steps that are frozen (fixed, fitted state
        included: a tuner never samples them).
        """
        flat = _tree.flat_space(self, active_only=active_only, skip_frozen=active_only)
        return nest(flat) if nested else SpaceDict(flat)

    def set_hyperparams_space(
        self, values: Mapping[str, BaseDistribution | None] | None = None, /, **kwargs: Any
    ) -> Self:
        """Override spaces by flat paths or nested dicts; None removes a hyperparam."""
        changes = _tree.set_space(self, {**(values or {}), **kwargs})
        if changes:
            self._emit("space_changed", path="", step=self, values=changes)
        return self

    def hyperparams_conditions(self) -> dict[str, tuple[tuple[str, Any], ...]]:
        """For each conditional hyperparam, the ``(choice path, option)`` pairs it needs."""
        return _tree.conditions(self)

    # -- modes ---------------------------------------------------------------------------
    @property
    def training(self) -> bool:
        """True in train mode, False in eval mode (the default)."""
        return self._training

    def train(self, mode: bool = True) -> Self:
        """Put the whole tree in train mode (or eval mode with ``mode=False``)."""
        for node in _tree.walk(self):
            if _tree.is_workbench(node.step):
                node.step._training = bool(mode)
        return self

    def eval(self) -> Self:
        """Put the whole tree in eval mode."""
        return self.train(False)

    # -- lifecycle -----------------------------------------------------------------------
    @property
    def is_set_up(self) -> bool:
        """Whether :meth:`setup` ran (and :meth:`teardown` has not since)."""
        return self._is_set_up

    def acquire_resources(self) -> None:
        """Override: take what the step needs (a device, a file, a pool)."""

    def release_resources(self) -> None:
        """Override: give back what :meth:`acquire_resources` took."""

    def setup(self) -> Self:
        """Acquire the resources of the whole tree; calling it again does nothing."""
        for _, child in self.named_children():
            if _tree.is_workbench(child):
                child.setup()
        if not self._is_set_up:
            try:
                self.acquire_resources()
            except Exception as error:
                raise LifecycleError(
                    f"setup() of {type(self).__name__} failed: {error}"
                ) from error
            self._is_set_up = True
        return self

    def teardown(self) -> Self:
        """Release the resources of the whole tree (children last to first); idempotent."""
        errors: list[BaseException] = []
        if self._is_set_up:
            try:
                self.release_resources()
            except Exception as error:
                errors.append(error)
            self._is_set_up = False
        for _, child in reversed(self.named_children()):
            if _tree.is_workbench(child):
                try:
                    child.teardown()
                except Exception as error:
                    errors.append(error)
        if errors:
            raise LifecycleError(
                f"teardown() of {type(self).__name__} failed: {errors[0]}"
            ) from errors[0]
        return self

    def __enter__(self) -> Self:
        return self.setup()

    def __exit__(self, *exc_info: object) -> None:
        self.teardown()

    def set_frozen(self, frozen: bool) -> None:
        """Hook called when a pipeline freezes or unfreezes this step (a no-op by default)."""

    # -- introspection -------------------------------------------------------------------
    def walk(self) -> Iterator[tuple[str, Any]]:
        """Every nested step as ``(path, step)`` pairs, parents before children."""
        for node in _tree.walk(self):
            if node.path:
                yield node.path, node.step

    def describe(self) -> dict[str, Any]:
        """Plain, JSON-ready data on the whole tree: names, classes, hyperparams, spaces,
        modes, fitted state and the type/shape/dtype of fitted attributes."""
        return Description(describe_tree(self))

    def fitted_attributes(self) -> dict[str, dict[str, Any]]:
        """The fitted attributes (``name_``) of every node with any, by step path."""
        found = {}
        for node in _tree.walk(self):
            attributes = fitted_attributes_of(node.step)
            if attributes:
                found[node.path] = attributes
        return FittedAttributes(found)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """A notebook's rich display: text/plain always, and the tree as HTML when the views
        can draw it (``workbench.views``); never raises."""
        return mimebundle(self, "step", lambda: repr(self))

    # -- events --------------------------------------------------------------------------
    @property
    def callbacks(self) -> tuple[Any, ...]:
        """The callbacks attached to this step."""
        return self._callbacks

    def add_callback(self, callback: Any) -> Self:
        """Attach a callback to every later event of this step (and fit, for composites)."""
        if not any(hasattr(callback, "on_" + event) for event in EVENTS):
            raise InvalidCallbackError(
                f"A callback must have on_<event> methods (subclass workbench.Callback), "
                f"but got {callback!r}."
            )
        self._callbacks = (*self._callbacks, callback)
        return self

    def remove_callback(self, callback: Any) -> Self:
        """Detach a callback attached with :meth:`add_callback`."""
        if callback not in self._callbacks:
            raise InvalidCallbackError(f"{callback!r} is not attached to this step.")
        self._callbacks = tuple(item for item in self._callbacks if item is not callback)
        return self

    def _emit(self, event: str, /, **data: Any) -> None:
        if self._callbacks:
            notify(self._callbacks, event, **data)

    # -- copying -------------------------------------------------------------------------
    def __sklearn_clone__(self) -> Self:
        new = super().__sklearn_clone__()
        if self._space_overrides:
            new._space_overrides = dict(self._space_overrides)
        return new

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state = dict(state) if isinstance(state, dict) else state
        if isinstance(state, dict):
            state.pop("_callbacks", None)  # views and other listeners stay with the process
            state.pop("_is_set_up", None)  # resources are never shipped
        return state


def _generated_init(cls: type) -> bool:
    """True when no class between ``cls`` and Step wrote its own constructor."""
    for base in cls.__mro__[1:]:
        if base is Step:
            return True
        init = vars(base).get("__init__")
        if init is not None and not getattr(init, "_workbench_generated", False):
            return False
    return True
