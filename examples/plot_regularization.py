"""
=====================================================
Regularising an MLP: L2, dropout and batch norm
=====================================================

A wide network trained on a few hundred digits fits its training set
perfectly and starts to overfit: its training loss keeps falling while its
validation loss levels off. This example compares four configurations of
:class:`sklearn_dl.neural_network.MLPClassifier` on the same 500 training
images:

* no regularisation (``alpha=0``),
* an L2 penalty (``alpha=0.1``, scikit-learn's ``alpha``),
* dropout (``dropout=0.3``, not in scikit-learn),
* batch normalisation (``batch_norm=True``, not in scikit-learn).

``early_stopping=True`` holds out 20 % of the training set and records the
validation loss and accuracy of each epoch in ``history_``; a large
``n_iter_no_change`` lets every run go the full 60 epochs so the curves can be
compared. A validation curve over ``alpha`` then shows where the penalty
starts to underfit.
"""

# %%
# Learning curves
# ---------------
# Every run stops at ``max_iter`` on purpose, so the warning that it has not
# converged is silenced.
import os
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split, validation_curve
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_dl.neural_network import MLPClassifier
from sklearn_dl.utils import plot_history

warnings.filterwarnings("ignore", category=ConvergenceWarning)
# The test suite sets SKLEARN_DL_EXAMPLE_QUICK=1 to check that the example runs:
# it then trains for fewer epochs.
QUICK = bool(os.environ.get("SKLEARN_DL_EXAMPLE_QUICK"))
epochs = 5 if QUICK else 60
X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, train_size=500, stratify=y,
                                                    random_state=0)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

common = dict(hidden_layer_sizes=(256, 256), max_iter=epochs, early_stopping=True,
              n_iter_no_change=60, validation_fraction=0.2, random_state=0)
configurations = {
    "none": dict(alpha=0.0),
    "L2 (alpha=0.1)": dict(alpha=0.1),
    "dropout 0.3": dict(alpha=0.0, dropout=0.3),
    "batch norm": dict(alpha=0.0, batch_norm=True),
}
fig, (ax_loss, ax_score) = plt.subplots(1, 2, figsize=(11, 4.5))
for name, params in configurations.items():
    model = MLPClassifier(**common, **params).fit(X_train, y_train)
    plot_history(model, ax=ax_loss, label=name, score=False, log_scale=True)
    ax_score.plot(model.history_.index, model.history_["valid_score"], label=name)
    print(f"{name:<15} best validation accuracy {model.best_validation_score_:.3f}, "
          f"test accuracy {model.score(X_test, y_test):.3f}")
# One legend for both panels: the colours name the configurations.
ax_loss.get_legend().remove()
ax_loss.set_title("training (solid) and validation (dashed) loss")
ax_score.set(title="validation accuracy", xlabel="epoch", ylim=(0.8, 1.0))
ax_score.legend()
fig.tight_layout()
plt.show()

# %%
# Without regularisation (and with batch normalisation alone) the training
# loss falls towards zero while the validation loss levels off near 0.1: the
# network memorises its 400 training images. The L2 penalty holds the
# training loss (which includes the penalty) at the level of the validation
# loss, and dropout sits in between. On this small, clean data set all four
# end at about the same accuracy; the gap between the curves is what tells
# you how much room a regulariser has.
#
# A validation curve over ``alpha``
# ---------------------------------
# scikit-learn's :func:`~sklearn.model_selection.validation_curve` works on
# the PyTorch estimator as on any other: three-fold cross-validation of a
# pipeline per value of ``alpha``, here on a smaller network for speed. Too
# strong a penalty underfits: both scores fall.
alphas = np.logspace(-3, 2, 6)
pipeline = make_pipeline(StandardScaler(),
                         MLPClassifier(hidden_layer_sizes=(32,), max_iter=epochs, random_state=0))
train_scores, valid_scores = validation_curve(
    pipeline, X, y, param_name="mlpclassifier__alpha", param_range=alphas, cv=3)
fig, ax = plt.subplots(figsize=(6, 4))
ax.semilogx(alphas, train_scores.mean(axis=1), "o-", label="training")
ax.semilogx(alphas, valid_scores.mean(axis=1), "o-", label="cross-validation")
ax.set(xlabel="alpha", ylabel="accuracy", title="Validation curve of the L2 penalty")
ax.legend()
fig.tight_layout()
plt.show()
