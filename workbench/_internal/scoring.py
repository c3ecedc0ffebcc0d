"""scikit-learn scorers by name, with a "did you mean" for names scikit-learn does not know."""

from __future__ import annotations

import difflib
from typing import Any

from sklearn.metrics import get_scorer, get_scorer_names


def scorer_by_name(name: str, *, error: type[Exception], what: str) -> Any:
    """``get_scorer(name)``, or ``error`` naming the unknown ``what`` and the near misses."""
    try:
        return get_scorer(name)
    except ValueError:
        close = difflib.get_close_matches(name, get_scorer_names(), n=3)
        hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise error(
            f"Unknown {what} {name!r}: scikit-learn has no scorer of that name.{hint} "
            f"sklearn.metrics.get_scorer_names() lists them; or pass a callable "
            f"(estimator, X, y) -> float."
        ) from None
