"""Choose: a step that is one of several whole steps; which one is a hyperparameter."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any, Self

from sklearn.utils.metaestimators import available_if

from workbench._internal.names import did_you_mean
from workbench.core._composite import Composite
from workbench.core._fitting import MinibatchRoute, delegate_tags, fit_transform_step
from workbench.core._introspection import is_fitted
from workbench.core._minibatch import (
    can_partial_fit,
    check_partial_fit,
    partial_fit_final,
    partial_fit_step,
)
from workbench.core._paths import check_step_names
from workbench.core._space import Space, categorical
from workbench.exceptions import HyperparamError, StructureError


def _chosen_has(method: str) -> Any:
    def check(self: Choose) -> bool:
        return hasattr(self.chosen_step, method)

    return check


class Choose(Composite):
    """One of several named steps, chosen by the categorical hyperparameter ``choice``.

    Only the chosen branch is fitted and used, and only its hyperparams are active: a tuner
    samples ``<path>__choice`` first, then the chosen branch's hyperparams
    (``model__forest__n_estimators``).

    Parameters
    ----------
    options : list of (name, step)
        The branches. Names are unique, contain no ``__`` and are not ``"choice"``.
    choice : str, optional
        The chosen branch's name; the first branch when None.

    Examples
    --------
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from sklearn.linear_model import LogisticRegression
    >>> model = Choose([("linear", LogisticRegression()), ("forest", RandomForestClassifier())])
    >>> model.set_hyperparams(choice="forest").chosen
    'forest'
    >>> sorted(model.get_hyperparams_space(active_only=True))[:2]
    ['choice', 'forest__bootstrap']
    """

    _children_param = "options"
    _choice_param = "choice"
    _diagram_layout = "parallel"

    def __init__(self, options: Sequence[tuple[str, Any]], *, choice: str | None = None):
        self.options = options
        self.choice = choice
        if isinstance(options, list | tuple) and all(
            isinstance(pair, tuple) and len(pair) == 2 for pair in options
        ):
            check_step_names("Choose", [name for name, _ in options], reserved=("choice",))

    def _diagram_label(self, name: str, step: Any) -> str:
        label = super()._diagram_label(name, step)
        return f"{label} (chosen)" if name == self.chosen else label

    @property
    def chosen(self) -> str:
        """The name of the chosen branch."""
        if self.choice is not None:
            return self.choice
        if not self.options:
            raise StructureError("A Choose needs at least one option, but got an empty list.")
        return self.options[0][0]

    @property
    def chosen_step(self) -> Any:
        """The chosen branch's step."""
        name = self.chosen
        for key, step in self.options:
            if key == name:
                return step
        names = [key for key, _ in self.options]
        raise StructureError(
            f"Choose has no option {name!r} to use; its options are {names}."
            f"{did_you_mean(name, names)}"
        )

    def _declared_space(self) -> Space:
        space = super()._declared_space()
        names = [name for name, _ in self.named_children()]
        if names:
            space["choice"] = categorical(names)
        return space

    def _own_hyperparams(self) -> dict[str, Any]:
        """``choice`` is the branch in use (the first one when the constructor got None)."""
        hyperparams = super()._own_hyperparams()
        if hyperparams.get("choice") is None and self.options:
            with contextlib.suppress(StructureError, TypeError, ValueError):
                hyperparams["choice"] = self.chosen
        return hyperparams

    def _inactive_children(self) -> tuple[str, ...]:
        chosen = self.chosen
        return tuple(name for name, _ in self.named_children() if name != chosen)

    def _check_own_hyperparam(self, name: str, value: Any) -> None:
        names = [key for key, _ in self.named_children()]
        if name == "choice" and value is not None and value not in names:
            raise HyperparamError(
                f"choice must name one of the options {names}, but got {value!r}."
                f"{did_you_mean(str(value), names)}"
            )

    def _remove_child(self, name: str) -> None:
        super()._remove_child(name)
        if self.choice == name:
            self.choice = None

    def __sklearn_is_fitted__(self) -> bool:
        return is_fitted(self.chosen_step)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        try:
            chosen = self.chosen_step
        except (StructureError, IndexError):
            return tags
        return delegate_tags(tags, chosen, input_tags=True)

    @property
    def classes_(self) -> Any:
        """The classes of the chosen branch."""
        return self.chosen_step.classes_

    @property
    def n_features_in_(self) -> int:
        """The number of features the chosen branch saw while fitting."""
        return self.chosen_step.n_features_in_

    @property
    def feature_names_in_(self) -> Any:
        """The feature names the chosen branch saw while fitting."""
        return self.chosen_step.feature_names_in_

    # -- fitting -------------------------------------------------------------------------
    def fit(
        self, X: Any, y: Any = None, *, callbacks: Sequence[Any] | None = None, **fit_params: Any
    ) -> Self:
        """Fit the chosen branch only."""
        self._check_children()
        name, step = self.chosen, self.chosen_step
        with self.fitting(callbacks) as emit:
            with emit.child(name, step):
                step.fit(X, y, **fit_params)
            emit("step_fitted", name, step)
        return self

    @available_if(_chosen_has("transform"))
    def fit_transform(self, X: Any, y: Any = None, **fit_params: Any) -> Any:
        """Fit the chosen branch and transform the training data with it."""
        return self.fit_resample(X, y, **fit_params)[0]

    def fit_resample(self, X: Any, y: Any = None, **fit_params: Any) -> tuple[Any, Any]:
        """Fit the chosen branch; return the ``(X, y)`` the next step learns from."""
        self._check_children()
        name, step = self.chosen, self.chosen_step
        with self.fitting() as emit:
            with emit.child(name, step):
                result = fit_transform_step(step, X, y, **fit_params)
            emit("step_fitted", name, step)
        return result

    # -- learning by mini-batch -----------------------------------------------------------
    def minibatch_route(self) -> MinibatchRoute:
        """A mini-batch goes through the chosen branch only."""
        return MinibatchRoute([(self.chosen, self.chosen_step)])

    @available_if(_chosen_has("partial_fit"))
    @available_if(can_partial_fit)
    def partial_fit(
        self,
        X: Any,
        y: Any = None,
        *,
        classes: Any = None,
        callbacks: Sequence[Any] | None = None,
    ) -> Self:
        """Learn from one mini-batch with the chosen branch only (see ``Pipeline.partial_fit``)."""
        self._check_children()
        check_partial_fit(self)
        name, step = self.chosen, self.chosen_step
        with self.fitting(callbacks, kind="partial_fit") as emit:
            with emit.child(name, step):
                partial_fit_final(step, X, y, classes=classes)
            emit("step_fitted", name, step)
        return self

    @available_if(can_partial_fit)
    def partial_fit_resample(self, X: Any, y: Any = None) -> tuple[Any, Any]:
        """Learn from one mini-batch with the chosen branch; return the next ``(X, y)``."""
        self._check_children()
        check_partial_fit(self)
        name, step = self.chosen, self.chosen_step
        with self.fitting(kind="partial_fit") as emit:
            with emit.child(name, step):
                result = partial_fit_step(step, X, y)
            emit("step_fitted", name, step)
        return result

    # -- using ---------------------------------------------------------------------------
    @available_if(_chosen_has("transform"))
    def transform(self, X: Any) -> Any:
        """Transform with the chosen branch."""
        return self.chosen_step.transform(X)

    @available_if(_chosen_has("inverse_transform"))
    def inverse_transform(self, X: Any) -> Any:
        """Undo the chosen branch's transform."""
        return self.chosen_step.inverse_transform(X)

    @available_if(_chosen_has("predict"))
    def predict(self, X: Any, **params: Any) -> Any:
        """Predict with the chosen branch."""
        return self.chosen_step.predict(X, **params)

    @available_if(_chosen_has("predict_proba"))
    def predict_proba(self, X: Any) -> Any:
        """Class probabilities from the chosen branch."""
        return self.chosen_step.predict_proba(X)

    @available_if(_chosen_has("decision_function"))
    def decision_function(self, X: Any) -> Any:
        """Decision function of the chosen branch."""
        return self.chosen_step.decision_function(X)

    @available_if(_chosen_has("score"))
    def score(self, X: Any, y: Any = None, sample_weight: Any = None) -> float:
        """The chosen branch's score."""
        params = {} if sample_weight is None else {"sample_weight": sample_weight}
        return self.chosen_step.score(X, y, **params)
