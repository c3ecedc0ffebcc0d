"""The step contract: one public test of what a Workbench step is, used by every layer."""

from __future__ import annotations

import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from workbench import Pipeline, Step, TrainOnly
from workbench.core.authoring import (
    WorkbenchPipeline,
    WorkbenchStep,
    is_workbench_pipeline,
    is_workbench_step,
)


class Lookalike:
    """Has the methods a view once probed for, but is no Workbench step."""

    def describe(self):
        return {}

    def add_callback(self, callback):
        return self


class Leaf(Step):
    def fit(self, X, y=None):
        return self


def test_steps_composites_and_others_are_told_apart(nested):
    assert is_workbench_step(nested) and is_workbench_pipeline(nested)
    assert is_workbench_step(Leaf()) and not is_workbench_pipeline(Leaf())
    assert is_workbench_pipeline(TrainOnly(StandardScaler()))
    for other in (StandardScaler(), Pipeline, Lookalike(), None, "passthrough"):
        assert not is_workbench_step(other) and not is_workbench_pipeline(other)
    # the same contracts as runtime-checkable types
    assert isinstance(nested, WorkbenchPipeline) and isinstance(Leaf(), WorkbenchStep)
    assert not isinstance(Leaf(), WorkbenchPipeline)
    assert not isinstance(LogisticRegression(), WorkbenchStep)


def test_views_and_magics_refuse_a_lookalike_by_the_contract():
    from workbench.magics._magics import _is_step
    from workbench.views import Inspector, MutationPanel, SpaceEditor

    assert not _is_step(Lookalike())
    for view in (Inspector, SpaceEditor):
        with pytest.raises(
            TypeError, match="needs a Workbench step or pipeline, but got Lookalike"
        ):
            view(Lookalike())
    with pytest.raises(TypeError, match="MutationPanel needs a Workbench Pipeline .* got Leaf"):
        MutationPanel(Leaf(), [[1.0]], [0])
