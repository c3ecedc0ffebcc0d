"""Numbers as JSON has them: one answer for NaN and the infinities (null), everywhere."""

from __future__ import annotations

import math


def finite_or_none(number: float) -> float | None:
    """``number`` itself when finite; None (JSON's null) for NaN and the infinities."""
    return number if math.isfinite(number) else None
