"""LogisticRegression, LinearRegression and Ridge against scikit-learn's results.

Coefficients are compared by their largest absolute difference relative to the
largest reference coefficient (``_rel_max_abs``). Reference fits use sklearn's
own solvers at ``tol=1e-10``.
"""

import pickle
import threading
import warnings

import numpy as np
import pytest
import scipy.optimize
import sklearn.linear_model as sk
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
    make_classification,
    make_regression,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import mean_squared_error, r2_score
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sklearn_dl.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn_dl.linear_model._objectives import (
    BinomialObjective,
    MultinomialObjective,
    SquaredObjective,
)


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    # Small problems on two shared cores: threads only add synchronisation cost,
    # for sklearn's BLAS and OpenMP as much as for torch.
    torch_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with threadpool_limits(1):
        yield
    torch.set_num_threads(torch_threads)


def _standardized(loader, n_samples=None):
    X, y = loader(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    return (X[:n_samples], y[:n_samples]) if n_samples else (X, y)


def _rel_max_abs(ours, reference):
    reference = np.asarray(reference)
    return np.abs(np.asarray(ours) - reference).max() / max(np.abs(reference).max(), 1e-12)


def _sklearn_logistic(**params):
    return sk.LogisticRegression(tol=1e-10, max_iter=10_000, **params)


# --- LogisticRegression: L2 and no penalty ---------------------------------------------

CASES = {
    "breast_cancer": lambda: (*_standardized(load_breast_cancer), None, {}),
    "digits": lambda: (*_standardized(load_digits), None, {}),
    "iris_balanced": lambda: (*_standardized(load_iris), None, {"class_weight": "balanced"}),
    "breast_cancer_weighted": lambda: (
        *_standardized(load_breast_cancer),
        np.random.default_rng(0).uniform(0.1, 3.0, 569),
        {"C": 0.3},
    ),
    "iris_weighted_no_intercept": lambda: (
        *_standardized(load_iris),
        np.random.default_rng(1).integers(0, 4, 150).astype(float),
        {"fit_intercept": False, "C": 10.0},
    ),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("solver", ["lbfgs", "newton"])
def test_logistic_matches_sklearn(case, solver):
    X, y, sample_weight, params = CASES[case]()
    reference = _sklearn_logistic(**params).fit(X, y, sample_weight=sample_weight)
    ours = LogisticRegression(solver=solver, tol=1e-10, max_iter=1000, **params)
    ours.fit(X, y, sample_weight=sample_weight)

    assert ours.coef_.shape == reference.coef_.shape
    assert _rel_max_abs(ours.coef_, reference.coef_) < 1e-4
    assert np.abs(ours.intercept_ - reference.intercept_).max() < 1e-4 * max(
        1.0, np.abs(reference.intercept_).max()
    )
    np.testing.assert_array_equal(ours.predict(X), reference.predict(X))
    np.testing.assert_allclose(ours.predict_proba(X), reference.predict_proba(X), atol=1e-5)
    np.testing.assert_array_equal(ours.classes_, reference.classes_)


@pytest.mark.parametrize("solver", ["gd", "proximal"])
def test_first_order_solvers_match_sklearn_l2(solver):
    X, y = _standardized(load_iris)
    reference = _sklearn_logistic(C=0.5).fit(X, y)
    ours = LogisticRegression(solver=solver, C=0.5, tol=1e-9, max_iter=20_000).fit(X, y)
    assert _rel_max_abs(ours.coef_, reference.coef_) < 1e-4
    assert _rel_max_abs(ours.intercept_, reference.intercept_) < 1e-4


def test_unpenalized_multinomial_takes_the_centred_minimiser():
    # C=inf leaves a whole direction free (one vector added to every class row);
    # our Newton steps skip it, gradient solvers never enter it: sklearn's answer.
    X, y = make_classification(300, 5, n_informative=4, n_redundant=0, n_classes=3,
                               flip_y=0.2, random_state=0)
    reference = _sklearn_logistic(C=np.inf).fit(X, y)
    for solver in ("lbfgs", "newton"):
        ours = LogisticRegression(C=np.inf, solver=solver, tol=1e-10, max_iter=500).fit(X, y)
        assert _rel_max_abs(ours.coef_, reference.coef_) < 1e-4
        np.testing.assert_allclose(ours.coef_.sum(axis=0), 0, atol=1e-8)
        np.testing.assert_allclose(ours.intercept_.sum(), 0, atol=1e-8)


# --- LogisticRegression: L1 and elastic-net ---------------------------------------------

@pytest.mark.parametrize(
    "loader, C, l1_ratio",
    [(load_breast_cancer, 0.1, 1.0), (load_breast_cancer, 0.1, 0.5),
     (load_iris, 0.5, 1.0), (load_iris, 0.5, 0.5)],
)
def test_l1_and_elastic_net_match_saga(loader, C, l1_ratio):
    X, y = _standardized(loader)
    reference = _sklearn_logistic(solver="saga", C=C, l1_ratio=l1_ratio, random_state=0)
    reference.fit(X, y)
    ours = LogisticRegression(solver="proximal", C=C, l1_ratio=l1_ratio, tol=1e-10,
                              max_iter=5000).fit(X, y)
    assert _rel_max_abs(ours.coef_, reference.coef_) < 1e-4
    np.testing.assert_array_equal(np.abs(ours.coef_) > 1e-4, np.abs(reference.coef_) > 1e-4)
    # The proximal step sets coefficients exactly to zero, as saga does.
    np.testing.assert_array_equal(ours.coef_ == 0, reference.coef_ == 0)
    assert (ours.coef_ == 0).any()
    np.testing.assert_array_equal(ours.predict(X), reference.predict(X))


@pytest.mark.parametrize("solver", ["lbfgs", "newton", "gd", "sgd"])
def test_smooth_solvers_refuse_l1(solver):
    with pytest.raises(ValueError, match="supports only 'l2' or None penalties"):
        LogisticRegression(solver=solver, l1_ratio=1.0).fit(*_standardized(load_iris))


# --- LogisticRegression: stochastic gradient ---------------------------------------------

def _synthetic_classification():
    X, y = make_classification(2000, 20, n_informative=10, flip_y=0.1, random_state=0)
    return StandardScaler().fit_transform(X), y


def test_sgd_reaches_the_lbfgs_solution():
    X, y = _synthetic_classification()
    reference = LogisticRegression(solver="lbfgs", tol=1e-10, max_iter=500).fit(X, y)
    ours = LogisticRegression(solver="sgd", tol=0, max_iter=100, random_state=0).fit(X, y)
    # Measured 3.8e-4; stated tolerance 2e-3.
    assert _rel_max_abs(ours.coef_, reference.coef_) < 2e-3
    assert len(ours.loss_curve_) == ours.n_iter_[0] == 100
    assert ours.loss_curve_[-1] - reference.loss_curve_[-1] < 1e-5


def test_sgd_is_reproducible_and_leaves_the_global_rng_alone():
    X, y = _synthetic_classification()
    state = torch.random.get_rng_state()
    first = LogisticRegression(solver="sgd", max_iter=3, random_state=7).fit(X, y)
    second = LogisticRegression(solver="sgd", max_iter=3, random_state=7).fit(X, y)
    other = LogisticRegression(solver="sgd", max_iter=3, random_state=8).fit(X, y)
    assert torch.equal(state, torch.random.get_rng_state())
    np.testing.assert_array_equal(first.coef_, second.coef_)
    assert not np.array_equal(first.coef_, other.coef_)


def test_partial_fit_runs_epochs_towards_the_solution():
    X, y = _synthetic_classification()
    reference = LogisticRegression(tol=1e-10, max_iter=500).fit(X, y)
    model = LogisticRegression(solver="sgd", random_state=0)
    with pytest.raises(ValueError, match="classes must be passed"):
        model.partial_fit(X, y)
    model.partial_fit(X[:1000], y[:1000], classes=[0, 1])
    first_error = _rel_max_abs(model.coef_, reference.coef_)
    for _ in range(10):
        model.partial_fit(X, y)
    assert model.n_iter_[0] == 11 and len(model.loss_curve_) == 11
    # Ten epochs at a constant step: measured 0.12, from 0.50 after the first call.
    assert _rel_max_abs(model.coef_, reference.coef_) < first_error / 3
    with pytest.raises(ValueError, match="not the same"):
        model.partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="not in classes_"):
        model.partial_fit(X[:5], np.full(5, 3))
    assert not hasattr(LogisticRegression(solver="lbfgs"), "partial_fit")


def test_partial_fit_continues_a_fit_by_another_solver():
    X, y = _synthetic_classification()
    model = LogisticRegression(tol=1e-8).fit(X, y)
    before = model.coef_.copy()
    model.set_params(solver="sgd", learning_rate_init=1e-3).partial_fit(X, y)
    assert model.n_iter_[0] == len(model.loss_curve_)
    assert _rel_max_abs(model.coef_, before) < 0.05


def test_fixed_learning_rate_and_divergence():
    X, y = _standardized(load_iris)
    reference = LogisticRegression(tol=1e-8, max_iter=500).fit(X, y)
    fixed = LogisticRegression(solver="gd", learning_rate_init=0.5, tol=1e-8, max_iter=5000)
    assert _rel_max_abs(fixed.fit(X, y).coef_, reference.coef_) < 1e-6
    X_reg, y_reg = _standardized(load_diabetes)
    with pytest.raises(ValueError, match="diverged"):
        LinearRegression(solver="gd", learning_rate_init=10.0, max_iter=2000).fit(X_reg, y_reg)
    # SGD halves a step that is too large until the objective goes down...
    exact = LinearRegression().fit(X_reg, y_reg)
    recovered = LinearRegression(solver="sgd", learning_rate_init=1e3, max_iter=200,
                                 random_state=0).fit(X_reg, y_reg)
    minimum = 0.5 * np.mean((y_reg - exact.predict(X_reg)) ** 2)
    assert recovered.loss_curve_[0] > 1e10 and recovered.loss_curve_[-1] < 1.01 * minimum
    # ...unless the objective overflows within an epoch.
    with pytest.raises(ValueError, match="diverged"):
        LinearRegression(solver="sgd", learning_rate_init=1e3, batch_size=4,
                         max_iter=5).fit(X_reg, y_reg)


# --- LogisticRegression: behaviour ------------------------------------------------------

@pytest.mark.parametrize("solver", ["lbfgs", "newton", "gd", "proximal"])
def test_loss_curve_decreases_and_counts_iterations(solver):
    X, y = _standardized(load_iris)
    model = LogisticRegression(solver=solver, max_iter=30).fit(X, y)
    curve = np.array(model.loss_curve_)
    assert len(curve) == model.n_iter_[0] >= 1
    assert curve[-1] < curve[0]
    if solver != "proximal":  # FISTA's momentum is not monotone
        assert np.all(np.diff(curve) <= 1e-12)


def test_objective_is_sklearns():
    # Our curve's last value is sklearn's objective at sklearn's solution.
    X, y = _standardized(load_breast_cancer)
    sample_weight = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    C = 0.7
    reference = _sklearn_logistic(C=C).fit(X, y, sample_weight=sample_weight)
    raw = X @ reference.coef_[0] + reference.intercept_[0]
    loss = np.logaddexp(0, raw) - y * raw
    expected = (sample_weight @ loss + 0.5 * reference.coef_[0] @ reference.coef_[0] / C)
    expected /= sample_weight.sum()
    ours = LogisticRegression(C=C, tol=1e-10, max_iter=500).fit(X, y, sample_weight)
    assert ours.loss_curve_[-1] == pytest.approx(expected, rel=1e-10)


def _objectives(dtype=torch.float64):
    rng = np.random.default_rng(0)
    X = torch.from_numpy(rng.standard_normal((60, 4))).to(dtype)
    weights = torch.from_numpy(rng.uniform(0.5, 2.0, 60)).to(dtype)
    weights /= weights.sum()
    labels = torch.from_numpy(rng.integers(0, 3, 60))
    common = dict(fit_intercept=True, l2=0.3)
    return {
        "binomial": BinomialObjective(X, (labels == 1).to(dtype), weights, **common),
        "multinomial": MultinomialObjective(X, labels, weights, n_classes=3, **common),
        "squared": SquaredObjective(X, X[:, :2] @ X.new_ones(2, 2) + 1, weights, **common),
    }


@pytest.mark.parametrize("name", ["binomial", "multinomial", "squared"])
def test_line_is_the_objective_along_the_direction(name):
    # L-BFGS evaluates the objective along its direction from a cached X @ d; the
    # values, slopes and gradients are those of full evaluations, zeros start included.
    objective = _objectives()[name]
    generator = torch.Generator().manual_seed(0)
    theta = torch.randn(objective.n_params, generator=generator, dtype=torch.float64)
    direction = torch.randn(objective.n_params, generator=generator, dtype=torch.float64)
    for start in (theta, objective.zeros()):
        f, grad, raw = objective.evaluate(start)
        loss, expected_grad = objective.loss_grad(start)
        assert f == pytest.approx(loss, rel=1e-14)
        torch.testing.assert_close(grad, expected_grad, rtol=1e-13, atol=1e-15)
        torch.testing.assert_close(raw, objective.raw_prediction(start, objective.X))
        line = objective.line(start, raw, direction)
        values = {step: line(step) for step in (0.0, 0.3, 2.0)}
        # Accepting the last step tried reuses its evaluation, an earlier one evaluates again.
        for step in (2.0, 0.3):
            loss, expected_grad = objective.loss_grad(start + step * direction)
            f, slope = values[step]
            assert f == pytest.approx(loss, rel=1e-13)
            assert slope == pytest.approx(float(expected_grad @ direction), rel=1e-12,
                                          abs=1e-14)
            theta_at_step, grad, _ = line.accept(step)
            torch.testing.assert_close(theta_at_step, start + step * direction)
            torch.testing.assert_close(grad, expected_grad, rtol=1e-12, atol=1e-14)


def test_threads_leave_the_fit_unchanged_and_are_restored():
    # With several threads the element-wise passes over enough samples run in one
    # thread (see _objectives._one_thread); the count is restored and the fit is the same.
    X, y = make_classification(40_000, 4, n_informative=3, n_redundant=0, random_state=0)
    one_thread = LogisticRegression(device="cpu", tol=1e-8).fit(X, y)
    torch.set_num_threads(2)
    try:
        two_threads = LogisticRegression(device="cpu", tol=1e-8).fit(X, y)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(1)
    # Threads sum the matrix products in another order: equal to the tolerance.
    np.testing.assert_allclose(two_threads.coef_, one_thread.coef_, atol=1e-7)
    np.testing.assert_array_equal(two_threads.predict(X), one_thread.predict(X))


def test_binary_attributes_and_probabilities():
    X, y = _standardized(load_breast_cancer)
    labels = np.where(y == 1, "yes", "no")
    model = LogisticRegression().fit(X, labels)
    assert model.coef_.shape == (1, X.shape[1]) and model.intercept_.shape == (1,)
    assert model.n_iter_.shape == (1,) and model.n_features_in_ == X.shape[1]
    np.testing.assert_array_equal(model.classes_, ["no", "yes"])
    scores = model.decision_function(X)
    assert scores.shape == (len(y),)
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba[:, 1], 1 / (1 + np.exp(-scores)), rtol=1e-12)
    # Computed as log-sigmoid, more accurate than log(proba) where proba rounds to 1.
    np.testing.assert_allclose(model.predict_log_proba(X), np.log(proba), atol=1e-14)
    np.testing.assert_array_equal(model.predict(X), np.where(scores > 0, "yes", "no"))


def test_float32_stays_float32_and_integers_become_float64():
    X, y = _standardized(load_iris)
    assert LogisticRegression().fit(X.astype(np.float32), y).coef_.dtype == np.float32
    X_int, y_int = load_iris(return_X_y=True)
    model = LogisticRegression(max_iter=1000).fit((X_int * 10).astype(np.int64), y_int)
    assert model.coef_.dtype == np.float64
    float32 = LogisticRegression().fit(X.astype(np.float32), y)
    float64 = LogisticRegression().fit(X, y)
    assert _rel_max_abs(float32.coef_, float64.coef_) < 1e-4


def test_feature_names_are_recorded():
    pytest.importorskip("pandas")
    X, y = load_iris(return_X_y=True, as_frame=True)
    model = LogisticRegression(max_iter=500).fit(X, y)
    np.testing.assert_array_equal(model.feature_names_in_, X.columns)


def test_deprecated_penalty_behaves_as_in_sklearn():
    X, y = _standardized(load_iris)
    with pytest.warns(FutureWarning, match="'penalty' was deprecated"):
        l1 = LogisticRegression(penalty="l1", l1_ratio=1.0, solver="proximal", C=0.5,
                                tol=1e-8, max_iter=2000).fit(X, y)
    modern = LogisticRegression(l1_ratio=1.0, solver="proximal", C=0.5, tol=1e-8,
                                max_iter=2000).fit(X, y)
    np.testing.assert_allclose(l1.coef_, modern.coef_)
    with pytest.warns(FutureWarning, match="'penalty' was deprecated"):
        unpenalized = LogisticRegression(penalty=None, max_iter=5).fit(X, y)
    assert unpenalized.loss_curve_ == LogisticRegression(C=np.inf, max_iter=5).fit(X, y).loss_curve_
    with pytest.warns(FutureWarning, match="l1_ratio=None"):
        LogisticRegression(l1_ratio=None).fit(X, y)


def test_errors():
    X, y = _standardized(load_iris)
    with pytest.raises(ValueError, match="only one class"):
        LogisticRegression().fit(X, np.zeros(len(y)))
    with pytest.raises(ValueError, match="only one class has any"):
        LogisticRegression().fit(X, y, sample_weight=(y == 1).astype(float))
    with pytest.raises(ValueError, match="Negative values"):
        LogisticRegression().fit(X, y, sample_weight=-np.ones(len(y)))
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        LogisticRegression().fit(X_nan, y)
    model = LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match="features"):
        model.predict(X[:, :2])
    with pytest.raises(ValueError, match="CUDA is not available"):
        if torch.cuda.is_available():
            pytest.skip("the machine has CUDA")
        LogisticRegression(device="cuda").fit(X, y)


def test_convergence_warning_and_warm_start():
    X, y = _standardized(load_digits, 500)
    with pytest.warns(ConvergenceWarning, match="failed to converge after 3 iteration"):
        model = LogisticRegression(max_iter=3, warm_start=True).fit(X, y)
    model.set_params(max_iter=1000, tol=1e-8)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model.fit(X, y)
    cold = LogisticRegression(tol=1e-8, max_iter=1000).fit(X, y)
    assert _rel_max_abs(model.coef_, cold.coef_) < 1e-5
    iterations = model.n_iter_[0]
    model.fit(X, y)
    assert model.n_iter_[0] < iterations / 5


def test_verbose_prints_progress(capsys):
    X, y = _standardized(load_iris)
    LogisticRegression(verbose=1, max_iter=2).fit(X, y)
    assert "[lbfgs] iteration 2: objective" in capsys.readouterr().out


def test_pickles_as_numpy_only():
    X, y = _standardized(load_iris)
    model = LogisticRegression(solver="sgd", max_iter=2, random_state=0).fit(X, y)
    assert not [k for k, v in vars(model).items() if isinstance(v, torch.Tensor)]
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict_proba(X), model.predict_proba(X))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_matches_cpu():
    X, y = _standardized(load_breast_cancer)
    cpu = LogisticRegression(device="cpu", tol=1e-10).fit(X, y)
    gpu = LogisticRegression(device="cuda", tol=1e-10).fit(X, y)
    assert isinstance(gpu.coef_, np.ndarray)
    assert _rel_max_abs(gpu.coef_, cpu.coef_) < 1e-6


# --- LinearRegression --------------------------------------------------------------------

def test_linear_regression_matches_sklearn_on_diabetes():
    X, y = load_diabetes(return_X_y=True)
    ours, reference = LinearRegression().fit(X, y), sk.LinearRegression().fit(X, y)
    np.testing.assert_allclose(ours.coef_, reference.coef_, rtol=0, atol=1e-6)
    assert ours.intercept_ == pytest.approx(reference.intercept_, abs=1e-6)
    assert ours.rank_ == reference.rank_
    np.testing.assert_allclose(ours.singular_, reference.singular_, rtol=1e-10)
    assert ours.n_iter_ == 1 and isinstance(ours.intercept_, float)


def test_linear_regression_diabetes_single_feature_example():
    # sklearn's "Linear Regression Example": feature 2, the last 20 samples as test.
    X, y = load_diabetes(return_X_y=True)
    X = X[:, np.newaxis, 2]
    X_train, X_test, y_train, y_test = X[:-20], X[-20:], y[:-20], y[-20:]
    ours = LinearRegression().fit(X_train, y_train).predict(X_test)
    reference = sk.LinearRegression().fit(X_train, y_train).predict(X_test)
    assert mean_squared_error(y_test, ours) == pytest.approx(
        mean_squared_error(y_test, reference), abs=1e-6)
    assert r2_score(y_test, ours) == pytest.approx(r2_score(y_test, reference), abs=1e-6)
    assert mean_squared_error(y_test, ours) == pytest.approx(2548.07, abs=0.01)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_linear_regression_rank_deficient_gives_the_minimum_norm_solution(fit_intercept):
    X, y = load_diabetes(return_X_y=True)
    rng = np.random.default_rng(0)
    X = np.c_[X, X[:, :3] @ rng.standard_normal((3, 2)), X[:, 0]]
    ours = LinearRegression(fit_intercept=fit_intercept).fit(X, y)
    reference = sk.LinearRegression(fit_intercept=fit_intercept).fit(X, y)
    assert ours.rank_ == reference.rank_ == 10
    np.testing.assert_allclose(ours.coef_, reference.coef_, rtol=0, atol=1e-6)
    np.testing.assert_allclose(ours.predict(X), reference.predict(X), rtol=0, atol=1e-6)


def test_linear_regression_ill_conditioned_takes_the_qr_route():
    # cond(X) ~ 5e4: the normal equations would square it, so the QR + SVD route
    # solves it; sklearn's gelsd keeps every direction (1e-5 > tol=1e-6) too.
    X, y = load_diabetes(return_X_y=True)
    X = np.c_[X, X[:, 2] + 3e-6 * np.random.default_rng(0).standard_normal(len(y))]
    ours, reference = LinearRegression().fit(X, y), sk.LinearRegression().fit(X, y)
    assert ours.rank_ == reference.rank_ == 11
    assert ours.singular_[0] / ours.singular_[-1] > 1e4
    assert _rel_max_abs(ours.coef_, reference.coef_) < 1e-8
    np.testing.assert_allclose(ours.singular_, reference.singular_, rtol=1e-8)


def test_linear_regression_positive_and_sample_weight():
    X, y = load_diabetes(return_X_y=True)
    sample_weight = np.random.default_rng(0).uniform(0.1, 3.0, len(y))
    for params, weights in [({"positive": True}, None), ({}, sample_weight),
                            ({"positive": True}, sample_weight)]:
        ours = LinearRegression(**params).fit(X, y, sample_weight=weights)
        reference = sk.LinearRegression(**params).fit(X, y, sample_weight=weights)
        np.testing.assert_allclose(ours.coef_, reference.coef_, rtol=0, atol=1e-6)
        assert ours.intercept_ == pytest.approx(reference.intercept_, abs=1e-6)
    assert (ours.coef_ == 0).any() and (ours.coef_ >= 0).all()


def test_linear_regression_multi_output_and_float32():
    X, y = load_diabetes(return_X_y=True)
    Y = np.c_[y, np.random.default_rng(0).standard_normal(len(y))]
    ours, reference = LinearRegression().fit(X, Y), sk.LinearRegression().fit(X, Y)
    assert ours.coef_.shape == (2, X.shape[1]) and ours.intercept_.shape == (2,)
    np.testing.assert_allclose(ours.coef_, reference.coef_, rtol=0, atol=1e-6)
    np.testing.assert_allclose(ours.predict(X), reference.predict(X), rtol=0, atol=1e-6)
    float32 = LinearRegression().fit(X.astype(np.float32), y)
    assert float32.coef_.dtype == np.float32
    assert _rel_max_abs(float32.coef_, reference.coef_[0]) < 1e-3


@pytest.mark.parametrize("solver, max_iter, tolerance", [("gd", 20_000, 1e-6), ("sgd", 100, 1e-3)])
def test_linear_regression_iterative_solvers_reach_lstsq(solver, max_iter, tolerance):
    X, y = make_regression(2000, 20, noise=10, random_state=0)
    closed_form = LinearRegression().fit(X, y)
    ours = LinearRegression(solver=solver, tol=1e-9, max_iter=max_iter, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours.fit(X, y)
    # Measured: gd 2e-13, sgd 2e-5 after 100 epochs.
    assert _rel_max_abs(ours.coef_, closed_form.coef_) < tolerance
    assert len(ours.loss_curve_) == ours.n_iter_


def test_projected_gradient_reaches_the_active_set_solution():
    X, y = _standardized(load_diabetes)
    exact = LinearRegression(positive=True).fit(X, y)
    projected = LinearRegression(positive=True, solver="gd", tol=1e-9, max_iter=50_000).fit(X, y)
    assert _rel_max_abs(projected.coef_, exact.coef_) < 1e-6
    np.testing.assert_array_equal(projected.coef_ == 0, exact.coef_ == 0)


@settings(max_examples=25, deadline=None)
@given(
    n_samples=st.integers(1, 30),
    n_features=st.integers(1, 12),
    rank=st.integers(1, 12),
    fit_intercept=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_linear_regression_matches_scipy_lstsq_on_any_shape(n_samples, n_features, rank,
                                                            fit_intercept, seed):
    rng = np.random.default_rng(seed)
    rank = min(rank, n_features)
    X = rng.standard_normal((n_samples, rank)) @ rng.standard_normal((rank, n_features))
    y = rng.standard_normal(n_samples)
    ours = LinearRegression(fit_intercept=fit_intercept).fit(X, y)
    reference = sk.LinearRegression(fit_intercept=fit_intercept).fit(X, y)
    np.testing.assert_allclose(ours.coef_, reference.coef_, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(ours.predict(X), reference.predict(X), rtol=1e-6, atol=1e-6)
    assert ours.rank_ == reference.rank_


def test_linear_regression_errors():
    X, y = load_diabetes(return_X_y=True)
    with pytest.raises(ValueError, match="does not support positive=True"):
        LinearRegression(solver="lstsq", positive=True).fit(X, y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        LinearRegression().fit(X, y[:-1])


# --- Ridge -----------------------------------------------------------------------------

@pytest.mark.parametrize("solver", ["auto", "svd"])
@pytest.mark.parametrize("alpha", [0.1, 10.0])
def test_ridge_matches_sklearn(solver, alpha):
    X, y = load_diabetes(return_X_y=True)
    sample_weight = np.random.default_rng(0).uniform(0.1, 3.0, len(y))
    ours = Ridge(alpha, solver=solver).fit(X, y, sample_weight)
    reference = sk.Ridge(alpha, solver="cholesky" if solver == "auto" else solver)
    reference.fit(X, y, sample_weight)
    np.testing.assert_allclose(ours.coef_, reference.coef_, rtol=0, atol=1e-6)
    assert ours.intercept_ == pytest.approx(reference.intercept_, abs=1e-6)


@pytest.mark.parametrize("solver", ["auto", "svd"])
def test_ridge_path_on_a_hilbert_matrix_as_sklearn(solver):
    # scikit-learn's example "Plot Ridge coefficients as a function of the
    # regularization": a 10 x 10 Hilbert matrix (condition number about 1.6e13),
    # 200 alphas from 1e-10 to 1e-2, where the coefficients swing from 274 to 1.9.
    X = 1.0 / (np.arange(1, 11) + np.arange(0, 10)[:, np.newaxis])
    y = np.ones(10)
    for alpha in np.logspace(-10, -2, 200):
        reference = sk.Ridge(alpha=alpha, fit_intercept=False).fit(X, y).coef_
        coef = Ridge(alpha=alpha, fit_intercept=False, solver=solver).fit(X, y).coef_
        np.testing.assert_allclose(coef, reference, rtol=0,
                                   atol=1e-5 * np.abs(reference).max(), err_msg=str(alpha))

        def objective(w):
            return np.sum((X @ w - y) ** 2) + alpha * w @ w

        assert objective(coef) <= objective(reference) * (1 + 1e-9)


def test_ridge_alpha_per_target_wide_data_and_no_intercept():
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((20, 50)), rng.standard_normal((20, 2))
    for params in [{"alpha": [0.1, 3.0]}, {"alpha": 0.5, "fit_intercept": False}]:
        for solver in ("auto", "svd"):
            ours = Ridge(solver=solver, **params).fit(X, Y)
            reference = sk.Ridge(**params).fit(X, Y)
            np.testing.assert_allclose(ours.coef_, reference.coef_, rtol=0, atol=1e-9)
            np.testing.assert_allclose(ours.intercept_, reference.intercept_, atol=1e-9)
    with pytest.raises(ValueError, match="do not correspond"):
        Ridge(alpha=[1.0, 2.0, 3.0]).fit(X, Y)


def test_ridge_alpha_zero_is_least_squares():
    X, y = load_diabetes(return_X_y=True)
    X = np.c_[X, X[:, 0]]
    np.testing.assert_allclose(Ridge(alpha=0.0).fit(X, y).predict(X),
                               sk.LinearRegression().fit(X, y).predict(X), atol=1e-6)


def test_ridge_positive_matches_scipy_nnls():
    # sklearn's Ridge(positive=True) runs L-BFGS-B; the exact answer is the
    # non-negative least squares of the system augmented with sqrt(alpha) I.
    X, y = load_diabetes(return_X_y=True)
    alpha = 0.1
    X_centred, y_centred = X - X.mean(axis=0), y - y.mean()
    augmented = np.r_[X_centred, np.sqrt(alpha) * np.eye(X.shape[1])]
    expected = scipy.optimize.nnls(augmented, np.r_[y_centred, np.zeros(X.shape[1])])[0]
    ours = Ridge(alpha, positive=True).fit(X, y)
    np.testing.assert_allclose(ours.coef_, expected, rtol=0, atol=1e-6)
    reference = sk.Ridge(alpha, positive=True, tol=1e-12).fit(X, y)
    assert _rel_max_abs(ours.coef_, reference.coef_) < 1e-4


@pytest.mark.parametrize("solver, tolerance", [("lbfgs", 1e-8), ("gd", 1e-8), ("sgd", 1e-3)])
def test_ridge_iterative_solvers_reach_the_closed_form(solver, tolerance):
    X, y = make_regression(2000, 20, noise=10, random_state=0)
    closed_form = Ridge(alpha=10.0).fit(X, y)
    max_iter = 100 if solver == "sgd" else 10_000
    ours = Ridge(alpha=10.0, solver=solver, tol=1e-10, max_iter=max_iter, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours.fit(X, y)
    assert _rel_max_abs(ours.coef_, closed_form.coef_) < tolerance
    assert ours.intercept_ == pytest.approx(closed_form.intercept_, rel=tolerance, abs=1e-6)


def test_ridge_solver_errors():
    X, y = load_diabetes(return_X_y=True)
    for solver in ("cholesky", "svd"):
        with pytest.raises(ValueError, match="does not support positive=True"):
            Ridge(solver=solver, positive=True).fit(X, y)


def test_concurrent_fits_restore_the_thread_count():
    """The one-thread passes share one saved count across Python threads."""
    X, y = make_classification(40000, 20, random_state=0)
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        models = [LogisticRegression() for _ in range(4)]
        fits = [threading.Thread(target=model.fit, args=(X, y)) for model in models]
        for fit in fits:
            fit.start()
        for fit in fits:
            fit.join()
        assert torch.get_num_threads() == 2
        assert all(model.n_iter_ > 0 for model in models)
    finally:
        torch.set_num_threads(threads)
