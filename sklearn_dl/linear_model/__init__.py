"""Linear models written from scratch in torch tensor math.

:class:`LogisticRegression`, :class:`LinearRegression` and :class:`Ridge`
minimise scikit-learn's objectives with our own solvers (closed forms through
``torch.linalg``, L-BFGS and its bound-constrained variant, Newton, gradient
descent, proximal gradient, SGD, LSQR, non-negative least squares) and agree
with scikit-learn's fitted coefficients. They take scikit-learn's parameters
with the same defaults, and dense or sparse (CSR / CSC) ``X``, which is never
densified.
"""

from sklearn_dl.linear_model._linear import LinearRegression, Ridge
from sklearn_dl.linear_model._logistic import LogisticRegression

__all__ = ["LinearRegression", "LogisticRegression", "Ridge"]
