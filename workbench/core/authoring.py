"""What an author of steps, composites or Workbench subpackages needs from the core.

``workbench.core`` (and the top-level ``workbench``) hold what a user types in a notebook;
this module holds the building blocks for writing new steps and composites: the mini-batch
contract and its hooks, path helpers and the plain-data encodings the other layers share. It
is the one public module inside ``workbench.core``, as ``sklearn.utils`` is scikit-learn's
toolbox for estimator authors.
"""

from workbench.core._composite import MinibatchRoute
from workbench.core._minibatch import accepts_classes
from workbench.core._minibatch import check_partial_fit
from workbench.core._minibatch import is_stateless
from workbench.core._minibatch import learns_incrementally
from workbench.core._minibatch import minibatch_route
from workbench.core._minibatch import no_partial_fit_error
from workbench.core._paths import join_path

__all__ = [
    "MinibatchRoute",
    "accepts_classes",
    "check_partial_fit",
    "is_stateless",
    "join_path",
    "learns_incrementally",
    "minibatch_route",
    "no_partial_fit_error",
]
