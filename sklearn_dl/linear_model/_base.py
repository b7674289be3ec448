"""What the linear estimators share: regressor plumbing, tensors, solver dispatch, warnings."""

import functools
import warnings
from numbers import Integral, Real

import numpy as np
import torch
from scipy import sparse
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from sklearn_dl.linear_model import _solvers
from sklearn_dl.linear_model._objectives import (
    SparseDesign,
    SquaredObjective,
    csr_tensor,
    times,
    times_transpose,
)
from sklearn_dl.utils import derive_seed, resolve_device
from sklearn_dl.utils._constraints import DeviceName
from sklearn_dl.utils._doc_link import DocLinkMixin

_DEFAULT_MAX_ITER = 1000

REGRESSOR_CONSTRAINTS = {
    "fit_intercept": ["boolean"],
    "copy_X": ["boolean"],
    "positive": ["boolean"],
    "max_iter": [Interval(Integral, 1, None, closed="left"), None],
    "tol": [Interval(Real, 0, None, closed="left")],
    "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
    "learning_rate_init": [StrOptions({"auto"}), Interval(Real, 0, None, closed="neither")],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
    "device": [DeviceName()],
}


def restore_on_error(fit):
    """Decorate a fit method: when it raises, the estimator is left as it was.

    Validation sets ``n_features_in_`` before later checks (the classes, the
    sample weights, the solver) can fail; without the restore a failed fit
    would leave a half-fitted estimator, or a fitted one whose attributes no
    longer agree.
    """
    @functools.wraps(fit)
    def wrapper(self, *args, **kwargs):
        state = dict(vars(self))
        try:
            return fit(self, *args, **kwargs)
        except BaseException:
            vars(self).clear()
            vars(self).update(state)
            raise

    return wrapper


class TorchLinearRegressor(RegressorMixin, DocLinkMixin, BaseEstimator):
    """Fit plumbing shared by :class:`LinearRegression` and :class:`Ridge`.

    ``_ravel_single_target``: a ``y`` of shape (n_samples, 1) gives a 1-D
    ``coef_`` (and 1-D predictions), as sklearn's Ridge does; its
    LinearRegression keeps the column.

    ``fit`` centres ``X`` and ``y`` on their (weighted) means when an intercept
    is fitted, as sklearn does (:class:`CenteredData`), and hands the centred
    problem to ``_solve_direct`` or ``_solve_iterative``; the intercept is
    recovered as ``y_offset - X_offset @ coef``.
    """

    _ravel_single_target = False

    def _alpha(self, n_targets):
        """Ridge strength per target, as a list of floats."""
        return [0.0] * n_targets

    def _n_iter_attribute(self, n_iter, n_targets):
        """What ``n_iter_`` holds after a fit that took ``n_iter`` iterations."""
        return n_iter

    @_fit_context(prefer_skip_nested_validation=True)
    @restore_on_error
    def fit(self, X, y, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; a sparse matrix is never densified.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Target values, cast to the dtype of X.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"],
                             dtype=[np.float64, np.float32], y_numeric=True, multi_output=True)
        y = np.asarray(y, dtype=X.dtype)
        device = resolve_device(self.device)
        if sample_weight is not None:
            # Unit weights stay None: the solvers then skip rescaling the rows.
            sample_weight = to_tensor(_check_sample_weight(
                sample_weight, X, dtype=X.dtype, ensure_non_negative=True
            ), device)
        solver = self._resolve_solver(sparse.issparse(X), X.shape[1])
        data = CenteredData(to_design(X, device), to_tensor(y.reshape(len(y), -1), device),
                            sample_weight, fit_intercept=self.fit_intercept)
        alpha = torch.tensor(self._alpha(data.n_targets), dtype=torch.float64, device=device)
        if solver in ("lbfgs", "gd", "sgd"):
            coef, intercept, n_iter = self._solve_iterative(data, alpha.to(data.dtype), solver)
        else:
            coef, n_iter = self._solve_direct(data, alpha, solver)
            coef = coef.to(data.dtype)
            intercept = data.intercept(coef)
        self.n_iter_ = self._n_iter_attribute(n_iter, data.n_targets)
        ravel = y.ndim == 1 or (y.shape[1] == 1 and self._ravel_single_target)
        self.coef_ = coef.cpu().numpy()[0] if ravel else coef.cpu().numpy()
        # As sklearn's: a numpy scalar of X's dtype for 1-D y, 0.0 without intercept.
        intercept = intercept.cpu().numpy()
        if not self.fit_intercept:
            self.intercept_ = 0.0
        else:
            self.intercept_ = intercept[0] if y.ndim == 1 else intercept
        return self

    def predict(self, X):
        """Predict with the linear model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, accept_sparse=["csr", "csc"],
                          dtype=[np.float64, np.float32])
        dtype = np.result_type(X.dtype, self.coef_.dtype)
        device = resolve_device(self.device)
        coef = to_tensor(self.coef_, device, dtype).reshape(-1, self.n_features_in_)
        intercept = to_tensor(np.asarray(self.intercept_), device, dtype)
        scores = times_transpose(coef, to_design(X, device, dtype)).T
        prediction = (scores + intercept).cpu().numpy()
        return prediction[:, 0] if self.coef_.ndim == 1 else prediction

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.input_tags.sparse = True
        return tags

    def _solve_iterative(self, data, alpha, solver):
        """Minimise the weighted mean of half squared errors plus the ridge term.

        Dense X is centred (better conditioned, as the direct solvers); a
        sparse X would lose its zeros, so its intercept is fitted as one more
        (unpenalised) parameter instead. Returns ``(coef, intercept, n_iter)``.
        """
        if data.sparse:
            X, Y, fit_intercept = data.X, data.Y, self.fit_intercept
        else:
            (X, Y), fit_intercept = data.centered(), False
        weights = data.weights if data.weights is not None else Y.new_ones(data.n_samples)
        weight_sum = weights.sum()
        objective = SquaredObjective(
            X, Y, weights / weight_sum, fit_intercept=fit_intercept,
            l2=(alpha / weight_sum)[:, None], positive=self.positive,
        )
        max_iter = _DEFAULT_MAX_ITER if self.max_iter is None else self.max_iter
        result = run_solver(
            objective, objective.zeros(), solver=solver, max_iter=max_iter, tol=self.tol,
            verbose=self.verbose, learning_rate_init=self.learning_rate_init,
            batch_size=self.batch_size, random_state=self.random_state,
        )
        warn_if_not_converged(result, solver, regressor=True)
        self.loss_curve_ = result.loss_curve
        coef, intercept = objective.split(result.theta)
        if not fit_intercept:
            intercept = data.intercept(coef)
        return coef, intercept, result.n_iter

    def _solve_positive(self, data, alpha):
        """Non-negative (ridge) least squares per target with our active-set solver.

        It runs in float64 whatever the input, as scipy's ``nnls`` does for sklearn.
        """
        X, Y = (matrix.double() for matrix in data.weighted())
        coefs, n_iter = [], 1
        for target, strength in zip(Y.T, alpha):
            if strength > 0:
                # ||y - X w||^2 + alpha ||w||^2 is least squares on rows of sqrt(alpha) I.
                ridge_rows = strength.sqrt() * torch.eye(X.shape[1], dtype=X.dtype,
                                                         device=X.device)
                A = torch.cat([X, ridge_rows])
                b = torch.cat([target, target.new_zeros(X.shape[1])])
            else:
                A, b = X, target
            coef, iterations = _solvers.nnls(A, b)
            coefs.append(coef)
            n_iter = max(n_iter, iterations)
        return torch.stack(coefs), n_iter


class CenteredData:
    """The regression data centred on its weighted means, formed only as needed.

    With ``fit_intercept`` the offsets are the weighted means of X and Y, else
    zeros; they and the normal equations of least squares (``gram``) are
    accumulated in float64 whatever the input's dtype: float32 sums over many
    rows would lose the digits that distinguish correlated columns. The direct solvers
    see the rows scaled by ``sqrt(sample_weight)``, which turns weighted into
    ordinary least squares; ``gram`` accumulates over blocks of rows, so the
    centred copy of a large X is never held in memory at once. A sparse X
    (:class:`SparseDesign`) is never centred: ``gram`` subtracts the offsets'
    share from ``X^T W X`` instead.
    """

    # Rows per block of ``gram``: about 8 MB of float64 whatever the width.
    _BLOCK_VALUES = 2**20

    def __init__(self, X, Y, weights, *, fit_intercept):
        self.X, self.Y, self.weights = X, Y, weights
        self.sparse = isinstance(X, SparseDesign)
        self.dtype = Y.dtype
        self.n_samples, self.n_features = X.shape
        self.n_targets = Y.shape[1]
        weights64 = None if weights is None else weights.double()
        self._total = float(self.n_samples if weights is None else weights64.sum())
        if fit_intercept:
            X_offset = self._column_sums(weights64) / self._total
            Y_offset = (Y.double().sum(dim=0) if weights is None else weights64 @ Y.double())
            Y_offset = Y_offset / self._total
        else:
            X_offset = Y.new_zeros(self.n_features, dtype=torch.float64)
            Y_offset = Y.new_zeros(self.n_targets, dtype=torch.float64)
        self.X_offset64, self.Y_offset64 = X_offset, Y_offset
        self.X_offset, self.Y_offset = X_offset.to(self.dtype), Y_offset.to(self.dtype)

    def intercept(self, coef):
        """``Y_offset - coef @ X_offset`` (in float64), in the data's dtype."""
        return (self.Y_offset64 - coef.double() @ self.X_offset64).to(self.dtype)

    @functools.cached_property
    def _sparse_X64(self):
        return self.X.to(torch.float64)

    def _column_sums(self, weights64):
        """Weighted column sums of X in float64."""
        if self.sparse:
            if weights64 is None:
                weights64 = self.Y.new_ones(self.n_samples, dtype=torch.float64)
            return times(weights64[None], self._sparse_X64)[0]
        sums = self.Y.new_zeros(self.n_features, dtype=torch.float64)
        for rows in self._blocks():
            block = self.X[rows].double()
            sums += block.sum(dim=0) if weights64 is None else weights64[rows] @ block
        return sums

    def _blocks(self):
        block = max(1, self._BLOCK_VALUES // max(self.n_features, 1))
        return [slice(start, start + block) for start in range(0, self.n_samples, block)]

    def centered(self, rows=slice(None)):
        """Centred X and Y (of the given rows), unweighted; dense X only."""
        return self.X[rows] - self.X_offset, self.Y[rows] - self.Y_offset

    def weighted(self, rows=slice(None)):
        """Centred X and Y with the rows scaled by the square roots of the weights."""
        X, Y = self.centered(rows)
        if self.weights is None:
            return X, Y
        root = self.weights[rows].sqrt()[:, None]
        return X * root, Y * root

    def gram(self, dtype=torch.float64):
        """``(X^T X, X^T Y)`` of the weighted, centred data.

        In float64 by default; Ridge asks for the input's dtype on dense X
        (as sklearn, whose float32 Cholesky it matches at float32 speed).
        """
        if self.sparse:
            return self._sparse_gram()
        XtX = self.Y.new_zeros(self.n_features, self.n_features, dtype=dtype)
        XtY = self.Y.new_zeros(self.n_features, self.n_targets, dtype=dtype)
        X_offset, Y_offset = self.X_offset64.to(dtype), self.Y_offset64.to(dtype)
        for rows in self._blocks():
            X = self.X[rows].to(dtype) - X_offset
            Y = self.Y[rows].to(dtype) - Y_offset
            if self.weights is not None:
                root = self.weights[rows].to(dtype).sqrt()[:, None]
                X, Y = X * root, Y * root
            XtX.addmm_(X.T, X)
            XtY.addmm_(X.T, Y)
        return XtX, XtY

    def correlate_residual(self, coef):
        """``X^T W (Y - X coef)`` of the centred data, in float64.

        The right-hand side of a step of iterative refinement of the normal
        equations; ``coef`` has the shape (n_features, n_targets).
        """
        if self.sparse:
            X64 = self._sparse_X64
            residual = ((self.Y.double() - self.Y_offset64)
                        - (times_transpose(coef.T, X64).T - self.X_offset64 @ coef))
            if self.weights is not None:
                residual *= self.weights.double()[:, None]
            return (times(residual.T, X64).T
                    - torch.outer(self.X_offset64, residual.sum(dim=0)))
        correlation = torch.zeros_like(coef)
        for rows in self._blocks():
            X = self.X[rows].double() - self.X_offset64
            Y = self.Y[rows].double() - self.Y_offset64
            if self.weights is not None:
                root = self.weights[rows].double().sqrt()[:, None]
                X, Y = X * root, Y * root
            correlation.addmm_(X.T, Y - X @ coef)
        return correlation

    def lsqr(self, rcond_tol, max_iter=None):
        """Least squares on the centred, weighted sparse X by LSQR, one target at a time.

        sklearn's route for sparse X (``scipy.sparse.linalg.lsqr`` with
        ``atol = btol = tol``); the centring and the weights are applied inside
        the products. Returns ``(coef (n_targets, n_features), n_iter)``, in float64.
        """
        X64, offset = self._sparse_X64, self.X_offset64
        root = (self.Y.new_ones(self.n_samples, dtype=torch.float64) if self.weights is None
                else self.weights.double().sqrt())

        def matvec(v):
            return root * (times_transpose(v[None], X64)[0] - offset @ v)

        def rmatvec(u):
            weighted = root * u
            return times(weighted[None], X64)[0] - offset * weighted.sum()

        max_iter = 2 * self.n_features if max_iter is None else max_iter
        coefs, n_iter = [], 0
        for target in ((self.Y.double() - self.Y_offset64) * root[:, None]).T:
            coef, iterations = _solvers.lsqr(matvec, rmatvec, target, n_features=self.n_features,
                                             atol=rcond_tol, btol=rcond_tol, max_iter=max_iter)
            coefs.append(coef)
            n_iter = max(n_iter, iterations)
        return torch.stack(coefs), n_iter

    def _sparse_gram(self):
        # sum_i w_i (x_i - m)(x_i - m)^T = X^T W X - S m m^T, with m the weighted mean
        # and S the weight sum; likewise for X^T Y.
        X64 = self._sparse_X64
        weights = (self.Y.new_ones(self.n_samples, dtype=torch.float64) if self.weights is None
                   else self.weights.double())
        XtX = X64.weighted_gram(weights)
        XtY = times((weights[:, None] * self.Y.double()).T, X64).T
        XtX -= self._total * torch.outer(self.X_offset64, self.X_offset64)
        XtY -= self._total * torch.outer(self.X_offset64, self.Y_offset64)
        return XtX, XtY


def to_design(X, device, dtype=None):
    """A dense tensor, or a :class:`SparseDesign` for a scipy sparse ``X``."""
    if not sparse.issparse(X):
        return to_tensor(X, device, dtype)
    X = X.astype(dtype or X.dtype, copy=False)
    return SparseDesign(*(_csr_tensor(matrix, device) for matrix in (X.tocsr(), X.T.tocsr())))


def _csr_tensor(matrix, device):
    return csr_tensor(torch.from_numpy(matrix.indptr), torch.from_numpy(matrix.indices),
                      torch.from_numpy(matrix.data), matrix.shape).to(device)


def to_tensor(array, device, dtype=None):
    """Return ``array`` as a tensor on ``device``, sharing memory on the CPU when possible.

    Callers never write into the result. Read-only arrays (memory maps) and
    arrays with negative strides are copied, as torch cannot wrap them.
    """
    array = np.asarray(array, dtype=dtype)
    if not array.flags.writeable or any(stride < 0 for stride in array.strides):
        array = np.array(array, order="C")
    return torch.from_numpy(array).to(device)


def run_solver(objective, theta, *, solver, max_iter, tol, verbose, learning_rate_init="auto",
               batch_size="auto", random_state=None, epoch_offset=0, sgd_state=None):
    """Minimise ``objective`` from ``theta`` with the named iterative solver.

    ``learning_rate_init`` concerns 'gd', 'proximal' and 'sgd', the other
    options only 'sgd': ``epoch_offset`` (epochs already run) varies the
    shuffling of successive ``partial_fit`` calls, ``sgd_state`` is the
    ``(learning_rate, n_bad_epochs)`` the previous call ended with.
    """
    learning_rate = None if learning_rate_init == "auto" else float(learning_rate_init)
    if solver == "lbfgs" and objective.positive:
        return _solvers.projected_lbfgs(objective, theta, max_iter=max_iter, tol=tol,
                                        verbose=verbose)
    if solver == "lbfgs":
        return _solvers.lbfgs(objective, theta, max_iter=max_iter, tol=tol, verbose=verbose)
    if solver == "newton":
        return _solvers.newton(objective, theta, max_iter=max_iter, tol=tol, verbose=verbose)
    if solver in ("gd", "proximal"):
        return _solvers.proximal_gradient(
            objective, theta, max_iter=max_iter, tol=tol, accelerated=solver == "proximal",
            learning_rate=learning_rate, verbose=verbose,
        )
    batch_size = min(200 if batch_size == "auto" else batch_size, objective.n_samples)
    n_bad_epochs = 0
    if sgd_state is not None:
        learning_rate, n_bad_epochs = sgd_state
    elif learning_rate is None:
        learning_rate = _solvers.sgd_learning_rate(objective, batch_size)
    seed = (derive_seed(random_state) + epoch_offset) % np.iinfo(np.int32).max
    generator = torch.Generator().manual_seed(seed)
    return _solvers.sgd(
        objective, theta, max_epochs=max_iter, tol=tol, batch_size=batch_size,
        learning_rate=learning_rate, generator=generator, n_bad_epochs=n_bad_epochs,
        verbose=verbose,
    )


def warn_if_not_converged(result, solver, *, regressor=False):
    """Warn (ConvergenceWarning) when the solver stopped before converging.

    The message opens as sklearn's estimator of the same kind does ("lbfgs
    failed to converge" for logistic regression, "The lbfgs solver did not
    converge" for ridge), so code matching sklearn's warnings matches ours.
    """
    if result.converged:
        return
    reason = result.message or "the maximum number of iterations (max_iter) was reached"
    unit = "epoch(s)" if solver == "sgd" else "iteration(s)"
    opening = (f"The {solver} solver did not converge" if regressor
               else f"{solver} failed to converge")
    warnings.warn(
        f"{opening} after {result.n_iter} {unit}: {reason}. "
        "Increase the number of iterations (max_iter) or scale the data as shown in "
        "https://scikit-learn.org/stable/modules/preprocessing.html",
        ConvergenceWarning,
        stacklevel=5,
    )
