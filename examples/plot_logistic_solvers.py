"""
=====================================================
Solvers of the from-scratch logistic regression
=====================================================

:class:`~sklearn_dl.linear_model.LogisticRegression` minimises exactly
scikit-learn's objective with solvers written in torch. Every iterative solver
records the objective after each iteration (epoch for SGD) in ``loss_curve_``,
so comparing them is one line per solver: the gap to the minimum, on a log
scale, for

* full-batch gradient descent ('gd', backtracking step),
* mini-batch stochastic gradient descent ('sgd', batches of 64),
* L-BFGS ('lbfgs', the default),
* Newton's method on the exact Hessian ('newton').

The data is the breast cancer set (569 samples, 30 standardised features),
with scikit-learn's default penalty (``C=1``). The minimum is taken from a
Newton run to ``tol=1e-12``, and checked against scikit-learn.

An SGD epoch costs about as much as one full gradient, so the x axis compares
work too; the second-order solvers pay more per iteration (Newton builds and
factorises the Hessian), which on 30 features is negligible.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression as SklearnLogisticRegression
from sklearn.preprocessing import StandardScaler

from sklearn_dl.linear_model import LogisticRegression

X, y = load_breast_cancer(return_X_y=True)
X = StandardScaler().fit_transform(X)

best = LogisticRegression(solver="newton", tol=1e-12).fit(X, y)
minimum = best.loss_curve_[-1]
reference = SklearnLogisticRegression(tol=1e-10, max_iter=1000).fit(X, y)
print(f"minimum objective {minimum:.10f}; largest coefficient difference to "
      f"scikit-learn: {np.abs(best.coef_ - reference.coef_).max():.1e}")

solvers = {
    "gd": dict(solver="gd"),
    "sgd (batch 64)": dict(solver="sgd", batch_size=64, random_state=0),
    "lbfgs": dict(solver="lbfgs"),
    "newton": dict(solver="newton"),
}
fig, ax = plt.subplots(figsize=(7, 4.5))
for label, params in solvers.items():
    with warnings.catch_warnings():
        # Every solver gets 100 iterations on purpose; gd and sgd need more to converge.
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = LogisticRegression(tol=1e-12, max_iter=100, **params).fit(X, y)
    gap = np.maximum(np.array(model.loss_curve_) - minimum, 1e-16)
    ax.semilogy(np.arange(1, len(gap) + 1), gap, label=label)
    print(f"{label:<15} {model.n_iter_[0]:>4} iterations, final gap {gap[-1]:.1e}")
ax.set_xlabel("iteration (epoch for sgd)")
ax.set_ylabel("objective - minimum")
ax.set_title("LogisticRegression on breast cancer, C=1")
ax.legend()
fig.tight_layout()
plt.show()
