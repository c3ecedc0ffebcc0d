"""Mini-batch epochs: fit_epochs against a hand-written partial_fit loop.

SGDClassifier on 100000 x 50, batch 256, 5 epochs, the same shuffled batches; fit_epochs
keeps its History and has one callback attached. Goal: ratio <= 1.10.

    .venv/bin/python bench/minibatch_epochs.py
"""

from __future__ import annotations

import os
import tempfile
import time

import numpy as np
from sklearn.linear_model import SGDClassifier

from workbench import Callback, Pipeline
from workbench.training import fit_epochs

N, D, BATCH, EPOCHS, SEED, REPEATS = 100_000, 50, 256, 5, 0, 5


class CountBatches(Callback):
    def __init__(self) -> None:
        self.batches = 0

    def on_batch_end(self, **data: object) -> None:
        self.batches += 1


def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(SEED)
    X = rng.normal(size=(N, D))
    y = (X @ rng.normal(size=D) + rng.normal(scale=0.5, size=N) > 0).astype(int)
    return X, y


def hand_written(X: np.ndarray, y: np.ndarray) -> tuple[float, SGDClassifier]:
    model = SGDClassifier(random_state=SEED)
    rng = np.random.default_rng(SEED)
    classes = np.unique(y)
    started = time.perf_counter()
    for _ in range(EPOCHS):
        order = rng.permutation(len(X))
        for start in range(0, len(X), BATCH):
            index = order[start : start + BATCH]
            model.partial_fit(X[index], y[index], classes=classes)
    return time.perf_counter() - started, model


def workbench_epochs(X: np.ndarray, y: np.ndarray) -> tuple[float, Pipeline, int]:
    pipe = Pipeline([("model", SGDClassifier(random_state=SEED))])
    counter = CountBatches()
    started = time.perf_counter()
    history = fit_epochs(
        pipe, X, y, epochs=EPOCHS, batch_size=BATCH, random_state=SEED, callbacks=[counter]
    )
    elapsed = time.perf_counter() - started
    assert len(history) == EPOCHS and counter.batches == EPOCHS * -(-N // BATCH)
    return elapsed, pipe, counter.batches


def main() -> None:
    X, y = data()
    hand_times, workbench_times = [], []
    for _ in range(REPEATS):  # interleaved, best of REPEATS each
        elapsed, model = hand_written(X, y)
        hand_times.append(elapsed)
        elapsed, pipe, _ = workbench_epochs(X, y)
        workbench_times.append(elapsed)
    same = np.allclose(model.coef_, pipe["model"].coef_)
    hand, ours = min(hand_times), min(workbench_times)
    print(f"SGDClassifier {N}x{D}, batch {BATCH}, {EPOCHS} epochs, best of {REPEATS}")
    print(f"  hand-written partial_fit loop : {hand:8.3f} s")
    print(f"  fit_epochs (History+callback) : {ours:8.3f} s")
    print(f"  ratio                         : {ours / hand:8.3f}  (goal <= 1.10)")
    print(f"  same coefficients             : {same}")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as scratch:  # fit_epochs records its runs in the cwd
        os.chdir(scratch)
        main()
