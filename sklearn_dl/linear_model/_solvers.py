"""Our solvers for the linear models, written in torch tensor math.

Each solver minimises an objective of :mod:`sklearn_dl.linear_model._objectives`
over a flat parameter vector, from a starting point, and returns an
:class:`OptimizeResult` whose ``loss_curve`` holds the objective after every
iteration (epoch for SGD). They stop, like sklearn's solvers, when the largest
absolute entry of the gradient (of the gradient mapping, when the objective has
an L1 term or a constraint) is at most ``tol``.

* :func:`lbfgs`: limited-memory BFGS with a strong Wolfe line search.
* :func:`projected_lbfgs`: its bound-constrained variant (non-negative coefficients).
* :func:`newton`: Newton's method on the exact Hessian, with backtracking.
* :func:`proximal_gradient`: gradient descent (with a projection / proximal step
  when the objective has one), accelerated as FISTA with restarts on demand.
* :func:`sgd`: mini-batch stochastic (proximal) gradient over shuffled epochs.
* :func:`nnls`: Lawson-Hanson active set for non-negative least squares.
* :func:`lsqr`: LSQR for least squares given by matrix-vector products (sparse X).
"""

import math
from dataclasses import dataclass, field

import torch


@dataclass
class OptimizeResult:
    """What a solver returns: the minimiser and how it got there."""

    theta: torch.Tensor
    n_iter: int
    converged: bool
    loss_curve: list = field(default_factory=list)
    message: str = ""
    learning_rate: float = None
    n_bad_epochs: int = 0


def lbfgs(objective, theta, *, max_iter, tol, memory=10, max_line_search=50, verbose=0):
    """Minimise the smooth objective with L-BFGS and a strong Wolfe line search.

    Parameters
    ----------
    objective : objective with ``evaluate`` and ``line``
    theta : tensor of shape (n_params,)
        Starting point.
    max_iter : int
        Maximum number of iterations (line searches).
    tol : float
        Stop when ``max|grad| <= tol``.
    memory : int, default=10
        Number of curvature pairs kept, as scipy's ``maxcor``.
    max_line_search : int, default=50
        Maximum objective evaluations per line search, as sklearn's ``maxls``.
    verbose : int, default=0

    Returns
    -------
    OptimizeResult
    """
    f, grad, raw = objective.evaluate(theta)
    ftol = _ftol(theta.dtype)
    steps, grad_changes, inv_curvatures = [], [], []
    result = OptimizeResult(theta, 0, _max_abs(grad) <= tol)
    while not result.converged and result.n_iter < max_iter:
        direction = _two_loop_direction(grad, steps, grad_changes, inv_curvatures)
        slope = float(grad @ direction)
        if slope >= 0:
            # Rounding has broken the curvature pairs; restart from steepest descent.
            steps, grad_changes, inv_curvatures = [], [], []
            direction, slope = -grad, -float(grad @ grad)
        # The first step has no curvature information to scale it, as in scipy.
        step = 1.0 if steps else min(1.0, 1.0 / float(direction.norm()))
        line = objective.line(theta, raw, direction)
        found = _strong_wolfe(line, f, slope, step, max_evals=max_line_search)
        if found is None:
            result.message = "the line search could not find a step that decreases the objective"
            break
        step, f_new = found
        theta, grad_new, raw = line.accept(step)
        _remember_pair(steps, grad_changes, inv_curvatures, step * direction, grad_new - grad,
                       memory)
        result.theta = theta
        result.n_iter += 1
        result.loss_curve.append(f_new)
        result.converged = (
            _max_abs(grad_new) <= tol or f - f_new <= ftol * max(abs(f), abs(f_new), 1.0)
        )
        f, grad = f_new, grad_new
        _report(verbose, "lbfgs", result.n_iter, f, grad)
    return result


def projected_lbfgs(objective, theta, *, max_iter, tol, memory=10, max_halvings=30,
                    verbose=0):
    """Minimise the smooth objective with the coefficients bounded below by zero.

    A projected quasi-Newton method (Bertsekas, 1982; Kim, Sra and Dhillon,
    2010), the role scipy's L-BFGS-B plays for sklearn's
    ``Ridge(positive=True)``: the bounded coefficients at zero whose gradient
    pushes them below form the active set; the L-BFGS direction is computed on
    the other variables (the active ones do not move) and the step is
    projected back on the bounds, shortened by backtracking until the
    objective decreases enough (Armijo along the projection arc). It stops when
    the projected gradient has no entry above ``tol``, or on the relative
    decrease of L-BFGS. The intercept is never bounded.

    Parameters
    ----------
    objective : objective with ``loss_grad``, ``split`` and ``prox`` (the projection)
    theta : tensor of shape (n_params,)
        Feasible starting point.
    max_iter : int
    tol : float
    memory : int, default=10
    max_halvings : int, default=30
    verbose : int, default=0

    Returns
    -------
    OptimizeResult
    """
    bounded = torch.zeros_like(theta, dtype=torch.bool)
    objective.split(bounded)[0].fill_(True)
    ftol = _ftol(theta.dtype)

    def projected_gradient(theta, grad):
        # At the bound a positive gradient entry cannot be followed: it counts as zero.
        return torch.where(bounded & (theta <= 0) & (grad > 0), 0.0, grad)

    f, grad = objective.loss_grad(theta)
    steps, grad_changes, inv_curvatures = [], [], []
    result = OptimizeResult(theta, 0, _max_abs(projected_gradient(theta, grad)) <= tol)
    while not result.converged and result.n_iter < max_iter:
        active = bounded & (theta <= 0) & (grad > 0)
        free_grad = grad.masked_fill(active, 0.0)
        direction = _two_loop_direction(free_grad, steps, grad_changes, inv_curvatures)
        direction = direction.masked_fill(active, 0.0)
        if float(free_grad @ direction) >= 0:
            steps, grad_changes, inv_curvatures = [], [], []
            direction = -free_grad
        step = 1.0 if steps else min(1.0, 1.0 / max(float(direction.norm()), 1e-300))
        for _ in range(max_halvings):
            candidate = objective.prox(theta + step * direction, step)
            f_new, grad_new = objective.loss_grad(candidate)
            if math.isfinite(f_new) and f_new <= f + 1e-4 * float(grad @ (candidate - theta)):
                break
            step *= 0.5
        else:
            result.message = "the line search could not find a step that decreases the objective"
            break
        _remember_pair(steps, grad_changes, inv_curvatures, candidate - theta, grad_new - grad,
                       memory)
        theta, grad = candidate, grad_new
        result.theta = theta
        result.n_iter += 1
        result.loss_curve.append(f_new)
        result.converged = (
            _max_abs(projected_gradient(theta, grad)) <= tol
            or f - f_new <= ftol * max(abs(f), abs(f_new), 1.0)
        )
        f = f_new
        _report(verbose, "lbfgs", result.n_iter, f, projected_gradient(theta, grad))
    return result


def newton(objective, theta, *, max_iter, tol, verbose=0):
    """Minimise the smooth objective with Newton steps on its exact Hessian.

    Each step solves ``H d = -grad`` by Cholesky and is shortened by
    backtracking until the objective decreases enough (Armijo). Directions the
    objective is constant along (the shared shift of multinomial intercepts) are
    left out of the step, so the iterates stay where gradient solvers keep them.

    Parameters
    ----------
    objective : objective with ``loss_grad``, ``hessian`` and ``null_space``
    theta : tensor of shape (n_params,)
    max_iter : int
    tol : float
        Stop when ``max|grad| <= tol``.
    verbose : int, default=0

    Returns
    -------
    OptimizeResult
    """
    f, grad = objective.loss_grad(theta)
    ftol = _ftol(theta.dtype)
    null_space = objective.null_space()
    result = OptimizeResult(theta, 0, _max_abs(grad) <= tol)
    while not result.converged and result.n_iter < max_iter:
        direction = _newton_direction(objective.hessian(theta), grad, null_space)
        slope = float(grad @ direction)
        if slope >= 0:
            direction, slope = -grad, -float(grad @ grad)
        found = _backtracking(objective, theta, f, direction, slope)
        if found is None:
            result.message = "the line search could not find a step that decreases the objective"
            break
        step, f_new, grad_new = found
        theta = theta + step * direction
        result.theta = theta
        result.n_iter += 1
        result.loss_curve.append(f_new)
        result.converged = (
            _max_abs(grad_new) <= tol or f - f_new <= ftol * max(abs(f), abs(f_new), 1.0)
        )
        f, grad = f_new, grad_new
        _report(verbose, "newton", result.n_iter, f, grad)
    return result


def proximal_gradient(objective, theta, *, max_iter, tol, accelerated, learning_rate=None,
                      verbose=0):
    """Full-batch (proximal) gradient descent, optionally accelerated (FISTA).

    Without an L1 term or constraint this is plain gradient descent. The step
    is ``learning_rate`` when given; otherwise it is found by backtracking on
    the quadratic upper bound of the smooth part (Beck & Teboulle), and it may
    grow again by 10% per iteration. FISTA restarts its momentum whenever the
    objective goes up (O'Donoghue & Candes).

    Parameters
    ----------
    objective : objective with ``loss``, ``loss_grad``, ``nonsmooth`` and ``prox``
    theta : tensor of shape (n_params,)
    max_iter : int
    tol : float
        Stop when the gradient mapping ``(y - prox(y - step * grad)) / step``
        has no entry above ``tol`` in absolute value (the gradient, without a
        non-smooth term).
    accelerated : bool
        Use FISTA's momentum.
    learning_rate : float or None, default=None
        Fixed step size; None backtracks.
    verbose : int, default=0

    Returns
    -------
    OptimizeResult
    """
    name = "proximal" if accelerated else "gd"
    eps = torch.finfo(theta.dtype).eps
    step = 1.0 if learning_rate is None else learning_rate
    x, y = theta, theta
    objective_x = objective.loss(x) + objective.nonsmooth(x)
    momentum = 1.0
    result = OptimizeResult(theta, 0, False)
    while not result.converged and result.n_iter < max_iter:
        f_y, grad_y = objective.loss_grad(y)
        if learning_rate is None:
            step *= 1.1
        while True:
            x_new = objective.prox(y - step * grad_y, step)
            move = x_new - y
            f_new = objective.loss(x_new)
            upper_bound = f_y + float(grad_y @ move) + float(move @ move) / (2 * step)
            if learning_rate is not None or f_new <= upper_bound + 10 * eps * abs(f_y):
                break
            step *= 0.5
            if step < eps:
                result.message = "the step size vanished while backtracking"
                return result
        if not math.isfinite(f_new):
            raise ValueError(
                f"Solver {name!r} diverged (non-finite objective): the learning rate "
                f"{step:g} is too large for this data; lower learning_rate_init or "
                "standardize the features."
            )
        objective_new = f_new + objective.nonsmooth(x_new)
        if accelerated and objective_new > objective_x:
            momentum, y = 1.0, x_new
        elif accelerated:
            next_momentum = (1 + math.sqrt(1 + 4 * momentum**2)) / 2
            y = x_new + ((momentum - 1) / next_momentum) * (x_new - x)
            momentum = next_momentum
        else:
            y = x_new
        x, objective_x = x_new, objective_new
        result.theta = x
        result.n_iter += 1
        result.loss_curve.append(objective_x)
        result.converged = _max_abs(move) / step <= tol
        _report(verbose, name, result.n_iter, objective_x, move / step)
    return result


def sgd(objective, theta, *, max_epochs, tol, batch_size, learning_rate, generator,
        n_iter_no_change=5, n_bad_epochs=0, verbose=0):
    """Mini-batch stochastic (proximal) gradient descent over shuffled epochs.

    After every epoch the full objective is recorded and the run stops when the
    full gradient (mapping, at the initial step size) has no entry above ``tol``
    in absolute value. The step size is halved whenever ``n_iter_no_change``
    epochs in a row fail to improve the best objective so far (sklearn's
    'adaptive' rule, gentler), which shrinks the gradient noise near the
    minimum. An epoch that ends above twice the starting objective (the
    objectives are non-negative) means the step is too large: it is halved at
    once and the next epoch restarts from the best iterate. The run gives up,
    not converged, once the step has shrunk a million-fold, and raises if the
    objective overflows within an epoch.

    Parameters
    ----------
    objective : objective with ``batch_grad``, ``loss_grad``, ``nonsmooth``, ``prox``
    theta : tensor of shape (n_params,)
    max_epochs : int
    tol : float
    batch_size : int
    learning_rate : float
        Initial step size, see :func:`sgd_learning_rate`.
    generator : torch.Generator
        Draws the shuffling; a private generator, the global one is untouched.
    n_iter_no_change : int, default=5
    n_bad_epochs : int, default=0
        Epochs in a row without improvement before this call, so that
        successive ``partial_fit`` calls share the rule; an epoch of such a call
        improves when it lowers the objective of the call's data.
    verbose : int, default=0

    Returns
    -------
    OptimizeResult
        Its ``learning_rate`` and ``n_bad_epochs`` are the state reached.
    """
    n_samples = objective.n_samples
    result = OptimizeResult(theta, 0, False, learning_rate=learning_rate,
                            n_bad_epochs=n_bad_epochs)
    start = best = objective.loss(theta) + objective.nonsmooth(theta)
    best_theta = theta
    while not result.converged and result.n_iter < max_epochs:
        rate = result.learning_rate
        order = torch.randperm(n_samples, generator=generator).to(objective.X.device)
        X, target, sample_weight = (
            objective.X[order], objective.target[order], objective.sample_weight[order]
        )
        for first in range(0, n_samples, batch_size):
            batch = slice(first, first + batch_size)
            grad = objective.batch_grad(theta, X[batch], target[batch], sample_weight[batch])
            theta = objective.prox(theta - rate * grad, rate)
        f, grad = objective.loss_grad(theta)
        if not math.isfinite(f):
            raise ValueError(
                f"Solver 'sgd' diverged (non-finite objective): the learning rate {rate:g} "
                "is too large for this data; lower learning_rate_init or standardize the "
                "features."
            )
        current = f + objective.nonsmooth(theta)
        mapping = (theta - objective.prox(theta - learning_rate * grad, learning_rate))
        mapping /= learning_rate
        if current > 2 * start:
            theta, result.learning_rate, result.n_bad_epochs = best_theta, rate / 2, 0
        elif current < best:
            best, best_theta, result.n_bad_epochs = current, theta, 0
        else:
            result.n_bad_epochs += 1
            if result.n_bad_epochs >= n_iter_no_change:
                result.learning_rate, result.n_bad_epochs = rate / 2, 0
        result.theta = theta
        result.n_iter += 1
        result.loss_curve.append(current)
        result.converged = _max_abs(mapping) <= tol
        _report(verbose, "sgd", result.n_iter, current, mapping)
        if not result.converged and result.learning_rate < 1e-6 * learning_rate:
            result.message = "the step size shrank a million-fold without convergence"
            break
    return result


def sgd_learning_rate(objective, batch_size):
    """Step size ``1 / L_b`` from the expected smoothness of a mini-batch gradient.

    ``L_b = n (b - 1) / (b (n - 1)) L + (n - b) / (b (n - 1)) L_max`` interpolates
    between the Lipschitz constant of the single worst sample (``b = 1``) and of
    the full gradient (``b = n``), see Gower et al., "SGD: General Analysis and
    Improved Rates", ICML 2019.
    """
    n = objective.n_samples
    lipschitz, lipschitz_max = objective.smoothness()
    b = batch_size
    if n == 1:
        expected = lipschitz_max
    else:
        expected = (n * (b - 1) * lipschitz + (n - b) * lipschitz_max) / (b * (n - 1))
    # A zero constant means a constant objective (e.g. one centred sample): any step does.
    return 1.0 / expected if expected > 0 else 1.0


def nnls(A, b, *, max_iter=None):
    """Solve ``min ||A x - b||_2`` subject to ``x >= 0`` (Lawson & Hanson's active set).

    Variables enter the passive (free) set one at a time, by largest gradient;
    the unconstrained least-squares solution on the passive set is taken when
    it is feasible, otherwise the iterate moves towards it up to the first
    bound and the variables that hit zero leave the set. The result is exact up
    to rounding, like :func:`scipy.optimize.nnls`.

    Parameters
    ----------
    A : tensor of shape (n_samples, n_features)
    b : tensor of shape (n_samples,)
    max_iter : int, default=None
        Maximum number of passive-set changes; ``3 * n_features`` when None.

    Returns
    -------
    x : tensor of shape (n_features,)
    n_iter : int
    """
    n_features = A.shape[1]
    max_iter = 3 * n_features if max_iter is None else max_iter
    x = A.new_zeros(n_features)
    passive = torch.zeros(n_features, dtype=torch.bool, device=A.device)
    # Optimality threshold on the gradient, relative to the scale of A^T b.
    dual = A.T @ b
    threshold = 10 * torch.finfo(A.dtype).eps * max(A.shape) * _max_abs(dual)
    n_iter = 0
    while n_iter < max_iter:
        dual = A.T @ (b - A @ x)
        dual[passive] = -math.inf
        if passive.all() or float(dual.max()) <= threshold:
            break
        entering = int(dual.argmax())
        passive[entering] = True
        n_iter += 1
        first_solve = True
        while True:
            candidate = torch.zeros_like(x)
            candidate[passive] = torch.linalg.lstsq(A[:, passive], b[:, None]).solution[:, 0]
            infeasible = passive & (candidate <= 0)
            if not infeasible.any():
                x = candidate
                break
            if first_solve and infeasible[entering] and int(infeasible.sum()) == 1:
                # The entering gradient was rounding noise: x is optimal already.
                passive[entering] = False
                return x, n_iter
            first_solve = False
            # Move towards the candidate until the first passive variable reaches zero.
            indices = infeasible.nonzero()[:, 0]
            ratios = x[indices] / (x[indices] - candidate[indices])
            blocking = int(ratios.argmin())
            x = x + ratios[blocking] * (candidate - x)
            x[indices[blocking]] = 0.0
            passive &= x > 0
            x[~passive] = 0.0
    return x, max(n_iter, 1)


def lsqr(matvec, rmatvec, b, *, n_features, atol, btol, max_iter):
    """Least squares ``min ||A x - b||`` by LSQR (Paige and Saunders, 1982), as scipy's.

    ``A`` is given by its products ``matvec(v) = A v`` and ``rmatvec(u) = A^T u``
    only (so a sparse A stays sparse). Started from zero, the iterates stay in
    the row space of A: on rank-deficient problems it reaches the minimum-norm
    solution. Stops, with scipy's tests, when the residual is small
    (``||r|| <= btol ||b|| + atol ||A|| ||x||``) or nearly orthogonal to the
    range of A (``||A^T r|| <= atol ||A|| ||r||``).

    Returns
    -------
    x : tensor of shape (n_features,)
    n_iter : int
    """
    x = b.new_zeros(n_features)
    u = b.clone()
    beta = float(u.norm())
    b_norm = beta
    if beta == 0:
        return x, 0
    u /= beta
    v = rmatvec(u)
    alpha = float(v.norm())
    if alpha == 0:
        return x, 0
    v /= alpha
    w = v.clone()
    rho_bar, phi_bar, a_norm_sq = alpha, beta, 0.0
    n_iter = 0
    while n_iter < max_iter:
        n_iter += 1
        u = matvec(v) - alpha * u
        beta = float(u.norm())
        if beta > 0:
            u /= beta
        a_norm_sq += alpha**2 + beta**2
        v = rmatvec(u) - beta * v
        alpha = float(v.norm())
        if alpha > 0:
            v /= alpha
        rho = math.hypot(rho_bar, beta)
        cosine, sine = rho_bar / rho, beta / rho
        theta, rho_bar = sine * alpha, -cosine * alpha
        phi, phi_bar = cosine * phi_bar, sine * phi_bar
        x += (phi / rho) * w
        w = v - (theta / rho) * w
        residual_norm, a_norm = phi_bar, math.sqrt(a_norm_sq)
        normal_residual = alpha * abs(sine * phi)
        if (residual_norm <= btol * b_norm + atol * a_norm * float(x.norm())
                or normal_residual <= atol * a_norm * residual_norm):
            break
    return x, n_iter


def _remember_pair(steps, grad_changes, inv_curvatures, step_vector, grad_change, memory):
    """Keep the last ``memory`` curvature pairs; skip a pair with no positive curvature."""
    curvature = grad_change @ step_vector
    if curvature > torch.finfo(step_vector.dtype).eps * (grad_change @ grad_change):
        steps.append(step_vector)
        grad_changes.append(grad_change)
        inv_curvatures.append(1.0 / curvature)
        if len(steps) > memory:
            del steps[0], grad_changes[0], inv_curvatures[0]


def _two_loop_direction(grad, steps, grad_changes, inv_curvatures):
    """L-BFGS two-loop recursion: minus the inverse-Hessian estimate times ``grad``."""
    direction = -grad
    alphas = []
    for step, change, rho in zip(reversed(steps), reversed(grad_changes),
                                 reversed(inv_curvatures)):
        alpha = rho * (step @ direction)
        direction = direction - alpha * change
        alphas.append(alpha)
    if steps:
        direction = direction * ((steps[-1] @ grad_changes[-1])
                                 / (grad_changes[-1] @ grad_changes[-1]))
    for step, change, rho, alpha in zip(steps, grad_changes, inv_curvatures,
                                        reversed(alphas)):
        beta = rho * (change @ direction)
        direction = direction + (alpha - beta) * step
    return direction


def _strong_wolfe(line, f0, slope0, step, *, max_evals, c1=1e-4, c2=0.9):
    """Find a step meeting the strong Wolfe conditions (Nocedal & Wright, alg. 3.5).

    ``line(step)`` returns the objective and its slope at ``step``.
    Returns ``(step, f)`` or None when no step decreased the objective.
    """
    previous = (0.0, f0, slope0)
    for n_evals in range(1, max_evals + 1):
        f, slope = line(step)
        current = (step, f, slope)
        if f > f0 + c1 * step * slope0 or (n_evals > 1 and f >= previous[1]):
            return _zoom(line, f0, slope0, previous, current, max_evals - n_evals, c1, c2)
        if abs(slope) <= -c2 * slope0:
            return step, f
        if slope >= 0:
            return _zoom(line, f0, slope0, current, previous, max_evals - n_evals, c1, c2)
        # Still going down: extrapolate, at least a little and at most tenfold.
        low = step + 0.01 * (step - previous[0])
        new_step = _cubic_minimizer(previous, current, low, 10 * step)
        previous, step = current, new_step
    return None


def _zoom(line, f0, slope0, low, high, max_evals, c1, c2):
    """Shrink the bracket [low, high] until a strong Wolfe step is found (alg. 3.6).

    ``low`` always satisfies sufficient decrease and is returned as the best step
    so far if the evaluations or the bracket run out.
    """
    theta = line.theta
    resolution = (torch.finfo(theta.dtype).eps * (1 + _max_abs(theta))
                  / max(_max_abs(line.direction), 1e-300))
    for _ in range(max_evals):
        left, right = sorted((low[0], high[0]))
        width = right - left
        if width <= resolution:
            break
        # Safeguard: stay 10% inside the bracket so that it shrinks geometrically.
        step = _cubic_minimizer(low, high, left + 0.1 * width, right - 0.1 * width)
        f, slope = line(step)
        current = (step, f, slope)
        if f > f0 + c1 * step * slope0 or f >= low[1]:
            high = current
        else:
            if abs(slope) <= -c2 * slope0:
                return step, f
            if slope * (high[0] - low[0]) >= 0:
                high = low
            low = current
    if low[0] > 0:
        return low[0], low[1]
    return None


def _cubic_minimizer(point_a, point_b, lower, upper):
    """Minimiser of the cubic interpolating two (step, f, slope) points, clipped.

    Falls back to the middle of [lower, upper] when the cubic has no minimiser
    or the values are not finite.
    """
    a, fa, ga = point_a
    b, fb, gb = point_b
    values = (fa, fb, ga, gb)
    if a != b and all(math.isfinite(v) for v in values):
        d1 = ga + gb - 3 * (fa - fb) / (a - b)
        discriminant = d1 * d1 - ga * gb
        if discriminant >= 0:
            d2 = math.copysign(math.sqrt(discriminant), b - a)
            denominator = gb - ga + 2 * d2
            if denominator != 0:
                minimizer = b - (b - a) * (gb + d2 - d1) / denominator
                if math.isfinite(minimizer):
                    return min(max(minimizer, lower), upper)
    return (lower + upper) / 2


def _backtracking(objective, theta, f0, direction, slope0, *, c1=1e-4, max_halvings=50):
    """Halve the step from 1 until sufficient decrease (Armijo); None if it never comes."""
    step = 1.0
    for _ in range(max_halvings):
        f, grad = objective.loss_grad(theta + step * direction)
        if math.isfinite(f) and f <= f0 + c1 * step * slope0:
            return step, f, grad
        step *= 0.5
    return None


def _newton_direction(hessian, grad, null_space):
    if null_space is not None:
        # grad is orthogonal to the null space, so lifting the Hessian's zero
        # eigenvalues there changes no other component of the solution.
        scale = float(hessian.diagonal().mean().clamp(min=1.0))
        hessian = hessian + scale * (null_space @ null_space.T)
    factor, info = torch.linalg.cholesky_ex(hessian)
    if int(info) == 0:
        return -torch.cholesky_solve(grad[:, None], factor)[:, 0]
    # A data-dependent flat direction (unpenalised, collinear features): take the
    # minimum-norm Newton step.
    eigenvalues, eigenvectors = torch.linalg.eigh(hessian)
    keep = eigenvalues > eigenvalues.max() * hessian.shape[0] * torch.finfo(grad.dtype).eps
    basis = eigenvectors[:, keep]
    return -(basis @ ((basis.T @ grad) / eigenvalues[keep]))


def _ftol(dtype):
    """Relative decrease of the objective under which a run counts as converged.

    sklearn passes scipy's L-BFGS-B 64 float64 epsilons. A float32 objective is
    only accurate to about one float32 epsilon, below which decreases are noise.
    """
    return max(64 * torch.finfo(torch.float64).eps, torch.finfo(dtype).eps)


def _max_abs(tensor):
    return float(tensor.abs().max()) if tensor.numel() else 0.0


def _report(verbose, name, n_iter, f, grad):
    if verbose:
        print(f"[{name}] iteration {n_iter}: objective {f:.10g}, max|grad| {_max_abs(grad):.3g}")
