"""Notebook views: the rich display of steps, the space editor, the inspector, the mutation
panel, live learning curves, progress, the tuning panel and the comparison of runs and trials.

Each view has three layers: ``_get_<view>_info()`` returns typed plain data, a renderer draws
it, and a thin public function or widget wraps both. Views read only the core's introspection,
its events, the History and the store.
"""

from workbench.views._compare import CompareView
from workbench.views._compare import compare
from workbench.views._curves import Curves
from workbench.views._curves import curves
from workbench.views._display import description_html
from workbench.views._display import fitted_attributes_html
from workbench.views._display import space_html
from workbench.views._display import step_html
from workbench.views._inspector import Inspector
from workbench.views._mutation import MutationPanel
from workbench.views._progress import Progress
from workbench.views._space_editor import SpaceEditor
from workbench.views._tuning import TuningPanel

__all__ = [
    "CompareView",
    "Curves",
    "Inspector",
    "MutationPanel",
    "Progress",
    "SpaceEditor",
    "TuningPanel",
    "compare",
    "curves",
    "description_html",
    "fitted_attributes_html",
    "space_html",
    "step_html",
]
