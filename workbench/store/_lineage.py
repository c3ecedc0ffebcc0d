"""Study versions and trial lineage, as the store reads them: which versions of a study there
are, where each came from, which trials a version reused from the one before, which trial a
trial extends. Decided here once; the views, the server and the Lab panel show the answers.

A version is named ``base@N`` (:func:`split_version`); version ``N >= 2`` records where it came
from in the study attribute ``workbench:version``, and each trial it reused carries the trial
attribute ``workbench:reused`` (``{"study", "trial"}``: the trial of the version before that it
copies). A trial made by ``Tuner.extend`` carries ``workbench:extends`` (a trial number); the
retry of a trial whose worker died carries ``workbench:resumes`` (the number of the trial it
resumes from its epoch checkpoint), and that trial is *resumed by* the retry.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from workbench.store._kept import EXTENDS_KEY, RESUMES_KEY, VERSION_KEY, split_version

REUSED_KEY = "workbench:reused"
#: The columns :meth:`Store.summaries` adds for versions, in order.
VERSION_COLUMNS = ("base", "version", "version_from", "reused", "versions", "under")


def extends_of(value: Any) -> int | None:
    """The trial number a ``workbench:extends`` attribute names, else None."""
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else None


def reused_of(value: Any) -> tuple[str, int] | None:
    """``(study, trial)`` a ``workbench:reused`` attribute names, else None."""
    if not isinstance(value, Mapping):
        return None
    study, trial = value.get("study"), value.get("trial")
    if isinstance(study, str) and isinstance(trial, int) and not isinstance(trial, bool):
        return study, trial
    return None


def resumed_by(resumes: Mapping[int, Any]) -> dict[int, int]:
    """Trial number -> the retry that resumes it, from each trial's ``workbench:resumes``
    (``resumes``: trial number -> that attribute); the first retry when several name one.

    Examples
    --------
    >>> resumed_by({1: 0, 2: None, 3: 1})
    {0: 1, 1: 3}
    """
    found: dict[int, int] = {}
    for number in sorted(resumes):
        resumed = extends_of(resumes[number])
        if resumed is not None:
            found.setdefault(resumed, int(number))
    return found


def lineage_of(user_attrs: Mapping[str, Any], *, resumed: int | None = None) -> dict[str, Any]:
    """A trial's lineage from its user attributes: ``extends`` (a trial number, or None),
    ``reused_from`` (``"study#12"``, or None), ``resumes`` (the trial whose worker died and
    that this retry resumes, or None) and ``resumed_by`` (``resumed``: the retry that resumes
    this trial, which only the other trials' attributes tell; see :func:`resumed_by`).

    Examples
    --------
    >>> lineage_of({"workbench:extends": 3})
    {'extends': 3, 'reused_from': None, 'resumes': None, 'resumed_by': None}
    >>> lineage_of({"workbench:reused": {"study": "digits", "trial": 4}})["reused_from"]
    'digits#4'
    >>> lineage_of({"workbench:resumes": 0})["resumes"]
    0
    """
    origin = reused_of(user_attrs.get(REUSED_KEY))
    return {
        "extends": extends_of(user_attrs.get(EXTENDS_KEY)),
        "reused_from": None if origin is None else f"{origin[0]}#{origin[1]}",
        "resumes": extends_of(user_attrs.get(RESUMES_KEY)),
        "resumed_by": extends_of(resumed),
    }


def lineage_text(lineage: Mapping[str, Any]) -> str:
    """A trial's lineage in words: ``"extends 3"``, ``"reused from digits#4"``,
    ``"resumes 0"``, ``"resumed by 5"`` (joined by ``" · "``), or ``""``.

    Examples
    --------
    >>> lineage_text({"extends": 3, "reused_from": None})
    'extends 3'
    >>> lineage_text({"resumes": 0, "resumed_by": 2})
    'resumes 0 · resumed by 2'
    """
    parts = []
    if lineage.get("extends") is not None:
        parts.append(f"extends {lineage['extends']}")
    if lineage.get("reused_from"):
        parts.append(f"reused from {lineage['reused_from']}")
    if lineage.get("resumes") is not None:
        parts.append(f"resumes {lineage['resumes']}")
    if lineage.get("resumed_by") is not None:
        parts.append(f"resumed by {lineage['resumed_by']}")
    return " · ".join(parts)


def version_fields(name: str, attrs: Mapping[str, Any]) -> dict[str, Any]:
    """``base``, ``version``, ``version_from`` (the version number it came from, None for a
    first version) and ``reused`` (trials it reused from there) of the study ``name``.

    Examples
    --------
    >>> version_fields("digits@2", {"workbench:version": {"from": "digits", "reused": 8}})
    {'base': 'digits', 'version': 2, 'version_from': 1, 'reused': 8}
    >>> version_fields("digits", {})
    {'base': 'digits', 'version': 1, 'version_from': None, 'reused': 0}
    """
    base, version = split_version(name)
    recorded = attrs.get(VERSION_KEY)
    origin, reused = None, 0
    if isinstance(recorded, Mapping) and version > 1:
        source = recorded.get("from")
        if isinstance(source, str) and split_version(source)[0] == base:
            origin = split_version(source)[1]
        count = recorded.get("reused")
        reused = int(count) if isinstance(count, int) and not isinstance(count, bool) else 0
    return {"base": base, "version": version, "version_from": origin, "reused": reused}


def group_versions(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The listing's rows with the versions of one study together: each study where its first
    stored version was created, its versions after it by number. Adds ``versions`` (how many
    versions of its study the store holds) and ``under`` (the name of the row a later version
    is drawn under: its study's first stored version; None for that row itself).

    Examples
    --------
    >>> rows = [{"name": n, **version_fields(n, {})} for n in ("a", "b", "a@2")]
    >>> [(row["name"], row["under"]) for row in group_versions(rows)]
    [('a', None), ('a@2', 'a'), ('b', None)]
    """
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((str(row.get("kind")), row["base"]), []).append(row)
    ordered = []
    for members in groups.values():
        members = sorted(members, key=lambda row: row["version"])
        head = members[0]["name"]
        for row in members:
            row["versions"] = len(members)
            row["under"] = None if row["name"] == head else head
            ordered.append(row)
    return ordered


def trial_lineage(
    extends: Mapping[int, Any],
    reused: Mapping[int, Any],
    resumes: Mapping[int, Any],
    numbers: Iterable[int],
) -> dict[int, dict[str, Any]]:
    """Per trial number, its :func:`lineage_of` from the attributes ``workbench:extends``,
    ``workbench:reused`` and ``workbench:resumes`` by trial number (``resumes`` of every
    trial of the study, so that the trials a retry resumes are known too)."""
    retries = resumed_by(resumes)
    return {
        number: lineage_of(
            {
                EXTENDS_KEY: extends.get(number),
                REUSED_KEY: reused.get(number),
                RESUMES_KEY: resumes.get(number),
            },
            resumed=retries.get(number),
        )
        for number in numbers
    }


def combine_versions(
    parts: Sequence[
        tuple[str, int, pd.DataFrame, Mapping[int, Any], Mapping[int, Any], Mapping[int, Any]]
    ],
) -> pd.DataFrame:
    """The trials of every version, each trial once: ``parts`` are per version, in order, its
    name, number, trials (``Store.trials``), ``workbench:extends``, ``workbench:reused`` and
    ``workbench:resumes`` attributes by trial number. A reused copy is left out; the trial it
    copies (followed back to the version that ran it) lists the versions that reused it in
    ``reused_in``. ``resumes`` and ``resumed_by`` link a dead worker's trial and its retry,
    both of one version."""
    origin_of: dict[tuple[str, int], tuple[str, int]] = {}
    reused_in: dict[tuple[str, int], list[int]] = {}
    frames, extended, resumed = [], [], []
    for name, version, frame, extends, reused, resumes in parts:
        keep = []
        for number in frame["number"]:
            copied = reused_of(reused.get(int(number)))
            if copied is None:
                keep.append(True)
                continue
            origin = origin_of.get(copied, copied)
            origin_of[(name, int(number))] = origin
            reused_in.setdefault(origin, []).append(version)
            keep.append(False)
        own = frame[keep].copy()
        own.insert(0, "version", version)
        own.insert(0, "study", name)
        extended += [extends_of(extends.get(int(n))) for n in own["number"]]
        retries = resumed_by(resumes)
        resumed += [(extends_of(resumes.get(int(n))), retries.get(int(n))) for n in own["number"]]
        frames.append(own)
    frames = [frame for frame in frames if len(frame)] or frames[:1]
    combined = pd.concat(frames, ignore_index=True, sort=False) if frames else pd.DataFrame()
    keys = zip(combined.get("study", []), combined.get("number", []), strict=True)
    for column, values in (
        ("resumes", [pair[0] for pair in resumed]),
        ("resumed_by", [pair[1] for pair in resumed]),
        ("extends", extended),
    ):
        combined[column] = pd.Series(values, index=combined.index, dtype=object)
    combined["reused_in"] = pd.Series(
        [sorted(set(reused_in.get((study, int(number)), []))) for study, number in keys],
        index=combined.index,
        dtype=object,
    )
    combined.attrs["reused"] = len(origin_of)
    return combined
