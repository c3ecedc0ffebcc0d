"""Shared internals of Workbench's subpackages (not a public API).

``workbench._internal.scoring`` looks scikit-learn scorers up by name for the training and
tuning layers. (The run/study store they both record into is the public ``workbench.store``.)
"""
