"""MLPClassifier / MLPRegressor in real use: accuracy floors, sklearn workflows, errors."""

import io
import pickle
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from scipy import sparse
from skorch.callbacks import Callback
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, make_friedman1
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    StratifiedKFold,
    cross_val_score,
    cross_validate,
)
from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sklearn_dl import DivergenceError
from sklearn_dl.modules.losses import (
    HalfPoissonDeviance, HalfSquaredError, SigmoidCrossEntropy, SoftmaxCrossEntropy)
from sklearn_dl.neural_network import (
    CNNRegressor, LSTMRegressor, MLPClassifier, MLPRegressor, TransformerRegressor)


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def small_clf(**params):
    params = {"hidden_layer_sizes": (16,), "max_iter": 30, "learning_rate_init": 0.01,
              "random_state": 0, **params}
    return MLPClassifier(**params)


# -- accuracy floors with default parameters (the targets) --------------


def test_digits_five_fold_accuracy_with_defaults():
    X, y = load_digits(return_X_y=True)
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    scores = cross_val_score(make_pipeline(StandardScaler(), MLPClassifier(random_state=0)),
                             X, y, cv=cv)
    assert scores.mean() >= 0.975


def test_breast_cancer_five_fold_accuracy_with_defaults():
    X, y = load_breast_cancer(return_X_y=True)
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    scores = cross_val_score(make_pipeline(StandardScaler(), MLPClassifier(random_state=0)),
                             X, y, cv=cv)
    assert scores.mean() >= 0.97


def test_friedman1_r2_with_defaults():
    X, y = make_friedman1(n_samples=2000, random_state=0)
    cv = KFold(5, shuffle=True, random_state=0)
    scores = cross_val_score(make_pipeline(StandardScaler(), MLPRegressor(random_state=0)),
                             X, y, cv=cv)
    assert scores.mean() >= 0.90


# -- drop-in compatibility with sklearn's MLP -------------------------------------


def test_same_parameters_and_defaults_as_sklearn():
    ours = MLPClassifier().get_params()
    theirs = SklearnMLPClassifier().get_params()
    for name, value in theirs.items():
        assert ours[name] == value, name


def test_fitted_attributes_have_sklearn_shapes(iris):
    X, y = iris
    ours = MLPClassifier(hidden_layer_sizes=(7, 5), max_iter=5, random_state=0).fit(X, y)
    theirs = SklearnMLPClassifier(hidden_layer_sizes=(7, 5), max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs.fit(X, y)
    assert [c.shape for c in ours.coefs_] == [c.shape for c in theirs.coefs_]
    assert [b.shape for b in ours.intercepts_] == [b.shape for b in theirs.intercepts_]
    assert ours.n_layers_ == theirs.n_layers_ == 4
    assert ours.n_outputs_ == theirs.n_outputs_ == 3
    assert ours.out_activation_ == theirs.out_activation_ == "softmax"
    assert ours.n_iter_ == 5 and len(ours.loss_curve_) == 5
    assert ours.t_ == 5 * len(X)
    assert ours.loss_ == ours.loss_curve_[-1]
    assert ours.best_loss_ == min(ours.loss_curve_)
    assert ours.validation_scores_ is None and ours.best_validation_score_ is None
    assert list(ours.history_.columns[:2]) == ["train_loss", "dur"] or "train_loss" in ours.history_
    assert isinstance(ours.module_, torch.nn.Module)


def test_binary_uses_one_logistic_output():
    X, y = load_breast_cancer(return_X_y=True)
    model = small_clf().fit(StandardScaler().fit_transform(X), y)
    assert model.n_outputs_ == 1 and model.out_activation_ == "logistic"
    assert model.coefs_[-1].shape == (16, 1)


def test_weights_drawn_as_sklearn_draws_them():
    # Glorot uniform: every weight of layer i within +-sqrt(6 / (fan_in + fan_out)).
    model = MLPClassifier(hidden_layer_sizes=(50,), max_iter=1, learning_rate_init=1e-12,
                          random_state=0)
    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    bound = np.sqrt(6 / (4 + 50))
    assert np.abs(model.coefs_[0]).max() <= bound + 1e-6
    assert np.abs(model.coefs_[0]).max() > 0.9 * bound


# -- sklearn workflows -------------------------------------------------------------


def test_pipeline_grid_search_and_cross_validate_in_parallel(iris):
    X, y = iris
    search = GridSearchCV(small_clf(), {"alpha": [1e-4, 1e-1]}, cv=3, n_jobs=2).fit(X, y)
    assert search.best_score_ > 0.8
    results = cross_validate(make_pipeline(StandardScaler(), small_clf()), X, y, cv=3, n_jobs=2)
    assert results["test_score"].mean() > 0.8


def test_column_transformer_on_pandas_frame():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({
        "size": rng.normal(size=300),
        "weight": rng.normal(size=300),
        "colour": rng.choice(["red", "green", "blue"], size=300),
    })
    y = np.where((frame["size"] > 0) ^ (frame["colour"] == "red"), "yes", "no")
    model = make_pipeline(
        ColumnTransformer([("num", StandardScaler(), ["size", "weight"]),
                           ("cat", OneHotEncoder(), ["colour"])]),
        MLPClassifier(hidden_layer_sizes=(32,), max_iter=200, random_state=0),
    ).fit(frame, y)
    assert model.score(frame, y) > 0.95
    assert set(model.predict(frame)) <= {"yes", "no"}


def test_feature_names_recorded_and_checked(iris):
    X, y = iris
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    model = small_clf().fit(frame, y)
    assert list(model.feature_names_in_) == ["a", "b", "c", "d"]
    with pytest.raises(ValueError, match="feature names"):
        model.predict(frame[["b", "a", "c", "d"]])


def test_string_labels_and_predict_proba(iris):
    X, y = iris
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    model = small_clf(max_iter=100).fit(X, labels)
    assert list(model.classes_) == ["setosa", "versicolor", "virginica"]
    assert model.score(X, labels) > 0.9
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)
    np.testing.assert_array_equal(model.classes_[proba.argmax(axis=1)], model.predict(X))
    np.testing.assert_allclose(np.exp(model.predict_log_proba(X)), proba, rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
def test_accepts_dtypes_and_sparse(iris, dtype):
    X, y = iris
    X = (X * 10).astype(dtype)
    dense = small_clf().fit(X, y)
    from_sparse = small_clf().fit(sparse.csr_matrix(X), y)
    np.testing.assert_allclose(dense.predict_proba(X), from_sparse.predict_proba(X), rtol=1e-5)


def test_clone_pickle_and_joblib_round_trips(iris):
    X, y = iris
    model = small_clf().fit(X, y)
    expected = model.predict_proba(X)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict_proba(X), expected)
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    buffer.seek(0)
    np.testing.assert_array_equal(joblib.load(buffer).predict_proba(X), expected)
    fresh = clone(model)
    assert not hasattr(fresh, "net_")
    np.testing.assert_array_equal(fresh.fit(X, y).predict_proba(X), expected)


def test_same_random_state_same_result_and_global_rng_untouched(iris):
    X, y = iris
    torch.manual_seed(123)
    before = torch.rand(3)
    torch.manual_seed(123)
    first = small_clf(dropout=0.2).fit(X, y).predict_proba(X)
    after = torch.rand(3)
    second = small_clf(dropout=0.2).fit(X, y).predict_proba(X)
    other = small_clf(random_state=1, dropout=0.2).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(first, other)
    np.testing.assert_array_equal(before, after)


def test_partial_fit_trains_exactly_one_epoch(iris):
    X, y = iris
    model = MLPClassifier(hidden_layer_sizes=(16,), random_state=0)
    with pytest.raises(ValueError, match="classes must be passed"):
        model.partial_fit(X, y)
    model.partial_fit(X, y, classes=[0, 1, 2])
    assert model.n_iter_ == 1 and len(model.loss_curve_) == 1
    for _ in range(4):
        model.partial_fit(X, y)
    assert len(model.loss_curve_) == 5 and model.t_ == 5 * len(X)
    assert model.loss_curve_[-1] < model.loss_curve_[0]
    with pytest.raises(ValueError, match="classes not in"):
        model.partial_fit(X[:5], np.full(5, 7))


def test_partial_fit_unavailable_for_lbfgs_and_early_stopping(iris):
    assert not hasattr(MLPClassifier(solver="lbfgs"), "partial_fit")
    X, y = iris
    with pytest.raises(ValueError, match="early_stopping"):
        MLPClassifier(early_stopping=True).partial_fit(X, y, classes=[0, 1, 2])


def test_warm_start_continues_training(iris):
    X, y = iris
    model = small_clf(warm_start=True, max_iter=5, tol=0).fit(X, y)
    first_weights = model.coefs_[0].copy()
    model.fit(X, y)
    assert len(model.loss_curve_) == 10 and model.n_iter_ == 5
    assert model.loss_curve_[5] < model.loss_curve_[0]
    assert not np.array_equal(first_weights, model.coefs_[0])
    with pytest.raises(ValueError, match="warm_start can only be used"):
        model.fit(X[y < 2], y[y < 2])
    cold = small_clf(max_iter=5).fit(X, y)
    assert len(cold.fit(X, y).loss_curve_) == 5


def test_early_stopping_holds_out_validation_and_restores_best(iris):
    X, y = iris
    model = MLPClassifier(hidden_layer_sizes=(16,), early_stopping=True, max_iter=200,
                          n_iter_no_change=5, random_state=0).fit(X, y)
    assert model.n_iter_ < 200
    assert len(model.validation_scores_) == model.n_iter_
    assert model.best_validation_score_ == max(model.validation_scores_)
    assert model.best_loss_ is None
    assert {"valid_loss", "valid_score"} <= set(model.history_.columns)
    # no hidden split without early stopping: all samples train
    assert small_clf(max_iter=1).fit(X, y).t_ == len(X)
    # a split that leaves batch norm one training sample is refused before torch sees it
    tiny = MLPRegressor(early_stopping=True, validation_fraction=0.6, batch_norm=True)
    with pytest.raises(ValueError, match="early_stopping leaves 1 training sample"):
        tiny.fit(X[:3], y[:3].astype(float))
    assert not hasattr(tiny, "net_")


def test_convergence_stops_like_sklearn(iris):
    X, y = iris
    model = small_clf(max_iter=500, tol=1e-2, n_iter_no_change=3).fit(X, y)
    assert model.n_iter_ < 500
    with pytest.warns(ConvergenceWarning, match="Maximum iterations"):
        warnings.simplefilter("always", ConvergenceWarning)
        small_clf(max_iter=2, tol=0).fit(X, y)


@pytest.mark.parametrize("solver", ["sgd", "adamw", "lbfgs"])
def test_solvers_learn(iris, solver):
    X, y = iris
    model = MLPClassifier(hidden_layer_sizes=(16,), solver=solver, learning_rate_init=0.05,
                          max_iter=100, random_state=0).fit(X, y)
    assert model.score(X, y) > 0.9


def test_sgd_learning_rate_schedules(iris):
    X, y = iris
    invscaling = small_clf(solver="sgd", learning_rate="invscaling", max_iter=3).fit(X, y)
    lr = invscaling.net_.optimizer_.param_groups[0]["lr"]
    assert lr == pytest.approx(invscaling.learning_rate_init / (invscaling.t_ + 1) ** 0.5)
    adaptive = small_clf(solver="sgd", learning_rate="adaptive", learning_rate_init=1e-4,
                         tol=10.0, n_iter_no_change=1, max_iter=100).fit(X, y)
    assert adaptive.net_.optimizer_.param_groups[0]["lr"] < 1e-6
    assert adaptive.n_iter_ < 100


def test_regularisation_options_change_the_network(iris):
    X, y = iris
    model = small_clf(dropout=0.3, batch_norm=True, activation="gelu", weight_init="he",
                      max_grad_norm=1.0).fit(X, y)
    layer_types = {type(layer).__name__ for layer in model.module_.modules()}
    assert {"Dropout", "BatchNorm1d", "GELU"} <= layer_types
    assert "gradient_clipping" in dict(model.net_.callbacks_)
    assert model.score(X, y) > 0.8


def test_alpha_shrinks_weights(iris):
    X, y = iris
    weak = small_clf(alpha=1e-5, max_iter=100).fit(X, y)
    strong = small_clf(alpha=10.0, max_iter=100).fit(X, y)
    assert np.linalg.norm(strong.coefs_[0]) < 0.5 * np.linalg.norm(weak.coefs_[0])


def test_sample_weight_and_class_weight_shift_decisions():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 2))
    y = (X[:, 0] + 0.5 * rng.normal(size=400) > 0).astype(int)
    plain = small_clf(max_iter=100).fit(X, y)
    heavy = np.where(y == 1, 20.0, 1.0)
    weighted = small_clf(max_iter=100).fit(X, y, sample_weight=heavy)
    balanced = small_clf(max_iter=100, class_weight={0: 1, 1: 20}).fit(X, y)
    assert weighted.predict(X).mean() > plain.predict(X).mean() + 0.05
    np.testing.assert_allclose(balanced.predict_proba(X), weighted.predict_proba(X), atol=1e-5)


def test_multilabel_classification():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] > 0, X[:, 0] + X[:, 1] > 0]).astype(int)
    model = MLPClassifier(hidden_layer_sizes=(32,), max_iter=300, random_state=0).fit(X, Y)
    assert model.predict(X).shape == Y.shape
    assert model.predict_proba(X).shape == Y.shape
    assert model.score(X, Y) > 0.85
    np.testing.assert_array_equal(model.classes_, [0, 1, 2])


def test_multioutput_and_poisson_regression():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    Y = np.column_stack([X[:, 0] * 100, X[:, 1] - X[:, 2]])
    model = MLPRegressor(hidden_layer_sizes=(32,), max_iter=200, random_state=0).fit(X, Y)
    assert model.predict(X).shape == (400, 2) and model.score(X, Y) > 0.95
    counts = rng.poisson(np.exp(0.5 * X[:, 0]))
    poisson = MLPRegressor(loss="poisson", hidden_layer_sizes=(16,), max_iter=100,
                           random_state=0).fit(X, counts)
    assert poisson.out_activation_ == "exp" and (poisson.predict(X) > 0).all()
    with pytest.raises(ValueError, match="negative"):
        MLPRegressor(loss="poisson").fit(X, -np.abs(counts) - 1)


def test_standardize_target_makes_scale_irrelevant():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = X @ [1.0, -2.0, 0.5]
    small = MLPRegressor(hidden_layer_sizes=(16,), max_iter=50, random_state=0).fit(X, y)
    large = MLPRegressor(hidden_layer_sizes=(16,), max_iter=50, random_state=0).fit(X, 1e4 * y)
    np.testing.assert_allclose(1e4 * small.predict(X), large.predict(X), rtol=1e-3, atol=1e-2)
    raw = MLPRegressor(hidden_layer_sizes=(16,), max_iter=50, random_state=0,
                       standardize_target=False).fit(X, 1e4 * y)
    assert raw.score(X, 1e4 * y) < large.score(X, 1e4 * y)


def test_skorch_callbacks_pass_through(iris):
    X, y = iris

    class CountEpochs(Callback):
        def initialize(self):
            self.epochs = 0
            return self

        def on_epoch_end(self, net, **kwargs):
            self.epochs += 1

    counter = CountEpochs()
    model = small_clf(max_iter=4, tol=0, callbacks=[("count", counter)]).fit(X, y)
    assert dict(model.net_.callbacks_)["count"].epochs == 4
    assert not hasattr(counter, "epochs")  # the parameter itself is not mutated


class _BatchListener(Callback):
    """Listens to batch events, which sends training through skorch's own epoch loop."""

    def initialize(self):
        self.batch_losses = []
        return self

    def on_batch_end(self, net, loss=None, training=False, **kwargs):
        self.batch_losses.append(float(loss))


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_fast_epoch_records_what_skorch_records(iris, solver):
    """The fast epoch (losses read back once per epoch) matches skorch's loop."""
    X, y = iris
    sample_weight = np.linspace(0.5, 2.0, len(y))
    params = {"alpha": 0.1, "batch_size": 32, "max_iter": 3, "tol": 0, "solver": solver}
    fast = small_clf(**params).fit(X, y, sample_weight=sample_weight)
    listened = small_clf(**params, callbacks=[("listener", _BatchListener())])
    listened.fit(X, y, sample_weight=sample_weight)
    np.testing.assert_allclose(fast.loss_curve_, listened.loss_curve_, rtol=1e-6)
    fast_batches = [batch["train_loss"] for batch in fast.net_.history[-1, "batches"]]
    np.testing.assert_allclose(fast_batches, dict(listened.net_.callbacks_)["listener"]
                               .batch_losses[-len(fast_batches):], rtol=1e-6)
    assert [b["train_batch_size"] for b in fast.net_.history[-1, "batches"]] == [32] * 4 + [22]
    np.testing.assert_array_equal(fast.predict_proba(X), listened.predict_proba(X))


class _RecordEvents(Callback):
    """Counts every skorch event it is sent; listening to batches takes skorch's epoch loop."""

    def initialize(self):
        self.counts = {}
        return self

    def _count(self, event):
        self.counts[event] = self.counts.get(event, 0) + 1

    def on_train_begin(self, net, **kwargs):
        self._count("on_train_begin")

    def on_epoch_begin(self, net, **kwargs):
        self._count("on_epoch_begin")

    def on_batch_begin(self, net, **kwargs):
        self._count("on_batch_begin")

    def on_grad_computed(self, net, named_parameters, **kwargs):
        self._count("on_grad_computed")

    def on_batch_end(self, net, **kwargs):
        self._count("on_batch_end")

    def on_epoch_end(self, net, **kwargs):
        self._count("on_epoch_end")

    def on_train_end(self, net, **kwargs):
        self._count("on_train_end")


class _RecordEpochEvents(_RecordEvents):
    """Listens to epoch and training events only: training keeps the fast epoch."""

    on_batch_begin = Callback.on_batch_begin
    on_grad_computed = Callback.on_grad_computed
    on_batch_end = Callback.on_batch_end


@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_fast_epoch_and_skorch_epoch_train_the_same_network(iris, Estimator):
    """Default parameters, with no callback, an epoch-only callback, and one that
    listens to every event (skorch's loop): the same weights and loss curve, bit for bit."""
    X, y = iris
    params = {"hidden_layer_sizes": (16,), "batch_size": 40, "max_iter": 4, "tol": 0,
              "random_state": 0}
    fits = {}
    for name, callbacks in [("none", None), ("epochs", [("rec", _RecordEpochEvents())]),
                            ("every_event", [("rec", _RecordEvents())])]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            fits[name] = Estimator(**params, callbacks=callbacks).fit(X, y)
    reference = fits.pop("none")
    for model in fits.values():
        np.testing.assert_allclose(model.loss_curve_, reference.loss_curve_, rtol=1e-6)
        for ours, theirs in zip(model.net_.module_.parameters(),
                                reference.net_.module_.parameters()):
            torch.testing.assert_close(ours, theirs, rtol=0, atol=0)
    # The fast epoch's losses are the skorch loop's but for the L2 term's rounding;
    # with only epoch listeners the fast epoch runs and its curve is the reference's exactly.
    assert fits["epochs"].loss_curve_ == reference.loss_curve_
    # 150 rows in batches of 40: 4 batches per epoch, 4 epochs.
    assert dict(fits["every_event"].net_.callbacks_)["rec"].counts == {
        "on_train_begin": 1, "on_epoch_begin": 4, "on_batch_begin": 16,
        "on_grad_computed": 16, "on_batch_end": 16, "on_epoch_end": 4, "on_train_end": 1}
    assert dict(fits["epochs"].net_.callbacks_)["rec"].counts == {
        "on_train_begin": 1, "on_epoch_begin": 4, "on_epoch_end": 4, "on_train_end": 1}


class _RecordThreads(Callback):
    """Notes how many threads torch computes with during each epoch."""

    def initialize(self):
        self.threads = []
        return self

    def on_epoch_begin(self, net, **kwargs):
        self.threads.append(torch.get_num_threads())


def test_small_networks_train_in_one_thread_and_restore_the_count(iris):
    """The default network's products are too small for torch's threads: with two,
    fit computes in one (the same network as a one-thread fit, bit for bit) and
    gives the count back; a wide network keeps both threads."""
    X, y = iris
    # On the CPU: torch's CPU threads do not compute a network on a GPU, so fit
    # leaves their count alone there.
    params = {"max_iter": 2, "tol": 0, "random_state": 0, "device": "cpu"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        one = MLPClassifier(**params).fit(X, y)
        torch.set_num_threads(2)
        try:
            small = MLPClassifier(**params, callbacks=[("threads", _RecordThreads())]).fit(X, y)
            assert torch.get_num_threads() == 2
            wide = MLPClassifier((1024, 64), batch_size=150, **params,
                                 callbacks=[("threads", _RecordThreads())]).fit(X, y)
            assert torch.get_num_threads() == 2
        finally:
            torch.set_num_threads(1)
    assert dict(small.net_.callbacks_)["threads"].threads == [1, 1]
    assert small.loss_curve_ == one.loss_curve_
    np.testing.assert_array_equal(small.predict_proba(X), one.predict_proba(X))
    # 150 rows x 4 x 1024 entries in the first layer: 614k, under the cap; 1024 x 64 x 150: 9.8M.
    assert dict(wide.net_.callbacks_)["threads"].threads == [2, 2]


@pytest.mark.parametrize("loss, target", [
    (SoftmaxCrossEntropy(), torch.tensor([0, 2, 1, 2, 0])),
    (SigmoidCrossEntropy(), torch.tensor([[1.0, 0, 1], [0, 0, 1], [1, 1, 0], [0, 1, 0], [1, 0, 0]])),
    (HalfSquaredError(), torch.linspace(-2, 3, 15).reshape(5, 3)),
    (HalfPoissonDeviance(), torch.tensor([[0.0, 1, 4], [2, 0, 1], [3, 3, 0], [0, 0, 1], [5, 1, 2]])),
    (HalfSquaredError(sum_outputs=True), torch.linspace(-2, 3, 15).reshape(5, 3)),
    (HalfPoissonDeviance(sum_outputs=True),
     torch.tensor([[0.0, 1, 4], [2, 0, 1], [3, 3, 0], [0, 0, 1], [5, 1, 2]])),
])
def test_fused_mean_of_each_loss_is_the_mean_of_its_per_sample_values(loss, target):
    """Unweighted batches train on ``loss.mean``: same value and gradient as the per-sample mean."""
    raw = torch.linspace(-1.5, 2.0, 15, dtype=torch.float64).reshape(5, 3).requires_grad_()
    target = target.double() if target.is_floating_point() else target
    fused = loss.mean(raw, target)
    (fused_grad,) = torch.autograd.grad(fused, raw)
    per_sample = loss(raw, target)
    assert per_sample.shape == (5,)
    (per_sample_grad,) = torch.autograd.grad(per_sample.mean(), raw)
    torch.testing.assert_close(fused, per_sample.mean(), rtol=1e-12, atol=0)
    torch.testing.assert_close(fused_grad, per_sample_grad, rtol=1e-12, atol=1e-15)


def test_regression_losses_sum_or_average_the_outputs_as_scikit_learn_steps():
    # scikit-learn's MLPRegressor steps along the gradient of the squared error
    # summed over the outputs (its reported loss averages them: its issue #8349),
    # and its Poisson loss sums them: MLPRegressor's losses sum, the others average.
    from sklearn.neural_network._base import poisson_loss

    raw = torch.linspace(-1.5, 2.0, 15, dtype=torch.float64).reshape(5, 3)
    target = torch.linspace(-2, 3, 15, dtype=torch.float64).reshape(5, 3)
    summed = HalfSquaredError(sum_outputs=True)(raw, target)
    torch.testing.assert_close(summed, 0.5 * ((raw - target) ** 2).sum(dim=1))
    torch.testing.assert_close(HalfSquaredError()(raw, target), summed / 3)
    counts = target.abs().round()
    assert HalfPoissonDeviance(sum_outputs=True).mean(raw, counts).item() == pytest.approx(
        poisson_loss(counts.numpy(), raw.exp().numpy()), rel=1e-12)
    assert MLPRegressor()._sums_outputs
    assert not any(Estimator()._sums_outputs
                   for Estimator in (LSTMRegressor, CNNRegressor, TransformerRegressor))


def test_verbose_prints_progress(iris, capsys):
    X, y = iris
    small_clf(max_iter=2, tol=0, verbose=True).fit(X, y)
    assert "train_loss" in capsys.readouterr().out


def test_predict_is_chunked_and_row_independent(iris, monkeypatch):
    X, y = iris
    model = small_clf().fit(X, y)
    big = np.repeat(X, 30, axis=0)
    from sklearn_dl import base
    with monkeypatch.context() as patch:
        patch.setitem(base._PREDICT_CHUNK_VALUES, "cpu", 4 * 37)  # 37-row chunks
        assert model._predict_chunk_rows(X.shape[1:], torch.device("cpu")) == 37
        chunked = model.predict_proba(big)
    np.testing.assert_array_equal(chunked, model.predict_proba(big))
    one_by_one = np.vstack([model.predict_proba(row[None]) for row in X[:10]])
    np.testing.assert_array_equal(one_by_one, model.predict_proba(X)[:10])


def _iris_targets(y, target):
    if target == "multiclass":
        return y
    if target == "binary strings":
        return np.array(["no", "yes"])[(y > 0).astype(int)]
    return np.column_stack([y == 0, y == 1, y > 0]).astype(int)  # multilabel


@pytest.mark.parametrize("target", ["multiclass", "binary strings", "multilabel"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_predict_decodes_each_chunk_as_the_host_did(iris, monkeypatch, target, dtype):
    # predict takes the argmax (or the sign) of each chunk's logits where the
    # network runs: the labels of the raw outputs decoded on the host, bit for
    # bit, over chunks of 37 rows and a last one padded to 64.
    X, y = iris
    model = small_clf(max_iter=5).fit(X.astype(np.float32), _iris_targets(y, target))
    big = np.repeat(X, 3, axis=0).astype(dtype)
    from sklearn_dl import base
    with monkeypatch.context() as patch:
        patch.setitem(base._PREDICT_CHUNK_VALUES, "cpu", 4 * 37)
        predicted = model.predict(big)
        raw = model._raw_predict(big)
        proba = model.predict_proba(big)
    assert raw.dtype == proba.dtype == dtype  # float32 only where X and the training data are
    np.testing.assert_array_equal(predicted, model._labels_from_raw(raw))
    if target == "multilabel":
        assert predicted.dtype == np.int_
        np.testing.assert_array_equal(predicted, (proba > 0.5).astype(int))
    else:
        np.testing.assert_array_equal(predicted, model.classes_[proba.argmax(axis=1)])
    assert len(np.unique(predicted, axis=0)) > 1  # not a constant that any decoding matches


@pytest.mark.parametrize("target", ["multiclass", "binary strings"])
def test_tied_logits_predict_the_first_class(iris, target):
    # As np.argmax and sklearn: the first of equal scores; in the binary case a
    # logit of exactly 0 is the first class.
    X, y = iris
    model = small_clf(max_iter=2).fit(X, _iris_targets(y, target))
    with torch.no_grad():
        model.module_.linear_layers()[-1].weight.zero_()
        model.module_.linear_layers()[-1].bias.zero_()
    assert np.all(model.predict(X) == model.classes_[0])


def test_outputs_whose_sum_overflows_are_predicted(iris):
    # The outputs' finiteness is first read from their sum; a sum that overflows
    # float32 while every output is finite must not raise.
    X, y = iris
    model = small_clf(max_iter=2).fit(X, y)
    with torch.no_grad():
        model.module_.linear_layers()[-1].weight.zero_()
        model.module_.linear_layers()[-1].bias.copy_(torch.tensor([3e38, 3.2e38, 2e38]))
    assert np.all(model.predict(X) == model.classes_[1])
    assert np.all(model.predict_proba(X).argmax(axis=1) == 1)


def test_non_finite_outputs_are_counted_over_all_chunks(iris, monkeypatch):
    X, y = iris
    model = small_clf(max_iter=2).fit(X, y)
    with torch.no_grad():  # every output is 16 x relu(sum of the features)
        for layer in model.module_.linear_layers():
            layer.weight.fill_(1.0)
            layer.bias.zero_()
    big = np.repeat(X, 3, axis=0)
    bad_rows = [0, 1, 100, 200, 300, 401, 449]  # in six of the 37-row chunks
    big[bad_rows] = 1e38  # representable in float32; their sum of 4e38 is not
    from sklearn_dl import base
    with monkeypatch.context() as patch:
        patch.setitem(base._PREDICT_CHUNK_VALUES, "cpu", 4 * 37)
        for method in (model.predict, model.predict_proba):
            with pytest.raises(ValueError, match="outputs are not finite for 7 of 450 sample"):
                method(big)
    assert np.isfinite(model.predict_proba(np.delete(big, bad_rows, axis=0))).all()


def test_predict_does_not_materialise_the_scores(monkeypatch):
    # Only the labels cross from the network to numpy: no array of
    # n_samples x n_classes scores (float64 or not) is made on the way.
    import tracemalloc

    rng = np.random.default_rng(0)
    X = rng.normal(size=(20_000, 4)).astype(np.float32)
    y = rng.integers(0, 10, size=len(X))
    model = small_clf(max_iter=1).fit(X[:500], y[:500])
    model.predict(X[:100])
    tracemalloc.start()
    try:
        labels = model.predict(X)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert labels.shape == (len(X),)
    # The labels' indices, one chunk's argmax and the labels themselves, 8 bytes
    # a row each (16 a row at the peak); the scores alone would be 40 bytes a
    # row in float32 (before: 80 in float64, then 40 more for their cast).
    assert peak < 32 * len(X)


# -- bad input gets a clear error ----------------------------------------------------


@pytest.mark.parametrize("bad, message", [
    (np.nan, "Input X contains NaN"),
    (np.inf, "Input X contains infinity"),
])
def test_non_finite_input_is_rejected(iris, bad, message):
    X, y = iris
    X = X.copy()
    X[3, 1] = bad
    with pytest.raises(ValueError, match=message):
        small_clf().fit(X, y)


def test_shape_errors(iris):
    X, y = iris
    with pytest.raises(ValueError, match="Found array with dim 3"):
        small_clf().fit(X.reshape(len(X), 2, 2), y)
    with pytest.raises(ValueError, match="0 sample"):
        small_clf().fit(X[:0], y[:0])
    model = small_clf().fit(X, y)
    with pytest.raises(ValueError, match="expecting 4 features"):
        model.predict(X[:, :3])
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        small_clf().fit(X, y[:-1])


def test_single_class_and_bad_parameters(iris):
    X, y = iris
    with pytest.raises(ValueError, match="at least 2 classes"):
        small_clf().fit(X, np.zeros(len(X)))
    with pytest.raises(ValueError, match="'activation' parameter"):
        MLPClassifier(activation="swish").fit(X, y)
    with pytest.raises(ValueError, match="'learning_rate_init' parameter"):
        MLPClassifier(learning_rate_init=-1).fit(X, y)
    with pytest.raises(ValueError, match="hidden_layer_sizes must be > 0"):
        MLPClassifier(hidden_layer_sizes=(10, 0)).fit(X, y)
    with pytest.raises(ValueError, match="CUDA is not available"):
        if torch.cuda.is_available():
            pytest.skip("this machine has CUDA")
        MLPClassifier(device="cuda").fit(X, y)


def test_divergence_raises_clearly_and_leaves_nothing_half_fitted():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3)) * 1e30
    y = rng.normal(size=200)
    model = MLPRegressor(hidden_layer_sizes=(8,), solver="sgd", learning_rate_init=10.0,
                         momentum=0.0, standardize_target=False, max_iter=20)
    with pytest.raises(DivergenceError, match="diverged at epoch"):
        model.fit(X, y * 1e30)
    assert not hasattr(model, "net_") and not hasattr(model, "n_features_in_")


def test_unfitted_estimator_refuses_to_predict(iris):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        MLPClassifier().predict(iris[0])
