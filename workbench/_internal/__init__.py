"""Shared internals of Workbench's subpackages (not a public API).

``scoring`` looks scikit-learn scorers up by name for the training and tuning layers (the
run/study store they both record into is the public ``workbench.store``); ``names`` writes the
"did you mean" of every error about an unknown name; ``plain`` gives NaN and the infinities one
JSON answer (null); ``optional`` imports torch and dask where they are needed, naming the extra
to install; ``version`` reads the package's version from its one home, ``pyproject.toml``;
``display`` holds the renderer registry of the views; ``options`` checks options declared as
constraints (``Interval``, ``OneOf``, ``InstanceOf``), with one message form.
"""
