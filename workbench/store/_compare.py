"""Comparison: runs and trials side by side, from one store or several.

An *item* names one run or trial: a run's name, a ``(study, trial)`` pair, ``"study#12"``, or
a study's name (its best complete trial); ``"study@*"`` names every version of a study (each
version's best complete trial). Across several stores an item may carry the store's
key as a prefix, ``"lab:run-3"`` (see :func:`compare`). The comparison is plain data: what the
notebook view, the server route and the Lab panel draw.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd

from workbench._internal.names import did_you_mean
from workbench.exceptions import StorageError
from workbench.store._history import history_marks, split_statistic
from workbench.store._kept import split_version
from workbench.store._schema import RUN, TrialRecord, to_json_value

if TYPE_CHECKING:
    from workbench.store._browse import Store

#: Columns of :attr:`Comparison.items`, in order.
ITEM_COLUMNS = (
    "label",
    "store",
    "kind",
    "study",
    "trial",
    "metric",
    "direction",
    "value",
    "epochs",
    "duration",
    "state",
)
#: Columns of :attr:`Comparison.curves`, in order.
CURVE_COLUMNS = ("label", "epoch", "statistic", "split", "value", "phase", "mutation")
#: The kinds of change :attr:`Comparison.structure_diff` reports.
STRUCTURE_CHANGES = ("added", "removed", "class", "replaced")


class ItemRef(NamedTuple):
    """One item found: which store (and its key), which study or run, which trial."""

    store: Store
    store_key: str | None
    study: str
    trial: int
    given: Any


@dataclass(frozen=True)
class Comparison:
    """Runs and trials side by side, as plain DataFrames (see :meth:`Store.compare`).

    Attributes
    ----------
    items : DataFrame
        One row per item: ``label`` (how the item is shown: the run's name or
        ``"study#12"``, with ``"store:"`` before it when items come from several stores),
        ``store``, ``kind`` (``"run"`` or ``"trial"``), ``study``, ``trial``, ``metric``,
        ``direction``, ``value``, ``epochs``, ``duration`` (seconds) and ``state``.
    curves : DataFrame
        Long form, one row per item, epoch and statistic: ``label``, ``epoch``,
        ``statistic`` (a History column such as ``"valid_loss"``), ``split`` (``"train"`` or
        ``"valid"``), ``value``, ``phase`` and ``mutation`` (what changed in the pipeline just
        before that epoch, else None). A running trial without a History yet shows the values
        it reported so far, under its study's metric.
    hyperparams : DataFrame
        Every hyperparameter path (the index) by item (one column per label).
    differing : DataFrame
        The rows of :attr:`hyperparams` whose values differ between items.
    structure_diff : DataFrame
        The steps that differ, by ``path``: ``change`` (``"added"`` or ``"removed"``
        against the first item, ``"class"`` where the class differs, ``"replaced"`` where a
        mutation swapped the step), ``depth`` (for drawing a tree), then the step's class per
        item (None where it has no such step).
    mutation_logs : dict
        Label -> the item's mutation log, oldest first.
    marks : DataFrame
        ``label``, ``epoch``, ``mark``: where an item's pipeline mutated or its phase changed
        (``"finetune: replace head"``), as the store marks a History.
    """

    items: pd.DataFrame
    curves: pd.DataFrame
    hyperparams: pd.DataFrame
    differing: pd.DataFrame
    structure_diff: pd.DataFrame
    mutation_logs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    marks: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["label", "epoch", "mark"])
    )

    @property
    def labels(self) -> list[str]:
        """The items' labels, in the order they were given."""
        return [str(label) for label in self.items["label"]]

    def __repr__(self) -> str:
        return f"Comparison({len(self.items)} items: {', '.join(self.labels[:5])}" + (
            ", ...)" if len(self.items) > 5 else ")"
        )

    def grouped(self, path: str, *, band: str = "range") -> pd.DataFrame:
        """One mean curve and a band per value of the hyperparam ``path``.

        Columns: ``group`` (the value, as text), ``statistic``, ``split``, ``epoch``,
        ``mean``, ``low`` and ``high`` (the band: the least and greatest value with
        ``band="range"``, mean ± standard deviation with ``band="std"``), ``n`` (items
        with a value at that epoch) and ``labels`` (the group's items, in
        :meth:`group_labels`).
        """
        groups = self.group_labels(path)
        if band not in ("range", "std"):
            raise StorageError(f"band must be 'range' or 'std', but got {band!r}.")
        group_of = {label: group for group, labels in groups.items() for label in labels}
        curves = self.curves.dropna(subset=["value"]).copy()
        curves["group"] = curves["label"].map(group_of)
        keys = ["group", "statistic", "split", "epoch"]
        stats = curves.groupby(keys, sort=False, observed=True)["value"]
        frame = stats.agg(["mean", "min", "max", "std", "count"]).reset_index()
        if band == "std":
            spread = frame["std"].fillna(0.0)
            frame["low"], frame["high"] = frame["mean"] - spread, frame["mean"] + spread
        else:
            frame["low"], frame["high"] = frame["min"], frame["max"]
        frame = frame.rename(columns={"count": "n"})
        return frame[[*keys, "mean", "low", "high", "n"]].sort_values(keys, kind="stable")

    def group_labels(self, path: str) -> dict[str, list[str]]:
        """The items' labels by the value (as text) of the hyperparam ``path``."""
        if path not in self.hyperparams.index:
            hint = did_you_mean(str(path), [str(p) for p in self.hyperparams.index])
            raise StorageError(
                f"No hyperparam {path!r} in the items compared.{hint} "
                f"Comparison.hyperparams lists every path."
            )
        groups: dict[str, list[str]] = {}
        for label in self.labels:
            value = self.hyperparams.at[path, label]
            groups.setdefault(_text(value), []).append(label)
        return groups

    def to_json(self, *, series: bool = True) -> dict[str, Any]:
        """JSON-ready data for a front end: items, curves as one series per item and
        statistic (left out with ``series=False``), mutation marks, the differing
        hyperparams and the structure diff."""
        return {
            "items": to_json_value(self.items.to_dict(orient="records")),
            "series": list(_series_of(self.curves)) if series else [],
            "marks": list(_marks_of(self.marks)),
            "differing": {
                "paths": [str(path) for path in self.differing.index],
                "labels": self.labels,
                "rows": to_json_value(self.differing.to_numpy().tolist()),
            },
            "structure_diff": {
                "columns": [str(c) for c in self.structure_diff.columns],
                "rows": to_json_value(self.structure_diff.to_numpy().tolist()),
            },
        }


# -- finding the items ---------------------------------------------------------------------------
def find_item(
    store: Store,
    item: Any,
    *,
    store_key: str | None = None,
    kinds: Mapping[str, tuple[str, str, int]] | None = None,
) -> ItemRef:
    """The run or trial ``item`` names in ``store``; a StorageError naming it if none.

    ``kinds`` (name -> kind and direction, as :func:`kinds_of` gives them) saves reading the
    store's listing again for each item of a long list.
    """
    if isinstance(item, tuple):
        if len(item) != 2 or not isinstance(item[0], str) or not is_number(item[1]):
            raise StorageError(
                f"An item pair is (study, trial number), such as ('search', 12), but got {item!r}."
            )
        study, number = item
        if not store.has(study, int(number)):
            raise _missing(store, item, study, int(number))
        return ItemRef(store, store_key, study, int(number), item)
    if not isinstance(item, str) or not item:
        raise StorageError(
            f"An item is a run's name, a study's name (its best trial), 'study#12' or a pair "
            f"(study, 12), but got {item!r}."
        )
    if kinds is None:
        kinds = kinds_of(store)
    if item in kinds:
        kind, _, count = kinds[item]
        if not count:
            raise StorageError(f"Cannot compare {item!r}: it has no trial yet.")
        number = 0 if kind == RUN else _best_trial(store, item)
        return ItemRef(store, store_key, item, number, item)
    study, sep, tail = item.rpartition("#")
    if sep and tail.isdigit() and study:
        if not store.has(study, int(tail)):
            raise _missing(store, item, study, int(tail))
        return ItemRef(store, store_key, study, int(tail), item)
    raise _missing(store, item, item, None)


#: The suffix of an item that names every version of a study: ``"digits@*"``.
ALL_VERSIONS = "@*"


def find_items(
    store: Store,
    item: Any,
    *,
    store_key: str | None = None,
    kinds: Mapping[str, tuple[str, str, int]] | None = None,
) -> list[ItemRef]:
    """The runs or trials ``item`` names in ``store``: one (see :func:`find_item`), or for
    ``"study@*"`` the best complete trial of each version of the study, by version (a version
    without a complete trial yet is left out)."""
    if kinds is None:
        kinds = kinds_of(store)
    names = version_names(item, kinds)
    if names is None:
        return [find_item(store, item, store_key=store_key, kinds=kinds)]
    refs = []
    for name in names:
        try:
            refs.append(find_item(store, name, store_key=store_key, kinds=kinds))
        except StorageError:  # no complete trial in this version yet
            continue
    if not refs:
        base = str(item)[: -len(ALL_VERSIONS)]
        studies = [name for name, (kind, _, _) in kinds.items() if kind != RUN]
        hint = did_you_mean(base, studies) if not names else ""
        why = "no version of it has a complete trial" if names else "no study of that name"
        raise StorageError(
            f"Cannot compare {item!r}: {why} in the store {store.name!r}.{hint} "
            f"Store.studies() lists the studies and their versions."
        )
    return refs


def version_names(item: Any, kinds: Mapping[str, tuple[str, str, int]]) -> list[str] | None:
    """The names of every version of the study ``"study@*"`` names, by version (the
    store's ``split_version``); None for an item of another form."""
    if not isinstance(item, str) or not item.endswith(ALL_VERSIONS):
        return None
    base = split_version(item[: -len(ALL_VERSIONS)])[0]
    found = sorted(
        (split_version(name)[1], name)
        for name, (kind, _, _) in kinds.items()
        if kind != RUN and split_version(name)[0] == base
    )
    return [name for _, name in found]


def kinds_of(store: Store) -> dict[str, tuple[str, str, int]]:
    """Name -> kind (``"run"`` or ``"study"``), direction and number of trials, for everything
    in ``store``."""
    listing = store.summaries()
    return {
        str(name): (str(kind), str(direction), int(count))
        for name, kind, direction, count in zip(
            listing["name"],
            listing["kind"],
            listing["direction"],
            listing["n_trials"],
            strict=True,
        )
    }


def is_number(value: Any) -> bool:
    return bool(isinstance(value, int | np.integer) and not isinstance(value, bool) and value >= 0)


def _missing(store: Store, item: Any, study: str, trial: int | None) -> StorageError:
    if trial is not None and store.has(study):
        count = len(store.trials(study))
        return StorageError(
            f"Cannot compare {item!r}: {study!r} has no trial {trial}; it has {count} "
            f"trial(s), numbered from 0."
        )
    names = list(store.summaries()["name"])
    hint = did_you_mean(str(study), [str(n) for n in names])
    return StorageError(
        f"Cannot compare {item!r}: no study or run named {study!r} in the store "
        f"{store.name!r}.{hint} Store.studies() and Store.runs() list them."
    )


def _best_trial(store: Store, name: str) -> int:
    """A study's best complete trial, by its direction: the store's best so far."""
    best = store.values(name)["best_number"].dropna()
    if not len(best):
        raise StorageError(
            f"Cannot compare the study {name!r}: it has no complete trial to stand for it. "
            f"Name one of its trials instead, such as {name + '#0'!r}."
        )
    return int(best.iloc[-1])


def compare_refs(refs: Sequence[ItemRef]) -> Comparison:
    """The comparison of items already found (see :func:`find_item`)."""
    refs = _unique(refs)
    records = [ref.store.record(ref.study, ref.trial) for ref in refs]
    several_stores = len({id(ref.store) for ref in refs}) > 1
    labels = [
        _label(ref, record, several_stores) for ref, record in zip(refs, records, strict=True)
    ]
    rows, curves, hyperparams, structures, logs = [], [], {}, {}, {}
    marks: list[tuple[str, int, str]] = []
    for ref, label, record in zip(refs, labels, records, strict=True):
        rows.append(_item_row(ref, label, record))
        curves.append(_curve_of(ref, label, record))
        hyperparams[label] = _hyperparams_of(record)
        structures[label] = _steps_of(record.structure)
        logs[label] = list(record.mutation_log)
        marks += [(label, epoch, mark) for epoch, mark in history_marks(record.history)]
    items = pd.DataFrame(rows, columns=list(ITEM_COLUMNS))
    items["value"] = items["value"].astype("float64")
    items["duration"] = items["duration"].astype("float64")
    table = _hyperparam_table(hyperparams, labels)
    return Comparison(
        items=items,
        curves=_concat_curves(curves),
        hyperparams=table,
        differing=table[_differs(table)],
        structure_diff=_structure_diff(structures, logs, labels),
        mutation_logs=logs,
        marks=pd.DataFrame(marks, columns=["label", "epoch", "mark"]),
    )


def _unique(refs: Sequence[ItemRef]) -> list[ItemRef]:
    seen: set[tuple[int, str, int]] = set()
    kept = []
    for ref in refs:
        key = (id(ref.store), ref.study, ref.trial)
        if key not in seen:
            seen.add(key)
            kept.append(ref)
    return kept


def _label(ref: ItemRef, record: TrialRecord, several_stores: bool) -> str:
    label = ref.study if record.kind == RUN else f"{ref.study}#{ref.trial}"
    if several_stores and ref.store_key is not None:
        label = f"{ref.store_key}:{label}"
    return label


# -- one item's parts ----------------------------------------------------------------------------
def _item_row(ref: ItemRef, label: str, record: TrialRecord) -> dict[str, Any]:
    history = record.history
    duration: float | None = None
    times = _numbers(history["epoch_time"]) if "epoch_time" in history.columns else None
    if times is not None and not np.isnan(times).all():
        duration = float(np.nansum(times))
    elif record.datetime_start is not None and record.datetime_complete is not None:
        duration = (record.datetime_complete - record.datetime_start).total_seconds()
    epochs = _numbers(history["epoch"]) if "epoch" in history.columns and len(history) else None
    return {
        "label": label,
        "store": ref.store_key if ref.store_key is not None else ref.store.name,
        "kind": "run" if record.kind == RUN else "trial",
        "study": ref.study,
        "trial": ref.trial,
        "metric": record.metric,
        "direction": record.direction,
        "value": record.value,
        "epochs": int(np.nanmax(epochs)) if epochs is not None else 0,
        "duration": duration,
        "state": record.state,
    }


def chart_of(statistic: str) -> str:
    """The chart a History column is drawn in: ``"train_loss"`` and ``"valid_loss"`` share
    ``"loss"``.

    Examples
    --------
    >>> chart_of("train_loss"), chart_of("valid_accuracy"), chart_of("epoch_time")
    ('loss', 'accuracy', 'epoch_time')
    """
    split = split_statistic(statistic)
    return split[1] if split is not None else statistic


def _split(statistic: str) -> str:
    split = split_statistic(statistic)
    return split[0] if split is not None else "valid"  # a study's metric: a validation score


def _curve_of(ref: ItemRef, label: str, record: TrialRecord) -> dict[str, np.ndarray]:
    """The item's curves in long form, as columns."""
    history = record.history
    columns = [str(column) for column in history.columns]
    statistics = [c for c in columns if split_statistic(c) is not None]
    if not statistics and record.state == "running":
        return _reported_curve(ref, label, record)
    n = len(history)
    if not statistics or "epoch" not in columns or not n:
        return {}
    k = len(statistics)
    return {
        "label": np.full(n * k, label, dtype=object),
        "epoch": np.tile(history["epoch"].to_numpy(), k),
        "statistic": np.repeat(np.array(statistics, dtype=object), n),
        "split": np.repeat(np.array([_split(s) for s in statistics], dtype=object), n),
        "value": np.concatenate([_numbers(history[s]) for s in statistics]),
        "phase": np.tile(_column(history, "phase", n), k),
        "mutation": np.tile(_column(history, "mutation", n), k),
    }


def _numbers(column: pd.Series) -> np.ndarray:
    try:
        return column.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError):  # a statistic that is not a number everywhere
        return pd.to_numeric(column, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _column(history: pd.DataFrame, name: str, n: int) -> np.ndarray:
    if name not in history.columns:
        return np.full(n, None, dtype=object)
    values = history[name].to_numpy(dtype=object, copy=True)
    values[pd.isna(values)] = None
    return values


def _reported_curve(ref: ItemRef, label: str, record: TrialRecord) -> dict[str, np.ndarray]:
    """What a running trial without a History has reported so far, under its metric."""
    page = ref.store.trials(ref.study, offset=ref.trial, limit=1)
    reported = page["intermediate_values"].iloc[0] if len(page) else None
    if not reported:
        return {}
    steps = sorted(int(step) for step in reported)
    statistic = record.metric or "value"
    n = len(steps)
    return {
        "label": np.full(n, label, dtype=object),
        "epoch": np.array(steps),
        "statistic": np.full(n, statistic, dtype=object),
        "split": np.full(n, _split(statistic), dtype=object),
        "value": np.array([_float(reported[s]) for s in steps], dtype=float),
        "phase": np.full(n, None, dtype=object),
        "mutation": np.full(n, None, dtype=object),
    }


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _concat_curves(parts: list[dict[str, np.ndarray]]) -> pd.DataFrame:
    parts = [part for part in parts if part]
    if not parts:
        frame = pd.DataFrame({column: [] for column in CURVE_COLUMNS})
        frame["epoch"] = frame["epoch"].astype("int64")
        frame["value"] = frame["value"].astype("float64")
        return frame
    columns = {
        column: np.concatenate([part[column] for part in parts]) for column in CURVE_COLUMNS
    }
    return pd.DataFrame(
        {
            column: pd.Series(values, dtype=object if values.dtype == object else None)
            for column, values in columns.items()
        }
    )


def _walk(node: Mapping[str, Any] | None) -> Iterator[Mapping[str, Any]]:
    """The active nodes of a structure (the core's ``describe()``), parents first."""
    if not isinstance(node, Mapping) or node.get("active") is False:
        return
    yield node
    for child in node.get("children") or ():
        yield from _walk(child)


def _hyperparams_of(record: TrialRecord) -> dict[str, Any]:
    """Every hyperparam by path: the structure's, then the run's, then the trial's own."""
    values: dict[str, Any] = {}
    for node in _walk(record.structure):
        path = str(node.get("path") or "")
        for name, value in (node.get("hyperparams") or {}).items():
            values[f"{path}__{name}" if path else str(name)] = value
    values.update(record.hyperparams)
    values.update(record.params)
    return values


def _steps_of(structure: Mapping[str, Any] | None) -> dict[str, str]:
    return {str(node.get("path") or ""): str(node.get("class")) for node in _walk(structure)}


def _hyperparam_table(
    by_label: Mapping[str, Mapping[str, Any]], labels: list[str]
) -> pd.DataFrame:
    paths = list(dict.fromkeys(path for values in by_label.values() for path in values))
    data = {label: [by_label[label].get(path) for path in paths] for label in labels}
    table = pd.DataFrame(data, index=pd.Index(paths, name="path"), columns=labels, dtype=object)
    return table


def _key(value: Any) -> str:
    return json.dumps(to_json_value(value), sort_keys=True)


def _differs(table: pd.DataFrame) -> np.ndarray:
    rows = table.to_numpy()
    return np.array([len({_key(v) for v in row}) > 1 for row in rows], dtype=bool)


def _structure_diff(
    steps: Mapping[str, Mapping[str, str]],
    logs: Mapping[str, list[dict[str, Any]]],
    labels: list[str],
) -> pd.DataFrame:
    paths = list(dict.fromkeys(path for found in steps.values() for path in found))
    replaced = {
        label: {str(entry.get("path")) for entry in logs[label] if entry.get("op") == "replace"}
        for label in labels
    }
    rows = []
    for path in paths:
        classes = [steps[label].get(path) for label in labels]
        swapped = [path in replaced[label] for label in labels]
        if None in classes:
            change = "added" if classes[0] is None else "removed"
        elif len(set(classes)) > 1:
            change = "class"
        elif any(swapped) and not all(swapped):
            change = "replaced"
        else:
            continue
        rows.append([path, change, path.count("__") + 1 if path else 0, *classes])
    frame = pd.DataFrame(rows, columns=["path", "change", "depth", *labels], dtype=object)
    frame["depth"] = frame["depth"].astype("int64")
    return frame


def _text(value: Any) -> str:
    return "None" if value is None else str(value)


# -- JSON for front ends -------------------------------------------------------------------------
def _series_of(curves: pd.DataFrame) -> Iterator[dict[str, Any]]:
    """One series per item and statistic: epochs and values (null where missing)."""
    if not len(curves):
        return
    for (label, statistic), part in curves.groupby(["label", "statistic"], sort=False):
        yield {
            "label": label,
            "statistic": statistic,
            "chart": chart_of(str(statistic)),
            "split": part["split"].iloc[0],
            "epoch": part["epoch"].astype(int).tolist(),
            "value": [None if math.isnan(v) else v for v in part["value"].astype(float)],
        }


def _marks_of(marks: pd.DataFrame) -> Iterator[dict[str, Any]]:
    """Each item's marks: where its pipeline mutated or its phase changed."""
    for label, epoch, mark in marks.itertuples(index=False):
        yield {"label": str(label), "epoch": int(epoch), "mark": str(mark)}


# -- entry points --------------------------------------------------------------------------------
def compare_in(store: Store, items: Iterable[Any]) -> Comparison:
    """``Store.compare``: the items of one store."""
    items = listed_items(items)
    kinds = kinds_of(store)
    return compare_refs([ref for item in items for ref in find_items(store, item, kinds=kinds)])


def listed_items(items: Any) -> list[Any]:
    if isinstance(items, str | tuple):
        items = [items]
    items = list(items)
    if not items:
        raise StorageError(
            "compare() needs at least one item: a run's name, a study's name, 'study#12', a "
            "pair (study, 12) or 'study@*' (every version of a study)."
        )
    return items
