"""Errors and warnings raised by Workbench.

Every error derives from :class:`WorkbenchError`; leaves also derive from the built-in a caller
would catch without knowing Workbench (``ValueError``, ``KeyError``, ...)::

    WorkbenchError
    ├── HyperparamError (ValueError)        a value outside its space, a bad hyperparam
    │   └── UnknownPathError (KeyError)     a path that names no step or hyperparam
    ├── SpaceError (ValueError)             a distribution that is not one, an empty space
    ├── StructureError (ValueError)         duplicate or malformed step names, bad mutations
    ├── NotFittedError (sklearn's NotFittedError: ValueError, AttributeError)
    ├── CallbackError (RuntimeError)        a callback raised; the pipeline is left consistent
    │   └── InvalidCallbackError (ValueError)  attaching what is no callback, removing a stranger
    ├── LifecycleError (RuntimeError)       setup/teardown failed
    ├── StepContractError (AssertionError)  ``workbench.testing.check_step`` found a violation
    ├── TrainingError (ValueError)          bad training options, a step without partial_fit
    │   └── DivergedError (FloatingPointError)  a NaN or infinite loss stopped the run
    ├── TuningError (ValueError)            bad tuning options, incompatible studies
    ├── StorageError (ConnectionError)      a store that cannot be reached, read or written
    │   └── StoreQueryError (ValueError)    a page of trials asked with a bad offset, limit, sort
    ├── PersistenceError (OSError)          a file that cannot be written or read back
    │   ├── UntrustedTypesError (TypeError) loading met types nobody trusted
    │   ├── UnsavableStepError (TypeError)  a step with no saver that pickle cannot handle
    │   ├── InvalidSaverError (TypeError)   register_saver() got no class, or no Saver
    │   └── UnknownSaverError (KeyError)    unregister_saver() for a class without one
    ├── ParallelError (RuntimeError)        a step failed in a worker
    └── ViewError (ValueError)              a view given something it cannot show or do

    StopTraining (Exception)   not an error: a callback raises it to end an epoch run cleanly
    WorkbenchWarning (UserWarning)
"""

from __future__ import annotations

import typing

__all__ = [
    "CallbackError",
    "DivergedError",
    "HyperparamError",
    "InvalidCallbackError",
    "InvalidSaverError",
    "LifecycleError",
    "NotFittedError",
    "ParallelError",
    "PersistenceError",
    "SpaceError",
    "StepContractError",
    "StopTraining",
    "StorageError",
    "StoreQueryError",
    "StructureError",
    "TrainingError",
    "TuningError",
    "UnknownPathError",
    "UnknownSaverError",
    "UnsavableStepError",
    "UntrustedTypesError",
    "ViewError",
    "WorkbenchError",
    "WorkbenchWarning",
]


class WorkbenchError(Exception):
    """Base of every error Workbench raises."""


class HyperparamError(WorkbenchError, ValueError):
    """A hyperparameter value is not allowed (outside its space, wrong type)."""


class UnknownPathError(HyperparamError, KeyError):
    """A path names no step or hyperparameter of the tree."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0]) if self.args else ""


class SpaceError(WorkbenchError, ValueError):
    """A space is malformed: not an Optuna distribution, or nothing left to search."""


class StructureError(WorkbenchError, ValueError):
    """The shape of a pipeline is wrong: duplicate names, ``__`` in a name, a bad mutation."""


if typing.TYPE_CHECKING:
    from sklearn.exceptions import NotFittedError as _SklearnNotFittedError

    class NotFittedError(WorkbenchError, _SklearnNotFittedError):
        """A step was used, or frozen, before it was fitted."""


def __getattr__(name: str) -> typing.Any:
    # NotFittedError derives from scikit-learn's; it is made on first use so that importing
    # this module (as the store and the Jupyter server do) does not import scikit-learn.
    if name != "NotFittedError":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from sklearn.exceptions import NotFittedError as SklearnNotFittedError

    class NotFittedError(WorkbenchError, SklearnNotFittedError):
        """A step was used, or frozen, before it was fitted."""

    NotFittedError.__module__ = __name__
    NotFittedError.__qualname__ = "NotFittedError"
    globals()["NotFittedError"] = NotFittedError
    return NotFittedError


class CallbackError(WorkbenchError, RuntimeError):
    """A callback raised while handling an event."""


class InvalidCallbackError(CallbackError, ValueError):
    """An object without ``on_<event>`` methods was attached as a callback, or a callback that
    was never attached was removed."""


class LifecycleError(WorkbenchError, RuntimeError):
    """A step's setup or teardown failed."""


class StepContractError(WorkbenchError, AssertionError):
    """A step breaks the Workbench step contract (see ``workbench.testing.check_step``)."""


class TrainingError(WorkbenchError, ValueError):
    """Training options are invalid, or a step cannot be trained the way it was asked."""


class DivergedError(TrainingError, FloatingPointError):
    """The loss became NaN or infinite."""


class TuningError(WorkbenchError, ValueError):
    """Tuning options are invalid, or a stored study does not match the one asked for."""


class StorageError(WorkbenchError, ConnectionError):
    """A store cannot be reached, read or written (training and tuning both raise it)."""


class StoreQueryError(StorageError, ValueError):
    """A page of trials asked with a bad offset, limit or sort column: the asker's fault."""


class PersistenceError(WorkbenchError, OSError):
    """A pipeline cannot be saved to, or loaded from, a path."""


class UntrustedTypesError(PersistenceError, TypeError):
    """A saved file holds types that were not trusted."""


class UnsavableStepError(PersistenceError, TypeError):
    """A step has no saver and cannot be pickled."""


class InvalidSaverError(PersistenceError, TypeError):
    """``register_saver`` was given something other than a class and a Saver."""


class UnknownSaverError(PersistenceError, KeyError):
    """``unregister_saver`` was asked to forget a saver that is not registered."""


class ParallelError(WorkbenchError, RuntimeError):
    """A step failed in a parallel worker."""


class ViewError(WorkbenchError, ValueError):
    """A notebook view was given something it cannot show, or asked what it cannot do."""


class StopTraining(Exception):  # noqa: N818 - control flow, not an error
    """Raised by a callback to end an epoch run cleanly after the current batch or epoch.

    Callbacks' control-flow exceptions (this one and Optuna's ``TrialPruned``) pass through
    ``notify`` unchanged.
    """


class WorkbenchWarning(UserWarning):
    """Base of every warning Workbench emits."""
