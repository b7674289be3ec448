"""Logistic regression written in torch: sklearn's objective, our solvers."""

import warnings
from numbers import Integral, Real

import numpy as np
import torch
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.linear_model._base import SparseCoefMixin
from sklearn.utils import compute_class_weight
from sklearn.utils._param_validation import Hidden, Interval, StrOptions
from sklearn.utils._available_if import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from sklearn_dl.linear_model._base import (
    restore_on_error,
    run_solver,
    to_design,
    to_tensor,
    warn_if_not_converged,
)
from sklearn_dl.linear_model._objectives import (
    BinomialObjective,
    MultinomialObjective,
    times_transpose,
)
from sklearn_dl.utils import resolve_device
from sklearn_dl.utils._constraints import DeviceName
from sklearn_dl.utils._doc_link import DocLinkMixin

_SMOOTH_SOLVERS = ("lbfgs", "newton", "gd", "sgd")


class LogisticRegression(SparseCoefMixin, ClassifierMixin, DocLinkMixin, BaseEstimator):
    """Logistic regression (binary and multinomial) solved by our own torch solvers.

    It minimises exactly sklearn's objective,

    .. math::

        \\frac{1}{S} \\sum_i s_i \\ell(y_i, X_i W^T + b)
        + \\frac{1}{C S} \\Big(\\frac{1 - \\rho}{2} \\|W\\|_F^2 + \\rho \\|W\\|_1\\Big),
        \\qquad S = \\sum_i s_i,

    (the same minimiser as ``C * sum_i s_i * loss_i + penalty``) with the log
    loss for two classes (one row of coefficients) and the softmax
    cross-entropy over all classes otherwise (one row per class). ``s`` are the
    sample weights times the class weights, ``rho`` is ``l1_ratio`` and the
    intercept is not penalised. Fitted coefficients agree with
    :class:`sklearn.linear_model.LogisticRegression` to the solvers' tolerance.

    Parameters
    ----------
    penalty : {'l1', 'l2', 'elasticnet', None}, default='deprecated'
        Deprecated as in scikit-learn 1.8: use ``l1_ratio`` and ``C``
        (``l1_ratio=0`` for 'l2', ``l1_ratio=1`` for 'l1', ``C=np.inf`` for
        None). Setting it warns and behaves as in scikit-learn.

    C : float, default=1.0
        Inverse of the regularisation strength; ``np.inf`` fits without penalty.

    l1_ratio : float, default=0.0
        Elastic-net mixing ``rho`` in [0, 1]: 0 is the L2 penalty, 1 the L1
        penalty. ``None`` is deprecated (as in scikit-learn) and means 0.

    dual : bool, default=False
        Only False: the dual formulation is liblinear's, which we do not have;
        ``dual=True`` raises a ValueError, as sklearn's other solvers do.

    tol : float, default=1e-4
        Stop when the largest absolute entry of the objective's gradient (of the
        proximal gradient mapping for 'proximal') is at most ``tol``; 'sgd'
        checks it on the full data after each epoch.

    fit_intercept : bool, default=True
        Fit an (unpenalised) intercept.

    intercept_scaling : float, default=1
        Accepted for compatibility with scikit-learn; changes nothing here
        (in sklearn it only concerns 'liblinear'): the intercept is never
        penalised.

    class_weight : dict or 'balanced', default=None
        Weights ``{class_label: weight}`` multiplying the sample weights;
        'balanced' uses ``n_samples / (n_classes * np.bincount(y))`` (weighted
        counts when ``sample_weight`` is given).

    random_state : int, RandomState instance or None, default=None
        Seeds the shuffling of 'sgd'; other solvers are deterministic.

    solver : {'lbfgs', 'newton', 'gd', 'proximal', 'sgd'}, default='lbfgs'
        Our optimiser (sklearn's 'liblinear', 'newton-cg', 'newton-cholesky',
        'sag' and 'saga' are not available: 'newton' and 'proximal' take
        their roles):

        - 'lbfgs': L-BFGS with a strong Wolfe line search (L2 or no penalty);
        - 'newton': Newton's method on the exact Hessian, for few features
          times classes (L2 or no penalty);
        - 'gd': full-batch gradient descent with backtracking, or a fixed
          step ``learning_rate_init`` (L2 or no penalty);
        - 'proximal': accelerated proximal gradient (FISTA with restarts), the
          solver for the L1 and elastic-net penalties (any penalty);
        - 'sgd': mini-batch stochastic gradient over epochs, with
          :meth:`partial_fit` (L2 or no penalty).

    max_iter : int, default=100
        Maximum number of iterations (epochs for 'sgd').

    verbose : int, default=0
        Print the objective and gradient size after every iteration when > 0.

    warm_start : bool, default=False
        Start from the previous solution of :meth:`fit` instead of zeros.

    n_jobs : int, default=None
        Deprecated in scikit-learn 1.8 and without effect there; here too.
        Setting it warns (FutureWarning) as scikit-learn does.

    batch_size : int or 'auto', default='auto'
        Mini-batch size of 'sgd'; 'auto' is ``min(200, n_samples)``.

    learning_rate_init : float or 'auto', default='auto'
        Initial step size of 'sgd' (halved whenever 5 epochs in a row fail to
        improve the objective) or fixed step of 'gd' / 'proximal'. 'auto' gives
        'sgd' the inverse of the mini-batch gradient's expected smoothness
        (Gower et al., 2019) and makes 'gd' / 'proximal' backtrack.

    device : str or torch.device, default='auto'
        Where the computation runs: 'auto' (CUDA when available), 'cpu',
        'cuda', 'cuda:N' or 'mps'. Fitted attributes are numpy arrays wherever
        it runs.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.

    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Coefficients; one row for a binary problem (for ``classes_[1]``). A
        scipy sparse array after :meth:`sparsify`.

    intercept_ : ndarray of shape (1,) or (n_classes,)
        Intercepts; zeros when ``fit_intercept=False``.

    n_iter_ : ndarray of shape (1,)
        Iterations (epochs for 'sgd', counted over :meth:`partial_fit` calls) run.

    loss_curve_ : list of float
        Objective after every iteration (epoch for 'sgd').

    n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when they are all strings.

    See Also
    --------
    sklearn.linear_model.LogisticRegression : The reference implementation.

    Notes
    -----
    Sparse ``X`` (CSR or CSC) is multiplied as it is, never densified.
    ``float32`` input is fitted in ``float32``, anything else in ``float64``.
    With several classes and no penalty on some parameters the minimiser is
    not unique; all solvers return the one whose class rows of
    those parameters sum to zero, where sklearn's solvers also end.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_dl.linear_model import LogisticRegression
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = LogisticRegression(device="cpu").fit(X, y)
    >>> clf.predict(X[:2, :])
    array([0, 0])
    >>> clf.predict_proba(X[:2, :]).round(2)
    array([[0.98, 0.02, 0.  ],
           [0.97, 0.03, 0.  ]])
    >>> round(clf.score(X, y), 2)
    0.97
    """

    _parameter_constraints: dict = {
        "penalty": [
            StrOptions({"l1", "l2", "elasticnet"}),
            None,
            Hidden(StrOptions({"deprecated"})),
        ],
        "C": [Interval(Real, 0, None, closed="right")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both"), None],
        "dual": ["boolean"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "fit_intercept": ["boolean"],
        "intercept_scaling": [Interval(Real, 0, None, closed="neither")],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "random_state": ["random_state"],
        "solver": [StrOptions({"lbfgs", "newton", "gd", "proximal", "sgd"})],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "n_jobs": [None, Integral],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate_init": [StrOptions({"auto"}), Interval(Real, 0, None, closed="neither")],
        "device": [DeviceName()],
    }

    def __init__(
        self,
        penalty="deprecated",
        *,
        C=1.0,
        l1_ratio=0.0,
        dual=False,
        tol=1e-4,
        fit_intercept=True,
        intercept_scaling=1,
        class_weight=None,
        random_state=None,
        solver="lbfgs",
        max_iter=100,
        verbose=0,
        warm_start=False,
        n_jobs=None,
        batch_size="auto",
        learning_rate_init="auto",
        device="auto",
    ):
        self.penalty = penalty
        self.C = C
        self.l1_ratio = l1_ratio
        self.dual = dual
        self.tol = tol
        self.fit_intercept = fit_intercept
        self.intercept_scaling = intercept_scaling
        self.class_weight = class_weight
        self.random_state = random_state
        self.solver = solver
        self.max_iter = max_iter
        self.verbose = verbose
        self.warm_start = warm_start
        self.n_jobs = n_jobs
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.device = device

    @_fit_context(prefer_skip_nested_validation=True)
    @restore_on_error
    def fit(self, X, y, sample_weight=None):
        """Fit the model to the training data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples, multiplied by the class weights.

        Returns
        -------
        self : LogisticRegression
            The fitted estimator.
        """
        penalties = self._penalty_strengths()
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"],
                             dtype=[np.float64, np.float32])
        check_classification_targets(y)
        self.classes_, encoded = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(
                "This solver needs samples of at least 2 classes in the data, but the "
                f"data contains only one class: {self.classes_[0]!r}"
            )
        sample_weight = self._sample_weight(sample_weight, X, y, encoded)
        theta = self._initial_theta(X.dtype) if self.warm_start else None
        return self._fit_encoded(X, encoded, sample_weight, penalties, theta,
                                 max_iter=self.max_iter)

    @available_if(lambda self: self.solver == "sgd")
    @_fit_context(prefer_skip_nested_validation=True)
    @restore_on_error
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Run one epoch of mini-batch SGD on the given data (``solver='sgd'`` only).

        The objective of each call is the one :meth:`fit` minimises on that data
        (the penalty scales with the call's total sample weight). The step size
        carries over from call to call and is halved after 5 calls in a row whose
        epoch did not lower the objective of their data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels, all in ``classes``.
        classes : array-like of shape (n_classes,), default=None
            All the classes of the problem; required on the first call, and
            equal to ``classes_`` when given on a later call.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples.

        Returns
        -------
        self : LogisticRegression
            The updated estimator.
        """
        first_call = not hasattr(self, "coef_")
        penalties = self._penalty_strengths()
        if self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' is not supported by partial_fit: it needs the "
                "class frequencies of the whole data. Pass the weights as a dict."
            )
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"],
                             dtype=[np.float64, np.float32], reset=first_call)
        check_classification_targets(y)
        if first_call:
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit.")
            self.classes_ = np.unique(classes)
            if len(self.classes_) < 2:
                raise ValueError(
                    f"partial_fit needs at least 2 classes, got classes={self.classes_!r}."
                )
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(
                f"classes={np.unique(classes)!r} is not the same as on the first call to "
                f"partial_fit, {self.classes_!r}."
            )
        unknown = np.setdiff1d(y, self.classes_)
        if unknown.size:
            raise ValueError(f"y contains labels {unknown!r} that are not in classes_.")
        encoded = np.searchsorted(self.classes_, y)
        sample_weight = self._sample_weight(sample_weight, X, y, encoded, check_classes=False)
        if first_call:
            theta, epoch_offset, sgd_state = None, 0, None
        else:
            theta = self._initial_theta(X.dtype)
            epoch_offset, sgd_state = self._fit_epochs, self._sgd_state
        return self._fit_encoded(X, encoded, sample_weight, penalties, theta, max_iter=1,
                                 epoch_offset=epoch_offset, sgd_state=sgd_state)

    def decision_function(self, X):
        """Raw scores ``X @ coef_.T + intercept_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            For two classes, the score of ``classes_[1]``.
        """
        scores = self._scores(X)
        return scores[:, 0].numpy() if scores.shape[1] == 1 else scores.numpy()

    def predict(self, X):
        """Predict the class of each sample.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        scores = self._scores(X)
        if scores.shape[1] == 1:
            indices = (scores[:, 0] > 0).long()
        else:
            indices = scores.argmax(dim=1)
        return self.classes_[indices.numpy()]

    def predict_proba(self, X):
        """Class probabilities: the logistic function for two classes, softmax otherwise.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns ordered as ``classes_``.
        """
        return self._log_proba(X).exp_().numpy()

    def predict_log_proba(self, X):
        """Logarithm of the class probabilities, computed without underflow.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Columns ordered as ``classes_``.
        """
        return self._log_proba(X).numpy()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.classifier_tags.multi_class = True
        return tags

    # --- fitting ---------------------------------------------------------------------

    def _penalty_strengths(self):
        """Resolve ``penalty`` / ``l1_ratio`` / ``C`` as sklearn 1.9 does.

        Returns the L1 and L2 strengths of the un-normalised objective
        ``sum_i s_i loss_i + l1 * ||W||_1 + l2 / 2 * ||W||^2``, i.e. in units of 1/C.
        """
        if self.dual:
            raise ValueError(
                f"Solver {self.solver} supports only dual=False, got dual=True: the dual "
                "formulation is liblinear's, which sklearn_dl does not have."
            )
        if self.n_jobs is not None:
            warnings.warn(
                "'n_jobs' has no effect since 1.8 and will be removed in 1.10. "
                f"You provided 'n_jobs={self.n_jobs}', please leave it unspecified.",
                FutureWarning,
            )
        l1_ratio = self.l1_ratio
        if self.penalty == "deprecated":
            if l1_ratio is None:
                warnings.warn(
                    "'l1_ratio=None' was deprecated in version 1.8 and will trigger an "
                    "error in 1.10. Use 0<=l1_ratio<=1 instead.",
                    FutureWarning,
                )
                l1_ratio = 0.0
            penalty = {0: "l2", 1: "l1"}.get(l1_ratio, "elasticnet")
            if self.C == np.inf:
                penalty = None
        else:
            penalty = self.penalty
            warnings.warn(
                "'penalty' was deprecated in version 1.8 and will be removed in 1.10. To "
                "avoid this warning, leave 'penalty' set to its default value and use "
                "'l1_ratio' or 'C' instead. Use l1_ratio=0 instead of penalty='l2', "
                "l1_ratio=1 instead of penalty='l1', l1_ratio set to a float between 0 "
                "and 1 instead of penalty='elasticnet', and C=np.inf instead of "
                "penalty=None.",
                FutureWarning,
            )
            if penalty == "elasticnet" and l1_ratio is None:
                raise ValueError("l1_ratio must be specified when penalty is elasticnet.")
            if penalty != "elasticnet" and l1_ratio is not None and 0 < l1_ratio < 1:
                warnings.warn(
                    "l1_ratio parameter is only used when penalty is 'elasticnet'. Got "
                    f"(penalty={penalty})"
                )
            if (penalty == "l2" and l1_ratio != 0) or (penalty == "l1" and l1_ratio != 1):
                warnings.warn(
                    f"Inconsistent values: penalty={penalty} with l1_ratio={l1_ratio}. "
                    "penalty is deprecated. Please use l1_ratio only."
                )
            if penalty is None and self.C != 1.0:
                warnings.warn("Setting penalty=None will ignore the C and l1_ratio parameters")
        if penalty in ("l1", "elasticnet") and self.solver in _SMOOTH_SOLVERS:
            raise ValueError(
                f"Solver {self.solver} supports only 'l2' or None penalties, got {penalty} "
                "penalty. Use solver='proximal' for the L1 and elastic-net penalties."
            )
        inverse_c = 1.0 / self.C
        if penalty is None:
            return 0.0, 0.0
        if penalty == "l2":
            return 0.0, inverse_c
        if penalty == "l1":
            return inverse_c, 0.0
        return l1_ratio * inverse_c, (1.0 - l1_ratio) * inverse_c

    def _sample_weight(self, sample_weight, X, y, encoded, check_classes=True):
        """Sample weights times class weights, checked; raise if one class is left."""
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=X.dtype, ensure_non_negative=True, copy=True
        )
        if check_classes:
            weighted_classes = np.unique(encoded[sample_weight > 0])
            if len(weighted_classes) < 2:
                raise ValueError(
                    "This solver needs samples of at least 2 classes with a positive "
                    "sample_weight, but only one class has any: "
                    f"{self.classes_[weighted_classes[0]]!r}"
                )
        if self.class_weight is not None:
            class_weight = compute_class_weight(
                self.class_weight, classes=self.classes_, y=y, sample_weight=sample_weight
            )
            sample_weight *= class_weight[encoded].astype(X.dtype, copy=False)
        return sample_weight

    def _initial_theta(self, dtype):
        """Previous coefficients (and intercepts) as the solvers' flat start, if any."""
        if not hasattr(self, "coef_"):
            return None
        n_rows = 1 if len(self.classes_) == 2 else len(self.classes_)
        if self.coef_.shape != (n_rows, self.n_features_in_):
            raise ValueError(
                f"Initialization coef is of shape {self.coef_.shape}, expected shape "
                f"{(n_rows, self.n_features_in_)}"
            )
        matrix = self.coef_.toarray() if sparse.issparse(self.coef_) else self.coef_
        if self.fit_intercept:
            matrix = np.hstack([matrix, self.intercept_[:, None]])
        return matrix.astype(dtype).ravel()

    def _fit_encoded(self, X, encoded, sample_weight, penalties, theta, *, max_iter,
                     epoch_offset=0, sgd_state=None):
        device = resolve_device(self.device)
        weight_sum = float(sample_weight.sum())
        l1, l2 = (strength / weight_sum for strength in penalties)
        X_tensor = to_design(X, device)
        weights = to_tensor(sample_weight / weight_sum, device)
        common = dict(fit_intercept=self.fit_intercept, l1=l1, l2=l2)
        n_classes = len(self.classes_)
        if n_classes == 2:
            target = to_tensor(encoded.astype(X.dtype), device)
            objective = BinomialObjective(X_tensor, target, weights, **common)
        else:
            target = to_tensor(encoded.astype(np.int64), device)
            objective = MultinomialObjective(X_tensor, target, weights, n_classes=n_classes,
                                             **common)
        theta = objective.zeros() if theta is None else to_tensor(theta, device)
        result = run_solver(
            objective, theta, solver=self.solver, max_iter=max_iter, tol=self.tol,
            verbose=self.verbose, learning_rate_init=self.learning_rate_init,
            batch_size=self.batch_size, random_state=self.random_state,
            epoch_offset=epoch_offset, sgd_state=sgd_state,
        )
        warn_if_not_converged(result, self.solver)
        coef, intercept = objective.split(result.theta)
        self.coef_ = coef.cpu().numpy().copy()
        self.intercept_ = (
            intercept.cpu().numpy().copy() if intercept is not None
            else np.zeros(objective.n_rows, dtype=X.dtype)
        )
        self.loss_curve_ = (self.loss_curve_ if epoch_offset else []) + result.loss_curve
        self._fit_epochs = epoch_offset + result.n_iter
        # Only an SGD run leaves a step size for partial_fit to continue from.
        self._sgd_state = (
            (result.learning_rate, result.n_bad_epochs) if self.solver == "sgd" else None
        )
        self.n_iter_ = np.array([self._fit_epochs], dtype=np.int32)
        return self

    # --- prediction ------------------------------------------------------------------

    def _scores(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, accept_sparse=["csr", "csc"],
                          dtype=[np.float64, np.float32])
        dtype = np.result_type(X.dtype, self.coef_.dtype)
        device = resolve_device(self.device)
        # coef_ is small even when sparsify() made it sparse: densified here, X never is.
        coef = self.coef_.toarray() if sparse.issparse(self.coef_) else self.coef_
        coef = to_tensor(coef, device, dtype)
        intercept = to_tensor(self.intercept_, device, dtype)
        if sparse.issparse(X):
            return (times_transpose(coef, to_design(X, device, dtype)).T + intercept).cpu()
        return torch.addmm(intercept, to_tensor(X, device, dtype), coef.T).cpu()

    def _log_proba(self, X):
        scores = self._scores(X)
        if scores.shape[1] == 1:
            return torch.nn.functional.logsigmoid(torch.cat([-scores, scores], dim=1))
        return torch.log_softmax(scores, dim=1)
