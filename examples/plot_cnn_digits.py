"""
=====================================================
A convolutional network on the handwritten digits
=====================================================

:class:`~sklearn_dl.neural_network.CNNClassifier` reads each row of the
digits data (64 pixel values) as an 8x8 one-channel image, given
``input_shape=(1, 8, 8)``, and learns 3x3 filters that slide over it. With
default parameters it reaches about 99% held-out accuracy (5-fold mean 0.992
in ``benchmarks/bench_cnn.py``), where a fully connected network on the same
pixels reaches about 97.7%.

This example fits it on 75% of the images, plots the training loss of each
epoch from ``history_``, and shows the held-out images it gets wrong.
"""

# %%
# Fit with default parameters
# ---------------------------
# Pixel values go from 0 to 16; dividing by 16 puts them in [0, 1]. Training
# stops, as scikit-learn's MLP stops, when the training loss has not improved
# by ``tol`` for ``n_iter_no_change`` epochs.
from time import perf_counter

import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from sklearn_dl.neural_network import CNNClassifier

# The test suite sets SKLEARN_DL_EXAMPLE_QUICK=1 to check that the example runs:
# it then trains on less data for three epochs.
QUICK = bool(os.environ.get("SKLEARN_DL_EXAMPLE_QUICK"))
X, y = load_digits(return_X_y=True)
if QUICK:
    X, y = X[:400], y[:400]
X_train, X_test, y_train, y_test = train_test_split(X / 16, y, test_size=0.25, stratify=y,
                                                    random_state=0)
model = CNNClassifier(input_shape=(1, 8, 8), random_state=0)
if QUICK:
    model.set_params(max_iter=3)
start = perf_counter()
model.fit(X_train, y_train)
print(f"test accuracy {model.score(X_test, y_test):.4f}, {model.n_iter_} epochs "
      f"in {perf_counter() - start:.1f} s")
print(model.module_)

# %%
# Learning curve
# --------------
# ``history_`` holds one row per epoch: the training loss (mean log-loss plus
# the L2 penalty, the quantity ``loss_curve_`` also records) and the epoch's
# duration.
history = model.history_
fig, (loss_ax, time_ax) = plt.subplots(1, 2, figsize=(10, 4))
loss_ax.plot(history.index, history["train_loss"])
loss_ax.set(yscale="log", xlabel="epoch", ylabel="training loss",
            title="CNNClassifier on digits, default parameters")
time_ax.plot(history.index, history["dur"].cumsum())
time_ax.set(xlabel="epoch", ylabel="seconds", title="cumulative training time")
fig.tight_layout()

# %%
# The misclassified test images
# -----------------------------
# Each title gives the true label and the predicted one with its probability.
proba = model.predict_proba(X_test)
predicted = model.classes_[proba.argmax(axis=1)]
wrong = np.flatnonzero(predicted != y_test)
print(f"{len(wrong)} of {len(y_test)} test images misclassified")
n_shown = max(len(wrong), 1)
fig, axes = plt.subplots(1, n_shown, figsize=(max(6, 1.6 * n_shown), 2.6), squeeze=False)
for ax, index in zip(axes[0], wrong):
    ax.imshow(X_test[index].reshape(8, 8), cmap="gray_r")
    ax.set_title(f"{y_test[index]} -> {predicted[index]}\n"
                 f"p={proba[index].max():.2f}", fontsize=9)
for ax in axes[0]:
    ax.axis("off")
fig.suptitle("misclassified test digits (true -> predicted)")
fig.tight_layout()
