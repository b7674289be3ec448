"""
=====================================================
Weight initialisation and activation functions
=====================================================

How the weights start matters more the deeper the network: with a poor scale
the signal shrinks or grows layer after layer and the first epochs are spent
recovering. :class:`sklearn_dl.neural_network.MLPClassifier` offers three
initialisations through ``weight_init``:

* ``'xavier'`` (the default): Glorot uniform, scikit-learn's own, scaled for
  tanh and the logistic function (scikit-learn's factor for the logistic);
* ``'he'``: Kaiming normal, scaled for ReLU, which zeroes half its inputs;
* ``'default'``: PyTorch's ``nn.Linear`` initialisation.

and four hidden activations: scikit-learn's ``'relu'``, ``'tanh'`` and
``'logistic'``, plus ``'gelu'``. Every combination trains the same deep,
narrow network (four hidden layers of 64 units) on the digits for 25 epochs;
the training loss curves show how fast each one starts learning.
"""

# %%
# Twelve networks
# ---------------
# The runs stop at 25 epochs on purpose, so the warning that they have not
# converged is silenced.
import os
import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sklearn_dl.neural_network import MLPClassifier
from sklearn_dl.utils import plot_history

warnings.filterwarnings("ignore", category=ConvergenceWarning)
# The test suite sets SKLEARN_DL_EXAMPLE_QUICK=1 to check that the example runs:
# it then trains for fewer epochs.
QUICK = bool(os.environ.get("SKLEARN_DL_EXAMPLE_QUICK"))
X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y,
                                                    random_state=0)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

activations = ["relu", "tanh", "logistic", "gelu"]
inits = ["xavier", "he", "default"]
fig, axes = plt.subplots(1, len(activations), figsize=(14, 3.8), sharey=True)
print(f"{'test accuracy':<14}" + "".join(f"{init:>9}" for init in inits))
for activation, ax in zip(activations, axes):
    scores = []
    for init in inits:
        model = MLPClassifier(hidden_layer_sizes=(64,) * 4, activation=activation,
                              weight_init=init, max_iter=3 if QUICK else 25, random_state=0)
        model.fit(X_train, y_train)
        plot_history(model, ax=ax, label=init, log_scale=True)
        scores.append(model.score(X_test, y_test))
    print(f"{activation:<14}" + "".join(f"{score:>9.3f}" for score in scores))
    ax.set_title(activation)
    ax.legend(fontsize="small")
fig.tight_layout()
plt.show()

# %%
# PyTorch's default initialisation, the smallest of the three (uniform with a
# bound of 1/sqrt(fan_in), a third of He's variance), starts slowest with
# every activation. Xavier and He are close with ReLU, tanh and GELU. The
# logistic function is the hard case: its gradient is at most 1/4, so through
# four layers the signal fades and every initialisation sits on a plateau for
# over a dozen epochs (the larger He weights leave it a little sooner); for a
# deep network, prefer ReLU, GELU or tanh.
