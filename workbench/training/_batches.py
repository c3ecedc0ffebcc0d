"""Where an epoch run's data come from: indexing, the validation split and the batches."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
from sklearn.model_selection import train_test_split

from workbench.exceptions import TrainingError
from workbench.training._plan import Plan


def length(data: Any, what: str) -> int:
    shape = getattr(data, "shape", None)
    if shape is not None and len(shape) > 0:
        return int(shape[0])
    try:
        return len(data)
    except TypeError:
        raise TrainingError(
            f"{what} must be an array-like with a length, but got {data!r}."
        ) from None


def as_indexable(data: Any) -> Any:
    if data is None or hasattr(data, "iloc") or hasattr(data, "shape"):
        return data
    return np.asarray(data)


def _take(data: Any, index: Any) -> Any:
    if data is None:
        return None
    if hasattr(data, "iloc"):
        return data.iloc[index]
    return data[index]


class _HostBatches:
    """A run's batches taken on the host, as they are."""

    def __init__(
        self,
        X: Any,
        y: Any,
        read_loss: Callable[[], Any],
        to_floats: Callable[[Sequence[Any]], list[float]],
    ) -> None:
        self.X, self.y, self.n_samples = X, y, length(X, "X")
        self.read_loss, self.to_floats = read_loss, to_floats

    def batches(self, order: np.ndarray | None, batch_size: int) -> Iterator[tuple[Any, Any, int]]:
        X, y, n_samples = self.X, self.y, self.n_samples
        for start in range(0, n_samples, batch_size):
            index = (
                slice(start, start + batch_size)
                if order is None
                else order[start : start + batch_size]
            )
            yield _take(X, index), _take(y, index), min(batch_size, n_samples - start)

    def release(self) -> None:
        self.X = self.y = None


def _floats(losses: Sequence[Any]) -> list[float]:
    return [float(loss) for loss in losses]


def batch_source(plan: Plan, X: Any, y: Any) -> Any:
    """Where the run's batches come from, and how the final step's losses are read.

    A plan of TorchSteps alone takes its batches on their device (the data moved there once
    when it fits); a TorchStep at the end leaves each loss on its device, read back once per
    epoch; any other final step's loss is read as a float after each batch.
    """
    from workbench.training._torch import TorchStep

    final, attribute, steps = plan.final, plan.loss_attribute, plan.steps
    if not isinstance(final, TorchStep):
        return _HostBatches(X, y, lambda: float(getattr(final, str(attribute))), _floats)
    from workbench.training._torch_data import TorchBatches

    if not plan.targets and all(isinstance(step, TorchStep) for step in steps):
        return TorchBatches(X, y, entry=steps[0], final=final, classes=plan.classes)
    return _HostBatches(X, y, lambda: final._batch_loss, TorchBatches.to_floats)


def split(X: Any, y: Any, fraction: float, seed: int, stratify: Any) -> list[Any]:
    if y is None:
        X_train, X_valid = train_test_split(X, test_size=fraction, random_state=seed, shuffle=True)
        return [X_train, X_valid, None, None]
    return list(train_test_split(X, y, test_size=fraction, random_state=seed, stratify=stratify))
