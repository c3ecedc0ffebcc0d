"""TorchStep through fit_epochs against two hand-written PyTorch training loops.

Same data, same initial weights, same shuffled batches, Adam, best of REPEATS, interleaved:

- resident loop: the data moved to the device once, each batch gathered there;
- copying loop: each batch gathered on the host (NumPy) and copied to the device;
- ``fit_epochs`` with a ``TorchStep`` in a ``Pipeline``.

Each loop sums its losses on the device and reads the sum once per epoch, as a loop that
reports its epoch loss without waiting for the device each batch does.

    --device cuda  MLP 256-1024-1024-10 on 200000 x 256, batch 1024, 3 epochs (issue 14);
                   goal: fit_epochs <= 1.05 x the resident loop.
    --device cpu   MLP 64-128-128-10 on 20000 x 64, batch 128, 5 epochs;
                   goal: fit_epochs <= 1.10 x the best hand-written loop.

    python bench/torch_step.py --device cpu [--threads 1] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from workbench import Hyperparam, Pipeline, ints
from workbench.training import TorchStep, fit_epochs

SEED = 0


@dataclass(frozen=True)
class Setting:
    rows: int
    features: int
    hidden: int
    classes: int
    batch: int
    epochs: int
    goal: float


SETTINGS = {
    "cuda": Setting(200_000, 256, 1024, 10, 1024, 3, 1.05),
    "cpu": Setting(20_000, 64, 128, 10, 128, 5, 1.10),
}


def mlp(n_features: int, n_outputs: int, hidden: int) -> torch.nn.Module:
    return torch.nn.Sequential(
        torch.nn.Linear(n_features, hidden),
        torch.nn.ReLU(),
        torch.nn.Linear(hidden, hidden),
        torch.nn.ReLU(),
        torch.nn.Linear(hidden, n_outputs),
    )


class MLP(TorchStep):
    hidden = Hyperparam(128, space=ints(16, 4096, log=True))


def data(setting: Setting) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(SEED)
    X = rng.normal(size=(setting.rows, setting.features)).astype(np.float32)
    y = (X @ rng.normal(size=(setting.features, setting.classes))).argmax(axis=1)
    return X, y.astype(np.int64)


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class Clock:
    """Wall time and this process's CPU time (steadier on a shared machine) since start."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def read(self) -> tuple[float, float]:
        return time.perf_counter() - self.wall, time.process_time() - self.cpu


def hand_loop(
    X: np.ndarray, y: np.ndarray, setting: Setting, device: torch.device, *, resident: bool
) -> tuple[tuple[float, float], torch.nn.Module, list[float]]:
    torch.manual_seed(SEED)
    model = mlp(setting.features, setting.classes, setting.hidden).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_function = torch.nn.CrossEntropyLoss()
    rng = np.random.default_rng(SEED)
    epoch_losses = []
    synchronize(device)
    clock = Clock()
    if resident:
        X_d, y_d = torch.from_numpy(X).to(device), torch.from_numpy(y).to(device)
    model.train()
    for _ in range(setting.epochs):
        order = rng.permutation(setting.rows)
        if resident:
            order_d = torch.from_numpy(order).to(device)
        total = torch.zeros((), device=device)
        for start in range(0, setting.rows, setting.batch):
            if resident:
                index = order_d[start : start + setting.batch]
                X_batch, y_batch = X_d.index_select(0, index), y_d.index_select(0, index)
            else:
                index = order[start : start + setting.batch]
                X_batch = torch.from_numpy(X[index]).to(device)
                y_batch = torch.from_numpy(y[index]).to(device)
            optimizer.zero_grad(set_to_none=True)
            loss = loss_function(model(X_batch), y_batch)
            loss.backward()
            optimizer.step()
            total += loss.detach() * len(X_batch)
        epoch_losses.append(total.item() / setting.rows)
    synchronize(device)
    return clock.read(), model, epoch_losses


def workbench_loop(
    X: np.ndarray, y: np.ndarray, setting: Setting, device: torch.device, *, record: bool
) -> tuple[tuple[float, float], torch.nn.Module, list[float]]:
    net = MLP(module=mlp, hidden=setting.hidden, lr=1e-3, random_state=SEED, device=str(device))
    pipe = Pipeline([("net", net)]).setup()
    synchronize(device)
    clock = Clock()
    history = fit_epochs(pipe, X, y, epochs=setting.epochs, batch_size=setting.batch,
                         random_state=SEED, metrics=(), progress=False, record=record)  # fmt: skip
    synchronize(device)
    elapsed = clock.read()
    model = pipe["net"].module_
    pipe.teardown()  # frees the GPU for the next run
    return elapsed, model, history["train_loss"].tolist()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--device", choices=sorted(SETTINGS), default="cpu")
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--record",
        action="store_true",
        help="fit_epochs records its run in a store, as by default",
    )
    arguments = parser.parse_args()
    if arguments.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: torch sees no GPU here; use --device cpu.")
    torch.set_num_threads(arguments.threads)
    device = torch.device(arguments.device)
    setting = SETTINGS[arguments.device]
    X, y = data(setting)
    runs: dict[str, Callable[[], tuple[tuple[float, float], torch.nn.Module, list[float]]]] = {
        "hand-written, data resident": lambda: hand_loop(X, y, setting, device, resident=True),
        "hand-written, copy per batch": lambda: hand_loop(X, y, setting, device, resident=False),
        "TorchStep + fit_epochs": lambda: workbench_loop(
            X, y, setting, device, record=arguments.record
        ),
    }
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in runs}
    models: dict[str, torch.nn.Module] = {}
    losses: dict[str, list[float]] = {}
    if device.type == "cuda":  # warm up: CUDA context, cuBLAS handles, kernels
        for run in runs.values():
            run()
    for _ in range(arguments.repeats):  # interleaved, best of repeats each
        for name, run in runs.items():
            elapsed, models[name], losses[name] = run()
            times[name].append(elapsed)
    print(
        f"MLP {setting.features}-{setting.hidden}-{setting.hidden}-{setting.classes} on "
        f"{setting.rows}x{setting.features}, batch {setting.batch}, {setting.epochs} epochs, "
        f"Adam, {arguments.device} ({torch.cuda.get_device_name(device) if device.type == 'cuda' else f'{arguments.threads} thread(s)'}), "
        f"torch {torch.__version__}, best of {arguments.repeats}, interleaved, "
        f"run {'recorded' if arguments.record else 'not recorded'}"
    )  # fmt: skip
    best = {name: min(wall for wall, _ in values) for name, values in times.items()}
    best_cpu = {name: min(cpu for _, cpu in values) for name, values in times.items()}
    resident = best["hand-written, data resident"]
    for name, value in best.items():
        print(
            f"  {name:30s}: {value:8.3f} s  {value / resident:6.3f} x resident"
            f"   (CPU time {best_cpu[name]:7.3f} s)"
        )
    reference = [p.detach().cpu() for p in models["hand-written, data resident"].parameters()]
    for name, model in models.items():
        same = all(
            torch.allclose(a, b.detach().cpu(), atol=1e-4)
            for a, b in zip(reference, model.parameters(), strict=True)
        )
        print(
            f"  {name:30s}: same weights as resident: {same}; epoch losses "
            f"{', '.join(f'{value:.4f}' for value in losses[name])}"
        )
    ratio = best["TorchStep + fit_epochs"] / min(
        best["hand-written, data resident"], best["hand-written, copy per batch"]
    )
    cpu_ratio = best_cpu["TorchStep + fit_epochs"] / min(
        best_cpu["hand-written, data resident"], best_cpu["hand-written, copy per batch"]
    )
    print(
        f"  fit_epochs / best hand-written loop: {ratio:6.3f}  (goal <= {setting.goal}); "
        f"in CPU time {cpu_ratio:6.3f}"
    )


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as scratch:  # fit_epochs records its runs in the cwd
        os.chdir(scratch)
        main()
