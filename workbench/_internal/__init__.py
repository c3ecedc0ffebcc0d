"""Shared internals of Workbench's subpackages (not a public API).

``workbench._internal.store`` resolves and opens the run/study store, so that the training layer
records runs and the tuning layer records studies in the same place without importing each
other; ``workbench._internal.scoring`` looks scikit-learn scorers up by name for both.
"""
