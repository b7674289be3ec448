"""CNNClassifier / CNNRegressor: accuracy floors, input shapes, augmentation, round trips."""

import pickle
import warnings

import numpy as np
import pytest
import torch
from scipy import sparse
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.estimator_checks import (
    check_sample_weight_equivalence_on_dense_data,
    check_sample_weight_equivalence_on_sparse_data,
)
from skorch.callbacks import Callback

from sklearn_dl.utils.persistence import load, save
from sklearn_dl.modules import BatchAugmentation, ConvNet
from sklearn_dl.neural_network import CNNClassifier, CNNRegressor, MLPClassifier


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X / 16, y


def small_cnn(Estimator=CNNClassifier, **params):
    params = {"filters": (4, 8), "hidden_layer_sizes": (16,), "max_iter": 3,
              "random_state": 0, **params}
    return Estimator(**params)


def fit_quietly(model, X, y, **fit_params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y, **fit_params)


def pattern_signals(n_samples, length=64, seed=0):
    """Class k is pattern k placed at a random position in Gaussian noise."""
    rng = np.random.default_rng(seed)
    width = 8
    ramp = np.linspace(-1, 1, width)
    patterns = [ramp, ramp[::-1]]
    y = rng.integers(0, 2, n_samples)
    X = rng.normal(size=(n_samples, length))
    starts = rng.integers(0, length - width + 1, n_samples)
    for i, (label, start) in enumerate(zip(y, starts)):
        X[i, start:start + width] += 2.5 * patterns[label]
    return X, y


# -- accuracy floors with default parameters (the targets) --------------


def test_digits_holdout_accuracy_with_defaults(digits):
    # One fold of the 5-fold check (run in full by benchmarks/bench_cnn.py).
    X, y = digits
    train, test = next(StratifiedKFold(5, shuffle=True, random_state=0).split(X, y))
    model = CNNClassifier(input_shape=(1, 8, 8), random_state=0).fit(X[train], y[train])
    assert model.score(X[test], y[test]) >= 0.98  # measured: 0.997
    assert model.n_iter_ < model.max_iter  # converged, without early stopping


def test_cnn_beats_mlp_on_pattern_at_random_position():
    X, y = pattern_signals(400, length=48)
    X_test, y_test = pattern_signals(1000, length=48, seed=1)
    # The default signal network (the FCN: kernels 8, 5, 3, global average
    # pooling), 8 times narrower, on 400 signals to keep the test fast.
    cnn = CNNClassifier(filters=(16, 32, 16), random_state=0).fit(X, y)
    mlp = MLPClassifier(random_state=0).fit(X, y)
    cnn_score, mlp_score = cnn.score(X_test, y_test), mlp.score(X_test, y_test)
    assert cnn.input_shape_ == (1, 48)
    # Measured: CNN 0.940 (after 175 epochs), MLP 0.576 (chance 0.5).
    assert cnn_score >= mlp_score + 0.10, (cnn_score, mlp_score)


def test_regressor_on_signals_r2_floor():
    # Target: the amplitude of a bump placed at a random position.
    rng = np.random.default_rng(0)
    n_samples, length = 600, 32
    amplitude = rng.uniform(0.5, 2.0, n_samples)
    start = rng.integers(0, length - 6, n_samples)
    X = 0.1 * rng.normal(size=(n_samples, 1, length))
    for i in range(n_samples):
        X[i, 0, start[i]:start[i] + 6] += amplitude[i] * np.hanning(6)
    model = fit_quietly(CNNRegressor(filters=(8, 16), hidden_layer_sizes=(32,), max_iter=40,
                                     random_state=0), X[:400], amplitude[:400])
    # A matched filter at the known position would reach about 0.97.
    assert model.score(X[400:], amplitude[400:]) >= 0.85


# -- input shapes --------------------------------------------------------------------


def test_4d_input_equals_flat_input_with_input_shape(digits):
    X, y = digits[0][:300], digits[1][:300]
    images = fit_quietly(small_cnn(), X.reshape(-1, 1, 8, 8), y)
    flat = fit_quietly(small_cnn(input_shape=(1, 8, 8)), X, y)
    assert images.input_shape_ == flat.input_shape_ == (1, 8, 8)
    assert images.n_features_in_ == flat.n_features_in_ == 64
    np.testing.assert_array_equal(images.predict_proba(X.reshape(-1, 1, 8, 8)),
                                  flat.predict_proba(X))
    # Either layout is accepted at prediction, whatever the layout at fit.
    np.testing.assert_array_equal(images.predict_proba(X), flat.predict_proba(X))


@pytest.mark.parametrize("shape, conv", [((2, 20), torch.nn.Conv1d),
                                         ((2, 5, 4), torch.nn.Conv2d)])
def test_dimension_of_convolutions_follows_input(shape, conv):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, *shape)), np.arange(40) % 2
    model = fit_quietly(small_cnn(), X, y)
    assert model.input_shape_ == shape
    assert isinstance(model.module_.features[0], conv)


def test_flat_input_without_input_shape_is_a_one_channel_signal():
    X, y = pattern_signals(40, length=16)
    model = fit_quietly(small_cnn(), X, y)
    assert model.input_shape_ == (1, 16)
    assert isinstance(model.module_.features[0], torch.nn.Conv1d)


def test_sparse_flat_input_equals_dense(digits):
    X, y = digits[0][:200], digits[1][:200]
    dense = fit_quietly(small_cnn(input_shape=(1, 8, 8)), X, y)
    from_sparse = fit_quietly(small_cnn(input_shape=(1, 8, 8)), sparse.csr_matrix(X), y)
    np.testing.assert_allclose(dense.predict_proba(X), from_sparse.predict_proba(X), rtol=1e-5)


def three_channel_images(digits, n_samples=200):
    X, y = digits[0][:n_samples].reshape(-1, 8, 8), digits[1][:n_samples]
    return np.stack([X, X.transpose(0, 2, 1), 1 - X], axis=1), y  # (n, 3, 8, 8)


def test_channels_last_images_give_the_channels_first_result(digits):
    X, y = three_channel_images(digits)
    X_last = X.transpose(0, 2, 3, 1)  # (n, 8, 8, 3), as image libraries load them
    first = fit_quietly(small_cnn(), X, y)
    last = fit_quietly(small_cnn(channels_last=True), X_last, y)
    flat_last = fit_quietly(small_cnn(channels_last=True, input_shape=(8, 8, 3)),
                            X_last.reshape(len(X), -1), y)
    assert first.input_shape_ == (3, 8, 8) and last.input_shape_ == (8, 8, 3)
    expected = first.predict_proba(X)
    np.testing.assert_allclose(last.predict_proba(X_last), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(flat_last.predict_proba(X_last), expected, rtol=1e-5, atol=1e-6)


def test_channels_last_images_without_the_flag_are_not_misread(digits):
    X, y = three_channel_images(digits, 20)
    with pytest.raises(ValueError, match=r"\(8, 8, 3\).*channels_last=True"):
        small_cnn().fit(X.transpose(0, 2, 3, 1), y)
    # An explicit input_shape says the first axis holds the channels.
    model = fit_quietly(small_cnn(input_shape=(8, 8, 3)), X.transpose(0, 2, 3, 1), y)
    assert model.input_shape_ == (8, 8, 3)


def test_wrong_shapes_at_fit_name_expected_and_received(digits):
    X, y = digits[0][:50], digits[1][:50]
    with pytest.raises(ValueError, match=r"X has 63 features.*64 features.*"
                                         r"\(1, 8, 8\).*received samples of shape \(63,\)"):
        small_cnn(input_shape=(1, 8, 8)).fit(X[:, :63], y)
    with pytest.raises(ValueError, match=r"samples of shape \(1, 4, 16\).*"
                                         r"samples of shape \(1, 8, 8\)"):
        small_cnn(input_shape=(1, 8, 8)).fit(X.reshape(-1, 1, 4, 16), y)
    with pytest.raises(ValueError, match=r"shape \(8, 8\).*\(1, 8, 8\).*channel axis"):
        small_cnn(input_shape=(1, 8, 8)).fit(X.reshape(-1, 8, 8), y)
    for bad in [(64,), (1, 1, 8, 8), (1, 0, 64), (1.5, 8)]:
        with pytest.raises(ValueError, match="input_shape must"):
            small_cnn(input_shape=bad).fit(X, y)
    with pytest.raises(ValueError, match="dim 5"):
        small_cnn().fit(X.reshape(-1, 1, 1, 8, 8), y)


def test_wrong_shapes_at_predict_name_expected_and_received(digits):
    X, y = digits[0][:50], digits[1][:50]
    model = fit_quietly(small_cnn(input_shape=(1, 8, 8)), X, y)
    with pytest.raises(ValueError, match=r"X has 60 features, but CNNClassifier is expecting "
                                         r"64 features as input.*\(1, 8, 8\)"):
        model.predict(X[:, :60])
    with pytest.raises(ValueError, match=r"samples of shape \(1, 7, 7\).*\(1, 8, 8\)"):
        model.predict(X.reshape(-1, 1, 8, 8)[:, :, :7, :7])
    with pytest.raises(ValueError, match=r"\(8, 8, 1\).*\(1, 8, 8\).*channels_last"):
        model.predict(X.reshape(-1, 8, 8, 1))


# -- augmentation --------------------------------------------------------------------


def test_augmentation_module_acts_only_in_training():
    images = torch.rand(16, 2, 8, 8)
    augment = BatchAugmentation(shift=2, flip=True, noise=0.1, scale=0.2)
    assert not torch.equal(augment(images), images)
    augment.eval()
    assert augment(images) is images


def test_shift_translates_each_sample_within_the_bound():
    torch.manual_seed(0)
    images = torch.zeros(64, 1, 9, 9)
    images[:, :, 4, 4] = 1.0
    shifted = BatchAugmentation(shift=2)(images)
    rows, cols = torch.nonzero(shifted[:, 0], as_tuple=True)[1:]
    assert len(rows) == 64  # one bright pixel per image, moved by at most 2
    assert (rows - 4).abs().max() == 2 and (cols - 4).abs().max() == 2
    assert len(set(zip(rows.tolist(), cols.tolist()))) > 10  # each sample its own shift
    # Signals are padded with their edge values, so a constant signal stays constant.
    signals = torch.full((8, 3, 20), 5.0)
    assert torch.equal(BatchAugmentation(shift=4)(signals), signals)


def test_flip_scale_and_noise():
    torch.manual_seed(0)
    signals = torch.randn(64, 1, 30)
    flipped = BatchAugmentation(flip=True)(signals)
    same = (flipped == signals).flatten(1).all(1)
    reversed_ = (flipped == signals.flip(-1)).flatten(1).all(1)
    assert bool((same | reversed_).all()) and 10 < int(reversed_.sum()) < 54
    ratio = BatchAugmentation(scale=0.2)(signals) / signals
    assert torch.allclose(ratio, ratio[:, :, :1].expand_as(ratio))  # one factor per sample
    assert 0.8 <= ratio.min() and ratio.max() <= 1.2
    noise = BatchAugmentation(noise=0.5)(signals) - signals
    assert 0.4 < float(noise.std() / signals.std()) < 0.6


def test_augmentation_is_reproducible_and_used_only_when_training(digits):
    X, y = digits[0][:300], digits[1][:300]
    params = {"input_shape": (1, 8, 8), "augmentation": {"shift": 1, "noise": 0.1}}
    first = fit_quietly(small_cnn(**params), X, y)
    again = fit_quietly(small_cnn(**params), X, y)
    plain = fit_quietly(small_cnn(input_shape=(1, 8, 8)), X, y)
    np.testing.assert_array_equal(first.predict_proba(X), again.predict_proba(X))
    assert not np.allclose(first.predict_proba(X), plain.predict_proba(X))

    changed = []
    first.module_.augmentation.register_forward_hook(
        lambda module, inputs, output: changed.append(not torch.equal(inputs[0], output)))
    first.predict(X)
    assert changed and not any(changed)
    first.partial_fit(X, y)
    assert all(changed[-2:])


def test_auto_augmentation_depends_on_the_input(digits):
    X, y = digits[0][:60], digits[1][:60]
    images = fit_quietly(small_cnn(input_shape=(1, 8, 8), augmentation="auto"), X, y)
    signals = fit_quietly(small_cnn(augmentation="auto"), X, y)
    assert images.module_.augmentation.shift == 1 and not images.module_.augmentation.flip
    assert (signals.module_.augmentation.shift, signals.module_.augmentation.scale) == (6, 0.1)


@pytest.mark.parametrize("augmentation, match", [
    ({"rotate": 10}, "Unknown augmentation"),
    ({"shift": -1}, "shift"),
    ({"shift": 1.5}, "shift"),
    ({"scale": 1.0}, "scale"),
    ({"noise": -0.1}, "noise"),
    ({"flip": "yes"}, "flip"),
])
def test_invalid_augmentation(digits, augmentation, match):
    with pytest.raises(ValueError, match=match):
        small_cnn(augmentation=augmentation).fit(*digits)


# -- architecture ---------------------------------------------------------------------


@pytest.mark.parametrize("params", [
    {"pooling": "avg", "global_pooling": True},
    {"pooling": None, "dropout": 0.3, "batch_norm": False, "activation": "gelu"},
    {"kernel_size": 4, "hidden_layer_sizes": ()},
])
def test_architecture_options_train(digits, params):
    X, y = digits[0][:200], digits[1][:200]
    model = fit_quietly(small_cnn(input_shape=(1, 8, 8), max_iter=10, batch_size=20,
                                  learning_rate_init=0.01, **params),
                        X, y)
    assert model.score(X, y) > 0.5
    assert model.predict_proba(X[:3]).shape == (3, 10)


def test_pooling_never_shrinks_an_axis_below_one():
    net = ConvNet((1, 3, 1), 2, filters=(4, 4, 4))
    assert net(torch.zeros(2, 3)).shape == (2, 2)
    pools = [layer for layer in net.features if isinstance(layer, torch.nn.MaxPool2d)]
    assert [pool.kernel_size for pool in pools] == [(2, 1)]
    assert ConvNet((1, 1), 3)(torch.zeros(2, 1)).shape == (2, 3)


# -- training API ---------------------------------------------------------------------


def test_partial_fit_is_one_epoch(digits):
    X, y = digits[0][:200], digits[1][:200]
    model = small_cnn(input_shape=(1, 8, 8))
    model.partial_fit(X, y, classes=np.arange(10))
    assert model.n_iter_ == 1 and len(model.loss_curve_) == 1 and model.t_ == 200
    model.partial_fit(X.reshape(-1, 1, 8, 8), y)
    assert model.n_iter_ == 1 and len(model.loss_curve_) == 2 and model.t_ == 400
    assert len(model.history_) == 2


def test_fitted_attributes_and_pickle_round_trip(digits):
    X, y = digits[0][:200], digits[1][:200]
    model = fit_quietly(small_cnn(input_shape=(1, 8, 8)), X, y)
    assert list(model.classes_) == list(range(10))
    assert model.n_iter_ == 3 and len(model.loss_curve_) == 3 == len(model.history_)
    assert model.n_outputs_ == 10 and model.out_activation_ == "softmax"
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict_proba(X), model.predict_proba(X))
    assert restored.input_shape_ == (1, 8, 8)


@pytest.mark.parametrize("Estimator", [CNNClassifier, CNNRegressor])
@pytest.mark.parametrize("check", [check_sample_weight_equivalence_on_dense_data,
                                   check_sample_weight_equivalence_on_sparse_data])
def test_sample_weight_equivalence_full_batch(Estimator, check):
    # Full batch, double precision, no batch norm and no dropout (random masks):
    # weighting must then equal repeating. Max pooling and a flattened head (the
    # image network's) as before the signal default changed: with its global
    # average pooling, the classifier's probabilities after 100 L-BFGS
    # iterations differ by up to 1e-3 (13 of 45 values).
    check(Estimator.__name__, Estimator(filters=(4,), hidden_layer_sizes=(8,), batch_norm=False,
                                        dropout=0.0, pooling="max", global_pooling=False,
                                        solver="lbfgs", max_iter=100, precision="float64"))


def test_save_and_load_without_pickle(digits, tmp_path):
    X, y = digits[0][:200], digits[1][:200]
    model = fit_quietly(small_cnn(input_shape=(1, 8, 8), augmentation="auto"), X, y)
    save(model, tmp_path / "cnn.safetensors")
    restored = load(tmp_path / "cnn.safetensors")
    assert restored.input_shape_ == (1, 8, 8)
    np.testing.assert_array_equal(restored.predict_proba(X), model.predict_proba(X))


# -- keep_best: the weights of the epoch of the lowest training loss ------------------


class _RecordWeights(Callback):
    """Each epoch's parameters at its end (a CNN's batch-norm buffers are recomputed after fit)."""

    def initialize(self):
        self.weights_ = []
        return self

    def on_epoch_end(self, net, **kwargs):
        self.weights_.append([p.detach().clone() for p in net.module_.parameters()])


def recorded_weights(model):
    return dict(model.net_.callbacks_)["record"].weights_


def assert_weights_equal(model, weights):
    for parameter, expected in zip(model.net_.module_.parameters(), weights, strict=True):
        torch.testing.assert_close(parameter.detach(), expected, rtol=0, atol=0)


def bumpy_signals():
    # Labels unrelated to X and a high rate for batches of 4 (the signals' 'auto'):
    # the training loss goes up and down.
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 1, 24)), np.arange(40) % 2
    params = {"filters": (4,), "learning_rate_init": 0.05, "max_iter": 12,
              "n_iter_no_change": 50, "random_state": 0}
    return X, y, params


@pytest.mark.parametrize("keep_best", [True, False])
def test_keep_best_keeps_the_weights_of_the_epoch_of_the_lowest_training_loss(keep_best):
    X, y, params = bumpy_signals()
    model = fit_quietly(CNNClassifier(**params, keep_best=keep_best,
                                      callbacks=[("record", _RecordWeights())]), X, y)
    curve = model.loss_curve_
    best = int(np.argmin(curve))
    assert best < len(curve) - 1  # the last epoch is not the best: the choice matters
    assert model.best_loss_ == curve[best] and model.loss_ == curve[-1]
    # keep_best=False is the previous behaviour: the last epoch's weights, bit for bit.
    assert_weights_equal(model, recorded_weights(model)[best if keep_best else -1])
    # Keeping a copy of the best weights leaves the training itself untouched.
    other = fit_quietly(CNNClassifier(**params, keep_best=not keep_best), X, y)
    assert other.loss_curve_ == curve
    # The batch-norm statistics come from the kept weights: the same predictions as a
    # fit stopped at the best epoch.
    stopped = fit_quietly(CNNClassifier(**{**params, "max_iter": best + 1}, keep_best=False),
                          X, y)
    if keep_best:
        np.testing.assert_array_equal(model.predict_proba(X), stopped.predict_proba(X))


def test_keep_best_rewinds_neither_partial_fit_nor_saved_models(tmp_path):
    X, y, params = bumpy_signals()
    model = CNNClassifier(**params, keep_best=True, callbacks=[("record", _RecordWeights())])
    for _ in range(3):  # partial_fit is one epoch, and keeps its weights
        model.partial_fit(X, y, classes=[0, 1])
        assert model.n_iter_ == 1
        assert_weights_equal(model, recorded_weights(model)[-1])
    # warm_start: the best epoch of the new fit's own epochs.
    fit_quietly(model.set_params(warm_start=True), X, y)
    curve = model.loss_curve_
    assert len(curve) == 15 == len(recorded_weights(model))
    best = 3 + int(np.argmin(curve[3:]))
    assert best < 14
    assert_weights_equal(model, recorded_weights(model)[best])
    save(model.set_params(callbacks=None), tmp_path / "cnn.safetensors")
    restored = load(tmp_path / "cnn.safetensors")
    assert restored.keep_best is True
    np.testing.assert_array_equal(restored.predict_proba(X), model.predict_proba(X))


# -- average_weights: the mean of the weights of the last epochs (SWA) ------------------


class _Rows:
    """The training rows as ``_after_training`` reads them."""

    def __init__(self, X):
        self.X = X

    def __len__(self):
        return len(self.X)


def assert_weights_close(model, weights):
    for parameter, expected in zip(model.net_.module_.parameters(), weights, strict=True):
        torch.testing.assert_close(parameter.detach(), expected, rtol=1e-6, atol=1e-7)


def mean_weights(epochs):
    return [torch.stack(tensors).mean(0) for tensors in zip(*epochs)]


@pytest.mark.parametrize("average_weights, n_averaged", [(0.01, 1), (0.25, 3), (1.0, 12)])
def test_average_weights_ends_on_the_mean_of_the_last_epochs(average_weights, n_averaged):
    X, y, params = bumpy_signals()
    model = fit_quietly(CNNClassifier(**params, average_weights=average_weights,
                                      callbacks=[("record", _RecordWeights())]), X, y)
    last = fit_quietly(CNNClassifier(**params, callbacks=[("record", _RecordWeights())]), X, y)
    # Off, the last epoch's weights bit for bit; averaging leaves training untouched.
    assert_weights_equal(last, recorded_weights(last)[-1])
    assert model.loss_curve_ == last.loss_curve_ and model.n_iter_ == 12
    epochs = recorded_weights(model)
    assert len(epochs) == 12
    if n_averaged == 1:  # ceil(0.01 * 12): the mean of the last epoch is that epoch
        assert_weights_equal(model, epochs[-1])
        np.testing.assert_array_equal(model.predict_proba(X), last.predict_proba(X))
        return
    assert_weights_close(model, mean_weights(epochs[-n_averaged:]))
    assert not torch.equal(next(model.net_.module_.parameters()), epochs[-1][0])
    # The batch-norm statistics are those of the training set under the mean weights.
    with torch.no_grad():
        for parameter, value in zip(last.net_.module_.parameters(),
                                    mean_weights(epochs[-n_averaged:])):
            parameter.copy_(value)
    last._after_training(last.net_, _Rows(torch.as_tensor(X.reshape(40, 24),
                                                           dtype=torch.float32)),
                         torch.device("cpu"))
    np.testing.assert_allclose(model.predict_proba(X), last.predict_proba(X), rtol=1e-5,
                               atol=1e-6)


def test_average_weights_of_a_fit_stopped_early_are_those_of_the_epochs_it_ran():
    X, y, params = bumpy_signals()
    params = {**params, "learning_rate": "constant", "n_iter_no_change": 2, "max_iter": 100}
    model = fit_quietly(CNNClassifier(**params, average_weights=1.0,
                                      callbacks=[("record", _RecordWeights())]), X, y)
    epochs = recorded_weights(model)
    assert 2 < model.n_iter_ == len(epochs) < 100
    assert_weights_close(model, mean_weights(epochs))
    # Stopped before the window of the last half began: the last epoch's weights.
    late = fit_quietly(CNNClassifier(**params, average_weights=0.5,
                                     callbacks=[("record", _RecordWeights())]), X, y)
    assert late.n_iter_ < 50
    assert_weights_equal(late, recorded_weights(late)[-1])


def test_average_weights_is_not_used_by_partial_fit_nor_early_stopping(tmp_path):
    X, y, params = bumpy_signals()
    model = CNNClassifier(**params, average_weights=0.5,
                          callbacks=[("record", _RecordWeights())])
    for _ in range(3):  # partial_fit is one epoch, and keeps its weights
        model.partial_fit(X, y, classes=[0, 1])
        assert_weights_equal(model, recorded_weights(model)[-1])
    # warm_start: the last half of the new fit's own 12 epochs.
    fit_quietly(model.set_params(warm_start=True), X, y)
    epochs = recorded_weights(model)
    assert len(epochs) == 15
    assert_weights_close(model, mean_weights(epochs[-6:]))
    pickled = pickle.loads(pickle.dumps(model.set_params(callbacks=None)))
    np.testing.assert_array_equal(pickled.predict_proba(X), model.predict_proba(X))
    save(model, tmp_path / "cnn.safetensors")
    restored = load(tmp_path / "cnn.safetensors")
    assert restored.average_weights == 0.5
    np.testing.assert_array_equal(restored.predict_proba(X), model.predict_proba(X))
    # With a validation set, the weights of the best validation score, as without it.
    validated = {**params, "early_stopping": True, "validation_fraction": 0.25}
    np.testing.assert_array_equal(
        fit_quietly(CNNClassifier(**validated, average_weights=1.0), X, y).predict_proba(X),
        fit_quietly(CNNClassifier(**validated), X, y).predict_proba(X))


@pytest.mark.parametrize("value", [0, 1.5, -0.25, "last"])
def test_average_weights_out_of_range_is_refused(value):
    from sklearn.utils._param_validation import InvalidParameterError

    X, y, params = bumpy_signals()
    with pytest.raises(InvalidParameterError,
                       match=r"The 'average_weights' parameter of CNNClassifier must be a float "
                             r"in the range \(0(\.0)?, 1(\.0)?\] or None"):
        CNNClassifier(**params, average_weights=value).fit(X, y)


def test_average_weights_with_keep_best_is_refused_and_fits_nothing():
    X, y, params = bumpy_signals()
    model = CNNRegressor(**params, keep_best=True, average_weights=0.25)
    with pytest.raises(ValueError, match=r"^keep_best=True and average_weights=0.25 both choose "
                                         r"the weights that fit ends with: set keep_best=False "
                                         r"or average_weights=None\.$"):
        model.fit(X, y.astype(float))
    assert not hasattr(model, "net_") and not hasattr(model, "n_features_in_")
