"""Saving pipelines: per-step savers, a secure default format (skops), atomic files.

``save(pipe, path)`` writes one zip file (a JSON manifest plus the steps' blobs) and
``load(path)`` rebuilds the pipeline, refusing types nobody trusted. Steps that pickle cannot
handle get a saver of their own through :func:`register_saver`; the same savers ship steps to
parallel workers (``workbench.parallel``).
"""

from workbench.persistence._files import dumps
from workbench.persistence._files import get_untrusted_types
from workbench.persistence._files import load
from workbench.persistence._files import loads
from workbench.persistence._files import read_manifest
from workbench.persistence._files import save
from workbench.persistence._format import Packed
from workbench.persistence._format import pack
from workbench.persistence._manifest import FORMAT_VERSION
from workbench.persistence._savers import FittedStateSaver
from workbench.persistence._savers import Saver
from workbench.persistence._savers import SkopsSaver
from workbench.persistence._savers import TRUSTED_TYPES
from workbench.persistence._savers import TorchStepSaver
from workbench.persistence._savers import register_saver
from workbench.persistence._savers import saver_for
from workbench.persistence._savers import unregister_saver

__all__ = [
    "FORMAT_VERSION",
    "TRUSTED_TYPES",
    "FittedStateSaver",
    "Packed",
    "Saver",
    "SkopsSaver",
    "TorchStepSaver",
    "dumps",
    "get_untrusted_types",
    "load",
    "loads",
    "pack",
    "read_manifest",
    "register_saver",
    "save",
    "saver_for",
    "unregister_saver",
]
