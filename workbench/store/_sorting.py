"""The order of a sorted page of trials, decided once for every kind of store.

A page sorted by a column lists the trials by that column's value, ascending or descending;
trials without one (no value, as a failed trial; NaN; a param the trial did not sample) come
last either way, and ties keep the trials' number order either way. The columns a page can be
sorted by are the fixed ones below and any sampled param (by path). A journal file and any
Optuna storage sort in Python with :func:`ordered`; an RDB sorts in SQL to the same order
(``_rdb.sorted_trial_ids``) where SQL can, and with :func:`ordered` where it cannot.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from workbench.exceptions import StoreQueryError

#: The fixed columns of :meth:`Store.trials` that a page can be sorted by; params follow.
SORTABLE = (
    "number",
    "state",
    "value",
    "values",
    "duration",
    "datetime_start",
    "datetime_complete",
    "error",
)


def sort_key(value: Any) -> tuple[int, Any] | None:
    """``value`` as a key all of a column's values compare by; None when it has none (None,
    NaN). Numbers before text before anything else, so mixed choices still sort."""
    if value is None:
        return None
    if isinstance(value, bool | int | float):
        return None if isinstance(value, float) and math.isnan(value) else (0, value)
    if isinstance(value, str):
        return (1, value)
    if isinstance(value, tuple) and all(isinstance(v, int | float) for v in value):
        return (0, value)  # several objectives: by the first, then the next
    return (2, repr(value))


def ordered(keyed: Iterable[tuple[Any, Any]], *, descending: bool) -> list[Any]:
    """The items of ``(item, value)`` pairs, given in trial-number order, sorted by value (see
    the module doc): without a value last, ties in the order given."""
    keyed = list(keyed)
    if all(type(value) in _NUMBERS for _, value in keyed):  # the usual case, in fewer steps
        numbers = [(value, item) for item, value in keyed if value is not None and value == value]
        numbers.sort(key=_first, reverse=descending)
        gaps = [item for item, value in keyed if value is None or value != value]  # None, NaN
        return [item for _, item in numbers] + gaps
    present: list[tuple[tuple[int, Any], Any]] = []
    missing: list[Any] = []
    for item, value in keyed:
        key = sort_key(value)
        if key is None:
            missing.append(item)
        else:
            present.append((key, item))
    present.sort(key=_first, reverse=descending)  # Python's sort stays stable reversed
    return [item for _, item in present] + missing


_NUMBERS = (int, float, type(None))  # exactly: True and False go the general way


def _first(pair: tuple[Any, Any]) -> Any:
    return pair[0]


def unknown_sort(sort: Any, params: Iterable[str]) -> StoreQueryError:
    """The error for a sort column that is none of :data:`SORTABLE` and no sampled param."""
    known = ", ".join([*SORTABLE, *sorted(set(params))])
    return StoreQueryError(
        f"sort must name a column of the trials ({known}), but got {sort!r}. Pass one of "
        f"them, or sort=None for trials by number."
    )


def row_value(row: dict[str, Any], column: str) -> Any:
    """The value a page sorted by ``column`` orders the trial ``row`` (a source's plain row:
    number, state, values, params, error, datetime_start, datetime_complete) by."""
    if column == "value":
        return row["values"][0] if row["values"] else None
    if column == "values":
        return tuple(row["values"]) if row["values"] else None
    if column == "duration":
        start, complete = row["datetime_start"], row["datetime_complete"]
        return (complete - start).total_seconds() if start and complete else None
    if column in SORTABLE:
        return row[column]
    return row["params"].get(column)
