"""Notebook views: the rich display of steps, the space editor, the inspector, the mutation
panel (and, from their own modules, learning curves, progress and the tuning panel).

Each view has three layers: ``_get_<view>_info()`` returns typed plain data, a renderer draws
it, and a thin public function or widget wraps both. Views read only the core's introspection,
its events, the History and the store.
"""

from workbench.views._display import description_html
from workbench.views._display import fitted_attributes_html
from workbench.views._display import space_html
from workbench.views._display import step_html
from workbench.views._inspector import Inspector
from workbench.views._mutation import MutationPanel
from workbench.views._space_editor import SpaceEditor

__all__ = [
    "Inspector",
    "MutationPanel",
    "SpaceEditor",
    "description_html",
    "fitted_attributes_html",
    "space_html",
    "step_html",
]
