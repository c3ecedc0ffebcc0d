"""Tuning overhead: Workbench's Tuner against hand-written Optuna code, 200 trials.

The same cheap pipeline (StandardScaler + LogisticRegression on iris), the same two
hyperparams (C and tol, log scale), the same hold-out split, the same seeded TPE sampler and
the same storage: in memory, and the embedded journal file. The hand-written objective clones
the pipeline, sets the sampled params and scores it, as one would write it by hand. Goal:
ratio <= 1.05 on both stores.

Both sides run interleaved, single-threaded (BLAS threads pinned to 1), and are timed by this
process's CPU time as well as wall time: on a small shared machine the CPU time is the steadier
figure, since other processes' load does not count in it.

    .venv/bin/python bench/tuning_overhead.py
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import optuna
from optuna.storages import InMemoryStorage, JournalStorage
from optuna.storages.journal import JournalFileBackend
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import get_scorer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from workbench import Pipeline, floats
from workbench.tuning import Tuner

N_TRIALS, REPEATS, SEED, HOLDOUT = 200, 5, 0, 0.25
SPACE = {"model__C": floats(1e-3, 1e3, log=True), "model__tol": floats(1e-6, 1e-2, log=True)}


def pipeline() -> Pipeline:
    return Pipeline([("scale", StandardScaler()), ("model", LogisticRegression())])


class Clock:
    """Wall and CPU seconds of a block."""

    def __enter__(self) -> Clock:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


def hand_written(X, y, storage) -> Clock:
    X_train, X_valid, y_train, y_valid = train_test_split(
        X, y, test_size=HOLDOUT, random_state=SEED, stratify=y
    )
    scorer = get_scorer("accuracy")
    base = pipeline()

    def objective(trial: optuna.Trial) -> float:
        params = {
            "model__C": trial.suggest_float("model__C", 1e-3, 1e3, log=True),
            "model__tol": trial.suggest_float("model__tol", 1e-6, 1e-2, log=True),
        }
        model = clone(base).set_params(**params).fit(X_train, y_train)
        return float(scorer(model, X_valid, y_valid))

    with Clock() as clock:
        study = optuna.create_study(
            storage=storage, direction="maximize", sampler=optuna.samplers.TPESampler(seed=SEED)
        )
        study.optimize(objective, n_trials=N_TRIALS)
    return clock


def workbench_tuner(X, y, storage) -> Clock:
    with Clock() as clock:
        tuner = Tuner(
            pipeline(),
            scoring="accuracy",
            holdout=HOLDOUT,
            space=SPACE,
            sampler=optuna.samplers.TPESampler(seed=SEED),
            storage=storage,
            random_state=SEED,
            refit=False,
        )
        tuner.optimize(X, y, n_trials=N_TRIALS)
    assert len(tuner.study.trials) == N_TRIALS
    return clock


def main() -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    threadpool_limits(1)  # BLAS threads fighting over two cores swamp what is measured
    X, y = load_iris(return_X_y=True)
    results = {}
    with tempfile.TemporaryDirectory() as directory:
        stores = {
            "in-memory": lambda i: InMemoryStorage(),
            "embedded journal": lambda i: JournalStorage(
                JournalFileBackend(str(Path(directory) / f"journal-{i}.log"))
            ),
        }
        for name, make in stores.items():
            hand, ours = [], []
            for repeat in range(REPEATS):  # interleaved, so that drift hits both alike
                hand.append(hand_written(X, y, make(2 * repeat)))
                ours.append(workbench_tuner(X, y, make(2 * repeat + 1)))
            results[name] = {
                clock: (
                    statistics.median(getattr(run, clock) for run in hand),
                    statistics.median(getattr(run, clock) for run in ours),
                )
                for clock in ("cpu", "wall")
            }
    print(f"Tuning overhead, {N_TRIALS} trials, median of {REPEATS} (goal: ratio <= 1.05)")
    print(f"{'store':<18}{'clock':<7}{'hand-written s':>16}{'workbench s':>14}{'ratio':>8}")
    for name, clocks in results.items():
        for clock, (hand_s, ours_s) in clocks.items():
            print(f"{name:<18}{clock:<7}{hand_s:>16.2f}{ours_s:>14.2f}{ours_s / hand_s:>8.3f}")


if __name__ == "__main__":
    main()
