"""IPython magics: ``%load_ext workbench`` registers them.

``%wb_inspect``, ``%wb_space``, ``%wb_mutate``, ``%wb_tune``, ``%wb_curves`` and ``%wb_studies``
open the views of :mod:`workbench.views` from one line; ``%wb_tune?`` shows a magic's help.
"""

from workbench.magics._magics import WorkbenchMagics
from workbench.magics._magics import load_ipython_extension

__all__ = [
    "WorkbenchMagics",
    "load_ipython_extension",
]
