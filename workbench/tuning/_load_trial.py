"""load_trial: a kept trial's fitted pipeline, in any process, through the trust rules of load."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import optuna

from workbench import store
from workbench.exceptions import TuningError, UntrustedTypesError
from workbench.store import shared
from workbench.tuning._keep import read_checked, store_of


def load_trial(
    study: str | optuna.Study,
    trial: int | None = None,
    *,
    storage: shared.StorageLike = None,
    artifacts: Any = None,
    trusted: Sequence[str | type] = (),
) -> Any:
    """The fitted pipeline of a kept trial of ``study`` (the best trial when ``trial`` is None).

    A :class:`Tuner` keeps the pipelines of its best trials (``keep=``) as Optuna artifacts;
    this reads one back in any process, after any restart, with the checks of
    :func:`workbench.persistence.load`: types nobody trusted are refused (all listed) until
    passed in ``trusted``, and a file changed since it was kept is refused. Nothing in the
    file runs.

    Parameters
    ----------
    study : str or optuna.Study
        The study's name in the store (or the study itself).
    trial : int, optional
        The trial's number; default the study's best complete trial.
    storage : str, path or optuna storage, optional
        The store (see :mod:`workbench.store`); default the embedded one.
    artifacts : optuna artifact store or folder, optional
        Where the pipelines are, when not in the folder recorded with them (S3, GCS, a
        moved folder).
    trusted : sequence of str or class
        Types to accept beyond those trusted by default, as for ``load``.

    Raises
    ------
    TuningError
        The trial is not kept (the message names those that are), or no trial completed.
    UntrustedTypesError
        The pipeline holds types not trusted; the message lists them.
    PersistenceError
        The kept file was changed or damaged, or removed from its artifact store.

    Examples
    --------
    >>> import tempfile
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from workbench import Pipeline
    >>> from workbench.tuning import Tuner
    >>> X, y = load_iris(return_X_y=True)
    >>> journal = tempfile.mkdtemp() + "/journal.log"
    >>> pipe = Pipeline([("model", LogisticRegression(max_iter=500))])
    >>> tuner = Tuner(pipe, cv=3, storage=journal, study_name="iris", random_state=0)
    >>> _ = tuner.optimize(X, y, n_trials=4)
    >>> best = load_trial("iris", storage=journal)
    >>> best.score(X, y) > 0.9
    True
    """
    if isinstance(study, optuna.Study):
        storage, study = study._storage, study.study_name
    opened = store.open_store(storage, readonly=True)
    kept = opened.kept(study)  # an unknown study: StorageError, with a "did you mean"
    number = _best_number(opened, study) if trial is None else _trial_number(trial)
    if number not in kept:
        if not opened.has(study, number):
            _no_trial(opened, study, number)
        raise TuningError(_not_kept(study, number, sorted(kept), best=trial is None))
    info = kept[number]
    data = read_checked(
        store_of(info.get("store"), artifacts, number, study),
        info,
        f"Trial {number}'s kept pipeline of {study!r}",
        missing=": it was deleted or the folder moved. Pass artifacts=<where it is now>.",
        changed="when it was kept: the artifact was changed or damaged since, so it is not "
        "loaded. Extend or rerun the trial to keep it again.",
    )
    from workbench.persistence import loads

    try:
        return loads(data, trusted=trusted)
    except UntrustedTypesError as error:
        call = f"workbench.tuning.load_trial({study!r}, {number}, trusted="
        message = str(error).replace("the data", f"Trial {number}'s kept pipeline", 1)
        raise UntrustedTypesError(
            message.replace("workbench.persistence.loads(data, trusted=", call)
        ) from None


def _trial_number(trial: Any) -> int:
    if isinstance(trial, bool) or not isinstance(trial, int) or trial < 0:
        raise TuningError(
            f"trial must be a trial number (an int >= 0) or None, but got {trial!r}."
        )
    return trial


def _best_number(opened: store.Store, study: str) -> int:
    best = opened.values(study)["best_number"].dropna()
    if not len(best):
        raise TuningError(
            f"The study {study!r} has no complete trial, so it has no best pipeline; pass "
            f"trial=<number> to load another kept trial."
        )
    return int(best.iloc[-1])


def _no_trial(opened: store.Store, study: str, number: int) -> None:
    count = len(opened.trials(study))
    raise TuningError(f"The study {study!r} has no trial {number}; its trials are 0..{count - 1}.")


def _not_kept(study: str, number: int, kept: list[int], *, best: bool) -> str:
    which = f"its best trial ({number})" if best else f"trial {number}"
    if not kept:
        return (
            f"The study {study!r} keeps no fitted pipeline, so {which} cannot be loaded: the "
            f"tuner ran with keep=False, or before trials were kept. Tune with keep='best' (the "
            f"default), keep=<k> or keep='all'."
        )
    return (
        f"The study {study!r} did not keep {which}: the tuner's keep= policy left it out, or "
        f"better trials pushed it out. Kept trials: {kept}; load one with "
        f"load_trial({study!r}, <number>)."
    )
