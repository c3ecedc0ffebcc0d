"""Learning loops: mini-batches, epochs, a History, label transforms, ND data, PyTorch.

Everything here is built on the core's public API and events. PyTorch is imported only when
a :class:`TorchStep` is used (``pip install 'workbench[torch]'``).
"""

from workbench.training._checkpoint import EpochCheckpoint
from workbench.training._early_stopping import EarlyStopping
from workbench.training._foreach import Flatten
from workbench.training._foreach import ForEach
from workbench.store import History
from workbench.training._targets import InputAsTarget
from workbench.training._targets import NextValueTarget
from workbench.training._targets import TransformTarget
from workbench.training._torch import TorchStep
from workbench.training._trainer import fit_epochs

__all__ = [
    "EarlyStopping",
    "EpochCheckpoint",
    "Flatten",
    "ForEach",
    "History",
    "InputAsTarget",
    "NextValueTarget",
    "TorchStep",
    "TransformTarget",
    "fit_epochs",
]
