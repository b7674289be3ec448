"""Drop-in parity of the linear models: each behaviour side by side with sklearn's estimator.

Scenarios come from sklearn's user guide, API docs and its own tests
(``linear_model/tests/test_logistic.py``, ``test_ridge.py``, ``test_base.py``).
Numerical results agree within float32 tolerance, or sklearn's own tolerance
in float64; fitted attribute names, shapes, dtypes, warnings and error types
are the same. Where we differ on purpose, ``docs/parameters.md`` says so.
"""

import inspect
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn.linear_model as sk
import torch
from sklearn.datasets import load_diabetes, load_iris, make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.preprocessing import scale

import sklearn_dl.linear_model as ours
from sklearn_dl.utils import resolve_device

PAIRS = [
    (ours.LinearRegression, sk.LinearRegression),
    (ours.Ridge, sk.Ridge),
    (ours.LogisticRegression, sk.LogisticRegression),
]


def _rel(a, b):
    return np.abs(np.asarray(a) - np.asarray(b)).max() / max(np.abs(np.asarray(b)).max(), 1e-300)


# --- parameters ------------------------------------------------------------------------

@pytest.mark.parametrize("ours_class, sklearn_class", PAIRS, ids=lambda c: c.__name__)
def test_every_sklearn_parameter_with_its_default(ours_class, sklearn_class):
    theirs = inspect.signature(sklearn_class).parameters
    mine = inspect.signature(ours_class).parameters
    for name, parameter in theirs.items():
        assert name in mine, f"{ours_class.__name__} lacks sklearn's {name!r}"
        assert mine[name].default == parameter.default, name
        assert mine[name].kind == parameter.kind, name
    # Every extra parameter of ours is keyword-only, so sklearn's call patterns work.
    assert all(mine[name].kind == inspect.Parameter.KEYWORD_ONLY
               for name in set(mine) - set(theirs))


def test_parameters_without_effect_are_accepted():
    X, y = load_diabetes(return_X_y=True)
    for params in [{"copy_X": False, "n_jobs": 2}, {"copy_X": True, "n_jobs": -1}]:
        np.testing.assert_allclose(ours.LinearRegression(**params).fit(X, y).coef_,
                                   sk.LinearRegression(**params).fit(X, y).coef_, atol=1e-6)
    np.testing.assert_allclose(ours.Ridge(copy_X=False).fit(X, y).coef_,
                               sk.Ridge(copy_X=False).fit(X, y).coef_, atol=1e-6)
    X, y = load_iris(return_X_y=True)
    X = scale(X)
    model = ours.LogisticRegression(dual=False, intercept_scaling=3.0).fit(X, y)
    reference = sk.LogisticRegression(dual=False, intercept_scaling=3.0).fit(X, y)
    np.testing.assert_allclose(model.predict_proba(X), reference.predict_proba(X), atol=1e-3)


def test_n_jobs_warns_as_sklearn():
    X, y = load_iris(return_X_y=True)
    messages = []
    for model in (ours.LogisticRegression(n_jobs=2), sk.LogisticRegression(n_jobs=2)):
        with pytest.warns(FutureWarning, match="'n_jobs' has no effect since 1.8") as record:
            model.fit(X, y)
        messages.append(str(record[0].message))
    assert messages[0] == messages[1]


def test_values_we_cannot_honour_raise_as_sklearn():
    X, y = load_iris(return_X_y=True)
    for model in (ours.LogisticRegression(dual=True), sk.LogisticRegression(dual=True)):
        with pytest.raises(ValueError, match="supports only dual=False, got dual=True"):
            model.fit(X, y)
    for solver in ("liblinear", "saga", "sag", "newton-cg", "newton-cholesky"):
        with pytest.raises(ValueError, match="must be a str among") as error:
            ours.LogisticRegression(solver=solver).fit(X, y)
        assert all(f"'{name}'" in str(error.value)
                   for name in ("lbfgs", "newton", "gd", "proximal", "sgd"))
    X, y = load_diabetes(return_X_y=True)
    for solver in ("sparse_cg", "lsqr", "sag", "saga"):
        with pytest.raises(ValueError, match="must be a str among") as error:
            ours.Ridge(solver=solver).fit(X, y)
        assert all(f"'{name}'" in str(error.value)
                   for name in ("auto", "cholesky", "svd", "lbfgs", "gd", "sgd"))


# --- LinearRegression ------------------------------------------------------------------

def _correlated_columns(n_samples, dtype):
    # cond(X) ~ 45, no intercept: float32 sums of squares over many rows used to lose
    # the digits that tell the two columns apart (7e-5 relative error here).
    rng = np.random.default_rng(0)
    z = rng.standard_normal((n_samples, 2))
    X = np.c_[z[:, 0], 0.9 * z[:, 0] + 0.1 * z[:, 1]] + 3.0
    y = X @ np.array([1.5, -2.0]) + 0.01 * rng.standard_normal(n_samples)
    return X.astype(dtype), y.astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_linear_regression_is_as_precise_as_sklearn(dtype):
    X, y = _correlated_columns(20_000, dtype)
    exact = np.linalg.lstsq(X.astype(np.float64), y.astype(np.float64), rcond=None)[0]
    model = ours.LinearRegression(fit_intercept=False).fit(X, y)
    reference = sk.LinearRegression(fit_intercept=False).fit(X, y)
    assert model.coef_.dtype == reference.coef_.dtype == dtype
    # Measured: float32 ours 3e-8, sklearn 2e-7 (before: 7e-5); float64 both ~1e-15.
    assert _rel(model.coef_, exact) <= max(_rel(reference.coef_, exact), 4 * np.finfo(dtype).eps)
    assert model.singular_.dtype == reference.singular_.dtype


def test_linear_regression_attributes_dtypes_and_shapes():
    X, y = load_diabetes(return_X_y=True)
    Y = np.c_[y, -y]
    for dtype in (np.float32, np.float64):
        for target in (y, y[:, None], Y):
            for fit_intercept in (True, False):
                model = ours.LinearRegression(fit_intercept=fit_intercept)
                reference = sk.LinearRegression(fit_intercept=fit_intercept)
                model.fit(X.astype(dtype), target.astype(dtype))
                reference.fit(X.astype(dtype), target.astype(dtype))
                assert model.coef_.shape == reference.coef_.shape
                assert model.coef_.dtype == reference.coef_.dtype
                assert type(model.intercept_) is type(reference.intercept_)
                assert np.shape(model.intercept_) == np.shape(reference.intercept_)
                assert model.rank_ == reference.rank_
                prediction = model.predict(X.astype(dtype))
                assert prediction.shape == reference.predict(X.astype(dtype)).shape
                assert prediction.dtype == dtype
                np.testing.assert_allclose(prediction, reference.predict(X.astype(dtype)),
                                           rtol=1e-4 if dtype == np.float32 else 1e-7,
                                           atol=1e-2 if dtype == np.float32 else 1e-8)


def test_linear_regression_sample_weight_is_repetition():
    # sklearn's test_base: integer weights equal repeated rows.
    X, y = load_diabetes(return_X_y=True)
    weights = np.random.default_rng(0).integers(0, 4, len(y))
    model = ours.LinearRegression().fit(X, y, sample_weight=weights)
    repeated = ours.LinearRegression().fit(np.repeat(X, weights, axis=0), np.repeat(y, weights))
    reference = sk.LinearRegression().fit(X, y, sample_weight=weights)
    np.testing.assert_allclose(model.coef_, repeated.coef_, atol=1e-6)
    np.testing.assert_allclose(model.coef_, reference.coef_, atol=1e-6)
    assert model.score(X, y, weights) == pytest.approx(reference.score(X, y, weights), abs=1e-10)


# --- Ridge -----------------------------------------------------------------------------

def test_ridge_shapes_and_types_as_sklearn():
    # sklearn's test_ridge_shapes_type, with float32 too.
    rng = np.random.RandomState(0)
    X, y = rng.randn(5, 10), rng.randn(5)
    for dtype in (np.float64, np.float32):
        for target in (y, y[:, None], np.c_[y, 1 + y]):
            for fit_intercept in (True, False):
                model = ours.Ridge(fit_intercept=fit_intercept)
                reference = sk.Ridge(fit_intercept=fit_intercept)
                model.fit(X.astype(dtype), target.astype(dtype))
                reference.fit(X.astype(dtype), target.astype(dtype))
                assert model.coef_.shape == reference.coef_.shape
                assert model.coef_.dtype == reference.coef_.dtype == dtype
                assert type(model.intercept_) is type(reference.intercept_)
                assert np.shape(model.intercept_) == np.shape(reference.intercept_)
                assert model.solver_ == reference.solver_ == "cholesky"
                assert model.predict(X).shape == reference.predict(X).shape
                np.testing.assert_allclose(model.coef_, reference.coef_, atol=1e-5)


def test_ridge_solver_records_the_fallback_to_svd():
    X, y = load_diabetes(return_X_y=True)
    X = np.c_[X, X[:, 0]]
    model, reference = ours.Ridge(alpha=0.0).fit(X, y), sk.Ridge(alpha=0.0).fit(X, y)
    assert model.solver_ == reference.solver_ == "svd"
    np.testing.assert_allclose(model.predict(X), reference.predict(X), atol=1e-6)


def test_ridge_intercept_with_multiple_targets():
    # sklearn's test_ridge_intercept.
    rng = np.random.RandomState(0)
    X, y = rng.randn(5, 10), rng.randn(5)
    intercept = ours.Ridge().fit(X, y).intercept_
    multi = ours.Ridge().fit(X, np.c_[y, 1.0 + y]).intercept_
    np.testing.assert_allclose(multi, [intercept, intercept + 1.0], atol=1e-7)


def test_ridge_individual_penalties():
    # sklearn's test_ridge_individual_penalties, on our solvers.
    rng = np.random.RandomState(42)
    X, Y = rng.randn(20, 10), rng.randn(20, 5)
    penalties = np.arange(5)
    expected = np.array([sk.Ridge(alpha=alpha, solver="cholesky").fit(X, target).coef_
                         for alpha, target in zip(penalties, Y.T)])
    for solver in ("auto", "svd", "cholesky", "lbfgs"):
        model = ours.Ridge(alpha=penalties, solver=solver, tol=1e-12, max_iter=10_000)
        np.testing.assert_allclose(model.fit(X, Y).coef_, expected, atol=1e-6)
        assert model.n_iter_.shape == (5,)
    for model in (ours.Ridge(alpha=penalties[:-1]), sk.Ridge(alpha=penalties[:-1])):
        with pytest.raises(ValueError, match="penalties do not correspond: 4 != 5"):
            model.fit(X, Y)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_ridge_positive_lbfgs_matches_sklearn(fit_intercept):
    X, y = load_diabetes(return_X_y=True)
    model = ours.Ridge(0.1, positive=True, solver="lbfgs", fit_intercept=fit_intercept,
                       tol=1e-10, max_iter=10_000).fit(X, y)
    reference = sk.Ridge(0.1, positive=True, solver="lbfgs", fit_intercept=fit_intercept,
                         tol=1e-10, max_iter=10_000).fit(X, y)
    exact = ours.Ridge(0.1, positive=True, fit_intercept=fit_intercept).fit(X, y)
    assert model.solver_ == reference.solver_ == "lbfgs"
    assert (model.coef_ >= 0).all() and (model.coef_ == 0).any()
    np.testing.assert_allclose(model.coef_, exact.coef_, atol=1e-4)
    # sklearn's L-BFGS-B stops further from the exact solution than ours.
    assert np.abs(reference.coef_ - exact.coef_).max() < 1e-2 * np.abs(exact.coef_).max()
    np.testing.assert_allclose(model.predict(X), reference.predict(X), rtol=1e-3)


@pytest.mark.parametrize("solver", ["auto", "lbfgs"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("alpha", [1e-3, 1.0])
def test_ridge_positive_finds_non_negative_coefficients(solver, fit_intercept, alpha):
    # sklearn's test_ridge_positive_regression_test.
    X = np.array([[1, 2], [3, 4], [5, 6], [7, 8]])
    y = X @ np.array([1, -10]) + (20 if fit_intercept else 0)
    model = ours.Ridge(alpha=alpha, positive=True, solver=solver, fit_intercept=fit_intercept)
    assert np.all(model.fit(X, y).coef_ >= 0)


def test_positive_ridge_minimises_the_loss():
    # sklearn's test_positive_ridge_loss, with the bound-constrained lbfgs.
    X, y = make_regression(n_samples=100, n_features=100, random_state=42)
    alpha = 0.1

    def loss(coef, intercept):
        return 0.5 * np.sum((y - X @ coef - intercept) ** 2) + 0.5 * alpha * np.sum(coef**2)

    free = ours.Ridge(alpha=alpha).fit(X, y)
    for solver in ("auto", "lbfgs"):
        model = ours.Ridge(alpha=alpha, positive=True, solver=solver, tol=1e-8).fit(X, y)
        best = loss(model.coef_, model.intercept_)
        assert loss(free.coef_, free.intercept_) <= best
        rng = np.random.RandomState(0)
        for _ in range(20):
            perturbed = model.coef_ + rng.uniform(0, 1e-6, size=model.coef_.shape)
            assert best <= loss(perturbed, model.intercept_) * (1 + 1e-12)


def test_ridge_lbfgs_warns_as_sklearn_when_it_stops_early():
    # sklearn's test_lbfgs_solver_error.
    X, y = np.array([[1, -1], [1, 1]]), np.array([-1e10, 1e10])
    for ridge in (ours.Ridge, sk.Ridge):
        model = ridge(alpha=0.01, solver="lbfgs", fit_intercept=False, tol=1e-12,
                      positive=True, max_iter=1)
        with pytest.warns(ConvergenceWarning, match="lbfgs solver did not converge"):
            model.fit(X, y)


def test_ridge_sample_weight_and_score():
    X, y = load_diabetes(return_X_y=True)
    weights = np.random.default_rng(0).uniform(0.1, 3.0, len(y))
    for solver in ("auto", "svd", "lbfgs"):
        model = ours.Ridge(alpha=0.5, solver=solver, tol=1e-10).fit(X, y, weights)
        # sklearn's lbfgs is for positive=True only; ours also solves the free problem.
        reference = sk.Ridge(alpha=0.5, solver="cholesky" if solver == "lbfgs" else solver)
        reference.fit(X, y, weights)
        np.testing.assert_allclose(model.coef_, reference.coef_, rtol=1e-5)
        assert model.score(X, y, weights) == pytest.approx(reference.score(X, y, weights),
                                                           abs=1e-8)


# --- LogisticRegression ----------------------------------------------------------------

def test_sparsify_and_densify_as_sklearn():
    # sklearn's test_sparsify, with an L1 model whose coefficients are mostly zero.
    X, y = load_iris(return_X_y=True)
    X = scale(X)
    target = load_iris().target_names[y]
    model = ours.LogisticRegression(l1_ratio=1.0, C=0.1, solver="proximal", tol=1e-8,
                                    max_iter=10_000).fit(X, target)
    reference = sk.LogisticRegression(l1_ratio=1.0, C=0.1, solver="saga", tol=1e-8,
                                      max_iter=10_000).fit(X, target)
    dense_scores = model.decision_function(X)
    assert model.sparsify() is model and reference.sparsify() is reference
    assert type(model.coef_) is type(reference.coef_) and sp.issparse(model.coef_)
    np.testing.assert_array_equal(model.coef_.toarray() == 0, reference.coef_.toarray() == 0)
    np.testing.assert_allclose(model.decision_function(X), dense_scores, atol=1e-12)
    np.testing.assert_allclose(model.decision_function(sp.coo_matrix(X)), dense_scores,
                               atol=1e-12)
    np.testing.assert_array_equal(model.predict(X), reference.predict(X))
    np.testing.assert_allclose(model.predict_proba(X), reference.predict_proba(X), atol=1e-4)
    assert model.densify() is model
    assert isinstance(model.coef_, np.ndarray)
    np.testing.assert_allclose(model.decision_function(sp.csr_matrix(X)), dense_scores,
                               atol=1e-12)
    model.sparsify()
    model.set_params(warm_start=True).fit(X, target)  # starts from the sparse coef_
    assert isinstance(model.coef_, np.ndarray)
    for estimator in (ours.LogisticRegression(), sk.LogisticRegression()):
        for method in ("sparsify", "densify"):
            with pytest.raises(NotFittedError, match=f"must be fitted before {method[:-1]}"):
                getattr(estimator, method)()


@pytest.mark.parametrize("solver", ["lbfgs", "newton"])
def test_max_iter_warns_and_counts_as_sklearn(solver):
    # sklearn's test_max_iter and test_n_iter.
    X, y = load_iris(return_X_y=True)
    y_bin = np.where(y == 2, 0, y)
    for max_iter in (1, 3):
        model = ours.LogisticRegression(max_iter=max_iter, tol=1e-15, solver=solver)
        with pytest.warns(ConvergenceWarning, match=f"{solver} failed to converge"):
            model.fit(X, y_bin)
        assert model.n_iter_.shape == (1,) and model.n_iter_[0] == max_iter
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge"):
        sk.LogisticRegression(max_iter=1, tol=1e-15).fit(X, y_bin)
    for target in (y_bin, y):
        model = ours.LogisticRegression(tol=1e-2, solver=solver).fit(scale(X), target)
        reference = sk.LogisticRegression(tol=1e-2).fit(scale(X), target)
        assert model.n_iter_.shape == reference.n_iter_.shape == (1,)
        assert model.n_iter_.dtype == reference.n_iter_.dtype


def test_logistic_attributes_dtypes_and_errors_as_sklearn():
    # sklearn's test_dtype_match, test_inconsistent_input, test_nan and the
    # one-class error.
    X, y = make_classification(200, 5, n_informative=3, n_classes=3, random_state=0)
    for dtype in (np.float32, np.float64):
        model = ours.LogisticRegression().fit(X.astype(dtype), y)
        reference = sk.LogisticRegression().fit(X.astype(dtype), y)
        for name in ("coef_", "intercept_", "classes_", "n_iter_"):
            assert getattr(model, name).shape == getattr(reference, name).shape, name
            assert getattr(model, name).dtype == getattr(reference, name).dtype, name
        for method in ("decision_function", "predict_proba", "predict_log_proba"):
            ours_out = getattr(model, method)(X.astype(dtype))
            assert ours_out.dtype == getattr(reference, method)(X.astype(dtype)).dtype
        np.testing.assert_allclose(model.predict_proba(X), reference.predict_proba(X),
                                   atol=1e-3)
    for estimator in (ours.LogisticRegression(), sk.LogisticRegression()):
        with pytest.raises(ValueError, match="inconsistent number"):
            estimator.fit(X, y[:-1])
        with pytest.raises(ValueError, match="X has 7 features, but"):
            estimator.fit(X, y).predict(np.ones((3, 7)))
        Xnan = X.copy()
        Xnan[0, 1] = np.nan
        with pytest.raises(ValueError, match="Input X contains NaN"):
            estimator.fit(Xnan, y)
        with pytest.raises(ValueError, match="needs samples of at least 2 classes"):
            estimator.fit(X, np.zeros(len(y)))
        with pytest.raises(NotFittedError):
            type(estimator)().predict(X)


def test_class_weight_sample_weight_and_c_path():
    X, y = make_classification(300, 6, n_informative=4, weights=[0.8, 0.2], random_state=0)
    weights = np.random.default_rng(0).uniform(0.2, 2.0, len(y))
    for params in [{"class_weight": "balanced"}, {"class_weight": {0: 1.0, 1: 3.0}}, {}]:
        for C in (0.01, 1.0, 100.0):
            model = ours.LogisticRegression(C=C, tol=1e-8, max_iter=1000, **params)
            reference = sk.LogisticRegression(C=C, tol=1e-8, max_iter=1000, **params)
            model.fit(X, y, sample_weight=weights)
            reference.fit(X, y, sample_weight=weights)
            assert _rel(model.coef_, reference.coef_) < 1e-4
            assert model.score(X, y, weights) == reference.score(X, y, weights)


@pytest.mark.parametrize("l1_ratio", [0.0, 0.5, 1.0])
def test_l1_ratio_matches_saga(l1_ratio):
    X, y = load_iris(return_X_y=True)
    X = scale(X)
    model = ours.LogisticRegression(l1_ratio=l1_ratio, C=0.5, solver="proximal", tol=1e-10,
                                    max_iter=20_000).fit(X, y)
    reference = sk.LogisticRegression(l1_ratio=l1_ratio, C=0.5, solver="saga", tol=1e-10,
                                      max_iter=20_000).fit(X, y)
    np.testing.assert_allclose(model.coef_, reference.coef_, atol=1e-4)
    np.testing.assert_array_equal(model.coef_ == 0, reference.coef_ == 0)


def test_penalty_combinations_warn_and_raise_as_sklearn():
    X, y = load_iris(return_X_y=True)
    cases = [
        ({"penalty": "l2", "l1_ratio": 0.5}, UserWarning, "only used when penalty is"),
        ({"penalty": None, "C": 2.0}, UserWarning, "will ignore the C and l1_ratio"),
    ]
    for params, category, message in cases:
        for model in (ours.LogisticRegression(**params), sk.LogisticRegression(**params)):
            with warnings.catch_warnings(record=True) as record:
                warnings.simplefilter("always")
                model.fit(scale(X), y)
            assert any(issubclass(w.category, FutureWarning) for w in record)
            assert any(issubclass(w.category, category) and message in str(w.message)
                       for w in record)
    for model in (ours.LogisticRegression(penalty="elasticnet", l1_ratio=None, solver="proximal"),
                  sk.LogisticRegression(penalty="elasticnet", l1_ratio=None, solver="saga")):
        with pytest.warns(FutureWarning), pytest.raises(ValueError, match="l1_ratio must be"):
            model.fit(X, y)


# --- sparse input ----------------------------------------------------------------------

def _sparse_problem(classification):
    rng = np.random.default_rng(0)
    X = sp.random(300, 40, density=0.1, format="csr", random_state=0)
    coef = rng.standard_normal(40)
    raw = X @ coef + 0.5
    if classification:
        return X, (raw > np.median(raw)).astype(int)
    return X, raw + 0.1 * rng.standard_normal(300)


@pytest.mark.parametrize("container", [sp.csr_matrix, sp.csc_matrix, sp.csr_array])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_sparse_regression_equals_dense(container, fit_intercept):
    X, y = _sparse_problem(classification=False)
    weights = np.random.default_rng(1).uniform(0.5, 2.0, len(y))
    cases = [(ours.LinearRegression, {}), (ours.Ridge, {"solver": "auto"}),
             (ours.Ridge, {"solver": "cholesky", "alpha": 0.0}),
             (ours.Ridge, {"solver": "lbfgs", "tol": 1e-10}),
             (ours.Ridge, {"solver": "lbfgs", "positive": True, "tol": 1e-10}),
             (ours.LinearRegression, {"solver": "gd", "positive": True, "tol": 1e-10,
                                      "max_iter": 20_000})]
    for estimator, params in cases:
        dense = estimator(fit_intercept=fit_intercept, **params).fit(X.toarray(), y, weights)
        sparse = estimator(fit_intercept=fit_intercept, **params).fit(container(X), y, weights)
        np.testing.assert_allclose(sparse.coef_, dense.coef_, atol=1e-5, err_msg=str(params))
        np.testing.assert_allclose(sparse.intercept_, dense.intercept_, atol=1e-5)
        np.testing.assert_allclose(sparse.predict(container(X)), dense.predict(X.toarray()),
                                   atol=1e-5)
    reference = sk.Ridge(fit_intercept=fit_intercept, tol=1e-12).fit(container(X), y, weights)
    model = ours.Ridge(fit_intercept=fit_intercept).fit(container(X), y, weights)
    np.testing.assert_allclose(model.coef_, reference.coef_, atol=1e-6)
    reference = sk.LinearRegression(fit_intercept=fit_intercept, tol=1e-12)
    model = ours.LinearRegression(fit_intercept=fit_intercept)
    np.testing.assert_allclose(model.fit(container(X), y, weights).coef_,
                               reference.fit(container(X), y, weights).coef_, atol=1e-6)


@pytest.mark.parametrize("container", [sp.csr_matrix, sp.csc_matrix])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sparse_classification_equals_dense(container, dtype):
    X, y = _sparse_problem(classification=True)
    X = X.astype(dtype)
    # In float32, 'lbfgs' stops where rounding hides the loss's progress: kernels
    # that sum in another order (a GPU's for sparse X, gathers and index additions)
    # stop it an iteration apart. Forced on the CPU, that route measured 1.9e-3 on
    # the coefficients and 3.2e-4 on the probabilities, here.
    same_kernels = dtype == np.float64 or resolve_device("auto").type == "cpu"
    for solver, params in [("lbfgs", {}), ("newton", {}), ("gd", {}),
                           ("proximal", {"l1_ratio": 0.5})]:
        dense = ours.LogisticRegression(solver=solver, tol=1e-6, max_iter=5000, **params)
        sparse = ours.LogisticRegression(solver=solver, tol=1e-6, max_iter=5000, **params)
        dense.fit(X.toarray(), y)
        sparse.fit(container(X), y)
        assert sparse.coef_.dtype == dtype
        loose = solver == "lbfgs" and not same_kernels
        np.testing.assert_allclose(sparse.coef_, dense.coef_, atol=5e-3 if loose else 1e-3)
        np.testing.assert_allclose(sparse.predict_proba(container(X)),
                                   dense.predict_proba(X.toarray()), atol=1e-3 if loose else 1e-4)
    reference = sk.LogisticRegression(tol=1e-8).fit(container(X), y)
    model = ours.LogisticRegression(tol=1e-8).fit(container(X), y)
    np.testing.assert_allclose(model.coef_, reference.coef_, atol=1e-3)
    # Several classes: the sparse Hessian is formed block by block.
    labels = np.digitize(X @ np.linspace(-1, 1, X.shape[1]), [-0.3, 0.3])
    for fit_intercept in (True, False):
        dense = ours.LogisticRegression(solver="newton", fit_intercept=fit_intercept, tol=1e-8)
        sparse = ours.LogisticRegression(solver="newton", fit_intercept=fit_intercept, tol=1e-8)
        np.testing.assert_allclose(sparse.fit(container(X), labels).coef_,
                                   dense.fit(X.toarray(), labels).coef_, atol=1e-5)
        assert sparse.n_iter_[0] == dense.n_iter_[0]


@pytest.mark.parametrize("container", [sp.csr_matrix, sp.csc_matrix])
def test_sparse_products_without_sparse_kernels_give_the_same_fits(monkeypatch, container):
    # On a GPU, sparse X is multiplied by gathers and index additions, not by
    # torch's sparse kernels (SparseDesign.sparse_kernels): the first GPU run found
    # the sparse fits through cuSPARSE off their dense twins where the same fits
    # on dense X agreed. That route, forced here on the CPU, gives the fits and
    # predictions of the sparse kernels to rounding.
    from sklearn_dl.linear_model import _objectives

    X, y = _sparse_problem(classification=False)
    X = container(X)
    labels = np.digitize(X @ np.linspace(-1, 1, X.shape[1]), [-0.3, 0.3])
    weights = np.random.default_rng(1).uniform(0.5, 2.0, X.shape[0])
    cases = [(ours.LinearRegression(), y), (ours.LinearRegression(fit_intercept=False), y),
             (ours.Ridge(alpha=0.3), y), (ours.Ridge(solver="lbfgs", tol=1e-10), y),
             (ours.LogisticRegression(solver="newton", tol=1e-10), labels),
             (ours.LogisticRegression(tol=1e-10), labels),
             (ours.LogisticRegression(solver="sgd", max_iter=5, random_state=0), labels)]

    def fitted():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # sgd: 5 epochs
            return [model.fit(X, target, sample_weight=weights) for model, target in cases]

    def outputs(model, X):
        return getattr(model, "decision_function", model.predict)(X)

    with_kernels = [(model.coef_.copy(), model.intercept_, outputs(model, X))
                    for model in fitted()]
    monkeypatch.setattr(_objectives, "_sparse_kernels", lambda device: False)
    for (coef, intercept, output), model in zip(with_kernels, fitted()):
        np.testing.assert_allclose(model.coef_, coef, rtol=1e-7, atol=1e-9, err_msg=repr(model))
        np.testing.assert_allclose(model.intercept_, intercept, rtol=1e-7, atol=1e-9)
        np.testing.assert_allclose(outputs(model, X), output, rtol=1e-7, atol=1e-9)
        np.testing.assert_allclose(outputs(model, X), outputs(model, X.toarray()),
                                   rtol=1e-12, atol=1e-12)
    design = _objectives.SparseDesign(*(_objectives.csr_tensor(
        torch.from_numpy(matrix.indptr), torch.from_numpy(matrix.indices),
        torch.from_numpy(matrix.data), matrix.shape) for matrix in (X.tocsr(), X.T.tocsr())))
    dense = X.toarray()
    np.testing.assert_allclose(design.weighted_gram(torch.from_numpy(weights)).numpy(),
                               dense.T @ (dense * weights[:, None]), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sparse_products_without_sparse_kernels_on_empty_rows(monkeypatch, dtype):
    # The gather and index-addition route (a GPU's, forced here on the CPU) against
    # dense products: rows with no stored value (rows 0, 13, 26 and 39: the first
    # and the last among them) give zeros, and every dtype stays the design's.
    from sklearn_dl.linear_model import _objectives

    monkeypatch.setattr(_objectives, "_sparse_kernels", lambda device: False)
    # The Gram matrix in blocks of 6 rows: 6 whole blocks and a last one of 4.
    monkeypatch.setattr(_objectives.SparseDesign, "_BLOCK_VALUES", 6 * 7)
    X = sp.random(40, 7, density=0.3, format="csr", random_state=0, dtype=dtype)
    X = sp.csr_matrix(X.multiply((np.arange(40) % 13 != 0)[:, None]), dtype=dtype)
    X.eliminate_zeros()
    assert np.diff(X.indptr)[[0, -1]].tolist() == [0, 0] and X.nnz > 0
    design = _objectives.SparseDesign(*(_objectives.csr_tensor(
        torch.from_numpy(matrix.indptr), torch.from_numpy(matrix.indices),
        torch.from_numpy(matrix.data), matrix.shape) for matrix in (X, X.T.tocsr())))
    assert not design.sparse_kernels
    dense, rng = X.toarray(), np.random.default_rng(0)
    left, right = rng.normal(size=(3, 40)).astype(dtype), rng.normal(size=(3, 7)).astype(dtype)
    weights = rng.uniform(0.5, 2.0, 40).astype(dtype)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    for product, expected in [
            (_objectives.times(torch.from_numpy(left), design), left @ dense),
            (_objectives.times_transpose(torch.from_numpy(right), design), right @ dense.T),
            (design.weighted_gram(torch.from_numpy(weights)),
             dense.T @ (dense * weights[:, None])),
            (_objectives.squared_row_norms(design), (dense ** 2).sum(axis=1))]:
        assert product.dtype == torch.from_numpy(expected).dtype
        np.testing.assert_allclose(product.numpy(), expected, rtol=rtol, atol=rtol)
    assert not _objectives.times_transpose(torch.from_numpy(right), design)[:, ::13].any()


def test_sparse_sgd_and_partial_fit():
    # Logistic regression: the same shuffling of the same rows, the same mini-batches.
    X, y = _sparse_problem(classification=True)
    params = dict(solver="sgd", max_iter=20, tol=0.0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        dense = ours.LogisticRegression(**params).fit(X.toarray(), y)
        sparse = ours.LogisticRegression(**params).fit(sp.csc_matrix(X), y)
    np.testing.assert_allclose(sparse.coef_, dense.coef_, rtol=1e-9, atol=1e-12)
    streamed = [ours.LogisticRegression(**params), ours.LogisticRegression(**params)]
    for rows in (slice(0, 150), slice(150, 300)):
        streamed[0].partial_fit(X[rows], y[rows], classes=[0, 1])
        streamed[1].partial_fit(X[rows].toarray(), y[rows], classes=[0, 1])
    np.testing.assert_allclose(streamed[0].coef_, streamed[1].coef_, rtol=1e-9, atol=1e-12)
    # Regression: sparse X keeps its zeros (no centring), so the path differs from the
    # dense one; both reach the closed form.
    X, y = _sparse_problem(classification=False)
    for estimator in (ours.LinearRegression, ours.Ridge):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = estimator(solver="sgd", max_iter=300, tol=1e-8, random_state=0).fit(X, y)
        closed_form = estimator().fit(X, y)
        # Measured: 1.1e-2 (LinearRegression), the noise of the last epochs' steps.
        assert _rel(model.coef_, closed_form.coef_) < 3e-2
        assert model.score(X, y) == pytest.approx(closed_form.score(X, y), abs=1e-3)


def test_sparse_input_is_never_densified():
    # 10k x 1M: dense, X would take 40 GB in float32.
    rng = np.random.default_rng(0)
    n_samples, n_features = 10_000, 1_000_000
    nnz = 50_000
    X = sp.csr_matrix((rng.standard_normal(nnz).astype(np.float32),
                       (rng.integers(0, n_samples, nnz), rng.integers(0, n_features, nnz))),
                      shape=(n_samples, n_features))
    y = rng.integers(0, 2, n_samples)
    model = ours.LogisticRegression(max_iter=5).fit(X, y)
    assert model.coef_.shape == (1, n_features)
    assert model.predict(X).shape == (n_samples,)
    with pytest.warns(ConvergenceWarning):
        ridge = ours.Ridge(max_iter=5).fit(X, y.astype(np.float32))
    assert ridge.solver_ == "lbfgs" and ridge.coef_.shape == (n_features,)
    least_squares = ours.LinearRegression(max_iter=5).fit(X, y.astype(np.float32))
    assert least_squares.n_iter_ == 5 and least_squares.coef_.shape == (n_features,)
    assert not hasattr(least_squares, "rank_")


def test_wide_sparse_least_squares_is_sklearns_lsqr():
    rng = np.random.default_rng(0)
    n_samples, n_features, nnz = 300, 5000, 3000
    X = sp.csr_matrix((rng.standard_normal(nnz), (rng.integers(0, n_samples, nnz),
                                                  rng.integers(0, n_features, nnz))),
                      shape=(n_samples, n_features))
    y = X @ rng.standard_normal(n_features) + 1.0
    for fit_intercept in (True, False):
        model = ours.LinearRegression(fit_intercept=fit_intercept, tol=1e-10).fit(X, y)
        reference = sk.LinearRegression(fit_intercept=fit_intercept, tol=1e-10).fit(X, y)
        assert not hasattr(model, "rank_") and not hasattr(reference, "rank_")
        np.testing.assert_allclose(model.coef_, reference.coef_, atol=1e-6)
        np.testing.assert_allclose(model.intercept_, reference.intercept_, atol=1e-6)


def test_sparse_solvers_that_cannot_raise_naming_those_that_can():
    X, y = _sparse_problem(classification=False)
    with pytest.raises(ValueError, match="'auto', 'cholesky', 'lbfgs', 'gd' or 'sgd'"):
        ours.Ridge(solver="svd").fit(X, y)
    for model in (ours.LinearRegression(positive=True), sk.LinearRegression(positive=True)):
        with pytest.raises(TypeError, match="Sparse data was passed for X, but dense data is"):
            model.fit(X, y)


# --- more of sklearn's own scenarios ---------------------------------------------------

def test_zero_max_iter_leaves_the_initial_state():
    # sklearn's test_zero_max_iter.
    X, y = load_iris(return_X_y=True)
    y = y == 2
    for estimator in (sk.LogisticRegression, ours.LogisticRegression):
        with pytest.warns(ConvergenceWarning):
            model = estimator(max_iter=0).fit(X, y)
        assert model.n_iter_ == 0
        assert model.score(X, y) < 0.7
    # Ours has not moved at all; sklearn's lbfgs "has already started to update".
    np.testing.assert_array_equal(model.coef_, 0)
    np.testing.assert_allclose(model.predict_proba(X), 0.5)


@pytest.mark.parametrize("solver", ["lbfgs", "newton", "proximal"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_warm_start_continues_from_the_previous_fit(solver, fit_intercept):
    # sklearn's test_warm_start: a one-iteration refit starts where the fit ended.
    X, y = load_iris(return_X_y=True)
    X = scale(X)
    for warm_start in (True, False):
        model = ours.LogisticRegression(solver=solver, warm_start=warm_start,
                                        fit_intercept=fit_intercept, tol=1e-6).fit(X, y)
        coef = model.coef_.copy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.set_params(max_iter=1).fit(X, y)
        change = np.abs(model.coef_ - coef).max()
        assert change < 1e-3 if warm_start else change > 0.5


def test_written_coefficients_are_used():
    # sklearn's test_write_parameters.
    X, y = load_iris(return_X_y=True)
    for estimator in (ours.LogisticRegression, sk.LogisticRegression):
        model = estimator().fit(scale(X), y == 1)
        model.coef_[:] = 0
        model.intercept_[:] = 0
        np.testing.assert_array_equal(model.decision_function(X), 0)


def test_string_labels_weights_untouched_and_softmax():
    # sklearn's test_multinomial_logistic_regression_string_inputs,
    # test_sample_weight_not_modified and test_logreg_predict_proba_multinomial.
    iris = load_iris()
    X, labels = scale(iris.data), iris.target_names[iris.target]
    weights = np.ones(len(labels))
    model = ours.LogisticRegression(class_weight="balanced").fit(X, labels, sample_weight=weights)
    reference = sk.LogisticRegression(class_weight="balanced").fit(X, labels)
    np.testing.assert_array_equal(weights, 1.0)
    np.testing.assert_array_equal(model.classes_, reference.classes_)
    np.testing.assert_array_equal(model.predict(X), reference.predict(X))
    assert model.predict(X).dtype == reference.predict(X).dtype
    scores = model.decision_function(X)
    softmax = np.exp(scores - scores.max(axis=1, keepdims=True))
    np.testing.assert_allclose(model.predict_proba(X), softmax / softmax.sum(axis=1,
                                                                             keepdims=True))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # sklearn's test_c_inf_no_warning
        ours.LogisticRegression(C=np.inf).fit(X, labels)


def test_class_weight_equals_sample_weight():
    # sklearn's test_logistic_regression_solver_class_weights.
    X, y = make_classification(200, 5, n_informative=3, n_classes=3, random_state=0)
    class_weight = {0: 0.5, 1: 2.0, 2: 1.0}
    by_class = ours.LogisticRegression(class_weight=class_weight, tol=1e-8).fit(X, y)
    by_sample = ours.LogisticRegression(tol=1e-8).fit(
        X, y, sample_weight=np.vectorize(class_weight.get)(y))
    np.testing.assert_allclose(by_class.coef_, by_sample.coef_, atol=1e-6)


@pytest.mark.parametrize("X_shape", [(10, 5), (10, 20), (100, 100)])
@pytest.mark.parametrize("container", [None, sp.csr_matrix, sp.csc_matrix])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_linear_regression_sample_weight_consistency(X_shape, container, fit_intercept):
    # sklearn's test_linear_regression_sample_weight_consistency.
    rng = np.random.RandomState(0)
    X, y = rng.rand(*X_shape), rng.rand(X_shape[0])
    if container is not None:
        X = container(X)
    model = ours.LinearRegression(fit_intercept=fit_intercept)
    coef = model.fit(X, y).coef_.copy()
    intercept = model.intercept_
    for weight in (np.ones_like(y), 123.0):
        model.fit(X, y, sample_weight=weight)
        np.testing.assert_allclose(model.coef_, coef, rtol=1e-6, atol=1e-10)
        np.testing.assert_allclose(model.intercept_, intercept, atol=1e-10)
    weights = rng.uniform(0.01, 2, X_shape[0])
    coef = model.fit(X, y, sample_weight=weights).coef_.copy()
    np.testing.assert_allclose(model.fit(X, y, sample_weight=np.pi * weights).coef_, coef,
                               rtol=1e-5, atol=1e-9)
    zeroed = weights.copy()
    zeroed[-5:] = 0
    y[-5:] *= 1000
    coef = model.fit(X, y, sample_weight=zeroed).coef_.copy()
    np.testing.assert_allclose(model.fit(X[:-5], y[:-5], sample_weight=weights[:-5]).coef_,
                               coef, rtol=1e-5, atol=1e-8)
    half = X_shape[0] // 2
    stacked = (np.concatenate([X, X[:half]]) if container is None
               else sp.vstack([X, X[:half]], format="csr"))
    doubled = weights.copy()
    doubled[:half] *= 2
    first = ours.LinearRegression(fit_intercept=fit_intercept).fit(X, y, sample_weight=doubled)
    second = ours.LinearRegression(fit_intercept=fit_intercept).fit(
        stacked, np.concatenate([y, y[:half]]),
        sample_weight=np.concatenate([weights, weights[:half]]))
    np.testing.assert_allclose(first.coef_, second.coef_, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(first.intercept_, second.intercept_, atol=1e-8)


def test_positive_equals_free_when_the_truth_is_positive():
    # sklearn's test_linear_regression_positive_vs_nonpositive_when_positive and
    # test_ridge_ground_truth_positive_test.
    rng = np.random.RandomState(0)
    X = rng.randn(300, 50)
    y = X @ rng.uniform(0.1, 1.0, 50) + 1 + 0.01 * rng.randn(300)
    for estimator, params in [(ours.LinearRegression, {}), (ours.Ridge, {"alpha": 1e-2}),
                              (ours.Ridge, {"alpha": 1e-2, "solver": "lbfgs", "tol": 1e-10})]:
        positive = estimator(positive=True, **params).fit(X, y)
        free = estimator(**params).fit(X, y)
        np.testing.assert_allclose(positive.coef_, free.coef_, atol=1e-6)


@pytest.mark.parametrize("ours_class, sklearn_class", PAIRS, ids=lambda c: c.__name__)
def test_fitted_attributes_include_sklearns(ours_class, sklearn_class):
    X, y = load_iris(return_X_y=True)
    X = scale(X)
    if sklearn_class is not sk.LogisticRegression:
        y = y.astype(float)

    def fitted(model):
        return {name for name in vars(model.fit(X, y))
                if name.endswith("_") and not name.startswith("_")}

    assert fitted(sklearn_class()) <= fitted(ours_class())


@pytest.mark.parametrize("container", [None, sp.csr_matrix])
@pytest.mark.parametrize("solver", ["auto", "lbfgs"])
def test_ridge_sample_weight_consistency(container, solver):
    # sklearn's test_ridge_sample_weight_consistency: unit weights are no weights,
    # a zero weight removes the sample, a doubled weight repeats it.
    rng = np.random.RandomState(0)
    X, y = rng.rand(30, 8), rng.rand(30)
    X = X if container is None else container(X)
    params = dict(alpha=0.3, solver=solver, tol=1e-12, max_iter=10_000)
    reference = ours.Ridge(**params).fit(X, y)
    weighted = ours.Ridge(**params).fit(X, y, sample_weight=np.ones_like(y))
    np.testing.assert_allclose(weighted.coef_, reference.coef_, rtol=1e-6, atol=1e-6)
    weights = rng.uniform(0.1, 2.0, 30)
    weights[-5:] = 0
    removed = ours.Ridge(**params).fit(X[:-5], y[:-5], sample_weight=weights[:-5])
    zeroed = ours.Ridge(**params).fit(X, y, sample_weight=weights)
    np.testing.assert_allclose(zeroed.coef_, removed.coef_, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(zeroed.intercept_, removed.intercept_, rtol=1e-6, atol=1e-6)
    doubled = weights.copy()
    doubled[:10] *= 2
    stacked = np.concatenate([X.toarray() if container else X, (X[:10].toarray()
                                                               if container else X[:10])])
    repeated = ours.Ridge(**params).fit(
        stacked if container is None else container(stacked), np.r_[y, y[:10]],
        sample_weight=np.r_[weights, weights[:10]])
    np.testing.assert_allclose(ours.Ridge(**params).fit(X, y, sample_weight=doubled).coef_,
                               repeated.coef_, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(zeroed.coef_, sk.Ridge(alpha=0.3).fit(
        X, y, sample_weight=weights).coef_, rtol=1e-6, atol=1e-6)
