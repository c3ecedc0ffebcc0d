"""ForEach and Flatten: steps made for 2-D data over 3-D and 4-D arrays."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import TransformerMixin
from sklearn.decomposition import PCA, IncrementalPCA
from sklearn.linear_model import SGDClassifier
from sklearn.preprocessing import StandardScaler

from workbench import Pipeline, Step
from workbench.exceptions import StructureError, TrainingError
from workbench.training import Flatten, ForEach, fit_epochs


@pytest.fixture
def sequences():
    rng = np.random.default_rng(0)
    X = rng.normal(loc=3.0, scale=2.0, size=(40, 7, 4))  # 40 sequences of 7 frames
    y = (X[:, :, 0].mean(axis=1) > 3.0).astype(int)
    return X, y


def test_foreach_flatten_fits_one_step_on_every_row(sequences):
    X, _ = sequences
    out = ForEach(StandardScaler()).fit_transform(X)
    assert out.shape == (40, 7, 4)
    np.testing.assert_allclose(out.reshape(-1, 4).mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(out.reshape(-1, 4).std(axis=0), 1.0)


def test_foreach_per_sample_fits_a_copy_on_each_sample(sequences):
    X, _ = sequences
    each = ForEach(StandardScaler(), mode="per_sample")
    out = each.fit_transform(X)
    np.testing.assert_allclose(out.mean(axis=1), 0.0, atol=1e-12)  # each sequence on its own
    assert not hasattr(each.step, "mean_")  # the template stays unfitted
    np.testing.assert_allclose(each.transform(X[:2] * 5.0), out[:2])


class _Holder(TransformerMixin, Step):
    """A centring step that holds a resource while set up; counts how many are held now."""

    holds_resources = True
    held = 0
    acquired = 0

    def acquire_resources(self) -> None:
        type(self).held += 1
        type(self).acquired += 1

    def release_resources(self) -> None:
        type(self).held -= 1

    def fit(self, X, y=None):
        self.mean_ = np.asarray(X).mean(axis=0)
        return self

    def transform(self, X):
        if not np.isfinite(X).all():
            raise ValueError("a sample holds NaN")
        return np.asarray(X) - self.mean_


def test_foreach_per_sample_tears_down_each_copy_it_made(sequences):
    X, _ = sequences
    acquired = _Holder.acquired
    out = ForEach(_Holder(), mode="per_sample").fit_transform(X)
    np.testing.assert_allclose(out.mean(axis=1), 0.0, atol=1e-12)
    assert _Holder.acquired - acquired == 40  # each sample's copy was set up...
    assert _Holder.held == 0  # ...and none is left holding its resource

    broken = X.copy()
    broken[3, 0, 0] = np.nan
    with pytest.raises(ValueError, match="a sample holds NaN"):
        ForEach(_Holder(), mode="per_sample").transform(broken)
    assert _Holder.held == 0  # the copy that failed gave its resource back too


def test_foreach_keeps_the_inner_hyperparams_and_space_addressable(sequences):
    X, y = sequences
    pipe = Pipeline([("frames", ForEach(PCA(n_components=2))), ("flat", Flatten())])
    pipe.set_hyperparams(frames__step__whiten=True)
    assert pipe.fit_transform(X, y).shape == (40, 14)
    assert pipe["frames__step"].components_.shape == (2, 4)
    assert pipe["frames__step"].whiten is True
    space = pipe.get_hyperparams_space()
    assert {"frames__mode", "frames__step__n_components"} <= set(space)
    with pytest.raises(
        StructureError, match=r"ForEach holds a fixed set of steps \('step'\); replace one instead"
    ):
        pipe.insert("frames__other", PCA())


def test_foreach_over_4d_data_restores_every_leading_axis():
    X = np.random.default_rng(1).normal(size=(5, 3, 6, 2))
    out = ForEach(ForEach(StandardScaler())).fit_transform(X)
    assert out.shape == X.shape
    np.testing.assert_allclose(out.reshape(-1, 2).mean(axis=0), 0.0, atol=1e-12)


def test_foreach_inverse_transform_undoes_transform(sequences):
    X, _ = sequences
    each = ForEach(StandardScaler()).fit(X)
    np.testing.assert_allclose(each.inverse_transform(each.transform(X)), X)


def test_foreach_learns_by_mini_batch_in_an_epoch_run(sequences):
    X, y = sequences
    pipe = Pipeline(
        [
            ("frames", ForEach(IncrementalPCA(n_components=2))),
            ("flat", Flatten()),
            ("model", SGDClassifier(random_state=0)),
        ]
    )
    history = fit_epochs(pipe, X, y, epochs=3, batch_size=10, validation_fraction=0.25)
    assert pipe["frames__step"].n_samples_seen_ == 3 * 30 * 7
    assert pipe.predict(X).shape == (40,)
    assert len(history) == 3


def test_foreach_rejects_2d_data():
    with pytest.raises(TrainingError, match=r"3 dimensions or more.*got shape \(4, 2\)"):
        ForEach(StandardScaler()).fit(np.zeros((4, 2)))


def test_foreach_rejects_an_unknown_mode():
    with pytest.raises(Exception, match=r"outside the space of 'mode'"):
        ForEach(StandardScaler()).set_hyperparams(mode="stacked")


def test_foreach_per_sample_needs_no_partial_fit_but_flatten_does(sequences):
    X, y = sequences
    per_sample = Pipeline(
        [
            ("frames", ForEach(PCA(n_components=2), mode="per_sample")),
            ("flat", Flatten()),
            ("model", SGDClassifier(random_state=0)),
        ]
    )
    fit_epochs(per_sample, X, y, epochs=1, batch_size=10)
    assert per_sample.predict(X).shape == (40,)
    flattened = per_sample.set_hyperparams(frames__mode="flatten")
    with pytest.raises(TrainingError, match=r"'frames__step' \(PCA\) has no partial_fit"):
        fit_epochs(flattened, X, y, epochs=1, batch_size=10)
