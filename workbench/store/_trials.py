"""A trial as the layers show it: its row, the best so far, its own pipeline structure.

Computed here once, as plain data, for the Tuner (``trials_dataframe()``), the notebook views
and the Jupyter server (which sends them to the Lab panel, which draws them).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import pandas as pd
from optuna.trial import FrozenTrial

from workbench._internal.plain import finite_or_none
from workbench.store._schema import ERROR_KEY

#: The fixed columns of a trials table (``Store.trials()``, ``Tuner.trials_dataframe()``);
#: the sampled params by path follow.
TRIAL_COLUMNS = (
    "number",
    "state",
    "value",
    "duration",
    "datetime_start",
    "datetime_complete",
    "intermediate_values",
    "error",
)

#: States of a trial that is over: the best so far is known after it.
FINISHED = frozenset({"complete", "pruned", "fail"})


# -- rows ------------------------------------------------------------------------------------
def raw_trial(trial: FrozenTrial) -> dict[str, Any]:
    """What a trials table reads of one of Optuna's frozen trials (times as Optuna has them)."""
    return {
        "number": trial.number,
        "state": trial.state.name.lower(),
        "values": list(trial.values or ()),
        "params": dict(trial.params),
        "intermediate_values": dict(trial.intermediate_values),
        "error": trial.user_attrs.get(ERROR_KEY),
        "datetime_start": trial.datetime_start,
        "datetime_complete": trial.datetime_complete,
    }


def trial_row(raw: Mapping[str, Any], *, several: bool = False) -> dict[str, Any]:
    """One trial's row: the :data:`TRIAL_COLUMNS` (``values`` too for several objectives),
    then its sampled params by path.

    ``raw`` holds ``number``, ``state``, ``values``, ``params``, ``intermediate_values``,
    ``error``, ``datetime_start`` and ``datetime_complete``.
    """
    values = raw["values"]
    start, complete = raw["datetime_start"], raw["datetime_complete"]
    row: dict[str, Any] = {
        "number": raw["number"],
        "state": raw["state"],
        "value": values[0] if values else None,
        "duration": (complete - start).total_seconds() if start and complete else None,
        "datetime_start": start,
        "datetime_complete": complete,
        "intermediate_values": raw["intermediate_values"],
        "error": raw["error"],
    }
    if several:
        row["values"] = values or None
    row.update(raw["params"])
    return row


def trials_table(
    raws: Iterable[Mapping[str, Any]], *, paths: Iterable[str] = (), several: bool = False
) -> pd.DataFrame:
    """The trials table of ``raws`` (see :func:`trial_row`): the fixed columns, ``values``
    after ``value`` for several objectives, then one column per param path (``paths`` first,
    in their order, then any other a trial sampled)."""
    columns = list(paths)
    table = []
    for raw in raws:
        columns += [path for path in raw["params"] if path not in columns]
        table.append(trial_row(raw, several=several))
    fixed = list(TRIAL_COLUMNS)
    if several:
        fixed.insert(3, "values")
    frame = pd.DataFrame(table, columns=[*fixed, *columns])
    frame["value"] = frame["value"].astype("float64")
    frame["duration"] = frame["duration"].astype("float64")
    frame["error"] = pd.Series([row["error"] for row in table], index=frame.index, dtype=object)
    return frame


def trials_frame(
    trials: Iterable[FrozenTrial], *, paths: Iterable[str] = (), several: bool = False
) -> pd.DataFrame:
    """The trials table of Optuna's frozen trials, as :meth:`Store.trials` has it.

    Examples
    --------
    >>> import optuna
    >>> study = optuna.create_study()
    >>> trial = study.ask({"x": optuna.distributions.FloatDistribution(0, 1)})
    >>> trials_frame(study.get_trials()).columns.tolist()[-2:]
    ['error', 'x']
    """
    return trials_table(map(raw_trial, trials), paths=paths, several=several)


# -- best so far -----------------------------------------------------------------------------
class BestSoFar(NamedTuple):
    """The best complete trial and, after each finished trial, the best value until then.

    ``best`` is ``(number, value)`` or None; ``steps`` holds ``(number, best number, best
    value)`` for each finished trial (complete, pruned or failed) from the first complete
    one on, in trial order.
    """

    best: tuple[int, float] | None
    steps: list[tuple[int, int, float]]


def better(value: float, than: float, direction: str) -> bool:
    """Whether ``value`` beats ``than`` for ``direction`` (``"minimize"``, else greater is
    better; of several directions, the first)."""
    return value < than if direction.split(",")[0] == "minimize" else value > than


def best_so_far(
    rows: Iterable[Sequence[Any]],
    direction: str,
    *,
    seed: tuple[int, float] | None = None,
) -> BestSoFar:
    """The best so far of trials given as ``(number, state, value)``, sorted by number.

    Only complete trials with a finite value count; the first of equals stays best. ``seed``
    is the best ``(number, value)`` of the trials before these (a view that reads a growing
    study from its first unfinished trial on passes what it had).

    Examples
    --------
    >>> rows = [(0, "complete", 0.5), (1, "fail", None), (2, "complete", 0.2), (3, "running", 0)]
    >>> best_so_far(rows, "minimize")
    BestSoFar(best=(2, 0.2), steps=[(0, 0, 0.5), (1, 0, 0.5), (2, 2, 0.2)])
    """
    best = seed
    steps: list[tuple[int, int, float]] = []
    for number, state, value in rows:
        value = finite_or_none(value) if isinstance(value, int | float) else None
        if (
            state == "complete"
            and value is not None
            and (best is None or better(value, best[1], direction))
        ):
            best = (int(number), float(value))
        if best is not None and state in FINISHED:
            steps.append((int(number), best[0], best[1]))
    return BestSoFar(best, steps)


# -- a trial's own structure -----------------------------------------------------------------
def trial_structure(
    structure: Mapping[str, Any] | None, params: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The pipeline a trial ran: ``structure`` (the tuned pipeline's ``describe()``) with the
    trial's sampled ``params`` (by path) set, the chosen branches active.

    A node where the trial sampled hyperparams gains ``sampled``: ``{name: the base pipeline's
    value}``; a choice sampled at a ``Choose`` sets its ``chosen`` and which branches are
    ``active``. Params naming no node of the structure are left out; without params (a run)
    the structure is as it was recorded.

    Examples
    --------
    >>> base = {"path": "", "hyperparams": {}, "children": [
    ...     {"name": "model", "path": "model", "hyperparams": {"loss": "hinge"}, "children": []}]}
    >>> trial_structure(base, {"model__loss": "log_loss"})["children"][0]["hyperparams"]
    {'loss': 'log_loss'}
    """
    if not isinstance(structure, Mapping):
        return None
    if not params:
        return dict(structure)
    tree = copy.deepcopy(dict(structure))
    nodes = {str(node.get("path") or ""): node for node in _walk(tree)}
    for path, value in params.items():
        where, _, name = str(path).rpartition("__")
        found = nodes.get(where)
        if found is None:
            continue
        hyperparams = found.setdefault("hyperparams", {})
        found.setdefault("sampled", {})[name] = hyperparams.get(name)
        hyperparams[name] = value
        if found.get("chosen") is not None and name == "choice":
            found["chosen"] = value
    _set_active(tree, bool(tree.get("active", True)))
    return tree


def _walk(node: dict[str, Any]) -> Iterable[dict[str, Any]]:
    yield node
    for child in node.get("children") or ():
        yield from _walk(child)


def _set_active(node: dict[str, Any], active: bool) -> None:
    node["active"] = active
    chosen = node.get("chosen")
    for child in node.get("children") or ():
        _set_active(child, active and (chosen is None or child.get("name") == chosen))
