"""Study versions: a study whose space changed goes on as ``name@2``, ``name@3``, ..., each
seeded with the finished trials of the version before whose params lie in its space."""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import optuna
from optuna.distributions import BaseDistribution
from optuna.trial import FrozenTrial

from workbench.store import shared
from workbench.tuning._sampling import space_to_plain

if TYPE_CHECKING:
    from workbench.tuning._tuner import Tuner

LOGGER = logging.getLogger("workbench.tuning")
REUSED_KEY = shared.REUSED_KEY  # a seeded trial's user attribute: where it came from


def versions(names: list[str], base: str) -> dict[int, str]:
    """Version number -> study name, for every stored version of the study ``base``."""
    found = {}
    for name in names:
        of, number = shared.split_version(name)
        if of == base:
            found[number] = name
    return dict(sorted(found.items()))


def continue_in_version(tuner: Tuner, storage: Any) -> optuna.Study:
    """The version of ``tuner``'s study whose space is the tuner's: the newest such stored one,
    else a new one seeded from the newest version. Sets ``tuner.study_name`` to its name."""
    base, _ = shared.split_version(tuner.study_name)
    stored = versions(optuna.get_all_study_names(storage=storage), base)
    mine = space_to_plain(tuner.space)
    for number in sorted(stored, reverse=True):
        summary = optuna.load_study(study_name=stored[number], storage=storage)
        if summary.user_attrs.get(shared.SPACE_KEY) == mine:
            tuner.study_name = stored[number]
            return tuner._resume(storage)
    latest = max(stored)
    previous = optuna.load_study(study_name=stored[latest], storage=storage)
    tuner.study_name = shared.version_name(base, latest + 1)
    study = tuner._open_study()
    if shared.VERSION_KEY in study.user_attrs:  # another worker made this version just now
        return study
    reused = reusable_trials(previous.get_trials(deepcopy=False), tuner.space)
    study.add_trials([_seed(trial, tuner.space, previous.study_name) for trial in reused])
    finished = [t for t in previous.get_trials(deepcopy=False) if t.state.is_finished()]
    study.set_user_attr(
        shared.VERSION_KEY,
        {
            "base": base,
            "version": latest + 1,
            "from": previous.study_name,
            "reused": len(reused),
            "finished": len(finished),
        },
    )
    LOGGER.warning(
        "The space differs from that of study %r: tuning goes on in %r, which reuses %d of its "
        "%d finished trials (those whose params lie in the new space).",
        previous.study_name,
        tuner.study_name,
        len(reused),
        len(finished),
    )
    return study


def reusable_trials(
    trials: list[FrozenTrial], space: Mapping[str, BaseDistribution]
) -> list[FrozenTrial]:
    """The finished trials whose every param lies in ``space``."""
    return [
        trial
        for trial in trials
        if trial.state.is_finished()
        and all(_inside(space.get(path), value) for path, value in trial.params.items())
    ]


def _inside(distribution: BaseDistribution | None, value: Any) -> bool:
    if distribution is None:
        return False
    try:
        return bool(distribution._contains(distribution.to_internal_repr(value)))
    except (ValueError, TypeError):
        return False


def _seed(trial: FrozenTrial, space: Mapping[str, BaseDistribution], study: str) -> FrozenTrial:
    """A copy of ``trial`` under the new distributions, remembering where it came from (not
    the trial it resumed or extended: those numbers are the old version's; the original
    keeps its lineage)."""
    seeded = copy.deepcopy(trial)
    for key in (shared.RESUMES_KEY, shared.EXTENDS_KEY):
        seeded.user_attrs.pop(key, None)
    seeded.distributions = {path: space[path] for path in trial.params}
    seeded.set_user_attr(REUSED_KEY, {"study": study, "trial": trial.number})
    return seeded


def all_versions(name: str, names: list[str]) -> list[str]:
    """The names of every stored version of the study ``name`` (``fresh=True`` deletes them)."""
    base, _ = shared.split_version(name)
    return list(versions(names, base).values())
