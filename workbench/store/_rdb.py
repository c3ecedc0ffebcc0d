"""Reading an RDB storage cheaply: counts, best values and pages of trials straight from SQL.

Optuna's ``get_all_trials`` builds every trial with all its rows; a listing needs counts by
state and one best value per study, and a page needs a hundred trials. These queries read
Optuna's tables (the schema its migrations keep) and nothing else.
"""

from __future__ import annotations

import datetime
import json
import math
import os
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from optuna.distributions import json_to_distribution
from optuna.storages import RDBStorage

_INFINITE = {"INF_POS": math.inf, "INF_NEG": -math.inf, "NAN": math.nan}


def _query(sql: str, **types: Any) -> sa.TextClause:
    clause = sa.text(sql)
    if types:
        return clause.columns(**types)  # type: ignore[return-value]
    return clause


def local_time(value: datetime.datetime | None) -> datetime.datetime | None:
    """A stored UTC time (naive or aware) as naive local time, as Optuna shows it."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    return value.astimezone().replace(tzinfo=None)


def study_rows(connection: sa.Connection, keys: Sequence[str]) -> dict[int, dict[str, Any]]:
    """Per study id: name, directions and the user attrs named by ``keys``."""
    studies: dict[int, dict[str, Any]] = {
        study_id: {"name": name, "directions": [], "user_attrs": {}}
        for study_id, name in connection.execute(
            _query("SELECT study_id, study_name FROM studies ORDER BY study_id")
        )
    }
    for study_id, direction, _ in connection.execute(
        _query(
            "SELECT study_id, direction, objective FROM study_directions "
            "ORDER BY study_id, objective"
        )
    ):
        if study_id in studies:
            studies[study_id]["directions"].append(str(direction).lower())
    attrs = _query(
        "SELECT study_id, key, value_json FROM study_user_attributes WHERE key IN :keys"
    ).bindparams(sa.bindparam("keys", expanding=True))
    for study_id, key, value_json in connection.execute(attrs, {"keys": list(keys)}):
        if study_id in studies:
            studies[study_id]["user_attrs"][key] = json.loads(value_json)
    return studies


def trial_count(storage: RDBStorage, study_id: int) -> int:
    """How many trials study ``study_id`` holds."""
    query = _query("SELECT COUNT(*) FROM trials WHERE study_id = :study")
    with storage.engine.connect() as connection:
        return int(connection.execute(query, {"study": study_id}).scalar_one())


def trial_page(
    storage: RDBStorage, study_id: int, offset: int, limit: int | None, error_key: str
) -> list[dict[str, Any]]:
    """Trials ``offset`` to ``offset + limit`` of a study by number, as plain rows."""
    page = "SELECT trial_id FROM trials WHERE study_id = :study ORDER BY number"
    parameters: dict[str, Any] = {"study": study_id}
    page += _limit_offset(storage, offset, limit, parameters)
    with storage.engine.connect() as connection:
        ids = [row[0] for row in connection.execute(_query(page), parameters)]
        return rows_of(connection, ids, error_key)


def value_rows(
    storage: RDBStorage, study_id: int, start: int
) -> list[tuple[int, str, float | None]]:
    """``(number, state, first value)`` of the study's trials numbered ``start`` or more, by
    number, in one query (a best-so-far plot of 100,000 trials reads no params or curves)."""
    query = _query(
        "SELECT t.number, t.state, v.value, v.value_type FROM trials t "
        "LEFT JOIN trial_values v ON v.trial_id = t.trial_id AND v.objective = 0 "
        "WHERE t.study_id = :study AND t.number >= :start ORDER BY t.number",
        number=sa.Integer,
        state=sa.String,
    )
    with storage.engine.connect() as connection:
        found = connection.execute(query, {"study": study_id, "start": start})
        return [
            (number, str(state).lower(), _INFINITE.get(str(value_type), value))
            for number, state, value, value_type in found
        ]


def trial_attr(
    storage: RDBStorage, study_id: int, key: str, numbers: list[int] | None
) -> dict[int, Any]:
    """Trial number -> the user attribute ``key`` of the study's trials ``numbers`` (all when
    None) that have it, in one query."""
    sql = (
        "SELECT t.number, a.value_json FROM trials t JOIN trial_user_attributes a "
        "ON a.trial_id = t.trial_id WHERE t.study_id = :study AND a.key = :key"
    )
    parameters: dict[str, Any] = {"study": study_id, "key": key}
    query = _query(sql + (" AND t.number IN :numbers" if numbers is not None else ""))
    if numbers is not None:
        if not numbers:
            return {}
        query = query.bindparams(sa.bindparam("numbers", expanding=True))
        parameters["numbers"] = list(numbers)
    with storage.engine.connect() as connection:
        return {int(n): json.loads(v) for n, v in connection.execute(query, parameters)}


def _limit_offset(
    storage: RDBStorage, offset: int, limit: int | None, parameters: dict[str, Any]
) -> str:
    if limit is not None:
        parameters.update(limit=limit, offset=offset)
        return " LIMIT :limit OFFSET :offset"
    if not offset:
        return ""
    parameters["offset"] = offset
    return (
        " LIMIT -1 OFFSET :offset"
        if storage.engine.dialect.name == "sqlite"
        else " OFFSET :offset"
    )


def rows_of(
    connection: sa.Connection, trial_ids: list[int], error_key: str
) -> list[dict[str, Any]]:
    """The trials ``trial_ids`` as plain rows, in that order."""
    if not trial_ids:
        return []
    ids = {"ids": list(trial_ids)}

    def select(sql: str, **types: Any) -> Iterable[Any]:
        clause = _query(sql, **types).bindparams(sa.bindparam("ids", expanding=True))
        return connection.execute(clause, ids)

    rows: dict[int, dict[str, Any]] = {trial_id: {} for trial_id in trial_ids}
    for trial_id, number, state, start, complete in select(
        "SELECT trial_id, number, state, datetime_start, datetime_complete FROM trials "
        "WHERE trial_id IN :ids",
        trial_id=sa.Integer,
        number=sa.Integer,
        state=sa.String,
        datetime_start=sa.DateTime,
        datetime_complete=sa.DateTime,
    ):
        rows[trial_id].update(
            number=number,
            state=str(state).lower(),
            values=[],
            params={},
            intermediate_values={},
            error=None,
            datetime_start=local_time(start),
            datetime_complete=local_time(complete),
        )
    for trial_id, _, value, value_type in select(
        "SELECT trial_id, objective, value, value_type FROM trial_values "
        "WHERE trial_id IN :ids ORDER BY trial_id, objective"
    ):
        rows[trial_id]["values"].append(_INFINITE.get(str(value_type), value))
    distributions: dict[str, Any] = {}
    for trial_id, name, value, distribution_json in select(
        "SELECT trial_id, param_name, param_value, distribution_json FROM trial_params "
        "WHERE trial_id IN :ids ORDER BY param_id"
    ):
        if distribution_json not in distributions:
            distributions[distribution_json] = json_to_distribution(distribution_json)
        distribution = distributions[distribution_json]
        rows[trial_id]["params"][name] = distribution.to_external_repr(value)
    for trial_id, step, value, value_type in select(
        "SELECT trial_id, step, intermediate_value, intermediate_value_type "
        "FROM trial_intermediate_values WHERE trial_id IN :ids ORDER BY trial_id, step"
    ):
        rows[trial_id]["intermediate_values"][int(step)] = _INFINITE.get(str(value_type), value)
    errors = _query(
        "SELECT trial_id, value_json FROM trial_user_attributes "
        "WHERE trial_id IN :ids AND key = :key"
    ).bindparams(sa.bindparam("ids", expanding=True))
    for trial_id, value_json in connection.execute(errors, {**ids, "key": error_key}):
        rows[trial_id]["error"] = json.loads(value_json)
    return [rows[trial_id] for trial_id in trial_ids if rows[trial_id]]


# -- sorted pages (the order of _sorting, in SQL) --------------------------------------------
_MISSING_VALUE = "(v.value_type IS NULL OR (v.value_type = 'FINITE' AND v.value IS NULL))"
_INFINITY_RANK = "CASE v.value_type WHEN 'INF_NEG' THEN -1 WHEN 'INF_POS' THEN 1 ELSE 0 END"
_DURATION = {  # exact, in microseconds for SQLite (which SQLAlchemy writes as 'Y-m-d H:M:S.f')
    "sqlite": "((strftime('%s', t.datetime_complete) - strftime('%s', t.datetime_start)) "
    "* 1000000 + CAST(substr(t.datetime_complete, 21, 6) AS INTEGER) "
    "- CAST(substr(t.datetime_start, 21, 6) AS INTEGER))",
    "postgresql": "EXTRACT(EPOCH FROM (t.datetime_complete - t.datetime_start))",
}
_NUMERIC = frozenset({"FloatDistribution", "IntDistribution"})


def sorted_trial_ids(
    storage: RDBStorage,
    study_id: int,
    column: str,
    *,
    descending: bool,
    offset: int,
    limit: int | None,
    numeric_param: bool = False,
) -> list[int] | None:
    """Ids of the trials of a page sorted by ``column``, in order; None where SQL cannot
    order it as ``_sorting.ordered`` does (text: an error, a categorical param, which
    ``numeric_param`` False says; a duration on a database other than SQLite and
    PostgreSQL)."""
    way = " DESC" if descending else ""
    joins = ""
    parameters: dict[str, Any] = {"study": study_id}
    if column == "number":
        order = f"t.number{way}"
    elif column == "state":  # Optuna's names sort as ours do
        order = f"t.state{way}, t.number"
    elif column == "value":
        joins = " LEFT JOIN trial_values v ON v.trial_id = t.trial_id AND v.objective = 0"
        order = (
            f"CASE WHEN {_MISSING_VALUE} THEN 1 ELSE 0 END, {_INFINITY_RANK}{way}, "
            f"v.value{way}, t.number"
        )
    elif column in ("datetime_start", "datetime_complete", "duration"):
        key = f"t.{column}" if column != "duration" else _DURATION.get(storage.engine.dialect.name)
        if key is None:
            return None
        order = f"CASE WHEN {key} IS NULL THEN 1 ELSE 0 END, {key}{way}, t.number"
    elif column != "error" and numeric_param:
        joins = " LEFT JOIN trial_params p ON p.trial_id = t.trial_id AND p.param_name = :name"
        parameters["name"] = column
        order = f"CASE WHEN p.param_value IS NULL THEN 1 ELSE 0 END, p.param_value{way}, t.number"
    else:
        return None
    page = f"SELECT t.trial_id FROM trials t{joins} WHERE t.study_id = :study ORDER BY {order}"
    page += _limit_offset(storage, offset, limit, parameters)
    with storage.engine.connect() as connection:
        return [int(row[0]) for row in connection.execute(_query(page), parameters)]


def param_is_numeric(storage: RDBStorage, study_id: int, name: str) -> bool | None:
    """Whether param ``name``, in a study's trials, was sampled only from numeric
    distributions (then its stored values sort as its values do); None when no trial
    sampled it."""
    query = _query(
        "SELECT DISTINCT p.distribution_json FROM trial_params p "
        "JOIN trials t ON t.trial_id = p.trial_id "
        "WHERE t.study_id = :study AND p.param_name = :name"
    )
    with storage.engine.connect() as connection:
        found = connection.execute(query, {"study": study_id, "name": name})
        kinds = {type(json_to_distribution(row[0])).__name__ for row in found}
    return kinds <= _NUMERIC if kinds else None


def param_names(storage: RDBStorage, study_id: int) -> list[str]:
    """Every param name sampled in a study's trials."""
    query = _query(
        "SELECT DISTINCT p.param_name FROM trial_params p "
        "JOIN trials t ON t.trial_id = p.trial_id WHERE t.study_id = :study"
    )
    with storage.engine.connect() as connection:
        return sorted(str(row[0]) for row in connection.execute(query, {"study": study_id}))


def keyed_trial_ids(
    storage: RDBStorage, study_id: int, column: str, error_key: str
) -> list[tuple[int, Any]]:
    """(trial id, value in ``column``) of every trial of a study, by number: what
    ``_sorting.ordered`` sorts where :func:`sorted_trial_ids` cannot."""
    parameters: dict[str, Any] = {"study": study_id}
    if column == "values":
        return _keyed_values(storage, study_id)
    if column == "duration":
        sql = "SELECT t.trial_id, t.datetime_start, t.datetime_complete FROM trials t"
        types = {"datetime_start": sa.DateTime, "datetime_complete": sa.DateTime}
    elif column == "error":
        sql = (
            "SELECT t.trial_id, a.value_json FROM trials t LEFT JOIN trial_user_attributes a "
            "ON a.trial_id = t.trial_id AND a.key = :key"
        )
        parameters["key"], types = error_key, {}
    else:
        sql = (
            "SELECT t.trial_id, p.param_value, p.distribution_json FROM trials t LEFT JOIN "
            "trial_params p ON p.trial_id = t.trial_id AND p.param_name = :name"
        )
        parameters["name"], types = column, {}
    sql += " WHERE t.study_id = :study ORDER BY t.number"
    clause = _query(sql, trial_id=sa.Integer, **types) if types else _query(sql)
    with storage.engine.connect() as connection:
        found = list(connection.execute(clause, parameters))
    if column == "duration":
        return [
            (trial_id, (end - start).total_seconds() if start and end else None)
            for trial_id, start, end in found
        ]
    if column == "error":
        return [(trial_id, None if text is None else json.loads(text)) for trial_id, text in found]
    distributions: dict[str, Any] = {}
    keyed = []
    for trial_id, value, distribution_json in found:
        if distribution_json is None:
            keyed.append((trial_id, None))
            continue
        if distribution_json not in distributions:
            distributions[distribution_json] = json_to_distribution(distribution_json)
        keyed.append((trial_id, distributions[distribution_json].to_external_repr(value)))
    return keyed


def _keyed_values(storage: RDBStorage, study_id: int) -> list[tuple[int, Any]]:
    """(trial id, values as a tuple or None) of every trial of a study, by number."""
    query = _query(
        "SELECT t.trial_id, v.value, v.value_type FROM trials t LEFT JOIN trial_values v "
        "ON v.trial_id = t.trial_id WHERE t.study_id = :study ORDER BY t.number, v.objective"
    )
    keyed: dict[int, list[Any]] = {}
    with storage.engine.connect() as connection:
        for trial_id, value, value_type in connection.execute(query, {"study": study_id}):
            values = keyed.setdefault(trial_id, [])
            if value_type is not None:
                values.append(_INFINITE.get(str(value_type), value))
    return [(trial_id, tuple(values) if values else None) for trial_id, values in keyed.items()]


def sqlite_file_mark(storage: RDBStorage) -> list[Any] | None:
    """A mark of a SQLite database's files that moves with every commit, read without a
    query: size, modification time and header of the file (its change counter, which each
    commit raises in rollback-journal mode) and of its write-ahead log (which each commit
    lengthens, or restarts with new salts, in WAL mode). None for any other database."""
    url = storage.engine.url
    path = url.database
    if (
        url.get_backend_name() != "sqlite"
        or not path
        or path == ":memory:"
        or "mode=memory" in str(url)
    ):
        return None
    mark: list[Any] = []
    for name, header in ((path, slice(24, 28)), (path + "-wal", slice(0, 32))):
        try:
            with open(name, "rb") as file:
                status = os.fstat(file.fileno())
                mark.append([status.st_size, status.st_mtime_ns, file.read(32)[header].hex()])
        except FileNotFoundError:
            mark.append(None)
    return mark


def change_marks(storage: RDBStorage) -> dict[str, Any]:
    """Figures that move whenever something a listing shows is written: latest ids, counts
    and the latest completion time."""
    query = _query(
        "SELECT "
        "(SELECT COUNT(*) FROM studies) AS n_studies, "
        "(SELECT COALESCE(SUM(study_id), 0) FROM studies) AS sum_studies, "
        "(SELECT COALESCE(MAX(study_id), -1) FROM studies) AS study, "
        "(SELECT COALESCE(MAX(study_user_attribute_id), -1) FROM study_user_attributes) "
        "AS study_attr, "
        "(SELECT COALESCE(MAX(trial_id), -1) FROM trials) AS trial, "
        "finished, complete, "
        "(SELECT COALESCE(MAX(trial_value_id), -1) FROM trial_values) AS value, "
        "(SELECT COALESCE(MAX(trial_intermediate_value_id), -1) FROM trial_intermediate_values) "
        "AS intermediate, "
        "(SELECT COALESCE(MAX(param_id), -1) FROM trial_params) AS param, "
        "(SELECT COALESCE(MAX(trial_user_attribute_id), -1) FROM trial_user_attributes) AS attr "
        # one pass over the trials (the other figures come from primary keys)
        "FROM (SELECT COUNT(CASE WHEN state <> 'RUNNING' THEN 1 END) AS finished, "
        "MAX(datetime_complete) AS complete FROM trials) AS scanned",
        **{name: sa.Integer for name in _INTEGER_MARKS},
        complete=sa.DateTime,
    )
    with storage.engine.connect() as connection:
        row = connection.execute(query).one()._asdict()
    marks: dict[str, Any] = {name: int(row[name]) for name in _INTEGER_MARKS}
    marks["complete"] = None if row["complete"] is None else row["complete"].isoformat()
    return marks


_INTEGER_MARKS = (
    "n_studies",
    "sum_studies",
    "study",
    "study_attr",
    "trial",
    "finished",
    "value",
    "intermediate",
    "param",
    "attr",
)


def changed_study_ids(
    storage: RDBStorage, since: dict[str, Any], now: dict[str, Any]
) -> set[int] | None:
    """Ids of the studies written to between the marks ``since`` and ``now``; None when a
    study was deleted or the marks do not fit (a full refresh is then needed)."""
    if not all(isinstance(since.get(name), int) for name in _INTEGER_MARKS):
        return None
    changed: set[int] = set()
    with storage.engine.connect() as connection:

        def ids(sql: str, **parameters: Any) -> None:
            changed.update(int(row[0]) for row in connection.execute(_query(sql), parameters))

        ids("SELECT study_id FROM studies WHERE study_id > :id", id=since["study"])
        new_sum = sum(i for i in changed)
        if now["sum_studies"] != since["sum_studies"] + new_sum:
            return None  # a study was deleted
        ids(
            "SELECT study_id FROM study_user_attributes WHERE study_user_attribute_id > :id",
            id=since["study_attr"],
        )
        ids("SELECT study_id FROM trials WHERE trial_id > :id", id=since["trial"])
        for table, column, name in (
            ("trial_values", "trial_value_id", "value"),
            ("trial_intermediate_values", "trial_intermediate_value_id", "intermediate"),
            ("trial_params", "param_id", "param"),
            ("trial_user_attributes", "trial_user_attribute_id", "attr"),
        ):
            ids(
                f"SELECT DISTINCT t.study_id FROM {table} x JOIN trials t "
                f"ON t.trial_id = x.trial_id WHERE x.{column} > :id",
                id=since[name],
            )
        if since.get("complete") is None:
            ids("SELECT DISTINCT study_id FROM trials WHERE datetime_complete IS NOT NULL")
        else:
            moment = sa.bindparam("moment", type_=sa.DateTime)
            clause = _query(
                "SELECT DISTINCT study_id FROM trials WHERE datetime_complete > :moment"
            ).bindparams(moment)
            changed.update(
                int(row[0])
                for row in connection.execute(
                    clause, {"moment": datetime.datetime.fromisoformat(since["complete"])}
                )
            )
        if now["finished"] != since["finished"] and now["complete"] == since["complete"]:
            # a trial finished without a completion time: find it by its state
            ids("SELECT DISTINCT study_id FROM trials WHERE state <> 'RUNNING'")
    return changed
