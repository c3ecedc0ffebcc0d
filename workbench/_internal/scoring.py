"""scikit-learn scorers by name, with a "did you mean" for names scikit-learn does not know."""

from __future__ import annotations

from typing import Any

from sklearn.metrics import get_scorer, get_scorer_names

from workbench._internal.names import did_you_mean


def scorer_by_name(name: str, *, error: type[Exception], what: str) -> Any:
    """``get_scorer(name)``, or ``error`` naming the unknown ``what`` and the near misses."""
    try:
        return get_scorer(name)
    except ValueError:
        hint = did_you_mean(name, get_scorer_names())
        raise error(
            f"Unknown {what} {name!r}: scikit-learn has no scorer of that name.{hint} "
            f"sklearn.metrics.get_scorer_names() lists them; or pass a callable "
            f"(estimator, X, y) -> float."
        ) from None
