"""
=====================================================
sklearn_dl's MLPClassifier next to scikit-learn's
=====================================================

:class:`sklearn_dl.neural_network.MLPClassifier` takes scikit-learn's
parameters with their defaults and meaning, so moving a model to PyTorch is a
change of import. This example fits both on the handwritten digits (8x8
images as 64 features, 1 347 for training, 450 held out) with the same
defaults, and compares held-out accuracy, fit time and the training loss of
each epoch (``loss_curve_``, which both estimators record the
same way: mean log-loss plus the L2 penalty).
"""

# %%
# The same pipeline, twice
# ------------------------
# Only the import differs. Both estimators stop when the training loss has
# not improved by ``tol`` for ``n_iter_no_change`` epochs.
import os
from time import perf_counter

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_dl.neural_network import MLPClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y,
                                                    random_state=0)

models = {
    "sklearn_dl (PyTorch)": make_pipeline(StandardScaler(), MLPClassifier(random_state=0)),
    "scikit-learn": make_pipeline(StandardScaler(), SklearnMLPClassifier(random_state=0)),
}
# The test suite sets SKLEARN_DL_EXAMPLE_QUICK=1 to check that the example runs:
# it then trains each for five epochs.
if os.environ.get("SKLEARN_DL_EXAMPLE_QUICK"):
    for model in models.values():
        model[-1].set_params(max_iter=5)
for name, model in models.items():
    start = perf_counter()
    model.fit(X_train, y_train)
    seconds = perf_counter() - start
    print(f"{name:<22} test accuracy {model.score(X_test, y_test):.3f}, "
          f"{model[-1].n_iter_} epochs in {seconds:.1f} s")

# %%
# Training curves
# ---------------
# The loss is the same quantity for both, so the curves are directly
# comparable. :func:`sklearn_dl.utils.plot_history` draws ours in one line;
# scikit-learn's ``loss_curve_`` is plotted by hand, dashed: with the same
# initialisation scheme, optimiser and batch size the two curves lie almost
# on top of each other.
from sklearn_dl.utils import plot_history

fig, ax = plt.subplots(figsize=(7, 4.5))
plot_history(models["sklearn_dl (PyTorch)"], ax=ax, label="sklearn_dl", log_scale=True)
ax.plot(range(1, len(models["scikit-learn"][-1].loss_curve_) + 1),
        models["scikit-learn"][-1].loss_curve_, "--", label="scikit-learn: train loss")
ax.legend()
ax.set_title("MLPClassifier on digits, default parameters")
fig.tight_layout()
plt.show()

# %%
# What else the PyTorch version records
# -------------------------------------
# Besides scikit-learn's fitted attributes, ``history_`` is a per-epoch
# DataFrame (loss and duration) and ``module_`` the trained
# ``torch.nn.Module``.
ours = models["sklearn_dl (PyTorch)"][-1]
print(ours.history_[["train_loss", "dur"]].tail(3))
print(ours.module_)
