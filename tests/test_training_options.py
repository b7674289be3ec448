"""Training options shared by every network: mixed precision, torch.compile, divergence."""

import pickle
import warnings

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sklearn_dl import DivergenceError, _training, base
from sklearn_dl.neural_network import (
    CNNClassifier, LSTMRegressor, MLPClassifier, MLPRegressor)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    X, X_test, y, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
    return X, y, X_test, y_test


def _fit_quietly(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


# -- mixed precision ---------------------------------------------------------------


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_mixed_precision_learns_as_well_as_float32(digits, precision):
    X, y, X_test, y_test = digits
    params = {"hidden_layer_sizes": (64,), "max_iter": 20, "learning_rate_init": 0.01,
              "random_state": 0}
    reference = _fit_quietly(MLPClassifier(**params), X, y).score(X_test, y_test)
    model = _fit_quietly(MLPClassifier(**params, precision=precision), X, y)
    assert model.score(X_test, y_test) >= reference - 0.03
    assert reference > 0.95
    # The weights stay float32; the forward passes ran in the low precision.
    assert all(p.dtype == torch.float32 for p in model.module_.parameters())
    assert np.all(np.isfinite(model.loss_curve_))
    proba = model.predict_proba(X_test)
    assert proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)


def test_fp16_scales_gradients_and_pickles(digits):
    X, y, X_test, _ = digits
    model = _fit_quietly(MLPClassifier((32,), max_iter=3, precision="fp16", random_state=0),
                         X, y)
    scaler = model.net_._grad_scaler
    assert scaler.is_enabled() and scaler.get_scale() > 1
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict_proba(X_test), model.predict_proba(X_test))
    restored.partial_fit(X, y)  # a fresh scaler is made for further training
    assert restored.n_iter_ == 1


def test_mixed_precision_cnn_and_regressor(digits):
    X, y, X_test, y_test = digits
    params = {"input_shape": (1, 8, 8), "max_iter": 5, "batch_size": 64,
              "learning_rate_init": 0.01, "random_state": 0}
    reference = _fit_quietly(CNNClassifier(**params), X, y).score(X_test, y_test)
    cnn = _fit_quietly(CNNClassifier(**params, precision="bf16"), X, y)
    assert cnn.score(X_test, y_test) >= reference - 0.03 and reference > 0.9
    target, target_test = X[:, 10] + X[:, 20], X_test[:, 10] + X_test[:, 20]
    params = {"hidden_layer_sizes": (32,), "max_iter": 20, "learning_rate_init": 0.01,
              "random_state": 0}
    reference = _fit_quietly(MLPRegressor(**params), X, target).score(X_test, target_test)
    regressor = _fit_quietly(MLPRegressor(**params, precision="bf16"), X, target)
    assert regressor.score(X_test, target_test) >= reference - 0.03 and reference > 0.9


def test_mixed_precision_refuses_lbfgs(digits):
    X, y, _, _ = digits
    with pytest.raises(ValueError, match="mixed precision.*lbfgs"):
        MLPClassifier(solver="lbfgs", precision="bf16").fit(X, y)
    # A warm start to L-BFGS too, leaving the fitted model as it was.
    model = _fit_quietly(MLPClassifier((8,), max_iter=2, precision="bf16", warm_start=True,
                                       random_state=0), X, y)
    before = model.predict_proba(X)
    with pytest.raises(ValueError, match="mixed precision.*lbfgs"):
        model.set_params(solver="lbfgs").fit(X, y)
    np.testing.assert_array_equal(model.predict_proba(X), before)
    assert model.n_iter_ == 2 and isinstance(model.net_.optimizer_, torch.optim.Adam)


# -- torch.compile -----------------------------------------------------------------


def test_compiled_training_matches_eager(digits):
    X, y, X_test, _ = digits
    params = {"hidden_layer_sizes": (32,), "max_iter": 3, "random_state": 0, "tol": 0}
    eager = _fit_quietly(MLPClassifier(**params), X, y)
    # aot_eager traces forward and backward as inductor does, without generating C++.
    compiled = _fit_quietly(MLPClassifier(**params, compile={"backend": "aot_eager"}), X, y)
    np.testing.assert_allclose(compiled.loss_curve_, eager.loss_curve_, rtol=1e-5)
    np.testing.assert_allclose(compiled.predict_proba(X_test), eager.predict_proba(X_test),
                               rtol=1e-4, atol=1e-6)
    assert type(compiled.module_) is type(eager.module_)  # the plain module is kept
    restored = pickle.loads(pickle.dumps(compiled))
    np.testing.assert_array_equal(restored.predict(X_test), compiled.predict(X_test))


# -- divergence ----------------------------------------------------------------------


class _PoisonAtEpoch(Callback):
    """Makes the loss infinite from the given epoch on (after its weights were saved)."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_begin(self, net, **kwargs):
        if len(net.history) == self.epoch:
            with torch.no_grad():
                next(net.module_.parameters()).fill_(float("inf"))


def test_on_divergence_stop_keeps_the_last_finite_epoch(digits):
    X, y, X_test, _ = digits
    params = {"hidden_layer_sizes": (16,), "random_state": 0, "tol": 0}
    two_epochs = _fit_quietly(MLPClassifier(**params, max_iter=2), X, y)
    model = MLPClassifier(**params, max_iter=10, on_divergence="stop",
                          callbacks=[("poison", _PoisonAtEpoch(3))])
    with pytest.warns(ConvergenceWarning, match="diverged at epoch 3.*weights of epoch 2"):
        model.fit(X, y)
    assert model.n_iter_ == 2 and len(model.loss_curve_) == 2
    assert np.all(np.isfinite(model.loss_curve_))
    np.testing.assert_array_equal(model.predict_proba(X_test), two_epochs.predict_proba(X_test))


def test_on_divergence_raise_keeps_finite_weights_for_partial_fit(digits):
    X, y, X_test, _ = digits
    model = MLPClassifier((16,), random_state=0, callbacks=[("poison", _PoisonAtEpoch(2))])
    classes = np.unique(y)
    model.partial_fit(X, y, classes=classes)
    before = model.predict_proba(X_test)
    with pytest.raises(DivergenceError, match="diverged at epoch 2"):
        model.partial_fit(X, y)
    np.testing.assert_array_equal(model.predict_proba(X_test), before)
    # Diverging again at once restores the same epoch, optimiser moments included
    # (the first restore must not leave the optimiser sharing the guard's buffers).
    callbacks = dict(model.net_.callbacks_)
    callbacks["poison"].epoch = len(model.net_.history) + 1
    with pytest.raises(DivergenceError):
        model.partial_fit(X, y)
    np.testing.assert_array_equal(model.predict_proba(X_test), before)
    moments = [value for state in model.net_.optimizer_.state.values()
               for value in state.values() if isinstance(value, torch.Tensor)]
    assert moments and all(torch.isfinite(value).all() for value in moments)
    # The optimiser state was restored too, so training can go on.
    model.set_params(callbacks=None)
    model.net_.callbacks_ = [(name, cb) for name, cb in model.net_.callbacks_ if name != "poison"]
    model.partial_fit(X, y)
    assert np.all(np.isfinite(model.predict_proba(X_test)))


def test_first_epoch_divergence_raises_even_with_stop():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3)) * 1e30
    model = MLPRegressor(hidden_layer_sizes=(8,), solver="sgd", learning_rate_init=10.0,
                         momentum=0.0, standardize_target=False, max_iter=20,
                         on_divergence="stop")
    with pytest.raises(DivergenceError, match="diverged at epoch 1"):
        model.fit(X, X[:, 0])  # targets of 1e30: still within float32's range
    assert not hasattr(model, "net_")


# -- training data kept in host memory -----------------------------------------------


@pytest.mark.parametrize("Estimator, params", [
    (MLPClassifier, {"hidden_layer_sizes": (16,), "early_stopping": True, "batch_norm": True,
                     "dropout": 0.1}),
    (MLPRegressor, {"hidden_layer_sizes": (16,)}),
    (CNNClassifier, {"filters": (4,), "hidden_layer_sizes": (8,), "input_shape": (1, 8, 8),
                     "augmentation": {"shift": 1}}),
    (LSTMRegressor, {"hidden_size": 8, "input_shape": (8, 8)}),
])
def test_data_kept_on_host_trains_as_on_the_device(digits, monkeypatch, Estimator, params):
    """Data too large for the GPU stays on the host and is copied a batch at a time.

    On a CPU the copy is a no-op, so the result must be bit for bit that of the
    data on the device: same shuffles, batches, weights and validation split.
    """
    X, y, X_test, _ = digits
    y = y if Estimator in (MLPClassifier, CNNClassifier) else X[:, 20] - X[:, 30]
    weights = np.linspace(0.5, 2.0, len(y))
    params = {**params, "max_iter": 3, "batch_size": 64, "random_state": 0, "tol": 0}
    on_device = _fit_quietly_weighted(Estimator(**params), X, y, weights)

    streamed = []
    original = _training._copied_ahead

    def spy(batches, device):
        streamed.append(device)
        return original(batches, device)

    monkeypatch.setattr(base, "keeps_data_on_host", lambda n_bytes, device: True)
    monkeypatch.setattr(_training, "_copied_ahead", spy)
    on_host = _fit_quietly_weighted(Estimator(**params), X, y, weights)
    assert len(streamed) == 3 and all(device.type == "cpu" for device in streamed)
    assert on_host.loss_curve_ == on_device.loss_curve_
    np.testing.assert_array_equal(on_host.predict(X_test), on_device.predict(X_test))


def _fit_quietly_weighted(model, X, y, sample_weight):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y, sample_weight=sample_weight)


def test_only_a_gpu_short_of_memory_keeps_data_on_host():
    assert not _training.keeps_data_on_host(10**15, torch.device("cpu"))
    if torch.cuda.is_available():
        free_bytes, _ = torch.cuda.mem_get_info()
        assert _training.keeps_data_on_host(free_bytes, torch.device("cuda"))
        assert not _training.keeps_data_on_host(free_bytes // 4, torch.device("cuda"))


def test_lbfgs_ignores_gradient_clipping():
    # The line search compares the loss with the gradient's directional derivative:
    # a clipped gradient would disagree with the loss, so lbfgs never clips.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 5))
    y = 10 * X[:, 0] + X[:, 1] ** 2
    fits = [MLPRegressor(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=30,
                         max_grad_norm=norm, standardize_target=False, random_state=0)
            .fit(X, y) for norm in (None, 1e-3)]
    np.testing.assert_array_equal(fits[0].predict(X), fits[1].predict(X))
    clipped = MLPRegressor(hidden_layer_sizes=(8,), max_iter=3, max_grad_norm=1e-3,
                           standardize_target=False, random_state=0).fit(X, y)
    unclipped = MLPRegressor(hidden_layer_sizes=(8,), max_iter=3, standardize_target=False,
                             random_state=0).fit(X, y)
    assert not np.allclose(clipped.predict(X), unclipped.predict(X))
