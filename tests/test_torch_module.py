"""TorchClassifier / TorchRegressor: a user's own module with the package's guarantees."""

import pickle
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import optuna
import pytest
import scipy.sparse as sp
import torch
from numpy.testing import assert_allclose, assert_array_equal
from optuna.distributions import IntDistribution
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import OneHotEncoder
from sklearn.utils import compute_sample_weight
from torch import nn

from sklearn_dl import load, save
from sklearn_dl.neural_network import TorchClassifier, TorchRegressor
from sklearn_dl.tuning import search_space, tune

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


# -- modules a user would write ----------------------------------------------------


class ResidualBlock(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x):
        out = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(x + self.bn2(self.conv2(out)))


class ResNet(nn.Module):
    """A small ResNet for color images: a stem, residual blocks, global pooling."""

    def __init__(self, input_shape, n_outputs, width=8, n_blocks=2):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(input_shape[0], width, 3, stride=2, padding=1),
                                  nn.BatchNorm2d(width), nn.ReLU())
        self.blocks = nn.Sequential(*[ResidualBlock(width) for _ in range(n_blocks)])
        self.head = nn.Linear(width, n_outputs)

    def forward(self, x):
        return self.head(self.blocks(self.stem(x)).mean(dim=(2, 3)))


class NumericAndCategorical(nn.Module):
    """Two inputs in one X: numeric columns, then one column of category codes."""

    def __init__(self, n_features, n_outputs, n_categories=4, embedding_dim=3, hidden=16):
        super().__init__()
        self.embedding = nn.Embedding(n_categories, embedding_dim)
        self.layers = nn.Sequential(nn.Linear(n_features - 1 + embedding_dim, hidden), nn.ReLU(),
                                    nn.Linear(hidden, n_outputs))

    def forward(self, X):
        numeric, codes = X[:, :-1], X[:, -1].long()
        return self.layers(torch.cat([numeric, self.embedding(codes)], dim=1))


def tabular(n_features, n_outputs, hidden=8):
    return nn.Sequential(nn.Linear(n_features, hidden), nn.Tanh(), nn.Linear(hidden, n_outputs))


def _images(n_samples, seed):
    """3x32x32 images whose class is their dominant color channel, plus noise."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n_samples)
    X = rng.normal(scale=1.0, size=(n_samples, 3, 32, 32)).astype(np.float32)
    X[np.arange(n_samples), y] += 1.0
    return X, np.array(["red", "green", "blue"])[y]


@pytest.fixture(scope="module")
def blobs():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    return X, y


# -- a ResNet on color images ----------------------------------------------------------


def test_resnet_on_color_images_learns_and_pickles():
    X, y = _images(90, seed=0)
    X_test, y_test = _images(60, seed=1)
    model = TorchClassifier(ResNet, module__width=8, learning_rate_init=0.01, batch_size=30,
                            max_iter=6, random_state=0).fit(X, y)
    assert model.input_shape_ == (3, 32, 32)
    assert model.n_features_in_ == 3 * 32 * 32
    assert_array_equal(model.classes_, ["blue", "green", "red"])
    assert model.score(X_test, y_test) >= 0.9
    # Flat rows with input_shape give the same model and predictions. Compared on
    # the CPU: on a GPU two fits differ in the last bits, then drift (cuDNN's
    # convolution gradients sum in a varying order; docs/gpu.md, Reproducibility).
    on_cpu = (model if next(model.module_.parameters()).device.type == "cpu"
              else clone(model).set_params(device="cpu").fit(X, y))
    flat = TorchClassifier(ResNet, input_shape=(3, 32, 32), module__width=8,
                           learning_rate_init=0.01, batch_size=30, max_iter=6,
                           random_state=0, device="cpu").fit(X.reshape(len(X), -1), y)
    assert_allclose(flat.predict_proba(X_test), on_cpu.predict_proba(X_test), atol=1e-6)
    assert_array_equal(model.predict(X_test.reshape(len(X_test), -1)), model.predict(X_test))
    restored = pickle.loads(pickle.dumps(model))
    assert_array_equal(restored.predict_proba(X_test), model.predict_proba(X_test))


def test_resnet_saves_and_loads_without_pickle(tmp_path):
    X, y = _images(40, seed=0)
    model = TorchClassifier(ResNet, module__width=4, module__n_blocks=1, max_iter=2,
                            random_state=0).fit(X, y)
    save(model, tmp_path / "resnet.safetensors")
    with pytest.raises(ValueError, match="trusted="):
        load(tmp_path / "resnet.safetensors")  # the module's class is code: named, not imported
    restored = load(tmp_path / "resnet.safetensors", trusted=[ResNet])
    assert restored.get_params()["module__n_blocks"] == 1
    assert_array_equal(restored.predict_proba(X), model.predict_proba(X))


def test_image_shapes_are_checked_with_clear_messages():
    X, y = _images(20, seed=0)
    model = TorchClassifier(ResNet, max_iter=1, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match=r"X has samples of shape \(3, 16, 16\), but "
                                         r"TorchClassifier expects samples of shape \(3, 32, 32\)"):
        model.predict(X[:, :, :16, :16])
    with pytest.raises(ValueError, match=r"X has 100 features, but input_shape=\(3, 32, 32\) "
                                         r"needs 3072"):
        TorchClassifier(ResNet, input_shape=(3, 32, 32)).fit(np.zeros((20, 100)), y)
    with pytest.raises(ValueError, match="input_shape must be a tuple of positive ints"):
        TorchClassifier(ResNet, input_shape=(3, 0, 32)).fit(X, y)
    with pytest.raises(TypeError, match="Sparse data was passed"):
        TorchClassifier(ResNet, input_shape=(3, 32, 32)).fit(sp.csr_matrix(X.reshape(20, -1)), y)


# -- two inputs: numeric and categorical ----------------------------------------------


def test_numeric_and_categorical_module_regresses_like_ridge_on_one_hot():
    rng = np.random.default_rng(0)
    n = 400
    numeric = rng.normal(size=(n, 3))
    codes = rng.integers(0, 4, n)
    city_effect = np.array([-3.0, 0.0, 2.0, 5.0])[codes]
    y = numeric @ [1.0, -2.0, 0.5] + city_effect + 0.1 * rng.normal(size=n)
    X = np.column_stack([numeric, codes])
    train, test = slice(0, 300), slice(300, None)
    model = TorchRegressor(NumericAndCategorical, module__n_categories=4,
                           learning_rate_init=0.01, max_iter=200, random_state=0)
    model.fit(X[train], y[train])
    one_hot = OneHotEncoder(sparse_output=False).fit(codes[train, None])
    design = np.column_stack([numeric, one_hot.transform(codes[:, None])])
    ridge = Ridge(alpha=1e-3).fit(design[train], y[train])
    # The true model is linear in numeric + one-hot: Ridge is the reference.
    assert model.score(X[test], y[test]) > 0.99
    assert model.score(X[test], y[test]) > ridge.score(design[test], y[test]) - 0.01


# -- module__* parameters -------------------------------------------------------------


def test_module_params_are_estimator_params(blobs):
    model = TorchClassifier(tabular, module__hidden=5)
    assert model.get_params()["module__hidden"] == 5
    assert model.set_params(module__hidden=7) is model
    cloned = clone(model)
    assert cloned.get_params()["module__hidden"] == 7
    assert "module__hidden=7" in repr(cloned)
    X, y = blobs
    cloned.set_params(max_iter=2).fit(X, y)
    assert cloned.module_[0].out_features == 7


def test_grid_search_over_a_module_param(blobs):
    X, y = blobs
    search = GridSearchCV(
        TorchClassifier(tabular, learning_rate_init=0.05, max_iter=30, random_state=0),
        {"module__hidden": [1, 16]}, cv=2,
    ).fit(X, y)
    assert search.best_params_ == {"module__hidden": 16}
    assert search.best_estimator_.module_[0].out_features == 16
    assert search.best_score_ > 0.9


def test_tune_with_optuna_over_module_params(blobs):
    X, y = blobs
    space = {**search_space(TorchClassifier(tabular)), "module__hidden": IntDistribution(2, 16)}
    assert {"learning_rate_init", "alpha", "batch_size", "module__hidden"} == set(space)
    best, study = tune(TorchClassifier(tabular, max_iter=5), X, y, space=space, n_trials=3,
                       cv=2, random_state=0, verbose=0)
    assert len(study.trials) == 3
    assert best.module_[0].out_features == study.best_params["module__hidden"]
    assert all(trial.state == optuna.trial.TrialState.COMPLETE or
               trial.state == optuna.trial.TrialState.PRUNED for trial in study.trials)


@pytest.mark.parametrize("params, error, message", [
    ({}, ValueError, "TorchClassifier needs a module: pass module="),
    ({"module": tabular(4, 1)}, ValueError,
     r"not an instance \(Sequential\): clones and refits would share its weights"),
    ({"module": tabular, "module__width": 3}, ValueError,
     r"module__width is not a parameter of tabular \(it takes hidden, n_features, n_outputs\)"),
    ({"module": tabular, "module__n_features": 3}, ValueError,
     "module__n_features is set from the data; remove it."),
    ({"module": tabular, "max_iters": 3}, ValueError,
     "Invalid parameter 'max_iters' for estimator TorchClassifier: parameters of the module"),
    ({"module": lambda n_features, n_outputs: tabular(n_features, 3)}, ValueError,
     r"returned shape \(2, 3\) for 2 samples; TorchClassifier needs a tensor of shape \(2, 1\)"),
    ({"module": lambda n_features, n_outputs: nn.Sequential(nn.Linear(n_features, 1),
                                                             nn.Flatten(0))}, ValueError,
     r"returned shape \(2,\) for 2 samples; .* Keep the output's last dimension \(no squeeze\)"),
    ({"module": lambda n_features, n_outputs: nn.Linear(n_features + 1, n_outputs)}, ValueError,
     r"failed on a batch of shape \(2, 4\), the shape of the input X: RuntimeError"),
    ({"module": lambda n_features, n_outputs: "not a module"}, TypeError,
     "returned a str; it must return a torch.nn.Module"),
])
def test_bad_modules_are_refused_clearly_and_leave_nothing_fitted(blobs, params, error, message):
    X, y = blobs
    model = TorchClassifier(**params, max_iter=1)
    with pytest.raises(error, match=message):
        model.fit(X, y)
    assert not hasattr(model, "classes_")


class TwoLogits(nn.Module):
    """skorch's README module: a fixed head of two class scores, no ``n_outputs``."""

    def __init__(self, num_units=10, softmax=False):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(4, num_units), nn.ReLU(), nn.Linear(num_units, 2))
        self.softmax = softmax

    def forward(self, X):
        scores = self.layers(X)
        return torch.softmax(scores, dim=-1) if self.softmax else scores


def test_a_head_of_two_logits_reads_a_binary_target_as_two_classes(blobs, tmp_path):
    # The usual PyTorch classifier for two classes (and skorch's): a logit per
    # class, a softmax over both, where the built-in networks use one logit.
    X, y = blobs
    labels = np.array(["no", "yes"])[y]
    model = TorchClassifier(TwoLogits, learning_rate_init=0.01, max_iter=200,
                            random_state=0).fit(X, labels)
    assert model.n_outputs_ == 2 and model.out_activation_ == "softmax"
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), 2)
    assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)
    assert_array_equal(model.predict(X), model.classes_[proba.argmax(axis=1)])
    assert model.score(X, labels) > 0.9
    with torch.no_grad():
        logits = model.module_(torch.as_tensor(X, dtype=torch.float32)).numpy()
    assert_allclose(proba, np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True),
                    rtol=1e-5)
    assert_array_equal(pickle.loads(pickle.dumps(model)).predict_proba(X), proba)
    save(model, tmp_path / "two_logits.safetensors")
    loaded = load(tmp_path / "two_logits.safetensors", trusted=[TwoLogits])
    assert_array_equal(loaded.predict_proba(X), proba)
    model.set_params(warm_start=True, max_iter=2).fit(X, labels)
    assert model.n_outputs_ == 2
    partial = TorchClassifier(TwoLogits, random_state=0)
    partial.partial_fit(X, labels, classes=["no", "yes"])
    partial.partial_fit(X, labels)
    assert partial.n_outputs_ == 2 and partial.predict_proba(X).shape == (len(X), 2)
    # A module told n_outputs is still built with one logit for two classes.
    assert TorchClassifier(tabular, max_iter=1).fit(X, labels).n_outputs_ == 1


@pytest.mark.parametrize("n_classes", [2, 3])
def test_a_module_that_ends_in_a_softmax_is_refused(blobs, n_classes):
    X, y = blobs
    if n_classes == 2:
        model = TorchClassifier(TwoLogits, module__softmax=True, max_iter=1)
    else:
        y = np.digitize(X[:, 0], [-0.5, 0.5])
        model = TorchClassifier(lambda n_features, n_outputs: nn.Sequential(
            nn.Linear(n_features, n_outputs), nn.Softmax(dim=1)), max_iter=1)
    with pytest.raises(ValueError, match=r"returns probabilities: on two samples, each row .* "
                                         r"needs raw scores \(logits\): remove the final softmax"):
        model.fit(X, y)
    assert not hasattr(model, "classes_")
    # Log-probabilities are logits (the softmax of a log-softmax is the softmax).
    log_softmax = TorchClassifier(lambda n_features, n_outputs: nn.Sequential(
        nn.Linear(n_features, 3), nn.LogSoftmax(dim=1)), max_iter=5, random_state=0)
    assert log_softmax.fit(X, np.digitize(X[:, 0], [-0.5, 0.5])).n_outputs_ == 3


# -- the base's guarantees --------------------------------------------------------------


def test_partial_fit_is_one_epoch(blobs):
    X, y = blobs
    model = TorchClassifier(tabular, random_state=0)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        model.partial_fit(X, y)
    for epoch in range(1, 4):
        model.partial_fit(X, y, classes=[0, 1])
        assert model.n_iter_ == 1 and len(model.loss_curve_) == epoch
    assert model.loss_curve_[-1] < model.loss_curve_[0]
    assert not hasattr(TorchClassifier(tabular, solver="lbfgs"), "partial_fit")


def test_sample_weight_and_class_weight(blobs):
    X, y = blobs
    params = dict(solver="lbfgs", max_iter=50, precision="float64", random_state=0)
    # Zero weight is leaving the samples out (full batch, double precision).
    weights = np.where(np.arange(len(y)) % 3 == 0, 0.0, 1.0)
    weighted = TorchRegressor(tabular, **params).fit(X, X[:, 0], sample_weight=weights)
    dropped = TorchRegressor(tabular, **params).fit(X[weights > 0], X[weights > 0, 0],
                                                    sample_weight=np.ones(int(weights.sum())))
    assert_allclose(weighted.predict(X), dropped.predict(X), rtol=1e-6, atol=1e-8)
    # class_weight multiplies into the sample weights.
    y_skewed = np.where(np.arange(len(y)) < 100, 0, 1)
    balanced = TorchClassifier(tabular, class_weight="balanced", **params).fit(X, y_skewed)
    explicit = TorchClassifier(tabular, **params).fit(
        X, y_skewed, sample_weight=compute_sample_weight("balanced", y_skewed))
    assert_allclose(balanced.predict_proba(X), explicit.predict_proba(X), rtol=1e-6, atol=1e-10)


def test_same_seed_same_model_other_seed_other_model(blobs):
    X, y = blobs
    fits = [TorchClassifier(tabular, max_iter=3, random_state=seed).fit(X, y).predict_proba(X)
            for seed in (0, 0, 1)]
    assert_array_equal(fits[0], fits[1])
    assert not np.allclose(fits[0], fits[2])
    torch.manual_seed(123)
    state = torch.get_rng_state()
    TorchRegressor(tabular, max_iter=2, random_state=0).fit(X, X[:, 0])
    assert torch.equal(state, torch.get_rng_state())  # global RNG untouched


def with_torch_dropout(n_features, n_outputs):
    return nn.Sequential(nn.Linear(n_features, 16), nn.ReLU(), nn.Dropout(0.5),
                         nn.Linear(16, n_outputs))


def test_torch_dropout_in_a_user_module_is_seeded_by_random_state(blobs):
    # nn.Dropout draws from torch's global generator: training draws from a stand-in
    # seeded by random_state, whatever the caller did to torch's generator, in threads too.
    X, y = blobs
    model = TorchClassifier(with_torch_dropout, max_iter=4, random_state=0)
    fits = []
    for global_seed in (1, 2):
        torch.manual_seed(global_seed)
        state = torch.get_rng_state()
        fits.append(clone(model).fit(X, y).predict_proba(X))
        assert torch.equal(state, torch.get_rng_state())
    assert_array_equal(fits[0], fits[1])
    with ThreadPoolExecutor(4) as pool:
        in_threads = list(pool.map(lambda _: clone(model).fit(X, y).predict_proba(X), range(4)))
    for proba in in_threads:
        assert_array_equal(proba, fits[0])


def test_divergence_guard_applies_to_user_modules(blobs):
    X, _ = blobs
    model = TorchRegressor(tabular, solver="sgd", learning_rate_init=1e4, momentum=0.0,
                           standardize_target=False, max_iter=20, on_divergence="stop",
                           random_state=0)
    with pytest.warns(ConvergenceWarning, match="diverged"):
        model.fit(X * 1e6, X[:, 0] * 1e6)
    assert np.all(np.isfinite(model.predict(X)))


def test_multi_output_regression_and_multilabel(blobs):
    X, _ = blobs
    Y = np.column_stack([X[:, 0], -X[:, 1]])
    reg = TorchRegressor(tabular, module__hidden=16, learning_rate_init=0.02, max_iter=100,
                         random_state=0).fit(X, Y)
    assert reg.n_outputs_ == 2 and reg.predict(X).shape == (len(X), 2)
    assert reg.score(X, Y) > 0.9
    labels = (Y > 0).astype(int)
    clf = TorchClassifier(tabular, module__hidden=16, learning_rate_init=0.02, max_iter=100,
                          random_state=0).fit(X, labels)
    assert clf.predict(X).shape == labels.shape
    assert (clf.predict(X) == labels).mean() > 0.9
