"""EarlyStopping follows the store's one direction rule for any statistic's name."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import SGDRegressor
from sklearn.metrics import mean_squared_error
from sklearn.preprocessing import StandardScaler

from workbench import Pipeline
from workbench.training import EarlyStopping, fit_epochs
from workbench.views import Progress


def _regression():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 4))
    y = X @ np.array([1.0, -2.0, 0.5, 0.0]) + rng.normal(scale=0.1, size=400)
    return X, y


def _pipe():
    return Pipeline(
        [("scale", StandardScaler()), ("model", SGDRegressor(eta0=0.001, random_state=0))]
    )


def test_early_stopping_keeps_going_while_a_custom_mse_falls():
    X, y = _regression()
    falling = iter([1.0, 0.8, 0.6, 0.5, 0.4, 0.3])

    def my_mse(estimator, X, y):
        return next(falling)

    stopper = EarlyStopping(monitor="valid_mse", patience=2)
    history = fit_epochs(
        _pipe(), X, y, epochs=6, batch_size=100, validation_fraction=0.25,
        metrics={"mse": my_mse}, early_stopping=stopper, record=False, progress=False,
    )  # fmt: skip
    assert history["epoch"].tolist() == [1, 2, 3, 4, 5, 6]
    assert history.attrs["stop_reason"] is None
    assert (stopper.best, stopper.best_epoch) == (0.3, 6)


def test_early_stopping_stops_when_a_custom_mse_rises():
    X, y = _regression()
    rising = iter([0.5, 0.4, 0.6, 0.7, 0.8, 0.9])

    def my_mse(estimator, X, y):
        return next(rising)

    history = fit_epochs(
        _pipe(), X, y, epochs=6, batch_size=100, validation_fraction=0.25,
        metrics={"mse": my_mse}, early_stopping=EarlyStopping(monitor="valid_mse", patience=2),
        record=False, progress=False,
    )  # fmt: skip
    assert history["epoch"].tolist() == [1, 2, 3, 4]
    assert history.attrs["best_epoch"] == 2
    assert history.attrs["stop_reason"].startswith("valid_mse did not improve for 2 epochs")


def test_early_stopping_and_progress_agree_on_a_real_mse():
    X, y = _regression()

    def my_mse(estimator, X, y):
        return mean_squared_error(y, estimator.predict(X))

    bar = Progress(throttle=0)
    history = fit_epochs(
        _pipe(), X, y, epochs=8, batch_size=50, validation_fraction=0.25, random_state=0,
        metrics={"mse": my_mse}, early_stopping=EarlyStopping(monitor="valid_mse", patience=3),
        callbacks=[bar], record=False, progress=False,
    )  # fmt: skip
    values = history["valid_mse"].tolist()
    assert values[-1] < values[0]  # it learned; a max-mode stop would end at epoch 4
    assert len(history) == 8
    assert bar.info().best == ("valid_mse", pytest.approx(min(values)), int(np.argmin(values)) + 1)


@pytest.mark.parametrize(
    ("monitor", "mode"),
    [("valid_mse", "min"), ("valid_rmse", "min"), ("train_loss", "min"),
     ("valid_neg_mean_squared_error", "max"), ("valid_accuracy", "max")],
)  # fmt: skip
def test_early_stopping_auto_mode_is_the_stores_rule(monitor, mode):
    assert EarlyStopping(monitor=monitor).mode_for(monitor) == mode
    assert EarlyStopping(monitor=monitor, mode="max").mode_for(monitor) == "max"
