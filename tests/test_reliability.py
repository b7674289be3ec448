"""Runtime reliability: fits in threads, divergence, Ctrl-C, values float32 cannot hold."""

import copy
import pickle
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from skorch.callbacks import Callback

from sklearn_dl import DivergenceError, TorchClassifier, TorchRegressor
from sklearn_dl.modules import Dropout, use_generator
from sklearn_dl.neural_network import (
    CNNClassifier,
    CNNRegressor,
    LSTMClassifier,
    MLPClassifier,
    MLPRegressor,
)


class _UserNet(torch.nn.Module):
    """A module of a user's own whose dropout is sklearn_dl's."""

    def __init__(self, n_features, n_outputs):
        super().__init__()
        self.layers = torch.nn.Sequential(torch.nn.Linear(n_features, 16), torch.nn.ReLU(),
                                          Dropout(0.3), torch.nn.Linear(16, n_outputs))

    def forward(self, X):
        return self.layers(X)


@pytest.fixture(scope="module")
def data():
    return make_classification(160, 8, n_informative=4, random_state=0)


def _quiet_fit(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


# -- fits in threads ---------------------------------------------------------------

RANDOM_MODELS = {
    "mlp": MLPClassifier((16,), dropout=0.3, batch_size=32, max_iter=4, random_state=0),
    "cnn": CNNClassifier(input_shape=(2, 4), filters=(4,), hidden_layer_sizes=(8,),
                         dropout=0.3, augmentation={"shift": 1, "flip": True, "noise": 0.1,
                                                    "scale": 0.1},
                         early_stopping=True, batch_size=32, max_iter=4, random_state=0),
    "lstm": LSTMClassifier(input_shape=(4, 2), hidden_size=8, num_layers=2, dropout=0.3,
                           batch_size=32, max_iter=4, random_state=0),
    "user_module": TorchClassifier(module=_UserNet, batch_size=32, max_iter=4, random_state=0),
}


@pytest.mark.parametrize("kind", sorted(RANDOM_MODELS))
def test_fits_in_threads_equal_the_serial_fit_and_leave_torch_rng_alone(data, kind):
    # Dropout, augmentation, shuffling and the validation split each draw
    # from the fit's own generators: four clones fitted at once in threads
    # reach the serial result bit for bit, and torch's global generator is
    # where it was.
    X, y = data
    model = RANDOM_MODELS[kind]
    before = torch.get_rng_state()
    serial = _quiet_fit(clone(model), X, y).predict_proba(X)
    assert torch.equal(torch.get_rng_state(), before)
    with ThreadPoolExecutor(4) as pool:
        probas = list(pool.map(lambda _: _quiet_fit(clone(model), X, y).predict_proba(X),
                               range(4)))
    for proba in probas:
        assert_array_equal(proba, serial)
    assert torch.equal(torch.get_rng_state(), before)


def test_use_generator_sets_random_layers_only():
    # A submodule that happens to be called "generator" is left alone.
    class WithChild(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.generator = torch.nn.Linear(2, 2)
            self.dropout = Dropout(0.5)

    generator = torch.Generator()
    module = use_generator(WithChild(), generator)
    assert isinstance(module.generator, torch.nn.Linear)
    assert module.dropout.generator is generator


def test_random_layers_pickle_and_continue(data):
    X, y = data
    model = _quiet_fit(clone(RANDOM_MODELS["lstm"]), X, y)
    loaded = pickle.loads(pickle.dumps(model))
    assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert_array_equal(copy.deepcopy(model).predict_proba(X), model.predict_proba(X))
    # A continuation gets a fresh generator of its own: the same one for both.
    model.partial_fit(X, y)
    loaded.partial_fit(X, y)
    if next(model.module_.parameters()).is_cuda:
        # cuDNN's LSTM gradients may sum in a varying order (docs/gpu.md): the last
        # bits of one epoch differ; other dropout masks would move the outputs far more.
        assert_allclose(loaded.predict_proba(X), model.predict_proba(X), rtol=1e-4)
    else:
        assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


# -- divergence ------------------------------------------------------------------------


class _OverflowWeightsAt(Callback):
    """After the given epoch, sets every weight to 1e30: finite, but the
    outputs overflow float32 (the first layer's 1e30 times the second's)."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            with torch.no_grad():
                for param in net.module_.parameters():
                    param.fill_(1e30)


def test_divergence_stop_never_keeps_weights_whose_outputs_overflow():
    X, y = make_regression(100, 5, random_state=0)
    params = {"hidden_layer_sizes": (8,), "tol": 0, "random_state": 0}
    reference = _quiet_fit(MLPRegressor(**params, max_iter=2), X, y)
    model = MLPRegressor(**params, max_iter=10, on_divergence="stop",
                         callbacks=[("overflow", _OverflowWeightsAt(3))])
    with pytest.warns(ConvergenceWarning, match="diverged at epoch 4.*weights of epoch 2"):
        model.fit(X, y)
    # Epoch 3's last step left weights whose outputs are infinite: epoch 2's are kept.
    assert model.n_iter_ == 2 and len(model.loss_curve_) == 2
    assert_array_equal(model.predict(X), reference.predict(X))


class _InfiniteWeightAfterEpoch(Callback):
    """Sets one weight to infinity after the last batch of the given epoch,
    whose loss (taken before each step) stays finite."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_batch_end(self, net, **kwargs):
        if len(net.history) == self.epoch and len(net.history[-1]["batches"]) == 1:
            with torch.no_grad():
                next(net.module_.parameters())[0, 0] = float("inf")


def test_divergence_checks_the_weights_not_only_the_loss():
    X, y = make_regression(100, 5, random_state=0)
    params = {"hidden_layer_sizes": (8,), "batch_size": 100, "tol": 0, "random_state": 0}
    reference = _quiet_fit(MLPRegressor(**params, max_iter=2), X, y)
    model = MLPRegressor(**params, max_iter=10, on_divergence="stop",
                         callbacks=[("inf", _InfiniteWeightAfterEpoch(3))])
    with pytest.warns(ConvergenceWarning, match="diverged at epoch 3: the weights became "
                                                "non-finite.*weights of epoch 2"):
        model.fit(X, y)
    assert model.n_iter_ == 2
    assert_array_equal(model.predict(X), reference.predict(X))


class _OverflowWeightsInLastBatch(Callback):
    """Sets every weight to 1e30 after the last batch of the given epoch (one batch
    an epoch): the epoch's loss was taken before, so it is finite, and so are the
    weights; the outputs overflow."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_batch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            with torch.no_grad():
                for param in net.module_.parameters():
                    param.fill_(1e30)


def test_keep_best_with_divergence_stop_never_keeps_weights_whose_outputs_overflow():
    # Epoch 3 has the lowest training loss so far, but its last step left weights
    # whose outputs overflow: epoch 4 diverges, and keep_best must not bring them back.
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 1, 16)), rng.normal(size=40)
    params = {"filters": (4,), "batch_size": 40, "tol": 0, "random_state": 0,
              "keep_best": True}
    reference = _quiet_fit(CNNRegressor(**params, max_iter=2), X, y)
    model = CNNRegressor(**params, max_iter=10, on_divergence="stop",
                         callbacks=[("overflow", _OverflowWeightsInLastBatch(3))])
    with pytest.warns(ConvergenceWarning, match="diverged at epoch 4.*weights of epoch 2"):
        model.fit(X, y)
    assert model.n_iter_ == 2
    assert np.all(np.isfinite(model.predict(X)))
    assert_array_equal(model.predict(X), reference.predict(X))


def test_keep_best_with_divergence_stop_names_the_epoch_of_the_weights_kept():
    # The loss rises after epoch 2 (a rate far too high), then diverges: the fit
    # ends with the weights of its lowest training loss, and the warning says so.
    X, y = make_regression(100, 5, random_state=0)
    params = {"filters": (4,), "batch_size": 100, "learning_rate_init": 0.3, "tol": 0,
              "random_state": 0, "keep_best": True}
    model = CNNRegressor(**params, max_iter=10, on_divergence="stop",
                         callbacks=[("inf", _InfiniteWeightAfterEpoch(5))])
    X = X.reshape(100, 1, 5)
    with pytest.warns(ConvergenceWarning) as record:
        model.fit(X, y)
    best = int(np.argmin(model.loss_curve_)) + 1
    assert model.n_iter_ == 4 and best == 2
    message = str(record[0].message)
    assert "diverged at epoch 5" in message and "weights of epoch 2." in message
    reference = _quiet_fit(CNNRegressor(**{**params, "keep_best": False}, max_iter=best), X, y)
    assert_array_equal(model.predict(X), reference.predict(X))


@pytest.mark.parametrize("kept", [{"keep_best": True}, {"average_weights": 1.0}],
                         ids=["keep_best", "average_weights"])
def test_kept_weights_leave_no_copy_behind_after_a_divergence_error(kept):
    # A warm start that raises keeps the last finite weights; the copy of its
    # best ones, or their mean, must not stay behind, to be pickled (as CUDA
    # tensors on a GPU).
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 1, 32)), rng.normal(size=40)
    model = CNNRegressor(filters=(64, 64), **kept, warm_start=True, max_iter=3,
                         batch_size=40, random_state=0).fit(X, y)
    size = len(pickle.dumps(model))
    weights = sum(param.numel() * param.element_size() for param in model.module_.parameters())
    with pytest.raises(DivergenceError):
        model.set_params(solver="sgd", learning_rate_init=1e12).fit(X, y)
    assert len(pickle.dumps(model)) < size + weights / 2


def test_average_weights_with_divergence_stop_keeps_the_weights_the_guard_fell_back_to():
    # Epochs 1 to 3 are in the mean, but epoch 3's last step left weights whose
    # outputs overflow and epoch 4 diverges: the fit ends on epoch 2's weights, as
    # without averaging, not on a mean that holds epoch 3's.
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 1, 16)), rng.normal(size=40)
    params = {"filters": (4,), "batch_size": 40, "tol": 0, "random_state": 0}
    reference = _quiet_fit(CNNRegressor(**params, max_iter=2), X, y)
    model = CNNRegressor(**params, max_iter=10, on_divergence="stop", average_weights=1.0,
                         callbacks=[("overflow", _OverflowWeightsInLastBatch(3))])
    with pytest.warns(ConvergenceWarning, match="diverged at epoch 4.*weights of epoch 2"):
        model.fit(X, y)
    assert model.n_iter_ == 2
    assert_array_equal(model.predict(X), reference.predict(X))


class _BiasBecomesInfinite(torch.nn.Module):
    """A linear model whose bias becomes infinite after its ``at``-th training forward pass.

    The loss of that pass is finite; the weights are not. No callback listens
    to batches, so the check is the fast epoch's.
    """

    def __init__(self, n_features, n_outputs, at=3):
        super().__init__()
        self.linear = torch.nn.Linear(n_features, n_outputs)
        self.at, self.calls = at, 0

    def forward(self, X):
        output = self.linear(X)
        if self.training:
            self.calls += 1
            if self.calls == self.at:
                with torch.no_grad():
                    self.linear.bias.fill_(float("inf"))
        return output


def test_fast_epoch_checks_the_weights_not_only_the_loss():
    X, y = make_regression(100, 5, random_state=0)
    params = {"module": _BiasBecomesInfinite, "batch_size": 100, "tol": 0, "random_state": 0}
    reference = _quiet_fit(TorchRegressor(**params, max_iter=2), X, y)
    model = TorchRegressor(**params, max_iter=10, on_divergence="stop")
    with pytest.warns(ConvergenceWarning, match="diverged at epoch 3: the weights became "
                                                "non-finite.*weights of epoch 2"):
        model.fit(X, y)
    assert model.n_iter_ == 2 and np.all(np.isfinite(model.loss_curve_))
    assert_array_equal(model.predict(X), reference.predict(X))
    with pytest.raises(DivergenceError, match="diverged at epoch 3: the weights became"):
        TorchRegressor(**params, max_iter=10).fit(X, y)


@pytest.mark.parametrize("solver", [{}, {"solver": "sgd", "learning_rate": "invscaling"}])
@pytest.mark.parametrize("at", [5, 6])
def test_fast_epoch_restores_the_optimiser_state_of_the_kept_epoch(solver, at):
    # The lean loop's snapshots are views of one flat buffer: a restore gives
    # the optimiser the kept epoch's state, bit for bit, in tensors of its own,
    # and the learning rate it had (invscaling changes it at every epoch).
    # From the third epoch on, a snapshot is written into the one of two epochs
    # before: diverging at epoch 5 restores the buffers of the first epoch's
    # snapshot (whose Adam state was made ahead of the first step), at epoch 6
    # those of the second's.
    X, y = make_regression(100, 5, random_state=0)
    params = {"module": _BiasBecomesInfinite, "module__at": at, "batch_size": 100, "tol": 0,
              "random_state": 0, **solver}
    reference = _quiet_fit(TorchRegressor(**params, max_iter=at - 1), X, y)
    model = _quiet_fit(TorchRegressor(**params, max_iter=10, on_divergence="stop"), X, y)
    assert model.n_iter_ == at - 1
    kept, expected = (estimator.net_.optimizer_.state_dict()["state"]
                      for estimator in (model, reference))
    assert kept.keys() == expected.keys()
    storages = set()
    for index, values in kept.items():
        assert values.keys() == expected[index].keys()
        for key, value in values.items():
            assert torch.equal(value, expected[index][key]), (index, key)
            storages.add(value.untyped_storage().data_ptr())
    assert len(storages) == sum(len(values) for values in kept.values())
    assert [group["lr"] for group in model.net_.optimizer_.param_groups] == [
        group["lr"] for group in reference.net_.optimizer_.param_groups]


class _OutputBecomesInfinite(torch.nn.Module):
    """A small tanh network whose training outputs are infinite from its ``at``-th
    training forward pass on."""

    def __init__(self, n_features, n_outputs, at=3):
        super().__init__()
        self.layers = torch.nn.Sequential(torch.nn.Linear(n_features, 8), torch.nn.Tanh(),
                                          torch.nn.Linear(8, n_outputs))
        self.at, self.calls = at, 0

    def forward(self, X):
        output = self.layers(X)
        if self.training:
            self.calls += 1
            if self.calls >= self.at:
                output = output + float("inf")
        return output


@pytest.mark.parametrize("at", [12, 30, 31])
def test_lbfgs_divergence_restores_the_state_of_the_last_finite_iteration(at):
    # The divergence guard copies only the L-BFGS state that torch writes
    # into (prev_flat_grad) and keeps the rest, which each step replaces:
    # the restored optimiser holds the kept iteration's curvature pairs, bit
    # for bit, once its history of 10 pairs is full too (at=30, 31: past the
    # 15th iteration), and with snapshots taken into the buffers of either of
    # the two epochs before.
    X, y = make_regression(60, 4, noise=1.0, random_state=0)
    params = {"module": _OutputBecomesInfinite, "module__at": at, "solver": "lbfgs",
              "alpha": 0.01, "tol": 0, "random_state": 0}
    model = _quiet_fit(TorchRegressor(**params, max_iter=100, on_divergence="stop"), X, y)
    assert model.net_.module_.calls >= at > model.n_iter_ > 1
    reference = _quiet_fit(TorchRegressor(**params, max_iter=model.n_iter_), X, y)
    assert model.loss_curve_ == reference.loss_curve_
    for got, expected in zip(model.module_.parameters(), reference.module_.parameters()):
        assert torch.equal(got, expected)
    kept, expected = (estimator.net_.optimizer_.state_dict()
                      for estimator in (model, reference))
    assert kept["param_groups"] == expected["param_groups"]
    assert kept["state"].keys() == expected["state"].keys() == {0}
    kept, expected = kept["state"][0], expected["state"][0]
    assert kept.keys() == expected.keys()
    assert len(expected["old_dirs"]) == (10 if at > 12 else model.n_iter_ - 1)
    for key, value in expected.items():
        values = value if isinstance(value, list) else [value]
        got = kept[key] if isinstance(value, list) else [kept[key]]
        assert len(got) == len(values), key
        for got_value, expected_value in zip(got, values):
            if isinstance(expected_value, torch.Tensor):
                assert torch.equal(got_value, expected_value), key
            else:
                assert got_value == expected_value, key


# -- Ctrl-C -------------------------------------------------------------------------


class _CtrlCAtBatch(Callback):
    """Plays a user's Ctrl-C after a given batch of a given epoch."""

    def __init__(self, epoch, batch):
        self.epoch, self.batch = epoch, batch

    def on_batch_end(self, net, **kwargs):
        if len(net.history) == self.epoch and len(net.history[-1]["batches"]) == self.batch:
            raise KeyboardInterrupt


def test_ctrl_c_mid_epoch_keeps_the_last_complete_epoch(data):
    X, y = data
    params = {"hidden_layer_sizes": (16,), "dropout": 0.2, "batch_size": 32,
              "random_state": 0}
    two_epochs = _quiet_fit(MLPClassifier(**params, max_iter=2), X, y)
    model = MLPClassifier(**params, max_iter=5, callbacks=[("ctrl_c", _CtrlCAtBatch(3, 2))])
    with pytest.warns(UserWarning, match="interrupted"):
        model.fit(X, y)
    assert model.n_iter_ == 2 and len(model.history_) == 2
    assert_array_equal(model.predict_proba(X), two_epochs.predict_proba(X))
    assert _adam_steps(model) == _adam_steps(two_epochs) == 10  # the optimiser's too


def _adam_steps(model):
    state = next(iter(model.net_.optimizer_.state.values()))
    return int(state["step"])


def test_ctrl_c_in_the_first_epoch_keeps_the_initial_weights(data):
    X, y = data
    params = {"hidden_layer_sizes": (16,), "batch_size": 32, "random_state": 0}
    model = MLPClassifier(**params, callbacks=[("ctrl_c", _CtrlCAtBatch(1, 2))])
    with pytest.warns(UserWarning, match="interrupted"):
        model.fit(X, y)
    assert model.n_iter_ == 0 and model.loss_curve_ == [] and model.loss_ is None
    initial = MLPClassifier(**params, max_iter=1, learning_rate_init=1e-12)
    _quiet_fit(initial, X, y)
    np.testing.assert_allclose(model.coefs_[0], initial.coefs_[0], atol=1e-9)
    assert model.predict(X).shape == (len(X),)


def test_fp16_lstm_on_cpu_is_refused_clearly(data):
    # oneDNN has no float16 LSTM: a clear error before training, not its RuntimeError.
    X, y = data
    model = LSTMClassifier(input_shape=(4, 2), hidden_size=4, max_iter=2, precision="fp16",
                           device="cpu")
    with pytest.raises(ValueError, match="precision='fp16' with cell='lstm' does not run on "
                                         "the CPU; use precision='bf16'"):
        model.fit(X, y)
    assert not hasattr(model, "net_")
    # The GRU has a float16 kernel there.
    proba = _quiet_fit(model.set_params(cell="gru"), X, y).predict_proba(X)
    assert np.all(np.isfinite(proba))
