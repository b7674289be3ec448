"""
=====================================================
Classifying sequences by the order of their events
=====================================================

Each sequence is small noise with one +1 spike and one -1 spike at random
steps; its class is whether the +1 spike comes first. Both classes hold the
same bag of values, so only the order tells them apart, and the sequences have
different lengths (10 to 30 steps).

:class:`~sklearn_dl.neural_network.LSTMClassifier` and its GRU variant take
the ragged list of sequences as it is: shorter sequences are NaN-padded and
packed, so the padding does not reach the network. An
:class:`~sklearn_dl.neural_network.MLPClassifier` needs a fixed width: it gets
the same sequences zero-padded to 30 values, and has to learn every pair of
positions separately.
"""

import os
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from sklearn_dl.neural_network import LSTMClassifier, MLPClassifier

# Each model gets a fixed epoch budget; reaching it is expected, not a warning sign.
warnings.filterwarnings("ignore", category=ConvergenceWarning)


def make_sequences(n_samples, seed):
    rng = np.random.default_rng(seed)
    sequences, labels = [], []
    for _ in range(n_samples):
        length = rng.integers(10, 31)
        sequence = rng.uniform(-0.5, 0.5, size=length)
        up, down = rng.choice(length, size=2, replace=False)
        sequence[up], sequence[down] = 1.0, -1.0
        sequences.append(sequence)
        labels.append(int(up < down))
    return sequences, np.array(labels)


def zero_padded(sequences, width=30):
    return np.array([np.pad(sequence, (0, width - len(sequence))) for sequence in sequences])


# The test suite sets SKLEARN_DL_EXAMPLE_QUICK=1 to check that the example runs:
# it then trains on less data for fewer epochs.
QUICK = bool(os.environ.get("SKLEARN_DL_EXAMPLE_QUICK"))
X_train, y_train = make_sequences(200 if QUICK else 1000, seed=0)
X_test, y_test = make_sequences(200 if QUICK else 2000, seed=1)

models = {
    "LSTM": LSTMClassifier(hidden_size=32, learning_rate_init=0.01, max_iter=30,
                           random_state=0),
    "GRU": LSTMClassifier(cell="gru", hidden_size=32, learning_rate_init=0.01, max_iter=30,
                          random_state=0),
    "MLP (zero-padded)": MLPClassifier(hidden_layer_sizes=(128,), max_iter=200,
                                       random_state=0),
}
if QUICK:
    for model in models.values():
        model.set_params(max_iter=3)
accuracy = {}
for name, model in models.items():
    start = time.perf_counter()
    if name.startswith("MLP"):
        model.fit(zero_padded(X_train), y_train)
        accuracy[name] = model.score(zero_padded(X_test), y_test)
    else:
        model.fit(X_train, y_train)
        accuracy[name] = model.score(X_test, y_test)
    print(f"{name:18s} test accuracy {accuracy[name]:.3f}  "
          f"({time.perf_counter() - start:.1f} s, {model.n_iter_} epochs)")

fig, (ax_examples, ax_scores) = plt.subplots(1, 2, figsize=(10, 3.8))
for index, style in zip(range(4), ["-", "--", "-.", ":"]):
    ax_examples.plot(X_test[index], style, label=f"class {y_test[index]}")
ax_examples.set_xlabel("step")
ax_examples.set_title("Test sequences: +1 before -1 is class 1")
ax_examples.legend(fontsize="small")
ax_scores.bar(list(accuracy), list(accuracy.values()), color=["C0", "C1", "C7"])
ax_scores.set_ylim(0.5, 1.0)
ax_scores.set_ylabel("test accuracy")
ax_scores.set_title("Order needs a recurrent model")
for position, value in enumerate(accuracy.values()):
    ax_scores.text(position, value + 0.01, f"{value:.3f}", ha="center")
fig.tight_layout()
plt.show()
