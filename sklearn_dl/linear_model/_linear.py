"""Least squares and ridge regression written in torch: closed forms and our solvers."""

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.utils._param_validation import Interval, StrOptions

from sklearn_dl.linear_model._base import REGRESSOR_CONSTRAINTS, TorchLinearRegressor

class LinearRegression(TorchLinearRegressor):
    """Ordinary least squares, solved in torch.

    Minimises ``sum_i s_i ||y_i - X_i @ coef.T - intercept||^2`` (``s`` the
    sample weights), as :class:`sklearn.linear_model.LinearRegression`, whose
    fitted attributes it reproduces.

    Parameters
    ----------
    fit_intercept : bool, default=True
        Fit an intercept, by centring ``X`` and ``y`` on their weighted means.

    copy_X : bool, default=True
        Accepted for compatibility with scikit-learn; changes nothing here:
        ``X`` is never modified, whatever its value.

    tol : float, default=1e-6
        For 'lstsq', singular values below ``tol`` times the largest count as
        zero (sklearn's ``cond``), which gives rank-deficient ``X`` the
        minimum-norm solution; for 'gd' and 'sgd', stop when the gradient of the
        weighted mean of half squared errors has no entry above ``tol``.

    n_jobs : int, default=None
        Accepted for compatibility with scikit-learn; changes nothing here
        (the torch thread pool does the parallel work, see
        ``torch.set_num_threads``).

    positive : bool, default=False
        Constrain the coefficients to be non-negative: 'auto' then solves the
        non-negative least squares problem exactly with our Lawson-Hanson
        active set (dense ``X`` only), 'gd' and 'sgd' project their steps.

    solver : {'auto', 'lstsq', 'gd', 'sgd'}, default='auto'
        - 'auto': 'lstsq', or the active set when ``positive=True``;
        - 'lstsq': the minimum-norm least squares solution that sklearn gets
          from LAPACK's ``gelsd`` through scipy: from the eigendecomposition
          of the normal equations, accumulated in float64 whatever the input,
          when ``X`` is well conditioned (smallest eigenvalue of ``X^T X``
          above ``sqrt(eps)`` times the largest for float64 input, ``eps`` for
          float32 input, where they are as accurate), otherwise from
          Householder QR (``torch.geqrf``) then an SVD of the small triangular
          factor. Sparse ``X`` takes the normal equations (refined as
          above) up to 4096 features, LSQR beyond (sklearn runs scipy's
          ``lsqr`` with ``atol = btol = tol`` on all sparse ``X``), which
          leaves ``rank_`` and ``singular_`` unset as sklearn's does;
        - 'gd': full-batch gradient descent with backtracking;
        - 'sgd': mini-batch stochastic gradient over epochs.

    max_iter : int, default=None
        Iterations (epochs for 'sgd') of the iterative solvers; None means
        1000 ('gd', 'sgd') or twice the number of features (LSQR, for sparse
        ``X`` with more than 4096 features).

    batch_size : int or 'auto', default='auto'
        Mini-batch size of 'sgd'; 'auto' is ``min(200, n_samples)``.

    learning_rate_init : float or 'auto', default='auto'
        Initial step of 'sgd' (halved whenever 5 epochs in a row fail to
        improve the objective) or fixed step of 'gd'; 'auto' derives it from the data
        ('sgd') or backtracks ('gd').

    random_state : int, RandomState instance or None, default=None
        Seeds the shuffling of 'sgd'.

    verbose : int, default=0
        Print progress of the iterative solvers when > 0.

    device : str or torch.device, default='auto'
        Where the computation runs ('auto': CUDA when available).

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
        Coefficients.

    intercept_ : float or ndarray of shape (n_targets,)
        Intercept (a numpy scalar of the dtype of ``X`` for 1-D ``y``); 0.0
        when ``fit_intercept=False``.

    rank_ : int
        Rank of the centred (and weighted) ``X``; 'lstsq' only, and not with
        LSQR (as sklearn's on sparse ``X``).

    singular_ : ndarray of shape (min(n_samples, n_features),)
        Its singular values, in the dtype of ``X``; 'lstsq' only.

    n_iter_ : int
        Iterations (epochs) run; 1 for the direct 'lstsq' solve, LSQR's
        iterations for wide sparse ``X``, active-set changes for
        ``positive=True``.

    loss_curve_ : list of float
        Objective after every iteration of 'gd' / epoch of 'sgd'.

    n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when they are all strings.

    See Also
    --------
    Ridge : Least squares with an L2 penalty.
    sklearn.linear_model.LinearRegression : The reference implementation.

    Notes
    -----
    Sparse ``X`` (CSR or CSC) is accepted and never densified: the normal
    equations are formed with torch's sparse products and the offsets of the
    intercept are subtracted from them instead of from ``X``. ``float32``
    input gives ``float32`` coefficients; the normal equations behind them
    are accumulated in float64.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dl.linear_model import LinearRegression
    >>> X = np.array([[1, 1], [1, 2], [2, 2], [2, 3]])
    >>> y = np.dot(X, np.array([1, 2])) + 3
    >>> reg = LinearRegression(device="cpu").fit(X, y)
    >>> round(reg.score(X, y), 6)
    1.0
    >>> reg.coef_.round(6)
    array([1., 2.])
    >>> reg.intercept_.round(6)
    np.float64(3.0)
    >>> reg.predict(np.array([[3, 5]])).round(6)
    array([16.])
    """

    _parameter_constraints: dict = {
        **REGRESSOR_CONSTRAINTS,
        "n_jobs": [None, Integral],
        "solver": [StrOptions({"auto", "lstsq", "gd", "sgd"})],
    }

    def __init__(
        self,
        *,
        fit_intercept=True,
        copy_X=True,
        tol=1e-6,
        n_jobs=None,
        positive=False,
        solver="auto",
        max_iter=None,
        batch_size="auto",
        learning_rate_init="auto",
        random_state=None,
        verbose=0,
        device="auto",
    ):
        self.fit_intercept = fit_intercept
        self.copy_X = copy_X
        self.tol = tol
        self.n_jobs = n_jobs
        self.positive = positive
        self.solver = solver
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.random_state = random_state
        self.verbose = verbose
        self.device = device

    def _resolve_solver(self, sparse, n_features):
        if sparse and self.positive and self.solver == "auto":
            # sklearn's error (type and opening words) for the same call.
            raise TypeError(
                "Sparse data was passed for X, but dense data is required: positive=True "
                "with solver='auto' runs the exact active set. Use '.toarray()', or "
                "solver='gd' or 'sgd' (projected steps), which take sparse X."
            )
        if self.solver == "auto":
            return "nnls" if self.positive else "lstsq"
        if self.solver == "lstsq" and self.positive:
            raise ValueError(
                "solver='lstsq' does not support positive=True; use solver='auto' (exact "
                "non-negative least squares), 'gd' or 'sgd'."
            )
        return self.solver

    def _solve_direct(self, data, alpha, solver):
        if solver == "nnls":
            return self._solve_positive(data, alpha)
        if data.sparse and data.n_features > _SPARSE_GRAM_MAX_FEATURES:
            # LSQR gives no singular values; no stale ones from an earlier fit either.
            vars(self).pop("rank_", None)
            vars(self).pop("singular_", None)
            coef, n_iter = data.lsqr(self.tol, max_iter=self.max_iter)
            return coef, n_iter
        solution = None
        if data.n_samples > data.n_features or data.sparse:
            solution = _lstsq_normal_equations(data, self.tol)
        if solution is None:
            solution = _lstsq_svd(*data.weighted(), self.tol)
        coef, self.rank_, singular = solution
        self.singular_ = singular.to(data.dtype).cpu().numpy()
        return coef.T, 1


class Ridge(TorchLinearRegressor):
    """Linear least squares with an L2 penalty, solved in torch.

    Minimises ``sum_i s_i ||y_i - X_i @ coef.T - intercept||^2 + alpha * ||coef||^2``
    (``s`` the sample weights, the intercept unpenalised), as
    :class:`sklearn.linear_model.Ridge`, whose fitted attributes it reproduces.

    Parameters
    ----------
    alpha : float or array-like of shape (n_targets,), default=1.0
        Penalty strength, non-negative; one per target when an array.

    fit_intercept : bool, default=True
        Fit an intercept, by centring ``X`` and ``y`` on their weighted means
        (sparse ``X``: by subtracting the means' share from the normal
        equations, or as one more parameter of the iterative solvers).

    copy_X : bool, default=True
        Accepted for compatibility with scikit-learn; changes nothing here:
        ``X`` is never modified, whatever its value.

    max_iter : int, default=None
        Iterations (epochs for 'sgd') of the iterative solvers; None means 1000.

    tol : float, default=1e-4
        Stop the iterative solvers when the gradient of the objective divided
        by the sum of sample weights has no entry above ``tol``.

    solver : {'auto', 'cholesky', 'svd', 'lbfgs', 'gd', 'sgd'}, default='auto'
        - 'auto': 'cholesky'; with ``positive=True`` the exact active set
          (recorded as 'nnls' in ``solver_``), or 'lbfgs' on sparse ``X``;
          'lbfgs' on sparse ``X`` with more than 4096 features, where the
          normal equations would be a large dense matrix;
        - 'cholesky': Cholesky solve of the normal equations (in the dtype of
          ``X`` as sklearn's, float64 for sparse ``X``), or of the dual
          (kernel) system when a dense ``X`` has more features than samples;
          'svd' when ``alpha=0`` or the system is not positive definite;
        - 'svd': Householder QR then SVD of the triangular factor (dense
          ``X`` only);
        - 'lbfgs': L-BFGS; with ``positive=True`` its bound-constrained
          (projected) variant, as sklearn's L-BFGS-B;
        - 'gd', 'sgd': our first-order solvers.

        sklearn's 'sparse_cg', 'lsqr', 'sag' and 'saga' are not available.

    positive : bool, default=False
        Constrain the coefficients to be non-negative ('auto': exact active
        set; 'lbfgs': bound-constrained L-BFGS; 'gd' and 'sgd': projected
        steps).

    batch_size : int or 'auto', default='auto'
        Mini-batch size of 'sgd'; 'auto' is ``min(200, n_samples)``.

    learning_rate_init : float or 'auto', default='auto'
        Initial step of 'sgd' or fixed step of 'gd' ('auto': from the data /
        backtracking).

    random_state : int, RandomState instance or None, default=None
        Seeds the shuffling of 'sgd'.

    verbose : int, default=0
        Print progress of the iterative solvers when > 0.

    device : str or torch.device, default='auto'
        Where the computation runs ('auto': CUDA when available).

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
        Coefficients.

    intercept_ : float or ndarray of shape (n_targets,)
        Intercept (a numpy scalar of the dtype of ``X`` for 1-D ``y``); 0.0
        when ``fit_intercept=False``.

    n_iter_ : ndarray of shape (n_targets,)
        Iterations (epochs) run; 1 for the direct solvers (sklearn leaves
        None there), active-set changes for the exact ``positive=True``.

    solver_ : str
        The solver that ran: 'cholesky', 'svd' (also when 'cholesky' fell
        back to it), 'lbfgs', 'gd', 'sgd' or 'nnls' (the exact active set).

    loss_curve_ : list of float
        Objective (divided by the sum of sample weights) after every iteration
        of 'lbfgs' / 'gd' or epoch of 'sgd'.

    n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when they are all strings.

    See Also
    --------
    LinearRegression : Least squares without penalty.
    sklearn.linear_model.Ridge : The reference implementation.

    Notes
    -----
    Sparse ``X`` (CSR or CSC) is accepted by every solver but 'svd' and never
    densified. ``float32`` input gives ``float32`` coefficients.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dl.linear_model import Ridge
    >>> rng = np.random.RandomState(0)
    >>> X, y = rng.randn(10, 5), rng.randn(10)
    >>> reg = Ridge(alpha=1.0, device="cpu").fit(X, y)
    >>> reg.coef_.round(3)
    array([-0.187,  0.047, -0.015, -0.114,  0.091])
    """

    _parameter_constraints: dict = {
        **REGRESSOR_CONSTRAINTS,
        "alpha": [Interval(Real, 0, None, closed="left"), "array-like"],
        "solver": [StrOptions({"auto", "cholesky", "svd", "lbfgs", "gd", "sgd"})],
    }

    _ravel_single_target = True

    def __init__(
        self,
        alpha=1.0,
        *,
        fit_intercept=True,
        copy_X=True,
        max_iter=None,
        tol=1e-4,
        solver="auto",
        positive=False,
        batch_size="auto",
        learning_rate_init="auto",
        random_state=None,
        verbose=0,
        device="auto",
    ):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.copy_X = copy_X
        self.max_iter = max_iter
        self.tol = tol
        self.solver = solver
        self.positive = positive
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.random_state = random_state
        self.verbose = verbose
        self.device = device

    def _alpha(self, n_targets):
        alpha = np.asarray(self.alpha, dtype=np.float64).ravel()
        if alpha.size not in (1, n_targets):
            raise ValueError(
                f"Number of targets and number of penalties do not correspond: "
                f"{alpha.size} != {n_targets}"
            )
        if (alpha < 0).any() or not np.isfinite(alpha).all():
            raise ValueError(f"alpha must be non-negative and finite, got {self.alpha!r}.")
        return np.broadcast_to(alpha, n_targets).tolist()

    def _resolve_solver(self, sparse, n_features):
        # solver_ records the solver that runs; _solve_direct updates it when
        # 'cholesky' falls back to 'svd', as sklearn's does.
        if self.solver == "auto":
            if self.positive:
                self.solver_ = "lbfgs" if sparse else "nnls"
            elif sparse and n_features > _SPARSE_GRAM_MAX_FEATURES:
                self.solver_ = "lbfgs"
            else:
                self.solver_ = "cholesky"
            return self.solver_
        if self.positive and self.solver not in ("lbfgs", "gd", "sgd"):
            raise ValueError(
                f"solver={self.solver!r} does not support positive=True; use solver='auto' "
                "(exact active set), 'lbfgs' (bound-constrained, as sklearn's), 'gd' or 'sgd'."
            )
        if sparse and self.solver == "svd":
            raise ValueError(
                "solver='svd' does not support sparse X; use solver='auto', 'cholesky', "
                "'lbfgs', 'gd' or 'sgd', or pass a dense array."
            )
        self.solver_ = self.solver
        return self.solver_

    def _n_iter_attribute(self, n_iter, n_targets):
        # sklearn's shape; its direct solvers leave None, ours count one iteration.
        return np.full(n_targets, n_iter, dtype=np.int32)

    def _solve_direct(self, data, alpha, solver):
        if solver == "nnls":
            return self._solve_positive(data, alpha)
        if solver == "cholesky" and bool((alpha > 0).all()):
            coef = _ridge_cholesky(data, alpha)
            if coef is not None:
                return coef, 1
        self.solver_ = "svd"
        if data.sparse:
            return _ridge_eigh(*data.gram(), alpha), 1
        X, Y = data.weighted()
        singular, right, projected = _thin_svd(X, Y)
        alpha = alpha.to(singular.dtype)
        shrink = singular[:, None] / (singular[:, None] ** 2 + alpha[None, :])
        # Directions with a vanishing singular value carry no signal, only rounding
        # noise that alpha=0 would blow up: drop them (sklearn's cut-off is 1e-15;
        # LAPACK's relative one decides when alpha=0 leaves X rank-deficient).
        cutoff = torch.finfo(X.dtype).eps * max(X.shape) * float(singular.max())
        shrink[singular <= max(cutoff, 1e-15)] = 0.0
        return (right.T @ (shrink * projected)).T, 1


# Sparse X with more features goes to LSQR (LinearRegression) or 'lbfgs' (Ridge
# under solver='auto'): the normal equations would be a dense (n_features,
# n_features) matrix.
_SPARSE_GRAM_MAX_FEATURES = 4096


def _lstsq_normal_equations(data, rcond):
    """Minimum-norm least squares from the eigendecomposition of ``X^T X``, if accurate.

    Returns ``(coef, rank, singular_values)`` in float64, or None when the
    smallest eigenvalue is under ``sqrt(eps)`` times the largest (float64
    input): there the squared condition number would cost accuracy, and the
    SVD route takes over. Above it, the coefficients are as accurate as the
    SVD's (to ``cond(X) * eps`` after one step of iterative refinement, which
    contracts the error by ``cond(X)^2 * eps``) for a fraction of the cost: two
    passes of matrix products over X instead of a Householder QR. The
    normal equations are accumulated in float64 (:meth:`CenteredData.gram`), so
    for float32 input they beat a float32 SVD (``cond(X) * eps32``) up to
    ``cond(X) ~ 1e8``: the threshold is then ``eps`` (of float64). Sparse X
    always takes this route (an SVD would densify it).
    """
    XtX, XtY = data.gram()
    eigenvalues, eigenvectors = torch.linalg.eigh(XtX)
    largest = float(eigenvalues[-1])
    eps = torch.finfo(torch.float64).eps
    threshold = eps if data.dtype == torch.float32 else eps ** 0.5
    if largest <= 0 and data.sparse:
        return XtY.new_zeros(XtY.shape), 0, eigenvalues.clamp(min=0).flip(0).sqrt()
    if not data.sparse and (largest <= 0 or float(eigenvalues[0]) < threshold * largest):
        return None
    eigenvalues = eigenvalues.clamp(min=0)
    singular = eigenvalues.flip(0).sqrt()
    keep = eigenvalues.sqrt() > rcond * singular[0]
    basis = eigenvectors[:, keep]

    def solve(right_hand_side):
        return basis @ ((basis.T @ right_hand_side) / eigenvalues[keep, None])

    coef = solve(XtY)
    # One step of iterative refinement on the float64 residual brings the error of
    # the normal equations, cond(X)^2 * eps, down to gelsd's cond(X) * eps.
    coef += solve(data.correlate_residual(coef))
    return coef, int(keep.sum()), singular


def _lstsq_svd(X, Y, rcond):
    """Minimum-norm least squares as LAPACK's ``gelsd``: singular values under
    ``rcond`` times the largest count as zero. Returns ``(coef, rank, singular_values)``."""
    singular, right, projected = _thin_svd(X, Y)
    keep = singular > rcond * singular[0] if len(singular) else singular > 0
    coef = right[keep].T @ (projected[keep] / singular[keep, None])
    return coef, int(keep.sum()), singular


def _ridge_eigh(XtX, XtY, alpha):
    """Ridge coefficients (n_targets, n_features) from the eigendecomposition of ``X^T X``.

    The route of sparse X when Cholesky fails (``alpha=0`` on rank-deficient
    data): ``coef = V diag(1 / (s^2 + alpha)) V^T X^T y`` over the directions
    whose singular value ``s`` is not rounding noise.
    """
    eigenvalues, eigenvectors = torch.linalg.eigh(XtX)
    eigenvalues = eigenvalues.clamp(min=0)
    cutoff = torch.finfo(XtX.dtype).eps * XtX.shape[0] * float(eigenvalues.max().clamp(min=0))
    keep = eigenvalues > cutoff
    basis = eigenvectors[:, keep]
    inverse = 1.0 / (eigenvalues[keep, None] + alpha[None, :])
    return (basis @ (inverse * (basis.T @ XtY))).T


def _thin_svd(X, Y):
    """SVD ``X = U diag(s) Vh`` as ``(s, Vh, U^T Y)``, without forming U for tall X.

    A tall X is first reduced by Householder QR, ``X = Q R``; ``Q^T Y`` is
    applied from the reflectors and only the small ``R`` goes through the SVD.
    """
    n_samples, n_features = X.shape
    if n_samples > n_features:
        reflectors, tau = torch.geqrf(X)
        projected = torch.ormqr(reflectors, tau, Y, left=True, transpose=True)[:n_features]
        left, singular, right = torch.linalg.svd(reflectors[:n_features].triu())
        return singular, right, left.T @ projected
    left, singular, right = torch.linalg.svd(X, full_matrices=False)
    return singular, right, left.T @ Y


def _ridge_cholesky(data, alpha):
    """Ridge coefficients (n_targets, n_features) by Cholesky, or None if singular.

    With more features than samples the dual system ``(X X^T + alpha I) c = y``,
    ``coef = X^T c`` is the smaller one. Targets with different alphas are
    solved one by one.
    """
    dual = data.n_features > data.n_samples and not data.sparse
    if dual:
        X, Y = data.weighted()
        gram = X @ X.T
    else:
        gram, XtY = data.gram(dtype=torch.float64 if data.sparse else data.dtype)
    if bool((alpha == alpha[0]).all()):
        groups = [(alpha[0], slice(None))]
    else:
        groups = [(strength, slice(j, j + 1)) for j, strength in enumerate(alpha)]
    coefs = []
    for strength, targets in groups:
        system = gram + strength * torch.eye(gram.shape[0], dtype=gram.dtype, device=gram.device)
        factor, info = torch.linalg.cholesky_ex(system)
        if int(info) != 0:
            return None
        if dual:
            coefs.append(X.T @ torch.cholesky_solve(Y[:, targets], factor))
        else:
            coefs.append(torch.cholesky_solve(XtY[:, targets], factor))
    return torch.cat(coefs, dim=1).T
