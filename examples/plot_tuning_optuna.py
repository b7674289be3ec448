"""
Tune an MLP pipeline with Optuna
================================

Optuna tunes the pipeline, pruning hopeless trials, and plots the study.

:func:`sklearn_dl.tuning.tune` searches the default space of the pipeline's
MLPClassifier (layer widths, activation, dropout, learning rate, L2 penalty,
batch size). All cross-validation folds train in lockstep one epoch at a time,
so the median pruner stops a trial as soon as its mean validation accuracy
falls behind the other trials' at the same epoch. The plots show the best
score over trials, every trial's per-epoch curve (pruned ones end early) and
which parameters mattered. Runs in about a minute on two cores; saves nothing.
docs/tuning.md compares a 30-trial search with the default MLPClassifier.
"""

import os
import time
import warnings

import matplotlib.pyplot as plt
import optuna
from optuna.distributions import CategoricalDistribution
from optuna.visualization import matplotlib as optuna_plots
from sklearn.datasets import load_digits
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_dl.neural_network import MLPClassifier
from sklearn_dl.tuning import search_space, tune


def main():
    X, y = load_digits(return_X_y=True)
    # The test suite sets SKLEARN_DL_EXAMPLE_QUICK=1 to check that the example runs:
    # it then runs four trials of three epochs on 300 rows.
    quick = bool(os.environ.get("SKLEARN_DL_EXAMPLE_QUICK"))
    X, y = (X[:300], y[:300]) if quick else (X[:600], y[:600])
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    model = make_pipeline(StandardScaler(), MLPClassifier(max_iter=3 if quick else 20,
                                                          random_state=0))
    space = search_space(model)
    # A space is a plain dict: narrower layers keep this example quick on a CPU.
    space["mlpclassifier__hidden_layer_sizes"] = CategoricalDistribution(
        ["32", "64", "128", "64-64"])
    print("search space:", *space, sep="\n  ")

    start = time.perf_counter()
    best, study = tune(model, X, y, space=space, n_trials=4 if quick else 12, cv=cv,
                       random_state=0)
    states = [trial.state for trial in study.trials]
    n_pruned = states.count(optuna.trial.TrialState.PRUNED)
    epochs = sum(trial.user_attrs["epochs"] for trial in study.trials)
    print(f"{len(states)} trials ({n_pruned} pruned, {epochs} fold-epochs) in "
          f"{time.perf_counter() - start:.0f}s; best CV accuracy {study.best_value:.4f}")
    print("best parameters:", study.best_params)
    print(f"refitted on all rows for {best[-1].max_iter} epochs (the best trial's best epoch)")

    with warnings.catch_warnings():
        # optuna.visualization.matplotlib is experimental; we know.
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna_plots.plot_optimization_history(study)
        optuna_plots.plot_intermediate_values(study)
        optuna_plots.plot_param_importances(study)
    plt.show()


if __name__ == "__main__":
    main()
