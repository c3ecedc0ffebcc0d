"""pytest-jupyter's server fixtures (jp_fetch, jp_serverapp, ...) for this folder only.

Its autouse fixtures (an event loop per test) stay out of the rest of the suite: the plugin is
imported here rather than enabled for the whole run.
"""

from __future__ import annotations

from pytest_jupyter.jupyter_server import *  # noqa: F403
