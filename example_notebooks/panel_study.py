"""The study that 06_lab_panel.ipynb tunes, and that `workbench worker` processes join.

    workbench worker panel_study.py --n-trials 20

imports this file, finds `tuner`, `X` and `y`, and runs trials of the same study in the same
store until the study holds 20 trials.
"""

import optuna
from sklearn.datasets import load_digits
from sklearn.linear_model import SGDClassifier
from sklearn.preprocessing import StandardScaler

from workbench import Pipeline
from workbench.tuning import Tuner

X, y = load_digits(return_X_y=True)

pipe = Pipeline([("scale", StandardScaler()), ("model", SGDClassifier(random_state=0))])
pipe.set_hyperparams_space(scale__with_mean=None, scale__with_std=None)


def make_tuner(**options):
    """A tuner of `pipe` by epochs, its study named "digits-sgd-panel"."""
    return Tuner(
        pipe,
        scoring="accuracy",
        epochs={"epochs": 8, "batch_size": 128, "random_state": 0},
        pruner=optuna.pruners.MedianPruner(n_startup_trials=4, n_warmup_steps=2),
        study_name="digits-sgd-panel",
        **options,
    )


tuner = make_tuner()
