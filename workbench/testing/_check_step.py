"""``check_step``: the contract every Workbench step keeps."""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable
from typing import Any

import numpy as np
import optuna
from optuna.distributions import BaseDistribution
from sklearn.base import clone

from workbench.core import contains, is_fitted
from workbench.exceptions import StepContractError
from workbench.testing._recorder import EventRecorder


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    try:
        return bool(np.all(a == b))
    except Exception:
        return repr(a) == repr(b)


def _check_space(step: Any) -> None:
    space = step.get_hyperparams_space()
    hyperparams = step.get_hyperparams()
    for path, distribution in space.items():
        if not isinstance(distribution, BaseDistribution):
            raise StepContractError(
                f"get_hyperparams_space()[{path!r}] must be an Optuna distribution, "
                f"got {distribution!r}."
            )
        if path not in hyperparams:
            raise StepContractError(
                f"The space names {path!r}, which get_hyperparams() does not have."
            )


def _check_round_trip(step: Any) -> None:
    before = step.get_hyperparams()
    step.set_hyperparams(before)
    after = step.get_hyperparams()
    if list(before) != list(after) or not all(_same(before[k], after[k]) for k in before):
        raise StepContractError("set_hyperparams(get_hyperparams()) changed the hyperparams.")
    nested = step.get_hyperparams(nested=True)
    step.set_hyperparams(nested)
    if step.get_hyperparams().keys() != before.keys():
        raise StepContractError("Nested hyperparams did not round trip to the same paths.")


def _check_sampled_values(step: Any, n_samples: int) -> None:
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    original = step.get_hyperparams()
    for _ in range(n_samples):
        space = step.get_hyperparams_space()
        trial = study.ask(fixed_distributions=space)
        step.set_hyperparams(trial.params)
        current = step.get_hyperparams()
        for path, value in trial.params.items():
            if not _same(current[path], value):
                raise StepContractError(
                    f"set_hyperparams({path}={value!r}) was accepted, but get_hyperparams() "
                    f"gives {current[path]!r}."
                )
            if not contains(space[path], current[path]):
                raise StepContractError(f"A sampled value of {path!r} is outside its space.")
        study.tell(trial, 0.0)
    # a snapshot may hold values outside the space (PCA(n_components=2)): restore it unchecked
    step.set_params(**original)


def _check_modes(step: Any) -> None:
    step.train()
    nodes = [step, *(child for _, child in step.walk())]
    if not all(node.training for node in nodes if hasattr(node, "train")):
        raise StepContractError("train() did not put every Workbench node in train mode.")
    step.eval()
    if any(node.training for node in nodes if hasattr(node, "train")):
        raise StepContractError("eval() did not put every Workbench node in eval mode.")


def _check_lifecycle(step: Any) -> None:
    step.setup()
    step.setup()
    if not step.is_set_up:
        raise StepContractError("setup() did not mark the step as set up.")
    step.teardown()
    step.teardown()
    if step.is_set_up:
        raise StepContractError("teardown() left the step marked as set up.")
    with step as entered:
        if entered is not step or not step.is_set_up:
            raise StepContractError("`with step:` must set the step up and return it.")
    if step.is_set_up:
        raise StepContractError("Leaving `with step:` did not tear the step down.")


def _check_events(step: Any) -> None:
    recorder = EventRecorder()
    step.add_callback(recorder)
    try:
        step.set_hyperparams(step.get_hyperparams())
    finally:
        step.remove_callback(recorder)
    names = [name for name, _ in recorder.events]
    if step.get_hyperparams() and "hyperparams_changed" not in names:
        raise StepContractError("set_hyperparams() emitted no 'hyperparams_changed' event.")


def _check_clone_and_describe(step: Any) -> None:
    copy = clone(step)
    if copy.get_hyperparams().keys() != step.get_hyperparams().keys():
        raise StepContractError("clone() lost or added hyperparams.")
    if copy.get_hyperparams_space() != step.get_hyperparams_space():
        raise StepContractError("clone() did not keep the hyperparameter space.")
    try:
        json.dumps(step.describe())
    except TypeError as error:
        raise StepContractError(f"describe() must return JSON-ready data: {error}") from error


def _check_fit(step: Any, X: Any, y: Any) -> None:
    recorder = EventRecorder()
    step.add_callback(recorder)
    try:
        step.fit(X, y)
    finally:
        step.remove_callback(recorder)
    if not is_fitted(step):
        raise StepContractError("After fit(), the step is not fitted.")
    if step.training:
        raise StepContractError("fit() must leave the step in the mode it found it (eval).")
    if step.named_children():
        names = [name for name, _ in recorder.events]
        if names[:1] != ["fit_begin"] or names[-1:] != ["fit_end"]:
            raise StepContractError(
                f"A composite's fit() must emit fit_begin first and fit_end last, got {names}."
            )
    restored = pickle.loads(pickle.dumps(step))
    for method in ("predict", "transform"):
        if hasattr(step, method):
            if not _same(getattr(step, method)(X), getattr(restored, method)(X)):
                raise StepContractError(f"{method}() differs after a pickle round trip.")
            break


_CHECKS: dict[str, Callable[[Any], None]] = {
    "space": _check_space,
    "hyperparams round trip": _check_round_trip,
    "modes": _check_modes,
    "lifecycle": _check_lifecycle,
    "events": _check_events,
    "clone and describe": _check_clone_and_describe,
}


def check_step(step: Any, X: Any = None, y: Any = None, *, n_samples: int = 5) -> None:
    """Check ``step`` against the Workbench step contract; raise on the first violation.

    It checks that the space holds Optuna distributions over existing hyperparams, that
    hyperparams round trip (flat and nested), that ``n_samples`` values sampled from the space
    through Optuna are accepted as they are, modes, idempotent setup/teardown and the context
    manager, the ``hyperparams_changed`` event, ``clone`` and a JSON-ready ``describe()``. With
    data, it also fits (events, mode restored, pickle round trip of predictions).

    Raises
    ------
    StepContractError
        Naming the check that failed and what was wrong.

    Examples
    --------
    >>> from sklearn.linear_model import Ridge
    >>> from workbench import Pipeline
    >>> check_step(Pipeline([("ridge", Ridge())]))
    """
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    checks = dict(_CHECKS)
    checks["values sampled from the space"] = lambda s: _check_sampled_values(s, n_samples)
    if X is not None:
        checks["fit"] = lambda s: _check_fit(s, X, y)
    for name, check in checks.items():
        try:
            check(step)
        except StepContractError as error:
            raise StepContractError(
                f"{type(step).__name__} fails the {name!r} check: {error}"
            ) from error
