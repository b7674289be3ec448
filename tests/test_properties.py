"""Property-based tests over random shapes and dtypes, and interruption by Ctrl-C."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from skorch.callbacks import Callback

from sklearn_dl.linear_model import LogisticRegression, Ridge
from sklearn_dl.neural_network import MLPClassifier, MLPRegressor

shapes = st.tuples(st.integers(2, 30), st.integers(1, 6))
dtypes = st.sampled_from([np.float64, np.float32, np.int64])


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape=shapes, dtype=dtypes, n_classes=st.integers(2, 4), seed=st.integers(0, 1000))
def test_classifiers_predict_valid_labels_and_probabilities(shape, dtype, n_classes, seed):
    rng = np.random.default_rng(seed)
    n_samples, n_features = shape
    X = (rng.normal(size=shape) * 5).astype(dtype)
    y = np.arange(n_samples) % n_classes
    n_classes = len(np.unique(y))  # fewer samples than classes: only those present
    for model in (MLPClassifier(hidden_layer_sizes=(4,), max_iter=3, random_state=0),
                  LogisticRegression(max_iter=20)):
        model.fit(X, y)
        proba = model.predict_proba(X)
        assert proba.shape == (n_samples, n_classes)
        np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)
        assert set(model.predict(X)) <= set(range(n_classes))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape=shapes, dtype=dtypes, n_outputs=st.integers(1, 3), seed=st.integers(0, 1000))
def test_regressors_predict_finite_values_of_the_right_shape(shape, dtype, n_outputs, seed):
    rng = np.random.default_rng(seed)
    X = (rng.normal(size=shape) * 5).astype(dtype)
    y = rng.normal(size=(shape[0], n_outputs)) if n_outputs > 1 else rng.normal(size=shape[0])
    for model in (MLPRegressor(hidden_layer_sizes=(4,), max_iter=3, random_state=0), Ridge()):
        prediction = model.fit(X, y).predict(X)
        assert prediction.shape == y.shape
        assert np.isfinite(prediction).all()


class _InterruptAt(Callback):
    """Plays a user's Ctrl-C at the end of a given epoch."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            raise KeyboardInterrupt


def test_ctrl_c_keeps_a_usable_estimator_with_a_warning():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 3))
    y = (X[:, 0] > 0).astype(int)
    model = MLPClassifier(hidden_layer_sizes=(8,), max_iter=50, learning_rate_init=0.05,
                          random_state=0, callbacks=[("interrupt", _InterruptAt(3))])
    with pytest.warns(UserWarning, match="interrupted"):
        model.fit(X, y)
    assert len(model.loss_curve_) == 3
    assert model.score(X, y) > 0.7
