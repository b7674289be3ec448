"""Drop-in parity of the perceptrons with scikit-learn's, side by side.

Each test runs one of scikit-learn's documented or tested scenarios for
``MLPClassifier`` / ``MLPRegressor`` (most from scikit-learn's own
``sklearn/neural_network/tests/test_mlp.py``) with both implementations and
asserts the same behaviour: scores, fitted attributes, warnings and errors.
Where we differ on purpose, ``docs/parameters.md`` says so.
"""

import copy
import re
import tracemalloc
import warnings

import numpy as np
import pytest
import torch
import sklearn.neural_network as sk
from scipy import sparse
from sklearn.datasets import (
    load_digits,
    load_iris,
    make_multilabel_classification,
    make_regression,
)
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import PoissonRegressor
from sklearn.preprocessing import MinMaxScaler, scale
from skorch.callbacks import Checkpoint, EarlyStopping, LRScheduler, ProgressBar

from sklearn_dl import DivergenceError
from sklearn_dl._optim import SklearnAdam
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
def test_lbfgs_max_fun_with_defaults(Classifier):
    # The scenario: the warning was missing here.
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge after"):
        model = Classifier(solver="lbfgs", max_fun=10).fit(X_iris, y_iris)
    assert 1 <= model.n_iter_ < 10


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


def test_batch_size_beyond_the_data_warns_once_as_sklearn():
    # sklearn clips batch_size to the training set with one UserWarning per fit.
    counts = []
    for Estimator in (sk.MLPClassifier, MLPClassifier):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            Estimator(hidden_layer_sizes=(4,), batch_size=500, max_iter=2).fit(X_iris, y_iris)
        counts.append(sum("Got `batch_size` less than 1" in str(warning.message)
                          for warning in caught))
    assert counts == [1, 1]


def _warm_fit(model, **params):
    """``model`` with ``params`` fitted on iris, quietly if it does not converge."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.set_params(**params).fit(X_iris, y_iris)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_warm_start_reads_the_stopping_parameters_again(solver):
    # sklearn reads tol and n_iter_no_change at every fit: a warm start with a
    # looser rule stops where sklearn's does, and its loss curve runs on.
    fits = []
    for Estimator in (sk.MLPClassifier, MLPClassifier):
        model = _warm_fit(Estimator(solver=solver, hidden_layer_sizes=(8,), max_iter=5,
                                    warm_start=True, random_state=0))
        model.set_params(tol=10.0, n_iter_no_change=2, max_iter=50).fit(X_iris, y_iris)
        fits.append((model.n_iter_, len(model.loss_curve_)))
    assert fits[1] == fits[0] == (3, 8)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_warm_start_starts_a_fresh_optimizer_of_the_new_parameters(solver):
    # sklearn makes a new optimiser at every fit: a warm start with a tiny
    # learning_rate_init barely moves the weights, and Adam counts its steps
    # from the new fit's first (150 rows: one step an epoch).
    moved = []
    for Estimator in (sk.MLPClassifier, MLPClassifier):
        model = _warm_fit(Estimator(solver=solver, hidden_layer_sizes=(8,), max_iter=5,
                                    warm_start=True, random_state=0))
        before = [coef.copy() for coef in model.coefs_]
        _warm_fit(model, learning_rate_init=1e-9, max_iter=3)
        moved.append(max(np.abs(new - old).max() for new, old in zip(model.coefs_, before)))
    assert moved[1] < 1e-6 and moved[0] < 1e-6
    if solver == "adam":
        steps = {float(state["step"]) for state in model.net_.optimizer_.state.values()}
        assert steps == {3.0}


def test_warm_start_reads_verbose_again(capsys):
    # sklearn reads verbose at every fit: its warm start prints, or stops printing,
    # as set; so does ours (the per-epoch table, and tqdm's bar at verbose=2).
    printed = []
    for Estimator in (sk.MLPClassifier, MLPClassifier):
        model = _warm_fit(Estimator(hidden_layer_sizes=(8,), max_iter=2, warm_start=True,
                                    random_state=0))
        capsys.readouterr()
        for verbose in (1, 0):
            _warm_fit(model, verbose=verbose)
            printed.append(bool(capsys.readouterr().out))
    assert printed == [True, False, True, False]
    _warm_fit(model, verbose=2)
    assert "progress_bar" in dict(model.net_.callbacks_)
    assert "0/1 [" in capsys.readouterr().err  # a tqdm bar over the epoch's one batch
    _warm_fit(model, verbose=0)
    assert "progress_bar" not in dict(model.net_.callbacks_)


def test_warm_start_reads_shuffle_max_grad_norm_and_on_divergence_again():
    # sklearn reads every training parameter at every fit; so does a warm start here.
    first = _warm_fit(MLPClassifier(solver="sgd", hidden_layer_sizes=(8,), max_iter=3,
                                    batch_size=30, warm_start=True, random_state=0))
    weights = [coef.copy() for coef in first.coefs_]
    # Gradients clipped to a norm of 1e-9 barely move the weights...
    clipped = _warm_fit(copy.deepcopy(first), max_grad_norm=1e-9)
    assert max(np.abs(new - old).max() for new, old in zip(clipped.coefs_, weights)) < 1e-8
    # ...and lifting the clipping lets them move again.
    lifted = _warm_fit(clipped, max_grad_norm=None)
    assert max(np.abs(new - old).max() for new, old in zip(lifted.coefs_, weights)) > 1e-3
    # L-BFGS never clips (its line search needs the true gradient): switching to it
    # drops the clipping of the previous fit.
    runs = [_warm_fit(copy.deepcopy(clipped), solver="lbfgs", max_grad_norm=norm).loss_curve_
            for norm in (1e-9, None)]
    assert runs[0] == runs[1]
    # shuffle=False: batches in the rows' order, whatever the fit's seed.
    in_order = [_warm_fit(copy.deepcopy(first), shuffle=shuffle).loss_curve_
                for shuffle in (True, False)]
    assert in_order[0] != in_order[1]
    # on_divergence: a warm start that diverges stops, as asked, instead of raising.
    diverging = copy.deepcopy(first).set_params(on_divergence="stop", learning_rate_init=1e10)
    with pytest.warns(ConvergenceWarning, match="diverged at epoch 4"):
        diverging.fit(X_iris, y_iris)
    assert diverging.n_iter_ == 0 and len(diverging.loss_curve_) == 3
    np.testing.assert_array_equal(diverging.predict_proba(X_iris), first.predict_proba(X_iris))


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


# -- coefs_ / intercepts_ are the network's weights ----------------------------------


def _fitted_classifier(**params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return MLPClassifier(hidden_layer_sizes=(5,), max_iter=3, random_state=0,
                             **params).fit(X_iris, y_iris)


@BOTH_CLASSIFIERS
def test_coefs_assignment_changes_the_network(Classifier):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = Classifier(hidden_layer_sizes=(5,), max_iter=3, random_state=0).fit(X_iris,
                                                                                    y_iris)
    model.coefs_ = [np.zeros_like(coef) for coef in model.coefs_]
    model.intercepts_ = [np.zeros_like(intercept) for intercept in model.intercepts_]
    np.testing.assert_allclose(model.predict_proba(X_iris[:3]), 1 / 3)
    # One item at a time, as sklearn's own test_fit sets them.
    model.intercepts_[1] = np.array([0.0, 0.0, 5.0])
    np.testing.assert_array_equal(model.predict(X_iris[:3]), [2, 2, 2])


@BOTH_CLASSIFIERS
def test_coefs_in_place_edits_change_the_network(Classifier):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = Classifier(hidden_layer_sizes=(5,), max_iter=3, random_state=0).fit(X_iris,
                                                                                    y_iris)
    coefs, intercepts = model.coefs_, model.intercepts_
    for array in (*coefs, *intercepts):
        array[:] = 0
    module = getattr(model, "module_", None)
    if module is not None and next(module.parameters()).device.type != "cpu":
        # On a GPU coefs_ are copies (numpy cannot view device memory), as their
        # docstring says: in-place edits change the network once assigned back.
        assert not np.allclose(model.predict_proba(X_iris[:3]), 1 / 3)
        model.coefs_, model.intercepts_ = coefs, intercepts
    np.testing.assert_allclose(model.predict_proba(X_iris[:3]), 1 / 3)
    assert [coef.shape for coef in model.coefs_] == [(4, 5), (5, 3)]
    assert [intercept.shape for intercept in model.intercepts_] == [(5,), (3,)]


def test_warm_start_continues_from_assigned_weights():
    model = _fitted_classifier(solver="sgd", learning_rate_init=1e-9, momentum=0.0)
    model.coefs_ = [np.zeros_like(coef) for coef in model.coefs_]
    model.intercepts_ = [np.zeros_like(intercept) for intercept in model.intercepts_]
    model.set_params(warm_start=True, max_iter=1)
    with pytest.warns(ConvergenceWarning):
        model.fit(X_iris, y_iris)
    np.testing.assert_allclose(model.predict_proba(X_iris[:3]), 1 / 3, atol=1e-6)


def test_coefs_refuse_wrong_shapes_and_unfitted():
    model = _fitted_classifier()
    with pytest.raises(ValueError, match=re.escape("coefs_[0] must have shape (4, 5), got (5, 4)")):
        model.coefs_ = [np.zeros((5, 4)), np.zeros((5, 3))]
    with pytest.raises(ValueError, match="intercepts_ needs 2 arrays, one per layer; got 1"):
        model.intercepts_ = [np.zeros(5)]
    assert not hasattr(MLPClassifier(), "coefs_")


# -- sparse input stays sparse ------------------------------------------------------


@pytest.mark.parametrize("params", [{}, {"early_stopping": True}, {"solver": "lbfgs"}],
                         ids=["adam", "early_stopping", "lbfgs"])
def test_sparse_input_gives_the_dense_results(params):
    # sklearn's test_sparse_matrices: CSR and dense give the same model.
    X, y = X_digits_binary[:100], y_digits_binary[:100]
    model = MLPClassifier(hidden_layer_sizes=(15,), max_iter=20, random_state=1, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        dense = model.fit(X, y).predict_proba(X)
        from_sparse = model.fit(sparse.csr_matrix(X), y)
    np.testing.assert_array_equal(from_sparse.predict_proba(sparse.csr_matrix(X)), dense)
    np.testing.assert_array_equal(from_sparse.predict_proba(X), dense)


def test_sparse_input_is_densified_a_batch_at_a_time(monkeypatch):
    n_samples, n_features = 3000, 10000  # 120 MB dense in float32
    X = sparse.random(n_samples, n_features, density=5e-4, format="csr", random_state=0)
    y = np.random.default_rng(0).integers(0, 2, n_samples)
    densified = []
    toarray = sparse.csr_matrix.toarray

    def spy(matrix, *args, **kwargs):
        densified.append(matrix.shape[0])
        return toarray(matrix, *args, **kwargs)

    model = MLPClassifier(hidden_layer_sizes=(4,), max_iter=1, early_stopping=True,
                          random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X[:100], y[:100])  # what torch imports on a first fit is not measured
        monkeypatch.setattr(sparse.csr_matrix, "toarray", spy)
        tracemalloc.start()
        try:
            model.fit(X, y)
            model.predict_proba(X)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    # A training batch (min(200, n_samples) rows) or a prediction chunk (2**22 values).
    assert densified and max(densified) <= 2**22 // n_features
    assert peak < 0.25 * n_samples * n_features * 4


# -- skorch callbacks with their default arguments ----------------------------------


@pytest.mark.parametrize("early_stopping", [False, True], ids=["no_validation", "validation"])
@pytest.mark.parametrize("make_callback", [
    lambda path: Checkpoint(dirname=path), lambda path: EarlyStopping(),
    lambda path: LRScheduler(), lambda path: ProgressBar()],
    ids=["Checkpoint", "EarlyStopping", "LRScheduler", "ProgressBar"])
def test_skorch_callbacks_with_default_arguments(make_callback, early_stopping, tmp_path):
    callback = make_callback(str(tmp_path))
    model = MLPClassifier(hidden_layer_sizes=(5,), max_iter=4, early_stopping=early_stopping,
                          callbacks=[callback], random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_iris, y_iris)
    history = model.history_
    assert {"train_loss", "train_loss_best", "dur"} <= set(history.columns)
    if early_stopping:
        assert {"valid_loss", "valid_loss_best"} <= set(history.columns)
        expected = [loss < min(history["valid_loss"][:i], default=np.inf)
                    for i, loss in enumerate(history["valid_loss"])]
        assert list(history["valid_loss_best"]) == expected
    if isinstance(callback, Checkpoint):
        assert history["event_cp"].iloc[0]
        assert (tmp_path / "params.pt").exists()
    if isinstance(callback, LRScheduler):
        assert "event_lr" in history.columns
    # The estimator's own copy was changed, never the user's callback.
    assert getattr(callback, "monitor", "valid_loss").startswith("valid_") or isinstance(
        callback, (LRScheduler, ProgressBar))


def test_checkpoint_without_validation_keeps_the_best_training_loss(tmp_path):
    # What the docs suggest: Checkpoint() saves the weights of the best epoch.
    model = MLPClassifier(hidden_layer_sizes=(5,), max_iter=6, random_state=0,
                          callbacks=[Checkpoint(dirname=str(tmp_path))])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_iris, y_iris)
    saved = model.history_["event_cp"].to_numpy()
    np.testing.assert_array_equal(saved, model.history_["train_loss_best"].to_numpy())
    model.net_.load_params(f_params=str(tmp_path / "params.pt"))


def test_checkpoint_load_best_gives_the_best_weights_and_keeps_the_whole_fit(tmp_path):
    # skorch's Checkpoint(load_best=True) loads its saved history with the best
    # weights as training ends; the estimator keeps reporting the fit it ran.
    params = dict(hidden_layer_sizes=(8,), learning_rate_init=0.5, max_iter=12, random_state=0)
    callback = Checkpoint(monitor="train_loss_best", load_best=True, dirname=str(tmp_path))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = MLPClassifier(callbacks=[callback], **params).fit(X_iris, y_iris)
        plain = MLPClassifier(**params).fit(X_iris, y_iris)
    assert model.n_iter_ == len(model.loss_curve_) == len(model.history_) == 12
    assert model.loss_curve_ == plain.loss_curve_
    best = int(np.argmin(model.loss_curve_)) + 1
    assert best < 12  # the rate of 0.5 makes the last epoch not the best
    at_best = MLPClassifier(**{**params, "max_iter": best})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        at_best.fit(X_iris, y_iris)
    np.testing.assert_array_equal(model.predict_proba(X_iris), at_best.predict_proba(X_iris))


# -- scikit-learn's own scenarios, side by side --------------------------------------

FITTED_ATTRIBUTES = ["coefs_", "intercepts_", "n_layers_", "n_outputs_", "out_activation_",
                     "loss_", "best_loss_", "loss_curve_", "validation_scores_",
                     "best_validation_score_", "t_", "n_iter_", "n_features_in_"]


def _describe(value):
    """Type, dtype and shape of a fitted attribute (of each item, for a list)."""
    if isinstance(value, list):
        return ("list", [_describe(item) for item in value])
    return (type(value).__name__, str(getattr(value, "dtype", "")),
            getattr(value, "shape", None))


@pytest.mark.parametrize("params", [{}, {"early_stopping": True}, {"solver": "sgd"}],
                         ids=["adam", "early_stopping", "sgd"])
@pytest.mark.parametrize("task", ["multiclass", "binary", "multilabel", "regression",
                                  "multioutput"])
def test_fitted_attributes_match_sklearn(task, params):
    # float64 data and precision='float64': sklearn's dtypes (float32 data with
    # the default precision gives float32, as in sklearn).
    if task == "multilabel":
        X, y = make_multilabel_classification(n_samples=60, random_state=0)
    elif task in ("regression", "multioutput"):
        X, y = make_regression(n_samples=60, n_features=4, n_targets=1 + 2 * (task != "regression"),
                               random_state=0)
    else:
        X, y = X_iris, y_iris if task == "multiclass" else (y_iris > 0)
    ours, theirs = ((MLPRegressor, sk.MLPRegressor) if "regression" in task or task ==
                    "multioutput" else (MLPClassifier, sk.MLPClassifier))
    kwargs = dict(hidden_layer_sizes=(6, 4), max_iter=4, random_state=0, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mine = ours(precision="float64", **kwargs).fit(X, y)
        reference = theirs(**kwargs).fit(X, y)
    for name in FITTED_ATTRIBUTES + (["classes_"] if ours is MLPClassifier else []):
        assert _describe(getattr(mine, name)) == _describe(getattr(reference, name)), name
    assert mine.out_activation_ == reference.out_activation_
    assert mine.n_layers_ == reference.n_layers_ == 4
    assert mine.n_iter_ == reference.n_iter_
    assert len(mine.loss_curve_) == len(reference.loss_curve_)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_param_dtypes(dtype, Estimator):
    # sklearn's test_mlp_param_dtypes; float64 weights need precision='float64'.
    precision = "float64" if dtype == np.float64 else "float32"
    X = _X_digits.astype(dtype)
    model = Estimator(alpha=1e-5, hidden_layer_sizes=(5, 3), random_state=1, max_iter=50,
                      tol=1e-1, precision=precision).fit(X[:300], _y_digits[:300])
    assert all(coef.dtype == dtype for coef in model.coefs_)
    assert all(intercept.dtype == dtype for intercept in model.intercepts_)
    if Estimator is MLPRegressor:
        assert model.predict(X[300:]).dtype == dtype


@BOTH_CLASSIFIERS
def test_predict_proba_binary(Classifier):
    # sklearn's test_predict_proba_binary.
    X, y = X_digits_binary[:50], y_digits_binary[:50]
    model = Classifier(hidden_layer_sizes=5, activation="logistic", random_state=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    proba, log_proba = model.predict_proba(X), model.predict_log_proba(X)
    assert proba.shape == (50, 2)
    np.testing.assert_array_equal(proba.argmax(axis=1), log_proba.argmax(axis=1))
    np.testing.assert_allclose(log_proba, np.log(proba), rtol=1e-6)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)
    from sklearn.metrics import roc_auc_score

    assert roc_auc_score(y, proba[:, 1]) == 1.0


@BOTH_CLASSIFIERS
def test_predict_proba_multiclass(Classifier):
    # sklearn's test_predict_proba_multiclass.
    X, y = X_digits_multi[:10], y_digits_multi[:10]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = Classifier(hidden_layer_sizes=5).fit(X, y)
    proba, log_proba = model.predict_proba(X), model.predict_log_proba(X)
    assert proba.shape == (10, 3)
    np.testing.assert_array_equal(proba.argmax(axis=1), log_proba.argmax(axis=1))
    np.testing.assert_allclose(log_proba, np.log(proba), rtol=1e-6)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)


@BOTH_CLASSIFIERS
def test_predict_proba_multilabel(Classifier):
    # sklearn's test_predict_proba_multilabel: no softmax, so rows need not sum to 1.
    X, Y = make_multilabel_classification(n_samples=50, random_state=0)
    model = Classifier(solver="lbfgs", hidden_layer_sizes=30, random_state=0).fit(X, Y)
    proba = model.predict_proba(X)
    assert proba.shape == Y.shape
    np.testing.assert_array_equal(proba > 0.5, Y)
    assert (proba.sum(1) - 1).dot(proba.sum(1) - 1) > 1e-10
    # Ours is computed from the logits, so it keeps what log(proba) rounds to 0.
    np.testing.assert_allclose(model.predict_log_proba(X), np.log(proba), rtol=1e-5,
                               atol=1e-10)


@pytest.mark.parametrize("Estimator", [MLPClassifier, sk.MLPClassifier, MLPRegressor,
                                       sk.MLPRegressor])
def test_early_stopping(Estimator):
    # sklearn's test_early_stopping.
    X, y = X_digits_binary[:100], y_digits_binary[:100]
    tol = 0.2
    model = Estimator(tol=tol, max_iter=3000, solver="sgd", early_stopping=True).fit(X, y)
    assert model.max_iter > model.n_iter_
    assert model.best_loss_ is None
    assert isinstance(model.validation_scores_, list)
    assert len(model.validation_scores_) == model.n_iter_
    assert max(model.validation_scores_) == model.best_validation_score_
    assert model.best_validation_score_ + tol > model.validation_scores_[-2]
    assert model.best_validation_score_ + tol > model.validation_scores_[-1]
    model = Estimator(tol=tol, max_iter=3000, solver="sgd", early_stopping=False).fit(X, y)
    assert model.validation_scores_ is None
    assert model.best_validation_score_ is None
    assert model.best_loss_ is not None


@BOTH_CLASSIFIERS
def test_early_stopping_is_stratified(Classifier):
    # sklearn's test_early_stopping_stratified: the same error from the split.
    with pytest.raises(ValueError, match="The least populated classes in y have only 1 member"):
        Classifier(early_stopping=True).fit([[1, 2], [2, 3], [3, 4], [4, 5]], [0, 0, 0, 1])


@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_early_stopping_errors(Estimator):
    # sklearn's test_mlp_partial_fit_after_fit and test_minimum_input_sample_size.
    model = Estimator(early_stopping=True, max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_iris, y_iris)
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping=True"):
        model.partial_fit(X_iris, y_iris)
    X, y = make_regression(n_samples=2, n_features=5, random_state=0)
    with pytest.raises(ValueError, match="The validation set is too small"):
        MLPRegressor(early_stopping=True, random_state=0).fit(X, y)


def test_early_stopping_with_string_labels_and_sample_weight():
    # sklearn's test_mlp_early_stopping_string_labels and
    # test_mlp_sample_weight_with_early_stopping.
    labels = np.array(["class_a", "class_b", "class_c"], dtype=object)
    model = MLPClassifier(early_stopping=True, max_iter=5, hidden_layer_sizes=(10,),
                          random_state=42)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_iris, labels[y_iris])
    assert len(model.validation_scores_) == model.n_iter_
    assert np.isfinite(model.validation_scores_).all()
    X, y = make_regression(n_samples=100, n_features=2, n_informative=2, random_state=42)
    params = dict(hidden_layer_sizes=10, early_stopping=True, tol=1e-2, learning_rate_init=0.01,
                  batch_size=10, random_state=42)
    weighted = MLPRegressor(**params).fit(X, y, sample_weight=np.ones_like(y))
    np.testing.assert_allclose(weighted.predict(X), MLPRegressor(**params).fit(X, y).predict(X))


@BOTH_CLASSIFIERS
def test_warm_start_refuses_new_classes(Classifier):
    # sklearn's test_warm_start, with its exact message.
    model = Classifier(hidden_layer_sizes=2, solver="lbfgs", warm_start=True, random_state=42,
                       tol=1e-2).fit(X_iris, y_iris)
    model.fit(X_iris, y_iris)
    y_4classes = np.array([0] * 37 + [1] * 37 + [2] * 38 + [3] * 38)
    message = ("warm_start can only be used where `y` has the same classes as in the previous "
               "call to fit. Previously got [0 1 2], `y` has [0 1 2 3]")
    with pytest.raises(ValueError, match=re.escape(message)):
        model.fit(X_iris, y_4classes)


@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_warm_start_full_iteration(Estimator):
    # sklearn's test_warm_start_full_iteration.
    model = Estimator(hidden_layer_sizes=2, solver="sgd", warm_start=True, max_iter=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_iris, y_iris)
        assert model.n_iter_ == 3
        model.fit(X_iris, y_iris)
        assert model.n_iter_ == 3
    assert len(model.loss_curve_) == 6


@pytest.mark.parametrize("Classifier", [MLPClassifier, sk.MLPClassifier], ids=["ours", "sklearn"])
def test_tolerance_and_n_iter_no_change(Classifier):
    # sklearn's test_tolerance, test_n_iter_no_change and test_n_iter_no_change_inf.
    assert Classifier(tol=0.5, max_iter=3000, solver="sgd").fit([[3, 2], [1, 6]],
                                                                [1, 0]).n_iter_ < 3000
    X, y = X_digits_binary[:100], y_digits_binary[:100]
    for n_iter_no_change in [2, 5]:
        model = Classifier(tol=0.01, max_iter=3000, solver="sgd",
                           n_iter_no_change=n_iter_no_change).fit(X, y)
        assert n_iter_no_change < model.n_iter_ < 3000
    model = Classifier(tol=1e9, max_iter=30, solver="sgd", n_iter_no_change=np.inf)
    with pytest.warns(ConvergenceWarning, match="Stochastic Optimizer: Maximum iterations "
                                                r"\(30\) reached"):
        model.fit(X, y)
    assert model.n_iter_ == 30


def _current_learning_rate(model):
    """sklearn's private ``_optimizer.learning_rate``; ours through the public ``net_``."""
    if isinstance(model, sk.MLPClassifier):
        return model._optimizer.learning_rate
    return model.net_.optimizer_.param_groups[0]["lr"]


@BOTH_CLASSIFIERS
def test_learning_rate_schedules_as_sklearn(Classifier):
    # sklearn's test_learning_rate_warmstart and test_adaptive_learning_rate, which read
    # sklearn's private _optimizer: the rates are sklearn's.
    X, y = [[3, 2], [1, 6], [5, 6], [-2, -4]], [1, 1, 1, 0]
    rates = {}
    for learning_rate in ["invscaling", "constant"]:
        model = Classifier(solver="sgd", hidden_layer_sizes=4, learning_rate=learning_rate,
                           max_iter=1, power_t=0.25, warm_start=True, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X, y)
            rates[learning_rate] = [_current_learning_rate(model)]
            model.fit(X, y)
            rates[learning_rate].append(_current_learning_rate(model))
        assert model.t_ == 8  # carried over the warm start: 4 samples an epoch, 2 epochs
    np.testing.assert_allclose(rates["invscaling"], [0.001 / 5 ** 0.25, 0.001 / 9 ** 0.25],
                               rtol=1e-12)
    assert rates["constant"] == [0.001, 0.001]
    model = Classifier(tol=0.5, max_iter=3000, solver="sgd", learning_rate="adaptive",
                       random_state=0).fit([[3, 2], [1, 6]], [1, 0])
    assert model.max_iter > model.n_iter_
    # Divided by 5 at each plateau, down to below 1e-6 where training stops.
    rate = _current_learning_rate(model)
    assert rate < 1e-6
    assert np.log(0.001 / rate) / np.log(5) == pytest.approx(5)


_SAME_START_SOLVERS = {
    # sklearn's velocity is the step itself (v = momentum * v - rate * gradient),
    # built with the rates of the steps that made it; torch's momentum buffer is a
    # sum of gradients that the current rate scales. The same while the rate holds;
    # after a change of rate ('invscaling' at every epoch, 'adaptive' at a plateau)
    # only sklearn's kept the step it had.
    "sgd-invscaling-momentum": dict(solver="sgd", learning_rate="invscaling", momentum=0.9,
                                    nesterovs_momentum=False),
    "sgd-invscaling-nesterov": dict(solver="sgd", learning_rate="invscaling", momentum=0.9),
    "sgd-adaptive-momentum": dict(solver="sgd", learning_rate="adaptive", momentum=0.9,
                                  nesterovs_momentum=False),
    "sgd-adaptive-nesterov": dict(solver="sgd", learning_rate="adaptive", momentum=0.9),
    # sklearn adds epsilon to the root of Adam's raw second moment, torch to the
    # bias-corrected one: the steps differed on the weights of the always-zero pixels
    # of digits, and by far with a large epsilon.
    "adam": dict(solver="adam", learning_rate_init=0.01),
    "adam-epsilon": dict(solver="adam", learning_rate_init=0.01, epsilon=1e-3),
}


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "sample_weight"])
@pytest.mark.parametrize("batch_size", [100, 30])
@pytest.mark.parametrize("solver", list(_SAME_START_SOLVERS))
def test_stochastic_solvers_step_as_sklearn_from_the_same_start(solver, batch_size, weighted):
    # From the same weights, batches in order: the same weights and loss curve.
    X, y = X_digits_binary[:100], y_digits_binary[:100]
    weight = np.random.default_rng(0).uniform(0.2, 3.0, len(y)) if weighted else None
    params = {"learning_rate_init": 0.2, "hidden_layer_sizes": 8, "batch_size": batch_size,
              "shuffle": False, "alpha": 0.01, "random_state": 0, "warm_start": True,
              "max_iter": 1, "tol": 10.0, "n_iter_no_change": 1, **_SAME_START_SOLVERS[solver]}
    ours = MLPClassifier(precision="float64", **params)
    theirs = sk.MLPClassifier(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours.fit(X, y, sample_weight=weight)
        theirs.fit(X, y, sample_weight=weight)
        theirs.coefs_ = [coef.copy() for coef in ours.coefs_]
        theirs.intercepts_ = [intercept.copy() for intercept in ours.intercepts_]
        ours.set_params(max_iter=8)
        theirs.set_params(max_iter=8)
        ours.fit(X, y, sample_weight=weight)
        theirs.fit(X, y, sample_weight=weight)
    if solver.startswith("sgd"):  # sklearn's Adam reports its bias-corrected rate
        assert _current_learning_rate(ours) == pytest.approx(_current_learning_rate(theirs))
    if "adaptive" in solver:
        # tol=10: every epoch is a plateau, the rate divided by 5 every 2.
        assert _current_learning_rate(ours) < 0.2 / 10
    # The first fit's loss, each from its own initial weights, is left out.
    np.testing.assert_allclose(ours.loss_curve_[1:], theirs.loss_curve_[1:], rtol=1e-9)
    for mine, sklearns in zip(ours.coefs_ + ours.intercepts_,
                              theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(mine, sklearns, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("solver", ["sgd-invscaling-nesterov", "adam-epsilon"])
def test_regressor_steps_as_sklearn_from_the_same_start(solver):
    # sklearn's objective (standardize_target=False): the same weights, two outputs.
    X, y = make_regression(n_samples=60, n_features=5, n_targets=2, noise=1.0, random_state=0)
    params = {"learning_rate_init": 0.01, "hidden_layer_sizes": (6, 4), "batch_size": 20,
              "shuffle": False, "alpha": 0.01, "random_state": 0, "warm_start": True,
              "max_iter": 1, "activation": "tanh", **_SAME_START_SOLVERS[solver]}
    ours = MLPRegressor(precision="float64", standardize_target=False, **params)
    theirs = sk.MLPRegressor(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours.fit(X, y / 100)
        theirs.fit(X, y / 100)
        theirs.coefs_ = [coef.copy() for coef in ours.coefs_]
        theirs.intercepts_ = [intercept.copy() for intercept in ours.intercepts_]
        ours.set_params(max_iter=8)
        theirs.set_params(max_iter=8)
        ours.fit(X, y / 100)
        theirs.fit(X, y / 100)
    # scikit-learn reports the squared error's mean over the outputs but steps
    # along the gradient of their sum (its issue #8349), which ours reports.
    for mine, sklearns in zip(ours.coefs_ + ours.intercepts_,
                              theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(mine, sklearns, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("epsilon", [1e-8, 1e-3])
def test_sklearn_adam_steps_as_sklearns_adam_optimizer_across_a_reload(epsilon):
    # Gradients near epsilon's size, where its placement decides the step.
    from sklearn.neural_network._stochastic_optimizers import AdamOptimizer

    rng = np.random.default_rng(0)
    grads = rng.normal(scale=1e-4, size=(8, 5))
    reference = [rng.normal(size=5)]
    theirs = AdamOptimizer(reference, learning_rate_init=0.01, epsilon=epsilon)
    param = torch.nn.Parameter(torch.tensor(reference[0]))
    ours = SklearnAdam([param], lr=0.01, eps=epsilon, fused=True)
    for step, grad in enumerate(grads):
        theirs.update_params(reference, [grad.copy()])
        param.grad = torch.tensor(grad)
        ours.step()
        np.testing.assert_allclose(param.detach().numpy(), reference[0], rtol=1e-12, atol=0)
        if step == 3:  # a state loaded mid-way goes on counting from its steps
            state = ours.state_dict()
            ours = SklearnAdam([param], lr=0.01, eps=epsilon, fused=True)
            ours.load_state_dict(state)


def test_regressor_defaults_fit_the_data_of_sklearns_docstring_example():
    # scikit-learn's MLPRegressor docstring data (targets of variance about 4e4):
    # with every default, scikit-learn's stops after 200 epochs at R^2 0.13; on the
    # standardised targets ours reaches 0.93. (Its example's tol=0.1, meant for the
    # raw targets, is in standardised units here, where the loss starts near 0.5.)
    X, y = make_regression(n_samples=200, n_features=20, random_state=1)
    X_train, X_test, y_train, y_test = X[50:], X[:50], y[50:], y[:50]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        assert MLPRegressor(random_state=1).fit(X_train, y_train).score(X_test, y_test) > 0.85


@pytest.mark.parametrize("Classifier", [MLPClassifier, sk.MLPClassifier], ids=["ours", "sklearn"])
def test_alpha_shrinks_weights(Classifier):
    # sklearn's test_alpha.
    X, y = X_digits_binary[:100], y_digits_binary[:100]
    sums = []
    for alpha in [0, 1]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = Classifier(hidden_layer_sizes=10, alpha=alpha, random_state=1).fit(X, y)
        sums.append([np.abs(coef).sum() for coef in model.coefs_])
    assert (np.array(sums[0]) > np.array(sums[1])).all()


def test_shuffle():
    # sklearn's test_shuffle: same settings, same weights; shuffling changes them.
    X, y = make_regression(n_samples=50, n_features=5, random_state=0)

    def first_layer(shuffle):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return MLPRegressor(hidden_layer_sizes=1, max_iter=1, batch_size=1, random_state=0,
                                shuffle=shuffle).fit(X, y).coefs_[0]

    for shuffle in [True, False]:
        np.testing.assert_array_equal(first_layer(shuffle), first_layer(shuffle))
    assert not np.array_equal(first_layer(True), first_layer(False))


def test_partial_fit_equals_fit():
    # sklearn's test_partial_fit_classification and test_partial_fit_regression.
    model = MLPClassifier(solver="sgd", max_iter=100, random_state=1, tol=0, alpha=1e-5,
                          learning_rate_init=0.2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fitted = model.fit(X_digits_multi, y_digits_multi).predict(X_digits_multi)
    incremental = MLPClassifier(solver="sgd", random_state=1, alpha=1e-5, learning_rate_init=0.2)
    for _ in range(100):
        incremental.partial_fit(X_digits_multi, y_digits_multi, classes=[0, 1, 2])
    np.testing.assert_array_equal(incremental.predict(X_digits_multi), fitted)
    assert incremental.score(X_digits_multi, y_digits_multi) > 0.95
    params = dict(solver="sgd", random_state=1, learning_rate_init=0.01, batch_size=200)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fitted = MLPRegressor(max_iter=100, **params).fit(X_reg, y_reg).predict(X_reg)
    incremental = MLPRegressor(**params)
    for _ in range(100):
        incremental.partial_fit(X_reg, y_reg)
    np.testing.assert_allclose(incremental.predict(X_reg), fitted, rtol=1e-4, atol=1e-4)
    assert incremental.score(X_reg, y_reg) > 0.65


def test_multilabel_partial_fit():
    # sklearn's test_multilabel_classification, partial_fit part.
    X, Y = make_multilabel_classification(n_samples=50, random_state=0)
    model = MLPClassifier(solver="sgd", hidden_layer_sizes=50, random_state=0,
                          activation="logistic", alpha=1e-5, learning_rate_init=0.2)
    for _ in range(100):
        model.partial_fit(X, Y, classes=[0, 1, 2, 3, 4])
    assert model.score(X, Y) > 0.9
    MLPClassifier(early_stopping=True, max_iter=3).fit(X, Y).predict(X)


def test_partial_fit_after_joblib_round_trip(tmp_path):
    # sklearn's test_mlp_loading_from_joblib_partial_fit.
    import joblib

    model = MLPRegressor(hidden_layer_sizes=(42,), random_state=42, learning_rate_init=0.01,
                         max_iter=200).fit([[2]], [4])
    joblib.dump(model, tmp_path / "mlp.pkl")
    loaded = joblib.load(tmp_path / "mlp.pkl")
    for _ in range(200):
        loaded.partial_fit([[2]], [1])
    np.testing.assert_allclose(loaded.predict([[2]]), [1], rtol=1e-4)


@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor, sk.MLPClassifier,
                                       sk.MLPRegressor])
def test_nonfinite_inputs_raise_value_error(Estimator):
    # sklearn's test_nonfinite_params: a ValueError, never non-finite weights. Seeded:
    # sklearn's own MLPClassifier fits without an error from some initialisations
    # (random_state 6, 10, 15, ...), which made the unseeded test flaky.
    rng = np.random.RandomState(0)
    X = np.finfo(np.float64).max * rng.uniform(size=(10, 2))
    y = rng.standard_normal(size=10) > 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError):
            Estimator(random_state=0).fit(X, y)


def test_nonfinite_weights_raise_value_error_in_float64():
    # sklearn's test_nonfinite_params (an MLPRegressor), in sklearn's own float64: X
    # within float64's range, a loss that overflows. sklearn raises a ValueError
    # ("Solver produced non-finite parameter weights"); ours a DivergenceError, which is
    # a ValueError too, so code written for sklearn's error catches it.
    rng = np.random.RandomState(0)
    X = np.finfo(np.float64).max * rng.uniform(size=(10, 2))
    y = rng.standard_normal(size=10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # sklearn's overflow in numpy
        with pytest.raises(ValueError, match="Solver produced non-finite parameter weights"):
            sk.MLPRegressor(random_state=0).fit(X, y)
    model = MLPRegressor(random_state=0, precision="float64")
    with pytest.raises(ValueError, match="Training diverged at epoch 1: the loss became"):
        model.fit(X, y)
    assert issubclass(DivergenceError, FloatingPointError)
    with pytest.raises(NotFittedError):
        model.predict(X)


@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_feature_names_with_early_stopping(Estimator):
    # sklearn's test_preserve_feature_names: no UserWarning about feature names.
    pd = pytest.importorskip("pandas")
    rng = np.random.RandomState(0)
    X = pd.DataFrame(rng.randn(10, 2), columns=["colname_a", "colname_b"])
    y = pd.Series(np.arange(10) % 2, name="colname_y")
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        Estimator(early_stopping=True, validation_fraction=0.2, max_iter=3).fit(X, y)
