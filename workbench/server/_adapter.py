"""Temporary stand-in for ``workbench.store`` until it lands on main (deleted then)."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import optuna
import pandas as pd
from optuna.trial import TrialState

from workbench._internal import store as _store


class StudyNotFound(LookupError):  # noqa: N818 - temporary
    pass


def to_json(value: Any) -> str:
    return json.dumps(_store.to_plain(value), allow_nan=False)


def stores(extra: Any = (), root: Any = None) -> list[dict[str, Any]]:
    specs = [str(Path(root or os.getcwd()) / ".workbench" / "journal.log"), *extra]
    infos = []
    for spec in specs:
        try:
            open_store(spec, readonly=True)
            opens, error = True, None
        except Exception as caught:
            opens, error = False, str(caught)
        infos.append(
            {
                "name": _store.describe(spec),
                "url": _store.describe(spec),
                "storage": spec,
                "kind": "rdb" if "://" in spec else "journal",
                "opens": opens,
                "error": error,
            }
        )
    return infos


def open_store(storage: Any = None, *, readonly: bool = False) -> Store:
    return Store(storage)


class Store:
    def __init__(self, storage: Any) -> None:
        resolved = _store.resolve(storage)
        if isinstance(resolved, str) and "://" not in resolved and not Path(resolved).exists():
            self.storage = None
        else:
            self.storage = _store.open_storage(storage)

    def _listing(self, kind: str) -> pd.DataFrame:
        if self.storage is None:
            return pd.DataFrame()
        rows = []
        for summary in optuna.get_all_study_summaries(self.storage, include_best_trial=False):
            if summary.user_attrs.get(_store.KIND_KEY, "study") != kind:
                continue
            study = optuna.load_study(study_name=summary.study_name, storage=self.storage)
            trials = study.get_trials(deepcopy=False)
            counts = {s.name.lower(): 0 for s in TrialState}
            for t in trials:
                counts[t.state.name.lower()] += 1
            values = [t.value for t in trials if t.value is not None]
            maximize = summary.direction == optuna.study.StudyDirection.MAXIMIZE
            best = (max if maximize else min)(values) if values else None
            last = max(
                (t.datetime_complete or t.datetime_start for t in trials if t.datetime_start),
                default=None,
            )
            rows.append(
                {
                    "name": summary.study_name,
                    "kind": kind,
                    "metric": "value",
                    "direction": summary.direction.name.lower(),
                    "best_value": best,
                    "n_trials": len(trials),
                    **counts,
                    "last_change": last,
                }
            )
        return pd.DataFrame(rows)

    def studies(self) -> pd.DataFrame:
        return self._listing("study")

    def runs(self) -> pd.DataFrame:
        return self._listing("run")

    def _study(self, name: str) -> optuna.Study:
        try:
            return optuna.load_study(study_name=name, storage=self.storage)  # type: ignore[arg-type]
        except KeyError:
            raise StudyNotFound(f"No study or run named {name!r} in this store.") from None

    def trials(self, study: str, *, offset: int = 0, limit: int | None = None) -> pd.DataFrame:
        trials = self._study(study).get_trials(deepcopy=False)
        end = None if limit is None else offset + limit
        rows = []
        for t in trials[offset:end]:
            duration = (
                (t.datetime_complete - t.datetime_start).total_seconds()
                if t.datetime_complete and t.datetime_start
                else None
            )
            rows.append(
                {
                    "number": t.number,
                    "state": t.state.name.lower(),
                    "value": t.value,
                    "duration": duration,
                    **{f"params_{k}": v for k, v in t.params.items()},
                    "intermediate_values": {str(k): v for k, v in t.intermediate_values.items()},
                }
            )
        return pd.DataFrame(rows)

    def record(self, study: str, trial: int = 0) -> dict[str, Any]:
        loaded = self._study(study)
        for t in loaded.get_trials(deepcopy=False):
            if t.number == trial:
                record = t.user_attrs.get(_store.RECORD_KEY) or {}
                return {
                    "history": _store.frame_from_plain(
                        _store.history_as_split(record.get("history"))
                    ),
                    "structure": loaded.user_attrs.get("workbench:structure"),
                    "mutations": record.get("mutations", []),
                    "params": dict(t.params) or record.get("hyperparams", {}),
                }
        raise StudyNotFound(f"{study!r} has no trial {trial!r}.")

    def changes(self, since: Any = None) -> tuple[Any, list[str]]:
        if self.storage is None:
            return 0, []
        path = _store.journal_path(self.storage)
        cursor = os.path.getsize(path) if path else None
        if since is not None and cursor == since:
            return cursor, []
        return cursor, optuna.get_all_study_names(self.storage)


def finite(value: Any) -> Any:
    return value if not isinstance(value, float) or math.isfinite(value) else None
