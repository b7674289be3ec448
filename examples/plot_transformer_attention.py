"""
=========================================================
Retrieving a marked step: attention against recurrence
=========================================================

Each sequence holds noise in [-1, 1] and, on a second channel, a marker on one
step of its first half; the class is the sign of the marked step's value. The
answer sits many steps before the end of the sequence, and the sequences have
different lengths.

A recurrent network has to notice the marker, store the value and carry it to
the end of the sequence; a Transformer's class token attends to every step at
once and can read the marked one directly. Both take the ragged list of
sequences as it is (NaN-padded and masked, or packed). The heatmap shows where
the trained Transformer looks: in one of its layers the class token's row puts
most of its weight on the marked step.
"""

import os
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from sklearn_dl.neural_network import LSTMClassifier, TransformerClassifier
from sklearn_dl.utils import plot_attention

# Each model gets a fixed epoch budget; reaching it is expected, not a warning sign.
warnings.filterwarnings("ignore", category=ConvergenceWarning)


def make_sequences(n_samples, seed):
    rng = np.random.default_rng(seed)
    sequences, labels, marks = [], [], []
    for _ in range(n_samples):
        length = rng.integers(16, 25)
        sequence = np.zeros((length, 2))
        sequence[:, 0] = rng.uniform(-1, 1, size=length)
        mark = rng.integers(0, length // 2)
        sequence[mark, 1] = 1.0
        sequences.append(sequence)
        labels.append(int(sequence[mark, 0] > 0))
        marks.append(mark)
    return sequences, np.array(labels), np.array(marks)


# The test suite sets SKLEARN_DL_EXAMPLE_QUICK=1 to check that the example runs:
# it then trains on less data for two epochs.
QUICK = bool(os.environ.get("SKLEARN_DL_EXAMPLE_QUICK"))
epochs = 2 if QUICK else 20
X_train, y_train, _ = make_sequences(100 if QUICK else 600, seed=0)
X_test, y_test, marks = make_sequences(100 if QUICK else 500, seed=1)

transformer = TransformerClassifier(d_model=32, learning_rate_init=0.005, max_iter=epochs,
                                    random_state=0).fit(X_train, y_train)
lstm = LSTMClassifier(hidden_size=32, learning_rate_init=0.005, max_iter=epochs,
                      random_state=0).fit(X_train, y_train)
print(f"TransformerClassifier test accuracy: {transformer.score(X_test, y_test):.3f}")
print(f"LSTMClassifier test accuracy:        {lstm.score(X_test, y_test):.3f}")

# %%
# Where the class token looks
# ---------------------------
# Position 0 of a map is the class token; step ``k`` of the sequence is
# position ``k + 1``. Averaged over the test set and the heads, how much weight
# does the class token put on the marked step, layer by layer? A uniform spread
# over about 20 steps would give 0.05.
weights = transformer.attention_weights(X_test).mean(axis=2)   # mean over heads
on_mark = weights[np.arange(len(X_test)), :, 0, marks + 1].mean(axis=0)
for layer, weight in enumerate(on_mark):
    print(f"layer {layer}: class token's mean weight on the marked step {weight:.2f}")
layer = int(np.argmax(on_mark))

fig, axes = plt.subplots(1, 2, figsize=(12, 5))
plot_attention(transformer, X_test[0][None], layer=layer, ax=axes[0])
axes[0].set_title(f"One test sequence, marked step {marks[0]}")
axes[1].bar(np.arange(len(X_test[0])), X_test[0][:, 0], color="lightgray")
axes[1].bar(marks[0], X_test[0][marks[0], 0], color="tab:red", label="marked step")
axes[1].set_xlabel("step")
axes[1].set_ylabel("value")
axes[1].legend()
axes[1].set_title(f"Its values (class {y_test[0]})")
plt.tight_layout()
plt.show()
