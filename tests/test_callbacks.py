"""skorch's callbacks through the estimators, as a skorch user passes them."""

import re
import warnings

import numpy as np
import pytest
import torch
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, mean_absolute_error, roc_auc_score
from skorch.callbacks import (BatchScoring, Callback, Checkpoint, EarlyStopping, EpochScoring,
                              Freezer, LoadInitState, LRScheduler, Unfreezer)

from sklearn_dl.neural_network import CNNClassifier, MLPClassifier, MLPRegressor

X_iris, y_iris = load_iris(return_X_y=True)


class _FirstWeights(Callback):
    """Records the first layer's weights as training begins (on the class: the
    estimator trains on a copy of its callbacks)."""

    weights = None

    def on_train_begin(self, net, **kwargs):
        type(self).weights = net.module_.layers[0].weight.detach().clone()


@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize("alpha", [0.0, 1e-2])
def test_freezer_keeps_the_frozen_layer_and_trains_the_others(Estimator, alpha):
    # The L2 gradient was added to the frozen layer's missing gradient: a
    # TypeError from torch inside fit.
    y = y_iris if Estimator is MLPClassifier else X_iris[:, 0]
    model = Estimator(hidden_layer_sizes=(5,), max_iter=4, alpha=alpha, random_state=0,
                      callbacks=[_FirstWeights(), Freezer("layers.0.*")])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_iris, y)
    assert not model.module_.layers[0].weight.requires_grad
    torch.testing.assert_close(model.module_.layers[0].weight, _FirstWeights.weights,
                               rtol=0, atol=0)
    assert model.n_iter_ == len(model.history_) == 4
    assert model.loss_curve_[-1] < model.loss_curve_[0]


def test_unfreezer_trains_the_layer_from_its_epoch():
    model = MLPClassifier(hidden_layer_sizes=(5,), max_iter=4, alpha=1e-2, random_state=0,
                          callbacks=[_FirstWeights(), Freezer("layers.0.*"),
                                     Unfreezer("layers.0.*", at=3)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_iris, y_iris)
    assert model.module_.layers[0].weight.requires_grad
    assert not torch.equal(model.module_.layers[0].weight, _FirstWeights.weights)


@pytest.mark.parametrize("early_stopping", [False, True], ids=["no_validation", "validation"])
def test_skorch_early_stopping_ends_the_fit_without_a_false_warning(early_stopping):
    # A threshold above 1 counts no epoch after the first as an improvement:
    # skorch's EarlyStopping ends the fit after the third. That was taken for
    # a Ctrl-C ("Training interrupted by user") or for max_iter reached.
    callback = EarlyStopping(patience=2, threshold=10.0)
    model = MLPClassifier(hidden_layer_sizes=(5,), max_iter=20, early_stopping=early_stopping,
                          callbacks=[callback], random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(X_iris, y_iris)
    assert model.n_iter_ == len(model.loss_curve_) == len(model.history_) == 3
    assert callback.monitor == "valid_loss"  # the user's callback is not the one trained with


def test_skorch_early_stopping_on_a_cnn_with_validation():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 1, 16)).astype(np.float32)
    y = (X[:, 0, :8].sum(axis=1) > 0).astype(int)
    model = CNNClassifier(max_iter=20, early_stopping=True, random_state=0,
                          callbacks=[EarlyStopping(patience=2, threshold=10.0)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(X, y)
    assert model.n_iter_ == len(model.history_) == 3


class _LastPredictions(Callback):
    """Records the last training batch's (shuffled) targets and predictions, as
    the estimator's y and predict make them."""

    targets = labels = proba = None

    def on_batch_end(self, net, batch, y_pred, training, **kwargs):
        if training:
            raw = y_pred.detach().numpy()
            type(self).targets = net.scoring_targets(batch[1])
            type(self).labels = net.scoring_decoders[0](raw)
            type(self).proba = net.scoring_decoders[1](raw)


def test_epoch_and_batch_scoring_with_a_scorer_name_score_the_labels():
    # One batch per epoch: its scores are those of the predictions made in its step.
    y = np.array(["setosa", "versicolor", "virginica"])[y_iris]
    callbacks = [EpochScoring("accuracy", on_train=True),
                 BatchScoring("accuracy", on_train=True, name="batch_accuracy"),
                 EpochScoring("neg_log_loss", on_train=True),
                 _LastPredictions()]
    model = MLPClassifier(hidden_layer_sizes=(5,), learning_rate_init=0.05, max_iter=30,
                          random_state=0, callbacks=callbacks)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_iris, y)
    history = model.history_
    expected = accuracy_score(_LastPredictions.targets, _LastPredictions.labels)
    assert set(_LastPredictions.targets) == set(y)
    assert history["accuracy"].iloc[-1] == pytest.approx(expected)
    assert history["batch_accuracy"].iloc[-1] == pytest.approx(expected)
    # The log loss of the predicted probabilities is the training loss (no L2 term).
    np.testing.assert_allclose(-history["neg_log_loss"], history["train_loss"], rtol=1e-4)
    assert history["accuracy"].iloc[-1] > 0.8  # it learns; the score follows


def test_epoch_scoring_of_a_regressor_is_in_the_units_of_y():
    y = 10 * X_iris[:, 3] + 5  # standardised while training
    model = MLPRegressor(hidden_layer_sizes=(5,), max_iter=3, random_state=0,
                         callbacks=[EpochScoring("neg_mean_absolute_error", on_train=True),
                                    _LastPredictions()])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_iris[:, :3], y)
    expected = mean_absolute_error(_LastPredictions.targets, _LastPredictions.labels)
    np.testing.assert_allclose(np.sort(_LastPredictions.targets), np.sort(y), rtol=1e-6)
    assert -model.history_["neg_mean_absolute_error"].iloc[-1] == pytest.approx(expected,
                                                                                 rel=1e-5)
    assert expected > 1.0  # not the standardised units


def test_epoch_scoring_reads_a_binary_classifiers_positive_class():
    # sklearn's 'roc_auc' scorer takes the positive class's column when the
    # scored object is a classifier with classes_; on skorch's plain net it
    # failed on the two columns of predict_proba.
    y = np.where(y_iris == 1, "versicolor", "other")
    model = MLPClassifier(hidden_layer_sizes=(5,), max_iter=3, random_state=0,
                          callbacks=[EpochScoring("roc_auc", on_train=True), _LastPredictions()])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_iris, y)
    expected = roc_auc_score(_LastPredictions.targets == "versicolor", _LastPredictions.proba[:, 1])
    assert list(model.classes_) == ["other", "versicolor"]
    assert model.history_["roc_auc"].iloc[-1] == pytest.approx(expected)


@pytest.mark.parametrize("Scoring", [EpochScoring, BatchScoring])
def test_scoring_without_caching_is_refused_clearly(Scoring):
    model = MLPClassifier(hidden_layer_sizes=(5,), max_iter=2,
                          callbacks=[Scoring("accuracy", on_train=True, use_caching=False)])
    with pytest.raises(ValueError, match=rf"^{Scoring.__name__}\(use_caching=False\) cannot "
                                         "score these estimators' training data"):
        model.fit(X_iris, y_iris)
    assert not hasattr(model, "n_iter_")


def test_load_init_state_goes_on_from_the_checkpoint_as_a_warm_start(tmp_path):
    # The fit counted the checkpoint's epochs as its own in n_iter_ (8 of 4 run)
    # but not their samples in t_.
    checkpoint = Checkpoint(dirname=str(tmp_path), monitor=None)
    params = dict(hidden_layer_sizes=(5,), max_iter=4, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        MLPClassifier(callbacks=[checkpoint], **params).fit(X_iris, y_iris)
        resumed = MLPClassifier(callbacks=[LoadInitState(checkpoint)], **params).fit(X_iris,
                                                                                  y_iris)
        straight = MLPClassifier(**{**params, "max_iter": 8}).fit(X_iris, y_iris)
        warm = MLPClassifier(warm_start=True, **params).fit(X_iris, y_iris).fit(X_iris, y_iris)
    # The weights, optimiser and history of epoch 4, then 4 more epochs (in
    # skorch's loop: float32 rounding apart from the lean loop's).
    np.testing.assert_allclose(resumed.loss_curve_, straight.loss_curve_, rtol=1e-6)
    assert len(resumed.history_) == 8
    assert (resumed.n_iter_, resumed.t_) == (warm.n_iter_, warm.t_) == (4, 8 * len(X_iris))


@pytest.mark.parametrize("callbacks", [None, "Checkpoint"], ids=["lean_loop", "skorch_loop"])
def test_the_epoch_the_stopping_rule_ends_on_reaches_every_callback(callbacks, tmp_path, capsys):
    # The rule stopped training inside its own callback, before the later
    # ones took the epoch: no row printed for it, and a Checkpoint missed it
    # although its training loss was the best.
    if callbacks == "Checkpoint":
        callbacks = [Checkpoint(dirname=str(tmp_path), monitor="train_loss_best")]
    model = MLPClassifier(hidden_layer_sizes=(5,), learning_rate_init=0.05, tol=1e-2,
                          n_iter_no_change=2, random_state=0, verbose=1, callbacks=callbacks)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(X_iris, y_iris)
    history = model.history_
    assert model.n_iter_ < 200 and history["train_loss_best"].iloc[-1]
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1].startswith("Training loss did not improve more than tol=0.010000")
    assert lines[-2].split()[0] == str(model.n_iter_)  # the last epoch's row, then the message
    if callbacks is not None:
        assert history["event_cp"].iloc[-1]


def test_validation_epoch_scoring_scores_the_held_out_set(tmp_path):
    # skorch's usual validation accuracy: it recorded nothing (no skorch
    # validation set). With early_stopping=True it scores the held-out set.
    callbacks = [EpochScoring("accuracy", lower_is_better=False, name="valid_acc"),
                 Checkpoint(dirname=str(tmp_path), monitor="valid_acc_best")]
    model = MLPClassifier(hidden_layer_sizes=(5,), learning_rate_init=0.05, max_iter=8,
                          early_stopping=True, random_state=0, callbacks=callbacks)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_iris, y_iris)
    history = model.history_
    # The estimator's own validation score is the accuracy of the same rows.
    np.testing.assert_allclose(history["valid_acc"], model.validation_scores_)
    assert list(history["event_cp"]) == list(history["valid_acc_best"])


@pytest.mark.parametrize("Scoring, early_stopping, solver, where", [
    (EpochScoring, False, "adam", "EpochScoring with early_stopping=True;"),
    (EpochScoring, True, "lbfgs", "EpochScoring with early_stopping=True and a solver other "
                                  "than 'lbfgs';"),
    (BatchScoring, True, "adam", "its own validation score;")])
def test_validation_scoring_without_a_validation_set_is_refused(Scoring, early_stopping, solver,
                                                                where):
    model = MLPClassifier(hidden_layer_sizes=(5,), max_iter=2, early_stopping=early_stopping,
                          solver=solver, callbacks=[Scoring("accuracy")])
    message = (f"{Scoring.__name__}(on_train=False) scores a validation set, which "
               f"MLPClassifier holds out only for {where} pass on_train=True to score the "
               "training batches.")
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        model.fit(X_iris, y_iris)
    assert not hasattr(model, "n_iter_")


def test_lr_scheduler_goes_on_through_a_warm_start():
    # A warm start makes a fresh optimiser (sklearn's), which lacked the
    # initial rate that skorch's scheduler, made at the history's epoch
    # count, needs: a KeyError from torch.
    model = MLPClassifier(hidden_layer_sizes=(5,), max_iter=3, warm_start=True, random_state=0,
                          callbacks=[LRScheduler("StepLR", step_size=1, gamma=0.5)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_iris, y_iris)
        assert model.net_.optimizer_.param_groups[0]["lr"] == pytest.approx(1e-3 / 8)
        model.fit(X_iris, y_iris)
    assert len(model.history_) == 6 and model.n_iter_ == 3
    # From learning_rate_init again, halved at the scheduler's making and at each epoch.
    assert model.net_.optimizer_.param_groups[0]["lr"] == pytest.approx(1e-3 / 16)
    assert model.history_["event_lr"].iloc[3] == pytest.approx(1e-3 / 2)


def test_one_cycle_lr_by_batch_goes_on_through_a_warm_start():
    # OneCycleLR reads its rates from the optimiser's groups when it resumes:
    # a KeyError ('max_lr') from torch on the warm start's fresh optimiser.
    scheduler = LRScheduler(torch.optim.lr_scheduler.OneCycleLR, max_lr=0.01, total_steps=20,
                            step_every="batch")
    model = MLPClassifier(hidden_layer_sizes=(5,), max_iter=3, batch_size=50, warm_start=True,
                          random_state=0, callbacks=[scheduler])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_iris, y_iris).fit(X_iris, y_iris)
    rates = [rate for epoch in model.net_.history[:, "batches", :, "event_lr"] for rate in epoch]
    straight = torch.optim.lr_scheduler.OneCycleLR(
        torch.optim.SGD([torch.zeros(1)], lr=1e-3), max_lr=0.01, total_steps=20)
    expected = []
    for _ in range(18):
        expected.append(straight.get_last_lr()[0])
        straight.optimizer.step()
        straight.step()
    # Nine batches a fit; skorch makes the second fit's scheduler at the
    # history's epoch count (3), even for a schedule stepped by batch.
    np.testing.assert_allclose(rates, expected[:9] + expected[3:12], rtol=1e-6)


class _Epochs(Callback):
    """Counts its copy's epochs, and every copy's epochs by tag on the class."""

    calls = {}

    def __init__(self, tag="a"):
        self.tag = tag

    def initialize(self):
        self.epochs_ = 0
        return self

    def on_epoch_end(self, net, **kwargs):
        self.epochs_ += 1
        type(self).calls[self.tag] = type(self).calls.get(self.tag, 0) + 1


def _fit_twice(model, incremental, X=X_iris, y=y_iris, between="unchanged"):
    """Fit (or 3 partial_fit calls), set ``callbacks=between``, fit again."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for call in range(2):
            if call and between != "unchanged":
                model.set_params(callbacks=between)
            for _ in range(3 if incremental else 1):
                model.partial_fit(X, y, classes=np.unique(y)) if incremental else model.fit(X, y)
    return model


@pytest.mark.parametrize("incremental", [False, True], ids=["warm_start", "partial_fit"])
def test_callbacks_set_between_warm_starts_replace_the_last_fits(incremental, monkeypatch):
    # The second fit went on with the first fit's copies: "new" was never called.
    monkeypatch.setattr(_Epochs, "calls", {})
    make = lambda callbacks: MLPClassifier(hidden_layer_sizes=(5,), max_iter=3, warm_start=True,
                                           random_state=0, callbacks=callbacks)
    model = _fit_twice(make([_Epochs("old")]), incremental, between=[("new", _Epochs("new"))])
    assert _Epochs.calls == {"old": 3, "new": 3}
    names = [name for name, _ in model.net_.callbacks_]
    assert "new" in names and "_Epochs" not in names
    # The stopping rule's state went on: n_iter_, loss_curve_, t_ and the best
    # loss are those of the same fits with the first fit's callback kept.
    reference = _fit_twice(make([_Epochs("old")]), incremental)
    assert model.n_iter_ == reference.n_iter_ == (1 if incremental else 3)
    assert len(model.loss_curve_) == 6
    assert model.loss_curve_ == reference.loss_curve_
    assert model.t_ == reference.t_ == 6 * len(X_iris)
    assert model.best_loss_ == reference.best_loss_


def test_a_scheduler_set_between_partial_fits_steps_the_rate():
    # torch's KeyError ('initial_lr') once the new scheduler was used: the
    # optimiser of partial_fit had never had one.
    model = MLPClassifier(hidden_layer_sizes=(5,), random_state=0)
    model = _fit_twice(model, incremental=True,
                       between=[LRScheduler("StepLR", step_size=1, gamma=0.5)])
    # Each partial_fit call makes a scheduler at the history's epoch count,
    # which halves the rate, and halves it again after its epoch: three calls.
    assert model.net_.optimizer_.param_groups[0]["lr"] == pytest.approx(1e-3 / 64)
    assert model.history_["event_lr"].iloc[3:].tolist() == pytest.approx(
        [1e-3 / 2, 1e-3 / 8, 1e-3 / 32])


def test_the_same_callback_objects_keep_their_copies_through_a_warm_start():
    make = lambda: MLPClassifier(hidden_layer_sizes=(5,), max_iter=3, warm_start=True,
                                 random_state=0, callbacks=callbacks)
    callbacks = [_Epochs(), ("lr", LRScheduler("StepLR", step_size=1, gamma=0.5))]
    for between, epochs in [(callbacks, 6), (list(callbacks), 6),
                            ([callbacks[0], ("lr", LRScheduler("StepLR", step_size=1,
                                                               gamma=0.5))], 3),
                            ([_Epochs(), callbacks[1]], 3), (callbacks[::-1], 3)]:
        model = _fit_twice(make(), incremental=False, between=between)
        assert dict(model.net_.callbacks_)["_Epochs"].epochs_ == epochs
    # The scheduler's copy went on: from learning_rate_init again, halved at
    # the scheduler's making and at each epoch (see the test above).
    model = _fit_twice(make(), incremental=False, between=callbacks)
    assert model.net_.optimizer_.param_groups[0]["lr"] == pytest.approx(1e-3 / 16)


def test_removing_the_callbacks_between_warm_starts_runs_the_lean_loop(monkeypatch):
    from sklearn_dl import _training

    lean_calls = []
    lean = _training.TrainingNet._lean_fit_loop
    monkeypatch.setattr(_training.TrainingNet, "_lean_fit_loop",
                        lambda net, *args: lean_calls.append(net) or lean(net, *args))
    model = MLPClassifier(hidden_layer_sizes=(5,), max_iter=3, warm_start=True, random_state=0,
                          callbacks=[_Epochs()])
    _fit_twice(model, incremental=False, between=None)
    assert len(lean_calls) == 1
    assert [name for name, _ in model.net_.callbacks_] == [
        "epoch_timer", "train_loss", "sklearn_stopping", "print_log"]
    assert model.n_iter_ == 3 and len(model.loss_curve_) == 6


@pytest.mark.parametrize("between, message", [
    ([EpochScoring("accuracy", use_caching=False)], "use_caching=False"),
    ([("a", _Epochs()), ("a", _Epochs())], "duplicate user-set callback name 'a'"),
])
def test_callbacks_refused_at_a_warm_start_leave_the_last_fits(between, message):
    model = MLPClassifier(hidden_layer_sizes=(5,), max_iter=3, warm_start=True, random_state=0,
                          callbacks=[_Epochs()])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_iris, y_iris)
        copies = list(model.net_.callbacks_)
        with pytest.raises(ValueError, match=re.escape(message)):
            model.set_params(callbacks=between).fit(X_iris, y_iris)
        assert model.net_.callbacks_ == copies and model.n_iter_ == 3
        model.set_params(callbacks=[("b", _Epochs())]).fit(X_iris, y_iris)
    assert dict(model.net_.callbacks_)["b"].epochs_ == 3 and len(model.loss_curve_) == 6
