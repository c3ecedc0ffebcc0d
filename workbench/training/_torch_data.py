"""A run's data for TorchSteps: on the device once when it fits, else copied batch by batch.

On a GPU, every batch copied from pageable host memory, and every loss read with ``.item()``,
makes the host wait for the device. :class:`TorchBatches` keeps each array on the device when
it fits (moved once, each batch gathered there), or else gathers each batch on the host into
pinned memory and copies it asynchronously; the losses stay on the device until the epoch's
end. On the CPU, batches are NumPy's row gathers (faster there than torch's indexing) wrapped
without a copy.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from workbench._internal.optional import optional_import

#: An array stays on a GPU for the whole run when the run's arrays take at most this share of
#: the device's free memory; the rest is left to the module's activations.
RESIDENT_SHARE = 0.5


def import_torch() -> Any:
    """``torch``, or an ImportError that names the extra to install."""
    return optional_import("torch", extra="torch", needed_by="TorchStep")


class _Feed:
    """One array (X or the encoded y), handed out batch by batch on one device."""

    def __init__(self, array: np.ndarray, device: Any, *, resident: bool) -> None:
        self.torch = torch = import_torch()
        self.device, self.on_cpu = device, device.type != "cuda"
        self.host: np.ndarray | None = None
        self.tensor: Any = None
        self.dtype = torch.from_numpy(array[:0]).dtype
        if not self.on_cpu and resident:
            self.tensor = torch.from_numpy(array).to(device)
        else:
            self.host = array

    def take(self, index: np.ndarray | None, device_index: Any, start: int, stop: int) -> Any:
        if self.tensor is not None:
            if device_index is None:
                return self.tensor[start:stop]
            return self.tensor.index_select(0, device_index)
        host, torch = self.host, self.torch
        assert host is not None
        if self.on_cpu:  # NumPy's gather (faster than torch's on the CPU), wrapped without a copy
            return torch.from_numpy(host[start:stop] if index is None else host[index])
        # Gather straight into pinned memory and copy without waiting: torch's pinned memory
        # allocator reuses a buffer only once the device has finished copying from it.
        pinned = torch.empty((stop - start, *host.shape[1:]), dtype=self.dtype, pin_memory=True)
        view = pinned.numpy()
        if index is None:
            view[...] = host[start:stop]
        else:
            np.take(host, index, axis=0, out=view, mode="clip")  # in range: unbuffered
        return pinned.to(self.device, non_blocking=True)


class TorchBatches:
    """The batches of a run through TorchSteps: X for ``entry``, y encoded for ``final``.

    ``batches(order, batch_size)`` yields ``(X_batch, y_batch, size)`` on the steps' devices;
    ``read_loss()`` returns the last batch's loss where it lies (no synchronisation), and
    ``to_floats()`` reads an epoch's losses back at once.
    """

    def __init__(self, X: Any, y: Any, *, entry: Any, final: Any, classes: Any) -> None:
        torch = import_torch()
        self.final = final
        X_host = np.asarray(X)
        if X_host.dtype != np.float32 or not X_host.flags.c_contiguous:
            X_host = np.ascontiguousarray(X_host, dtype=np.float32)
        y_host = None if y is None else np.ascontiguousarray(final._encode_targets(y, classes))
        x_device = entry._device or torch.device("cpu")
        y_device = final._device or torch.device("cpu")
        needed = X_host.nbytes + (0 if y_host is None else y_host.nbytes)
        self.n_samples = len(X_host)
        self.x: _Feed | None = _Feed(X_host, x_device, resident=_fits(needed, x_device))
        self.y: _Feed | None = (
            None if y_host is None else _Feed(y_host, y_device, resident=_fits(needed, y_device))
        )

    def batches(self, order: np.ndarray | None, batch_size: int) -> Iterator[tuple[Any, Any, int]]:
        """One epoch's batches, in ``order`` (None: as stored)."""
        torch = import_torch()
        devices: dict[Any, Any] = {}
        if order is not None:
            for feed in (self.x, self.y):
                if feed is not None and feed.tensor is not None and feed.device not in devices:
                    devices[feed.device] = torch.from_numpy(order).to(feed.device)
        n_samples, x = self.n_samples, self.x
        assert x is not None, "the run's data were released"
        for start in range(0, n_samples, batch_size):
            stop = min(start + batch_size, n_samples)
            index = None if order is None else order[start:stop]
            X_batch = x.take(index, _slice(devices, x.device, start, stop), start, stop)
            y_batch = (
                None
                if self.y is None
                else self.y.take(index, _slice(devices, self.y.device, start, stop), start, stop)
            )
            yield X_batch, y_batch, stop - start

    def read_loss(self) -> Any:
        """The final step's loss of the last batch, a device scalar (not read back yet)."""
        return self.final._batch_loss

    @staticmethod
    def to_floats(losses: Sequence[Any]) -> list[float]:
        """Losses as floats, read from the device in one synchronisation."""
        torch = import_torch()
        tensors = [loss for loss in losses if isinstance(loss, torch.Tensor)]
        if not tensors:
            return [float(loss) for loss in losses]
        values = iter(torch.stack([t.detach().float() for t in tensors]).cpu().tolist())
        return [next(values) if isinstance(loss, torch.Tensor) else float(loss) for loss in losses]

    def release(self) -> None:
        """Drop every array and buffer this run put on a device."""
        self.x = self.y = None


def _slice(devices: dict[Any, Any], device: Any, start: int, stop: int) -> Any:
    order = devices.get(device)
    return None if order is None else order[start:stop]


def _fits(n_bytes: int, device: Any) -> bool:
    if device.type != "cuda":
        return True
    free, _ = import_torch().cuda.mem_get_info(device)
    return n_bytes <= RESIDENT_SHARE * free
