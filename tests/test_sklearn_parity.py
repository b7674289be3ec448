"""Drop-in parity of the perceptrons with scikit-learn's, side by side.

Each test runs one of scikit-learn's documented or tested scenarios for
``MLPClassifier`` / ``MLPRegressor`` (most from scikit-learn's own
``sklearn/neural_network/tests/test_mlp.py``) with both implementations and
asserts the same behaviour: scores, fitted attributes, warnings and errors.
Where we differ on purpose, ``docs/parameters.md`` says so.
"""

import re
import warnings

import numpy as np
import pytest
import sklearn.neural_network as sk
from sklearn.datasets import (
    load_digits,
    load_iris,
    make_multilabel_classification,
    make_regression,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import PoissonRegressor
from sklearn.preprocessing import MinMaxScaler, scale

from sklearn_dl.neural_network import MLPClassifier, MLPRegressor

X_iris, y_iris = load_iris(return_X_y=True)
_X_digits, _y_digits = load_digits(n_class=3, return_X_y=True)
X_digits_multi = MinMaxScaler().fit_transform(_X_digits[:200])
y_digits_multi = _y_digits[:200]
_X_digits, _y_digits = load_digits(n_class=2, return_X_y=True)
X_digits_binary = MinMaxScaler().fit_transform(_X_digits[:200])
y_digits_binary = _y_digits[:200]
X_reg, y_reg = make_regression(n_samples=200, n_features=10, bias=20.0, noise=100.0,
                               random_state=7)
y_reg = scale(y_reg)

BOTH_CLASSIFIERS = pytest.mark.parametrize("Classifier", [MLPClassifier, sk.MLPClassifier],
                                           ids=["ours", "sklearn"])
BOTH_REGRESSORS = pytest.mark.parametrize("Regressor", [MLPRegressor, sk.MLPRegressor],
                                          ids=["ours", "sklearn"])


# -- L-BFGS: sklearn's semantics ---------------------------------------------------


@BOTH_CLASSIFIERS
def test_lbfgs_multilabel_logistic(Classifier):
    # sklearn's test_multilabel_classification; L-BFGS stalled at 0.28 here before.
    X, Y = make_multilabel_classification(n_samples=50, random_state=0)
    model = Classifier(solver="lbfgs", hidden_layer_sizes=50, activation="logistic",
                       alpha=1e-5, max_iter=150, random_state=0).fit(X, Y)
    assert model.score(X, Y) == 1.0
    assert model.n_iter_ < 150


@pytest.mark.parametrize("activation", ["identity", "logistic", "tanh", "relu"])
@pytest.mark.parametrize("X, y", [(X_digits_multi, y_digits_multi),
                                  (X_digits_binary, y_digits_binary)], ids=["multi", "binary"])
def test_lbfgs_classification(X, y, activation):
    # sklearn's test_lbfgs_classification: > 0.95 on the training digits.
    model = MLPClassifier(solver="lbfgs", hidden_layer_sizes=50, max_iter=150,
                          random_state=1, activation=activation).fit(X[:150], y[:150])
    assert model.score(X[:150], y[:150]) > 0.95
    assert model.predict(X[150:]).dtype.kind == y.dtype.kind


@pytest.mark.parametrize("activation", ["identity", "tanh", "relu"])
def test_lbfgs_regression(activation):
    # sklearn's test_lbfgs_regression (its logistic case needs more than
    # max_iter=200 in both implementations and warns).
    model = MLPRegressor(solver="lbfgs", hidden_layer_sizes=50, max_iter=200, tol=1e-3,
                         random_state=1, activation=activation).fit(X_reg, y_reg)
    assert model.score(X_reg, y_reg) > (0.80 if activation == "identity" else 0.98)


@BOTH_REGRESSORS
def test_lbfgs_multioutput_regression(Regressor):
    # sklearn's test_multioutput_regression (R^2 0.886 here before).
    X, y = make_regression(n_samples=200, n_targets=5, random_state=11)
    model = Regressor(solver="lbfgs", hidden_layer_sizes=50, max_iter=200, tol=1e-2,
                      random_state=1).fit(X, y)
    assert model.score(X, y) > 0.9


@pytest.mark.parametrize("precision", ["float32", "float64"])
def test_lbfgs_poisson_matches_glm(precision):
    # sklearn's test_mlp_vs_poisson_glm_equivalent (74 % off the GLM here before).
    rng = np.random.default_rng(0)
    X = np.linspace(0, 1, 100).reshape(-1, 1)
    y = rng.poisson(np.exp(X[:, 0] + 1))
    glm = PoissonRegressor(alpha=0, tol=1e-7).fit(X, y)
    model = MLPRegressor(loss="poisson", hidden_layer_sizes=(1,), activation="identity",
                         alpha=0, solver="lbfgs", tol=1e-7, random_state=1,
                         precision=precision)
    with warnings.catch_warnings():
        # float32 cannot always meet tol=1e-7 within max_iter.
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    np.testing.assert_allclose(model.predict(X), glm.predict(X),
                               rtol=1e-4 if precision == "float64" else 1e-3)


@pytest.mark.parametrize("Estimator, X, y", [
    (MLPClassifier, X_iris, y_iris), (sk.MLPClassifier, X_iris, y_iris),
    (MLPRegressor, X_reg, y_reg), (sk.MLPRegressor, X_reg, y_reg)])
def test_lbfgs_max_fun_warns(Estimator, X, y):
    # sklearn's test_lbfgs_*_maxfun: max_fun limits the iterations, with a warning.
    model = Estimator(solver="lbfgs", hidden_layer_sizes=50, max_iter=150, max_fun=10,
                      tol=0.0, random_state=1, activation="relu")
    with pytest.warns(ConvergenceWarning, match=re.escape(
            "(status=1):\nSTOP: TOTAL NO. OF F,G EVALUATIONS EXCEEDS LIMIT")):
        model.fit(X, y)
    assert 1 <= model.n_iter_ <= 10


@BOTH_CLASSIFIERS
def test_lbfgs_max_iter_warns(Classifier):
    model = Classifier(solver="lbfgs", max_iter=5, random_state=0)
    message = ("lbfgs failed to converge after 5 iteration(s) (status=1):\nSTOP: TOTAL NO. "
               "OF ITERATIONS REACHED LIMIT\n\nIncrease the number of iterations to improve "
               "the convergence (max_iter=5).")
    with pytest.warns(ConvergenceWarning, match=re.escape(message)):
        model.fit(X_iris, y_iris)
    assert model.n_iter_ == 5


def test_lbfgs_stops_on_gradient_tolerance_not_plateau():
    # tol is L-BFGS's gradient tolerance; n_iter_no_change plays no part.
    model = MLPClassifier(solver="lbfgs", hidden_layer_sizes=(10,), n_iter_no_change=1,
                          tol=1e-3, max_iter=500, random_state=0).fit(X_iris, y_iris)
    assert 1 < model.n_iter_ < 500
    gradient = model.net_.lbfgs_gradient_max()
    assert gradient <= 1e-3 or model.loss_curve_[-2] - model.loss_ <= 1e-6 * model.loss_


@BOTH_CLASSIFIERS
def test_lbfgs_ignores_early_stopping(Classifier):
    # early_stopping is "only effective when solver='sgd' or 'adam'" in sklearn.
    model = Classifier(solver="lbfgs", early_stopping=True, hidden_layer_sizes=(10,),
                       max_iter=300, random_state=0).fit(X_iris, y_iris)
    assert getattr(model, "validation_scores_", None) is None
    assert getattr(model, "best_validation_score_", None) is None


@pytest.mark.parametrize("MLPEstimator", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_warm_start_no_convergence(MLPEstimator, solver):
    # sklearn's test_mlp_warm_start_no_convergence: each fit runs max_iter.
    model = MLPEstimator(solver=solver, warm_start=True, max_iter=10, n_iter_no_change=np.inf,
                         hidden_layer_sizes=(20,), tol=0.0, random_state=0)
    with pytest.warns(ConvergenceWarning):
        model.fit(X_iris, y_iris)
    assert model.n_iter_ == 10
    model.set_params(max_iter=20)
    with pytest.warns(ConvergenceWarning):
        model.fit(X_iris, y_iris)
    assert model.n_iter_ == 20


# -- partial_fit -------------------------------------------------------------------


@BOTH_CLASSIFIERS
def test_partial_fit_classes_error(Classifier):
    # sklearn's test_partial_fit_classes_error.
    model = Classifier(solver="sgd").partial_fit([[3, 2]], [0], classes=[0, 1])
    with pytest.raises(ValueError, match=re.escape("is not the same as on last call to "
                                                   "partial_fit, was: array([0, 1])")):
        model.partial_fit([[3, 2]], [0], classes=[1, 2])
    # The same classes again, in another order, are fine.
    model.partial_fit([[3, 2]], [1], classes=[1, 0])


@BOTH_CLASSIFIERS
def test_partial_fit_errors(Classifier):
    with pytest.raises(ValueError):
        Classifier(solver="sgd").partial_fit([[3, 2], [1, 6]], [1, 0], classes=[2])
    assert not hasattr(Classifier(solver="lbfgs"), "partial_fit")


@BOTH_CLASSIFIERS
def test_partial_fit_unseen_classes(Classifier):
    # sklearn's test_partial_fit_unseen_classes.
    model = Classifier(random_state=0)
    model.partial_fit([[1], [2], [3]], ["a", "b", "c"], classes=["a", "b", "c", "d"])
    model.partial_fit([[4]], ["d"])
    assert model.score([[1], [2], [3], [4]], ["a", "b", "c", "d"]) > 0


# -- dtypes ------------------------------------------------------------------------


@pytest.mark.parametrize("fit_dtype", [np.float32, np.float64])
@pytest.mark.parametrize("predict_dtype", [np.float32, np.float64])
def test_prediction_dtypes_follow_sklearn(fit_dtype, predict_dtype):
    X, y = X_digits_binary.astype(fit_dtype), y_digits_binary
    Xp = X_digits_binary[:20].astype(predict_dtype)
    for ours, theirs in [(MLPRegressor, sk.MLPRegressor), (MLPClassifier, sk.MLPClassifier)]:
        kwargs = dict(hidden_layer_sizes=(5,), max_iter=3, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            mine, reference = ours(**kwargs).fit(X, y), theirs(**kwargs).fit(X, y)
        method = "predict" if ours is MLPRegressor else "predict_proba"
        assert getattr(mine, method)(Xp).dtype == getattr(reference, method)(Xp).dtype
