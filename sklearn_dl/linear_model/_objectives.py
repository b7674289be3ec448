"""The objectives the linear models minimise, as torch tensor math.

Every objective is a function of one flat parameter vector ``theta``, the
row-major flattening of a ``(n_rows, n_columns)`` matrix: one row per class
(a single row for binary logistic regression) or per regression target; the
coefficients come first and the intercept, when it is fitted, is the last
column. The objective is

    sum_i s_i * loss(y_i, x_i @ W.T + b) + l2 / 2 * ||W||_F^2 + l1 * ||W||_1

with sample weights ``s`` that sum to one, so the callers fold sklearn's
``C`` and ``alpha`` scaling into ``l2`` and ``l1`` (see the estimators). The
intercept is never penalised. ``loss`` / ``loss_grad`` / ``hessian`` cover the
smooth part (data term and L2), ``nonsmooth`` / ``prox`` the L1 term and the
``positive`` constraint, which only the proximal and stochastic solvers see.
``evaluate`` / ``line`` give L-BFGS the smooth part along its search
directions at two passes over X per iteration (see :class:`Line`).
"""

import contextlib
import math
import warnings

import torch
import torch.nn.functional as F

from sklearn_dl.utils._torch import one_thread

# Elements below which torch runs an element-wise operation in the calling thread
# (at::internal::GRAIN_SIZE).
_GRAIN_SIZE = 32768


class _LinearObjective:
    """What the three losses share: the linear predictor, penalties and batching.

    Parameters
    ----------
    X : tensor of shape (n_samples, n_features)
    target : tensor of shape (n_samples,) or (n_samples, n_targets)
        Encoded as the loss expects (see subclasses).
    sample_weight : tensor of shape (n_samples,)
        Non-negative, summing to one.
    n_rows : int
        Rows of the parameter matrix.
    fit_intercept : bool
    l2, l1 : float or tensor of shape (n_rows, 1)
        Penalty strengths; a column tensor gives each row its own (Ridge with
        one alpha per target).
    positive : bool
        Constrain the coefficients to be non-negative.
    """

    # Bound on the second derivative of the loss in the linear predictor,
    # which bounds the step size a stochastic gradient step can take.
    curvature_bound = 1.0

    def __init__(self, X, target, sample_weight, *, n_rows, fit_intercept, l2, l1=0.0,
                 positive=False):
        self.X = X
        self.target = target
        self.sample_weight = sample_weight
        self.n_rows = n_rows
        self.n_features = X.shape[1]
        self.fit_intercept = fit_intercept
        self.n_columns = self.n_features + int(fit_intercept)
        self.l2 = l2
        self.l1 = l1
        self.positive = positive
        self._augmented = None

    @property
    def n_samples(self):
        return self.X.shape[0]

    @property
    def n_params(self):
        return self.n_rows * self.n_columns

    @property
    def has_nonsmooth(self):
        return self.positive or _any_positive(self.l1)

    def zeros(self):
        return self.X.new_zeros(self.n_params)

    def split(self, theta):
        """Return the coefficient matrix and the intercept vector (or None) as views."""
        matrix = theta.view(self.n_rows, self.n_columns)
        if self.fit_intercept:
            return matrix[:, :-1], matrix[:, -1]
        return matrix, None

    def raw_prediction(self, theta, X):
        """Linear predictor, class-major: (n_rows, n_samples).

        Rows of classes are contiguous, so the softmax reduces over the short
        first dimension with vectorised inner loops, several times faster than
        over the last dimension of (n_samples, n_classes).
        """
        coef, intercept = self.split(theta)
        raw = times_transpose(coef, X)
        if intercept is not None:
            # Not addmm: it broadcasts the intercept over the output in threads first,
            # one more barrier (see _one_thread).
            with _one_thread(raw):
                raw += intercept[:, None]
        return raw

    # --- smooth part -----------------------------------------------------------------

    def loss(self, theta):
        return self._loss_grad(theta, self.X, self.target, self.sample_weight, with_grad=False)

    def loss_grad(self, theta):
        return self._loss_grad(theta, self.X, self.target, self.sample_weight, with_grad=True)

    def batch_grad(self, theta, X, target, sample_weight):
        """Unbiased estimate of the smooth gradient from a uniformly drawn batch.

        The weights sum to one over the full data, so the batch's data term is
        scaled by ``n_samples / batch_size``.
        """
        scale = self.n_samples / X.shape[0]
        return self._loss_grad(theta, X, target, sample_weight * scale, with_grad=True,
                               with_loss=False)

    def _loss_grad(self, theta, X, target, sample_weight, with_grad, with_loss=True):
        raw = self.raw_prediction(theta, X)
        coef, _ = self.split(theta)
        if not with_grad:
            with _one_thread(raw):
                pointwise, _ = self.pointwise(raw, target, False)
                return float(pointwise @ sample_weight) + float(self._l2_penalty(coef))
        loss, weighted = self._weighted_terms(raw, coef, target, sample_weight, with_loss)
        grad = self._gradient(coef, weighted, X)
        return (loss, grad) if with_loss else grad

    def _weighted_terms(self, raw, coef, target, sample_weight, with_loss=True):
        """The smooth objective (None without ``with_loss``) and the weighted raw gradient."""
        with _one_thread(raw):
            pointwise, raw_grad = self.pointwise(raw, target, True)
            weighted = raw_grad * sample_weight
            if not with_loss:
                return None, weighted
            # float() waits for the device; the stochastic steps skip it.
            return float(pointwise @ sample_weight) + float(self._l2_penalty(coef)), weighted

    def _gradient(self, coef, weighted, X):
        grad = times(weighted, X) + self.l2 * coef
        if self.fit_intercept:
            with _one_thread(weighted):
                intercept_grad = weighted.sum(dim=1, keepdim=True)
            grad = torch.cat([grad, intercept_grad], dim=1)
        return grad.reshape(-1)

    # --- what L-BFGS needs: the objective along a line, with one pass over X per step ---

    def evaluate(self, theta):
        """Return the smooth objective, its gradient and the linear predictor at ``theta``."""
        coef, intercept = self.split(theta)
        if coef.any():
            raw = self.raw_prediction(theta, self.X)
        else:
            # The usual start: zero coefficients predict the intercept, no pass over X.
            raw = theta.new_zeros(self.n_rows, self.n_samples)
            if intercept is not None:
                raw += intercept[:, None]
        loss, weighted = self._weighted_terms(raw, coef, self.target, self.sample_weight)
        return loss, self._gradient(coef, weighted, self.X), raw

    def line(self, theta, raw, direction):
        """The smooth objective along ``theta + step * direction``: a :class:`Line`.

        ``raw`` is the linear predictor at ``theta``.
        """
        return Line(self, theta, raw, direction)

    def _l2_penalty(self, coef):
        return 0.5 * (self.l2 * coef.square()).sum()

    def pointwise(self, raw, target, with_grad):
        """Per-sample loss (n_samples,) and its gradient in the raw prediction.

        ``raw`` and the gradient have the shape (n_rows, n_samples).
        """
        raise NotImplementedError

    # --- non-smooth part -------------------------------------------------------------

    def nonsmooth(self, theta):
        if not _any_positive(self.l1):
            return 0.0
        coef, _ = self.split(theta)
        return float((self.l1 * coef.abs()).sum())

    def prox(self, theta, step):
        """Proximal operator of ``step * nonsmooth`` plus projection on the constraint."""
        if not self.has_nonsmooth:
            return theta
        theta = theta.clone()
        coef, _ = self.split(theta)
        if _any_positive(self.l1):
            threshold = step * self.l1
            coef.copy_(coef.sign() * (coef.abs() - threshold).clamp_(min=0))
        if self.positive:
            coef.clamp_(min=0)
        return theta

    # --- what the second-order and stochastic solvers need -----------------------------

    def augmented_X(self):
        """X with a column of ones appended when the intercept is fitted (cached)."""
        if not self.fit_intercept:
            return self.X
        if self._augmented is None:
            self._augmented = torch.cat([self.X, self.X.new_ones(self.n_samples, 1)], dim=1)
        return self._augmented

    def weighted_gram(self, weights):
        """``X1^T diag(weights) X1`` (X1: X with a column of ones for the intercept).

        A sparse X goes through one sparse-sparse product; the result is dense,
        (n_columns, n_columns).
        """
        if not isinstance(self.X, SparseDesign):
            X1 = self.augmented_X()
            return X1.T @ (X1 * weights[:, None])
        X = self.X
        gram = X.weighted_gram(weights)
        if not self.fit_intercept:
            return gram
        column = times(weights[None], X)
        return torch.cat([torch.cat([gram, column.T], dim=1),
                          torch.cat([column, weights.sum().reshape(1, 1)], dim=1)])

    def hessian_penalty(self):
        """Diagonal the L2 penalty adds to the Hessian, flattened like ``theta``."""
        diag = self.X.new_zeros(self.n_rows, self.n_columns)
        diag[:, : self.n_features] = self.l2
        return diag.view(-1)

    def null_space(self):
        """Orthonormal directions the objective is constant along, or None."""
        return None

    def smoothness(self, n_power_iter=20):
        """Lipschitz constants of the smooth gradient: of the mean, and of the worst sample.

        Bounds of the loss curvature times, for the mean, the top eigenvalue of
        ``X1^T diag(s) X1`` (by power iteration from a fixed start) and, for one
        sample scaled as in :meth:`batch_grad`, ``n_samples * s_i * ||x1_i||^2``;
        the L2 strength is added to both.
        """
        X, weights = self.X, self.sample_weight
        # X1 = [X, 1] is applied without being formed: SGD is for data too large to copy.
        vector = torch.linspace(1.0, 2.0, self.n_columns, dtype=X.dtype, device=X.device)
        eigenvalue = 0.0
        for _ in range(n_power_iter):
            projected = weights * times_transpose(vector[None, : self.n_features], X)[0]
            if self.fit_intercept:
                projected = projected + weights * vector[-1]
            product = times(projected[None], X)[0]
            if self.fit_intercept:
                product = torch.cat([product, projected.sum()[None]])
            eigenvalue = float(product.norm())
            if eigenvalue == 0:
                break
            vector = product / eigenvalue
        row_sq = squared_row_norms(X) + int(self.fit_intercept)
        worst_sample = float((row_sq * weights).max()) * self.n_samples
        l2 = _max_value(self.l2)
        return (self.curvature_bound * eigenvalue + l2,
                self.curvature_bound * worst_sample + l2)


class BinomialObjective(_LinearObjective):
    """Logistic loss of a binary target given as 0.0 / 1.0 (one parameter row).

    The target is kept as the sign ``s = 1 - 2 y``: the loss
    ``softplus(raw) - y * raw`` is then ``softplus(s * raw)`` and its gradient
    ``sigmoid(raw) - y`` is ``s * sigmoid(s * raw)``, exact for either class
    (no ``1 - sigmoid`` cancellation) and in four passes over the samples.
    """

    curvature_bound = 0.25

    def __init__(self, X, target, sample_weight, **kwargs):
        super().__init__(X, 1.0 - 2.0 * target, sample_weight, n_rows=1, **kwargs)

    def pointwise(self, raw, target, with_grad):
        signed = raw[0] * target
        pointwise = F.softplus(signed)
        if not with_grad:
            return pointwise, None
        return pointwise, (torch.sigmoid(signed) * target)[None]

    def hessian(self, theta):
        proba = torch.sigmoid(self.raw_prediction(theta, self.X)[0])
        hess = self.weighted_gram(self.sample_weight * proba * (1 - proba))
        hess.diagonal().add_(self.hessian_penalty())
        return hess


class MultinomialObjective(_LinearObjective):
    """Softmax cross-entropy of integer labels 0..n_classes-1, one parameter row per class."""

    curvature_bound = 0.5

    def __init__(self, X, target, sample_weight, *, n_classes, **kwargs):
        super().__init__(X, target, sample_weight, n_rows=n_classes, **kwargs)

    def pointwise(self, raw, target, with_grad):
        log_proba = torch.log_softmax(raw, dim=0)
        pointwise = -log_proba.gather(0, target[None])[0]
        if not with_grad:
            return pointwise, None
        raw_grad = log_proba.exp_()
        raw_grad[target, torch.arange(raw.shape[1], device=raw.device)] -= 1.0
        return pointwise, raw_grad

    def hessian(self, theta):
        # H = sum_i s_i (diag(p_i) - p_i p_i^T) kron x_i x_i^T, formed as one block-diagonal
        # term and one low-rank product to stay within two large matrix products.
        proba = torch.softmax(self.raw_prediction(theta, self.X), dim=0).T
        n_classes, n_columns = self.n_rows, self.n_columns
        if isinstance(self.X, SparseDesign):
            return self._sparse_hessian(proba)
        X1 = self.augmented_X()
        weighted_proba = proba * self.sample_weight[:, None]
        outer = (proba[:, :, None] * X1[:, None, :]).reshape(self.n_samples, -1)
        hess = -(outer.T @ (outer * self.sample_weight[:, None]))
        blocks = torch.einsum("nk,np,nq->kpq", weighted_proba, X1, X1)
        hess = hess.view(n_classes, n_columns, n_classes, n_columns)
        for k in range(n_classes):
            hess[k, :, k, :] += blocks[k]
        hess = hess.view(self.n_params, self.n_params)
        hess.diagonal().add_(self.hessian_penalty())
        return hess

    def _sparse_hessian(self, proba):
        # Block (k, l) is X1^T diag(s p_k (delta_kl - p_l)) X1: one sparse product per
        # pair of classes, as forming the (n_samples, n_classes * n_columns) products
        # of the dense route would densify X.
        n_classes, n_columns = self.n_rows, self.n_columns
        hess = proba.new_zeros(n_classes, n_columns, n_classes, n_columns)
        for k in range(n_classes):
            for other in range(k, n_classes):
                weights = self.sample_weight * proba[:, k] * (float(k == other) - proba[:, other])
                hess[k, :, other, :] = hess[other, :, k, :] = self.weighted_gram(weights)
        hess = hess.view(self.n_params, self.n_params)
        hess.diagonal().add_(self.hessian_penalty())
        return hess

    def null_space(self):
        # Adding one vector to every class row leaves the softmax unchanged; the L2
        # penalty removes that freedom for the coefficients but not for the intercept.
        if _any_positive(self.l2):
            columns = [self.n_features] if self.fit_intercept else []
        else:
            columns = range(self.n_columns)
        if not columns:
            return None
        basis = self.X.new_zeros(self.n_rows, self.n_columns, len(columns))
        for j, column in enumerate(columns):
            basis[:, column, j] = self.n_rows ** -0.5
        return basis.view(self.n_params, len(columns))


class SquaredObjective(_LinearObjective):
    """Half squared error of real targets (n_samples, n_targets), one row per target."""

    def __init__(self, X, target, sample_weight, **kwargs):
        super().__init__(X, target, sample_weight, n_rows=target.shape[1], **kwargs)

    def pointwise(self, raw, target, with_grad):
        residual = raw - target.T
        pointwise = 0.5 * residual.square().sum(dim=0)
        return pointwise, residual if with_grad else None


class SparseDesign:
    """A sparse ``X`` for the objectives: CSR tensors of ``X`` and of ``X^T``.

    The objectives only need ``X @ v`` and ``X^T @ u``; torch multiplies a
    CSR tensor by a dense one quickly but has no fast product for the
    transposed (CSC) layout, so the transpose is kept in CSR form too, at the
    cost of a second copy of the non-zero values. ``X`` is never densified
    (without sparse kernels, see :attr:`sparse_kernels`, the Gram matrix is
    accumulated over dense blocks of rows, a bounded amount at a time).
    Rows taken by indexing (SGD's mini-batches) come without the transpose:
    ``X^T @ u`` then scatters the products of the stored values.
    """

    # Rows per dense block of :meth:`weighted_gram` without sparse kernels: about 8 MB of
    # float64 whatever the width.
    _BLOCK_VALUES = 2**20

    def __init__(self, rows, columns):
        self.rows, self.columns = rows, columns
        self.shape, self.dtype, self.device = rows.shape, rows.dtype, rows.device
        self._row_of_value = None

    @property
    def sparse_kernels(self):
        """Whether the products go through torch's sparse kernels.

        On a CPU they do. Elsewhere (cuSPARSE on a GPU) the products are
        formed from the stored values with gathers and ``index_add_``, the
        kernels of dense tensors: the first run on a GPU found the sparse fits
        off their dense twins by more than the CPU's rounding, while the same
        fits on dense X agreed.
        """
        return _sparse_kernels(self.device)

    def new_zeros(self, *size):
        return torch.zeros(*size, dtype=self.dtype, device=self.device)

    def new_ones(self, *size):
        return torch.ones(*size, dtype=self.dtype, device=self.device)

    def to(self, dtype):
        """The same matrix with values of another dtype."""
        return SparseDesign(*(None if matrix is None else _csr_astype(matrix, dtype)
                              for matrix in (self.rows, self.columns)))

    def scale_rows(self, scale):
        """``diag(scale) @ X`` as CSR (scale: a tensor of shape (n_samples,))."""
        rows = self.rows
        return csr_tensor(rows.crow_indices(), rows.col_indices(),
                          rows.values() * scale[self.row_of_value()], self.shape)

    def row_of_value(self):
        """The row index of every stored value of ``X``."""
        if self._row_of_value is None:
            self._row_of_value = torch.repeat_interleave(
                torch.arange(self.shape[0], device=self.device),
                self.rows.crow_indices().diff())
        return self._row_of_value

    def weighted_gram(self, weights):
        """``X^T diag(weights) X``, dense, of shape (n_features, n_features)."""
        if self.sparse_kernels:
            return (self.columns @ self.scale_rows(weights)).to_dense()
        n_samples, n_features = self.shape
        gram = weights.new_zeros(n_features, n_features)
        block = max(1, self._BLOCK_VALUES // max(n_features, 1))
        for start in range(0, n_samples, block):
            rows = self[start:start + block]
            dense = weights.new_zeros(rows.shape).index_put_(
                (rows.row_of_value(), rows.rows.col_indices().long()),
                rows.rows.values().to(weights.dtype), accumulate=True)
            gram.addmm_(dense.T, dense * weights[start:start + block, None])
        return gram

    def __getitem__(self, index):
        """The rows of ``X`` at ``index`` (a slice or a tensor of row numbers)."""
        crow, columns, values = (self.rows.crow_indices(), self.rows.col_indices(),
                                 self.rows.values())
        if isinstance(index, slice):
            start, stop, _ = index.indices(self.shape[0])
            first, last = int(crow[start]), int(crow[stop])
            new_crow = crow[start:stop + 1] - first
            kept = slice(first, last)
        else:
            counts = crow.diff()[index].long()
            new_crow = torch.cat([counts.new_zeros(1), counts.cumsum(0)])
            # Position of every kept value: its row's start plus its rank in the row.
            rank = (torch.arange(int(new_crow[-1]), device=self.device)
                    - torch.repeat_interleave(new_crow[:-1], counts))
            kept = torch.repeat_interleave(crow[index].long(), counts) + rank
        rows = csr_tensor(new_crow.to(crow.dtype), columns[kept], values[kept],
                          (len(new_crow) - 1, self.shape[1]))
        return SparseDesign(rows, None)


def _csr_astype(matrix, dtype):
    return csr_tensor(matrix.crow_indices(), matrix.col_indices(), matrix.values().to(dtype),
                      matrix.shape)


def csr_tensor(crow_indices, col_indices, values, size):
    """A CSR tensor, without torch's notice that its CSR support is in beta.

    We use its stable part (products with dense tensors, CSR times CSR).
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
        return torch.sparse_csr_tensor(crow_indices, col_indices, values, size=size,
                                       check_invariants=False)


def _sparse_kernels(device):
    """Whether products with a sparse ``X`` on ``device`` use torch's sparse kernels."""
    return device.type == "cpu"


def times_transpose(matrix, X):
    """``matrix @ X.T`` for a dense or :class:`SparseDesign` ``X``."""
    if isinstance(X, SparseDesign) and not X.sparse_kernels:
        products = matrix[:, X.rows.col_indices().long()] * X.rows.values()
        return matrix.new_zeros(matrix.shape[0], X.shape[0]).index_add_(
            1, X.row_of_value(), products)
    if isinstance(X, SparseDesign):
        return (X.rows @ matrix.T).T.contiguous()
    return matrix @ X.T


def times(matrix, X):
    """``matrix @ X`` for a dense or :class:`SparseDesign` ``X``."""
    if isinstance(X, SparseDesign) and (X.columns is None or not X.sparse_kernels):
        products = matrix[:, X.row_of_value()] * X.rows.values()
        return matrix.new_zeros(matrix.shape[0], X.shape[1]).index_add_(
            1, X.rows.col_indices().long(), products)
    if isinstance(X, SparseDesign):
        return (X.columns @ matrix.T).T.contiguous()
    return matrix @ X


def squared_row_norms(X):
    """``(X ** 2).sum(dim=1)`` for a dense or :class:`SparseDesign` ``X``."""
    if isinstance(X, SparseDesign):
        return X.new_zeros(X.shape[0]).index_add_(0, X.row_of_value(),
                                                  X.rows.values().square())
    return X.square().sum(dim=1)


class Line:
    """The smooth objective restricted to ``theta + step * direction``.

    The linear predictor is affine in the step, ``raw + step * X d``: once
    ``X d`` is formed (one pass over X), every step the line search tries
    costs O(n_samples * n_rows), its slope included, and only the accepted
    step pays the second pass over X, for its gradient. Per L-BFGS iteration
    that is two passes over X however many steps are tried, where evaluating
    the full objective and gradient at each step takes two passes per step.
    The predictor carried from step to step drifts from ``X @ theta`` by
    rounding only, as much as recomputing it would differ. Only the last
    step tried is kept, the one a line search almost always accepts; another
    is evaluated again.
    """

    def __init__(self, objective, theta, raw, direction):
        self.objective, self.theta, self.raw, self.direction = objective, theta, raw, direction
        # X d (plus the intercept's share): the derivative of the predictor in the step.
        self.raw_direction = objective.raw_prediction(direction, objective.X)
        self.coef_direction, _ = objective.split(direction)
        self._last = None

    def __call__(self, step):
        """Return the objective at ``step`` (inf if it overflows) and its slope there."""
        objective = self.objective
        coef, _ = objective.split(self.theta + step * self.direction)
        with _one_thread(self.raw):
            raw = torch.add(self.raw, self.raw_direction, alpha=step)
            loss, weighted = objective._weighted_terms(raw, coef, objective.target,
                                                       objective.sample_weight)
            slope = (float(weighted.reshape(-1) @ self.raw_direction.reshape(-1))
                     + float((objective.l2 * coef * self.coef_direction).sum()))
        self._last = (step, raw, weighted)
        return (loss if math.isfinite(loss) else math.inf), slope

    def accept(self, step):
        """Return the point at ``step``, its gradient and its linear predictor."""
        if self._last is None or self._last[0] != step:
            self(step)
        _, raw, weighted = self._last
        self._last = None
        theta = self.theta + step * self.direction
        gradient = self.objective._gradient(self.objective.split(theta)[0], weighted,
                                            self.objective.X)
        return theta, gradient, raw


@contextlib.contextmanager
def _one_thread(tensor):
    """Run the element-wise passes over the samples in one CPU thread.

    They are cheap, a fraction of a millisecond per 100k samples against
    over ten for a pass over X, but each one that torch splits over its threads
    ends at a barrier; when a thread waits for a core (a loaded machine) the
    barrier costs milliseconds, more than the pass itself (0.4 ms against 8 to
    12 ms for a softplus over 100k float64 values with 2 threads on a busy
    2-core machine). sklearn computes its losses in one thread too. Tensors too
    small for torch to split, or not on the CPU, are left alone.
    """
    if tensor.device.type != "cpu" or tensor.numel() < _GRAIN_SIZE:
        yield
        return
    with one_thread():
        yield


def _any_positive(value):
    if isinstance(value, torch.Tensor):
        return bool((value > 0).any())
    return value > 0


def _max_value(value):
    if isinstance(value, torch.Tensor):
        return float(value.max())
    return float(value)
