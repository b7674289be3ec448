"""
=====================================================
Finding a short pattern anywhere in a noisy signal
=====================================================

Each signal is 96 steps of Gaussian noise with one short waveform added at a
random position: a rising ramp, a falling ramp or a sine burst, which is the
class. The waveforms have the same energy, so only their shape tells them
apart, wherever they are.

:class:`~sklearn_dl.neural_network.CNNClassifier` reads each row as a
one-channel 1-D signal (its default for flat input) and slides the same
filters along it, so a pattern learnt at one position is recognised at all of
them. :class:`~sklearn_dl.neural_network.MLPClassifier` sees 96 unrelated
features and has to learn each position separately from the few examples that
put the pattern there. A third model adds ``augmentation='auto'``: random
shifts, amplitude scaling and noise on each training batch.

All three hold out 10% of the training set (``early_stopping=True``), which
records a validation accuracy per epoch in ``history_``: these are the
learning curves below.
"""

import os
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from sklearn_dl.neural_network import CNNClassifier, MLPClassifier

warnings.filterwarnings("ignore", category=ConvergenceWarning)
# The test suite sets SKLEARN_DL_EXAMPLE_QUICK=1 to check that the example runs:
# it then trains on less data for three epochs.
QUICK = bool(os.environ.get("SKLEARN_DL_EXAMPLE_QUICK"))

LENGTH, WIDTH = 96, 12
WAVEFORMS = {
    "rising ramp": np.linspace(-1, 1, WIDTH),
    "falling ramp": np.linspace(1, -1, WIDTH),
    "sine burst": np.sin(np.linspace(0, 2 * np.pi, WIDTH)),
}


def make_signals(n_samples, seed):
    rng = np.random.default_rng(seed)
    shapes = [wave / np.linalg.norm(wave) for wave in WAVEFORMS.values()]
    y = rng.integers(0, len(shapes), n_samples)
    X = rng.normal(size=(n_samples, LENGTH))
    for row, label, start in zip(X, y, rng.integers(0, LENGTH - WIDTH + 1, n_samples)):
        row[start:start + WIDTH] += 8 * shapes[label]
    return X, y


X_train, y_train = make_signals(300 if QUICK else 1500, seed=0)
X_test, y_test = make_signals(200 if QUICK else 1000, seed=1)

# %%
# A few training signals
# ----------------------
fig, axes = plt.subplots(3, 1, figsize=(8, 5), sharex=True)
for ax, (label, name) in zip(axes, enumerate(WAVEFORMS)):
    ax.plot(X_train[np.flatnonzero(y_train == label)[0]])
    ax.set_ylabel(name)
axes[-1].set_xlabel("step")
fig.suptitle("one training signal of each class")
fig.tight_layout()

# %%
# Three models, default parameters plus early stopping
# ----------------------------------------------------
# The CNNs keep their default architecture for signals (three convolutional
# blocks with kernels 8, 5 and 3, global average pooling), but with a quarter
# of its channels, batches of 128 signals and scikit-learn's patience of 10
# epochs: the default's 128, 256 and 128 channels cost sixteen times the
# arithmetic, and its batches of 16 signals and patience of 30 epochs (made
# for the UCR archive's small training sets, whose loss is noisy) eight times
# the steps per epoch and several times the epochs: minutes on two CPU cores,
# for a task this small.
NARROW = (32, 64, 32)
models = {
    "MLPClassifier": MLPClassifier(early_stopping=True, random_state=0),
    "CNNClassifier": CNNClassifier(filters=NARROW, batch_size=128, n_iter_no_change=10,
                                   early_stopping=True, random_state=0),
    "CNNClassifier, augmentation='auto'": CNNClassifier(
        filters=NARROW, batch_size=128, n_iter_no_change=10, early_stopping=True,
        augmentation="auto", random_state=0),
}
if QUICK:
    for model in models.values():
        model.set_params(max_iter=3)
for name, model in models.items():
    model.fit(X_train, y_train)
    print(f"{name:<36} test accuracy {model.score(X_test, y_test):.3f} "
          f"after {model.n_iter_} epochs")

# %%
# Learning curves
# ---------------
# The training loss falls for all three; the validation accuracy shows which
# of them generalises. The MLP learns its training signals but recognises only
# about half of the held-out ones (chance is a third); the convolutional
# networks (by default the fully convolutional network of time-series
# classification) recognise most of them, as the test accuracies printed above
# show; augmentation's random shifts show each pattern at many more positions.
# (Augmented batches keep the training loss higher: it is measured on
# perturbed signals.)
fig, (loss_ax, score_ax) = plt.subplots(1, 2, figsize=(11, 4))
for name, model in models.items():
    history = model.history_
    loss_ax.plot(history.index, history["train_loss"], label=name)
    score_ax.plot(history.index, history["valid_score"], label=name)
loss_ax.set(yscale="log", xlabel="epoch", ylabel="training loss")
score_ax.set(xlabel="epoch", ylabel="validation accuracy", ylim=(0, 1))
score_ax.axhline(1 / len(WAVEFORMS), color="gray", linestyle=":", label="chance")
score_ax.legend(loc="lower right")
fig.suptitle("pattern at a random position: learning curves")
fig.tight_layout()
