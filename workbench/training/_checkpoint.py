"""An epoch run's checkpoint: what a run needs, besides its pipeline, to go on after a crash
exactly as it would have gone on (the History so far, and the random generator's states)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from workbench.exceptions import TrainingError
from workbench.store import History

#: numpy's bit generators, by the name their state gives (``state["bit_generator"]``).
BIT_GENERATORS = ("MT19937", "PCG64", "PCG64DXSM", "Philox", "SFC64")


class EpochCheckpoint(NamedTuple):
    """The state of an epoch run after its epoch ``epoch`` (``fit_epochs(checkpoint=...)``).

    Together with the pipeline as it was then, ``fit_epochs(..., resume_from=checkpoint)``
    runs the epochs the run had left and draws the same batches it would have drawn.

    Attributes
    ----------
    epoch : int
        The History's epoch number of the last epoch done.
    done, epochs : int
        How many of the run's ``epochs`` were done.
    history : History
        The History so far (with the one the run continued, if any).
    random_state, shuffle_state : dict
        The run's random generator's state before the validation split, and after the epoch
        (numpy's ``bit_generator.state``, as plain data).
    """

    epoch: int
    done: int
    epochs: int
    history: History
    random_state: dict[str, Any]
    shuffle_state: dict[str, Any]

    @property
    def finished(self) -> bool:
        """Whether the run had nothing left: every epoch done, or stopped early."""
        return self.done >= self.epochs or bool(self.history.attrs.get("stop_reason"))


def plain_state(generator: np.random.Generator) -> dict[str, Any]:
    """The generator's state as plain data (lists for arrays), for JSON."""
    return _plain(generator.bit_generator.state)


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.integer):
        return int(value)
    return value


def generator_from(state: Any, what: str) -> np.random.Generator:
    """A numpy Generator in ``state``; a TrainingError naming ``what`` when it is not one."""
    name = state.get("bit_generator") if isinstance(state, Mapping) else None
    if name not in BIT_GENERATORS:
        raise TrainingError(
            f"{what} must be a numpy bit generator's state (bit_generator one of "
            f"{list(BIT_GENERATORS)}), but got {name!r}. Pass the checkpoint fit_epochs gave."
        )
    bit_generator = getattr(np.random, name)()
    set_state(bit_generator, state, what)
    return np.random.Generator(bit_generator)


def set_state(bit_generator: Any, state: Any, what: str) -> None:
    """Put ``bit_generator`` in ``state``; a TrainingError when the state does not fit it."""
    try:
        bit_generator.state = dict(state)
    except (TypeError, ValueError, KeyError, AttributeError) as error:
        raise TrainingError(
            f"{what} is not a state of {type(bit_generator).__name__}: {error}. Pass the "
            f"checkpoint fit_epochs gave."
        ) from None
