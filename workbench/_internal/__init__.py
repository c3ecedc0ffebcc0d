"""Shared internals of Workbench's subpackages (not a public API).

``store`` resolves and opens the run/study store, so that the training layer records runs and
the tuning layer records studies in the same place without importing each other; ``scoring``
looks scikit-learn scorers up by name for both; ``names`` writes the "did you mean" of every
error about an unknown name; ``plain`` gives NaN and the infinities one JSON answer (null);
``optional`` imports torch and dask where they are needed, naming the extra to install;
``version`` reads the package's version from its one home, ``pyproject.toml``.
"""
