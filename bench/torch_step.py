"""TorchStep through fit_epochs against a plain hand-written PyTorch training loop.

A small MLP (64 -> 128 -> 128 -> 10) on 20000 x 64 synthetic data, batch 128, 5 epochs, Adam,
CPU, the same shuffled batches and the same initial weights. The plain loop also reads each
batch's loss (``loss.item()``), as any loop that reports its loss does. Goal: ratio <= 1.10.

    .venv/bin/python bench/torch_step.py [--threads N]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np
import torch

from workbench import Hyperparam, Pipeline, ints
from workbench.training import TorchStep, fit_epochs

N, D, CLASSES, BATCH, EPOCHS, SEED, REPEATS = 20_000, 64, 10, 128, 5, 0, 5


def mlp(n_features: int, n_outputs: int, hidden: int) -> torch.nn.Module:
    return torch.nn.Sequential(
        torch.nn.Linear(n_features, hidden),
        torch.nn.ReLU(),
        torch.nn.Linear(hidden, hidden),
        torch.nn.ReLU(),
        torch.nn.Linear(hidden, n_outputs),
    )


class MLP(TorchStep):
    hidden = Hyperparam(128, space=ints(16, 512, log=True))


def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(SEED)
    X = rng.normal(size=(N, D)).astype(np.float32)
    y = (X @ rng.normal(size=(D, CLASSES))).argmax(axis=1).astype(np.int64)
    return X, y


def plain_loop(X: np.ndarray, y: np.ndarray) -> tuple[float, torch.nn.Module]:
    torch.manual_seed(SEED)
    model = mlp(D, CLASSES, 128)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_function = torch.nn.CrossEntropyLoss()
    X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)
    rng = np.random.default_rng(SEED)
    started = time.perf_counter()
    model.train()
    for _ in range(EPOCHS):
        order = torch.from_numpy(rng.permutation(N))
        total = 0.0
        for start in range(0, N, BATCH):
            index = order[start : start + BATCH]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_function(model(X_t[index]), y_t[index])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(index)
    return time.perf_counter() - started, model


def workbench_loop(X: np.ndarray, y: np.ndarray) -> tuple[float, Pipeline]:
    pipe = Pipeline([("net", MLP(module=mlp, lr=1e-3, random_state=SEED, device="cpu"))])
    pipe.setup()
    started = time.perf_counter()
    history = fit_epochs(pipe, X, y, epochs=EPOCHS, batch_size=BATCH, random_state=SEED,
                         metrics=())  # fmt: skip
    elapsed = time.perf_counter() - started
    assert len(history) == EPOCHS and history["train_loss"].notna().all()
    return elapsed, pipe


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    threads = parser.parse_args().threads
    torch.set_num_threads(threads)
    X, y = data()
    plain_times, ours_times = [], []
    for _ in range(REPEATS):  # interleaved, best of REPEATS each
        elapsed, model = plain_loop(X, y)
        plain_times.append(elapsed)
        elapsed, pipe = workbench_loop(X, y)
        ours_times.append(elapsed)
    same = all(
        torch.allclose(a, b, atol=1e-5)
        for a, b in zip(model.parameters(), pipe["net"].module_.parameters(), strict=True)
    )
    plain, ours = min(plain_times), min(ours_times)
    print(f"MLP {D}-128-128-{CLASSES} on {N}x{D}, batch {BATCH}, {EPOCHS} epochs, CPU, "
          f"{threads} thread(s), best of {REPEATS}")  # fmt: skip
    print(f"  plain PyTorch loop           : {plain:8.3f} s")
    print(f"  TorchStep + fit_epochs       : {ours:8.3f} s")
    print(f"  ratio                        : {ours / plain:8.3f}  (goal <= 1.10)")
    print(f"  same weights after training  : {same}")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as scratch:  # fit_epochs records its runs in the cwd
        os.chdir(scratch)
        main()
