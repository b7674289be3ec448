"""Linear models written from scratch in torch tensor math.

:class:`LogisticRegression`, :class:`LinearRegression` and :class:`Ridge`
minimise scikit-learn's objectives with our own solvers (closed forms through
``torch.linalg``, L-BFGS, Newton, gradient descent, proximal gradient, SGD,
non-negative least squares) and agree with scikit-learn's fitted coefficients.
"""

from sklearn_dl.linear_model._linear import LinearRegression, Ridge
from sklearn_dl.linear_model._logistic import LogisticRegression

__all__ = ["LinearRegression", "LogisticRegression", "Ridge"]
