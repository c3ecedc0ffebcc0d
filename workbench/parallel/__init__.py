"""Parallel steps: a step's transform over chunks of rows, and branches side by side.

Both are composites, so paths, spaces and introspection reach the steps inside
(``pipe["features__step__scale"]``). Steps travel to process workers through their savers
(``workbench.persistence``), never as plain pickles. joblib runs the work: its process backend
(loky) by default, threads, or a Dask cluster through joblib's dask backend (extra ``dask``)::

    from dask.distributed import Client
    client = Client("tcp://scheduler:8786")      # or Client(LocalCluster()) on this machine
    ParallelTransform(step, backend="dask")      # runs on the cluster's workers
"""

from workbench.parallel._transform import ParallelTransform
from workbench.parallel._union import ParallelUnion

__all__ = [
    "ParallelTransform",
    "ParallelUnion",
]
