"""A random point of a pipeline's space, drawn without a study (a smoke test, a baseline)."""

from __future__ import annotations

import numpy as np
from sklearn.datasets import make_classification
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from workbench import Choose, Pipeline, categorical, floats, ints
from workbench.core import contains
from workbench.tuning import sample_hyperparams


def make_pipe():
    return Pipeline(
        [
            ("encoder", Pipeline([("scale", StandardScaler()), ("pca", PCA())])),
            (
                "model",
                Choose(
                    [
                        ("linear", LogisticRegression(max_iter=300)),
                        ("forest", RandomForestClassifier(n_estimators=5, random_state=0)),
                    ]
                ),
            ),
        ]
    )


def test_a_point_holds_only_the_chosen_branch_and_fits():
    X, y = make_classification(n_samples=120, n_features=8, random_state=0)
    branches = set()
    for seed in range(12):
        pipe = make_pipe()
        point = sample_hyperparams(pipe, random_state=seed)
        chosen = point["model__choice"]
        other = {"linear": "forest", "forest": "linear"}[chosen]
        branches.add(chosen)
        assert f"model__{chosen}__" in " ".join(point)
        assert not [path for path in point if path.startswith(f"model__{other}__")]
        space = pipe.get_hyperparams_space()
        assert all(contains(space[path], value) for path, value in point.items())
        if seed < 2:
            pipe.set_hyperparams(point).fit(X, y)
            assert pipe["model"].chosen == chosen and pipe.score(X, y) > 0.5
    assert branches == {"linear", "forest"}


def test_the_same_seed_draws_the_same_point_and_another_seed_another():
    pipe = make_pipe()
    assert sample_hyperparams(pipe, random_state=3) == sample_hyperparams(pipe, random_state=3)
    assert sample_hyperparams(pipe, random_state=3) != sample_hyperparams(pipe, random_state=4)


def test_draws_follow_log_scales_steps_and_declared_spaces():
    pipe = make_pipe().set_hyperparams_space(
        model__choice=categorical(["forest"]),
        model__forest__n_estimators=ints(10, 100, step=10),
        model__forest__max_features=floats(0.2, 0.8, step=0.2),
        model__forest__max_depth=ints(2, 1000, log=True),
    )
    points = [sample_hyperparams(pipe, random_state=seed) for seed in range(200)]
    assert {point["model__choice"] for point in points} == {"forest"}
    assert {point["model__forest__n_estimators"] for point in points} == set(range(10, 101, 10))
    assert {round(p["model__forest__max_features"], 6) for p in points} == {0.2, 0.4, 0.6, 0.8}
    depths = np.array([point["model__forest__max_depth"] for point in points])
    assert depths.min() >= 2 and depths.max() <= 1000
    assert 0.3 < np.mean(depths < 45) < 0.7  # log scale: the geometric middle splits the draws


def test_frozen_steps_are_not_drawn():
    X, y = make_classification(n_samples=60, n_features=6, random_state=0)
    pipe = make_pipe().fit(X, y).freeze("encoder")
    point = sample_hyperparams(pipe, random_state=0)
    assert point and not [path for path in point if path.startswith("encoder__")]
