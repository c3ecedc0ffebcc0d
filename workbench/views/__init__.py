"""Notebook views: live learning curves, progress, the tuning panel.

Each view has three layers: a ``_get_<view>_info()`` function returning plain data, a renderer,
and the thin public widget or function below.
"""

from workbench.views._curves import Curves
from workbench.views._curves import curves
from workbench.views._progress import Progress
from workbench.views._tuning import TuningPanel

__all__ = [
    "Curves",
    "Progress",
    "TuningPanel",
    "curves",
]
