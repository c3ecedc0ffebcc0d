"""A dead worker's trial and the retry that resumed it, linked on the REST routes of a real
Jupyter server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import optuna
import pytest

from tests.store.test_resumes import died_with_checkpoint, objective
from workbench.store import shared


@pytest.fixture
def jp_server_config() -> dict[str, Any]:
    return {"ServerApp": {"jpserver_extensions": {"workbench.server": True}}}


@pytest.fixture
def embedded(jp_root_dir: Path) -> None:
    """The server's embedded store: ``lost``, whose trial 0's worker died; trial 1 resumed it,
    trial 2 ran on its own."""
    (jp_root_dir / ".workbench").mkdir()
    storage = shared.open_storage(str(jp_root_dir / ".workbench" / "journal.log"))
    study = optuna.create_study(storage=storage, study_name="lost", direction="maximize")
    died_with_checkpoint(storage, study)
    assert shared.fail_stale_trials(study) == [0]
    study.optimize(objective, n_trials=2)


async def _get(jp_fetch: Any, *parts: str, **params: str) -> Any:
    response = await jp_fetch("workbench", "api", *parts, params=params)
    return json.loads(response.body)


async def test_a_page_of_trials_says_which_trial_a_retry_resumes_and_which_resumed_it(
    jp_fetch: Any, embedded: None
) -> None:
    page = await _get(jp_fetch, "stores", "0", "studies", "lost", "trials")
    assert page["resumes"] == [None, 0, None]
    assert page["resumed_by"] == [1, None, None]
    assert "resumes" not in page["params"] and page["params"] == ["C"]
    alone = await _get(jp_fetch, "stores", "0", "studies", "lost", "trials", limit="1")
    assert (alone["resumes"], alone["resumed_by"]) == ([None], [1])  # its retry is not shown


async def test_a_retry_s_record_and_the_versions_route_carry_the_resume(
    jp_fetch: Any, embedded: None
) -> None:
    record = (await _get(jp_fetch, "stores", "0", "studies", "lost", "trials", "1"))["record"]
    assert (record["resumes"], record["state"]) == (0, "complete")
    failed = (await _get(jp_fetch, "stores", "0", "studies", "lost", "trials", "0"))["record"]
    assert (failed["resumed_by"], failed["state"]) == (1, "fail")
    together = await _get(jp_fetch, "stores", "0", "studies", "lost", "versions")
    at = {name: together["columns"].index(name) for name in ("number", "resumes", "resumed_by")}
    assert [[row[at[name]] for name in at] for row in together["rows"]] == [
        [0, None, 1],
        [1, 0, None],
        [2, None, None],
    ]
    assert together["params"] == ["C"]
