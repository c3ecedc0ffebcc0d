"""Near misses of an unknown name, for the "did you mean" of error messages."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(name: str, known: Iterable[str], *, n: int = 3, cutoff: float = 0.6) -> str:
    """A ``" Did you mean 'a' or 'b'?"`` suffix naming up to ``n`` near misses of ``name``
    among ``known`` (``difflib``'s similarity ``cutoff``), or an empty string when none is
    near."""
    matches = difflib.get_close_matches(name, list(known), n=n, cutoff=cutoff)
    if not matches:
        return ""
    return " Did you mean " + " or ".join(repr(match) for match in matches) + "?"
