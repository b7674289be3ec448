"""Search spaces, tune(), pruning (OptunaSearchCV, tune, the skorch callback)."""

import copy
import pickle

import numpy as np
import optuna
import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution
from optuna.exceptions import ExperimentalWarning
from optuna_integration import OptunaSearchCV
from sklearn.base import clone, is_classifier
from sklearn.datasets import load_digits, load_iris
from sklearn.linear_model import LinearRegression as SklearnLinearRegression
from sklearn.model_selection import StratifiedKFold, StratifiedShuffleSplit, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from skorch.callbacks import Callback

from sklearn_dl.neural_network import MLPClassifier, MLPRegressor
from sklearn_dl.tuning import OptunaPruning, Tunable, decode_params, search_space, tune
from sklearn_dl.tuning._spaces import _SPACES
from sklearn_dl.utils import all_estimators

optuna.logging.set_verbosity(optuna.logging.WARNING)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:450] / 16.0, y[:450]


def _optuna_search(*args, **kwargs):
    # OptunaSearchCV is experimental in optuna-integration; say we know.
    with pytest.warns(ExperimentalWarning):
        return OptunaSearchCV(*args, **kwargs)


# -- search spaces ---------------------------------------------------------------


def test_mlp_space_is_storable_and_prefixed_in_a_pipeline():
    space = search_space(MLPClassifier())
    assert {"hidden_layer_sizes", "activation", "dropout", "learning_rate_init", "alpha",
            "batch_size"} <= set(space)
    assert space["learning_rate_init"].log and space["alpha"].log
    for dist in space.values():
        if isinstance(dist, CategoricalDistribution):
            assert all(isinstance(c, (type(None), bool, int, float, str)) for c in dist.choices)
    pipe = make_pipeline(StandardScaler(), MLPRegressor())
    assert set(search_space(pipe)) == {f"mlpregressor__{name}" for name in space}
    assert set(search_space(MLPClassifier(), prefix="m__")) == {f"m__{n}" for n in space}


@pytest.mark.parametrize("name, klass", all_estimators())
def test_every_estimator_space_is_valid_for_its_estimator(name, klass):
    estimator = klass()
    if not any(k.__name__ in _SPACES for k in klass.__mro__):
        with pytest.raises(ValueError, match=f"no default search space for {name}"):
            search_space(estimator)
        return
    space = search_space(estimator)
    assert space, name
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(5):
        trial = study.ask(space)
        # Every sampled point passes the estimator's own parameter validation.
        clone(estimator).set_params(**decode_params(trial.params))._validate_params()


def test_space_lookup_errors_clearly_for_foreign_estimators():
    with pytest.raises(ValueError, match="no default search space for LinearRegression"):
        search_space(make_pipeline(StandardScaler(), SklearnLinearRegression()))


def test_decode_params_only_touches_tuple_parameters():
    params = {"a__hidden_layer_sizes": "256-128", "filters": "16-32", "activation": "relu",
              "hidden_layer_sizes": (3,)}
    assert decode_params(params) == {"a__hidden_layer_sizes": (256, 128), "filters": (16, 32),
                                     "activation": "relu", "hidden_layer_sizes": (3,)}


# -- Tunable and OptunaSearchCV ------------------------------------------------------


def test_tunable_decodes_set_params_and_survives_clone():
    model = Tunable(make_pipeline(StandardScaler(), MLPClassifier()))
    model.set_params(mlpclassifier__hidden_layer_sizes="128-64", mlpclassifier__alpha=0.1)
    cloned = clone(model)
    assert cloned.estimator is not model.estimator
    assert cloned.get_params()["mlpclassifier__hidden_layer_sizes"] == (128, 64)
    assert cloned.get_params()["mlpclassifier__alpha"] == 0.1
    assert is_classifier(cloned)
    assert set(search_space(model)) == set(search_space(model.estimator))


def test_optuna_search_cv_prunes_a_pipeline_through_tunable(digits):
    X, y = digits
    model = Tunable(make_pipeline(StandardScaler(), MLPClassifier(max_iter=3, random_state=0)))
    search = _optuna_search(model, search_space(model), enable_pruning=True, max_iter=3,
                            n_trials=3, cv=2, error_score="raise", random_state=0)
    search.fit(X, y)
    trials = search.study_.trials
    # One report per epoch: each partial_fit call trained one epoch on every fold.
    assert all(len(t.intermediate_values) == 3 for t in trials)
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in trials)
    assert search.best_estimator_.estimator_[-1].hidden_layer_sizes in {
        decode_params({"hidden_layer_sizes": c})["hidden_layer_sizes"]
        for c in search_space(model)["mlpclassifier__hidden_layer_sizes"].choices}
    assert search.score(X, y) > 0.5


def test_optuna_search_cv_pruning_passes_classes_to_a_bare_classifier(digits):
    # MLPClassifier.partial_fit needs classes on the first call; OptunaSearchCV
    # passes np.unique(y) to classifiers, so every fold sees all ten classes.
    X, y = digits
    space = {"learning_rate_init": FloatDistribution(1e-3, 1e-2, log=True)}
    search = _optuna_search(MLPClassifier(max_iter=5, random_state=0), space, enable_pruning=True,
                            max_iter=2, n_trials=2, cv=2, error_score="raise", random_state=0)
    search.fit(X, y)
    assert [len(t.intermediate_values) for t in search.study_.trials] == [2, 2]
    np.testing.assert_array_equal(search.classes_, np.arange(10))


# -- the skorch pruning callback ---------------------------------------------------


def test_pruning_callback_shares_its_trial_through_clone_and_deepcopy_and_pickles():
    study = optuna.create_study()
    trial = study.ask()
    model = MLPClassifier(callbacks=[("prune", OptunaPruning(trial))])
    assert clone(model).callbacks[0][1].trial is trial
    assert copy.deepcopy(model.callbacks)[0][1].trial is trial
    restored = pickle.loads(pickle.dumps(model))
    assert restored.callbacks[0][1].trial is None
    assert model.callbacks[0][1].trial is trial


def test_pruning_callback_reports_each_epoch_and_prunes():
    X, y = load_iris(return_X_y=True)
    # Prune anything whose validation accuracy is under 0.99 after the warm-up epoch.
    study = optuna.create_study(direction="maximize",
                                pruner=optuna.pruners.ThresholdPruner(lower=0.99,
                                                                      n_warmup_steps=2))
    trial = study.ask()
    model = MLPClassifier(learning_rate_init=1e-5, max_iter=10, early_stopping=True,
                          random_state=0, callbacks=[OptunaPruning(trial)])
    with pytest.raises(optuna.TrialPruned, match="epoch 2 "):
        model.fit(X, y)
    assert sorted(trial.storage.get_trial(trial._trial_id).intermediate_values) == [1, 2]
    assert not hasattr(model, "net_")


@pytest.mark.parametrize("direction, sign", [("minimize", 1), ("maximize", -1)])
def test_pruning_callback_reports_losses_in_the_study_direction(direction, sign):
    X, y = load_iris(return_X_y=True)
    study = optuna.create_study(direction=direction)
    trial = study.ask()
    model = MLPClassifier(max_iter=2, random_state=0, callbacks=[OptunaPruning(trial)]).fit(X, y)
    reported = study._storage.get_trial(trial._trial_id).intermediate_values
    np.testing.assert_allclose([reported[1], reported[2]], sign * np.array(model.loss_curve_))


# -- tune ------------------------------------------------------------------------


class CountEpochs(Callback):
    """Counts every epoch trained in this process (copies share the class counter)."""

    total = 0

    def on_epoch_end(self, net, **kwargs):
        type(self).total += 1


def test_pruning_prunes_hopeless_trials_and_saves_epochs(digits):
    X, y = digits
    # No plateau stop within the 12 epochs: without pruning every trial trains them all.
    model = MLPClassifier(hidden_layer_sizes=(16,), max_iter=12, n_iter_no_change=20,
                          callbacks=[CountEpochs()])
    # Learning rates under 1e-4 (2 of these 5 decades) learn next to nothing in 12 epochs.
    space = {"learning_rate_init": FloatDistribution(1e-6, 1e-1, log=True)}
    holdout = StratifiedShuffleSplit(n_splits=1, test_size=0.3, random_state=0)
    epochs, studies = {}, {}
    for pruning in (False, True):
        CountEpochs.total = 0
        best, studies[pruning] = tune(model, X, y, space=space, n_trials=20, cv=holdout,
                                   pruning=pruning, random_state=0, verbose=0)
        epochs[pruning] = CountEpochs.total
        refit_epochs = best.n_iter_
    states = [t.state for t in studies[True].trials]
    n_pruned = states.count(optuna.trial.TrialState.PRUNED)
    print(f"pruned {n_pruned}/20 trials; epochs {epochs[True]} with pruning, "
          f"{epochs[False]} without")
    assert len(states) == 20 and n_pruned >= 5
    assert epochs[True] < epochs[False]
    # The epoch count tune records per trial is what was trained (refit excluded).
    recorded = sum(t.user_attrs["epochs"] for t in studies[True].trials)
    assert recorded == epochs[True] - refit_epochs
    assert not any(s == optuna.trial.TrialState.PRUNED for s in
                   [t.state for t in studies[False].trials])


def test_tune_pipeline_beats_a_weak_baseline(digits, capsys):
    X, y = digits
    cv = StratifiedKFold(2, shuffle=True, random_state=0)
    weak = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(2,),
                                                         learning_rate_init=1e-4, max_iter=10,
                                                         random_state=0))
    model = make_pipeline(StandardScaler(), MLPClassifier(max_iter=10))
    best, study = tune(model, X, y, n_trials=3, cv=cv, random_state=0)
    assert "[tune] trial 2/3" in capsys.readouterr().out
    assert [name for name, _ in best.steps] == ["standardscaler", "mlpclassifier"]
    final = best[-1]
    assert final.max_iter == study.best_trial.user_attrs["best_epoch"] == final.n_iter_
    assert final.random_state == 0
    weak_score = cross_val_score(weak, X, y, cv=cv).mean()
    tuned_score = cross_val_score(clone(best), X, y, cv=cv).mean()
    assert study.best_value > weak_score + 0.2
    assert tuned_score > weak_score + 0.2


def test_tune_cross_validates_estimators_without_epochs_and_resumes_a_stored_study(tmp_path):
    linear_model = pytest.importorskip("sklearn_dl.linear_model")
    X, y = load_iris(return_X_y=True)
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    for _ in range(2):
        best, study = tune(linear_model.LogisticRegression(device="cpu"), X, y, n_trials=2,
                           cv=3, storage=storage, study_name="logistic", random_state=0,
                           verbose=0)
    assert len(study.trials) == 4
    assert all(not t.intermediate_values for t in study.trials)
    assert best.C == study.best_params["C"]
    assert best.score(X, y) > 0.6


def test_tune_trains_a_text_pipeline_by_epoch_and_refits_on_every_text():
    from sklearn_dl.neural_network import TransformerClassifier
    from sklearn_dl.text import TokenSequencer

    texts = ["the film was good", "the film was not good", "a dull plot", "not dull at all"] * 10
    labels = [1, 0, 0, 1] * 10
    model = make_pipeline(TokenSequencer(), TransformerClassifier(
        d_model=8, n_heads=2, num_layers=1, dim_feedforward=16, max_iter=3, random_state=0))
    space = {"transformerclassifier__learning_rate_init": FloatDistribution(1e-3, 1e-2, log=True)}
    best, study = tune(model, texts, labels, space=space, n_trials=1, cv=2, random_state=0,
                       verbose=0)
    # early_stopping='auto' trains by epoch (partial_fit holds nothing out); the refit
    # stops at the cross-validated epoch and trains on every text.
    final = best[-1]
    assert final.max_iter == study.best_trial.user_attrs["best_epoch"] == final.n_iter_
    assert final.early_stopping is False and final.validation_scores_ is None


def test_tune_waits_as_long_as_the_estimators_own_auto_patience():
    from sklearn_dl.neural_network import CNNClassifier, LSTMClassifier
    from sklearn_dl.tuning._tune import _patience

    rng = np.random.default_rng(0)
    signals, labels = rng.normal(size=(40, 1, 16)), np.arange(40) % 2
    cnn = CNNClassifier(filters=(4,), max_iter=1).partial_fit(signals, labels, classes=[0, 1])
    assert _patience(cnn, 40) == (30, False)  # the CNN's 'auto' for signals, not 10
    images = CNNClassifier(filters=(4,), max_iter=1).partial_fit(
        rng.normal(size=(40, 1, 4, 4)), labels, classes=[0, 1])
    assert _patience(images, 40) == (10, False)
    lstm = LSTMClassifier(hidden_size=4).partial_fit(rng.normal(size=(40, 5, 1)), labels,
                                                     classes=[0, 1])
    assert _patience(lstm, 40) == (100, True)  # 200 optimiser steps in batches of 32 and 8
    assert _patience(MLPClassifier(n_iter_no_change=7), 40) == (7, False)


class _ScriptedScores(MLPClassifier):
    """Scores from a script, one per epoch: a plateau, then progress, then nothing."""

    SCRIPT = [0.5] * 6 + [0.6, 0.7] + [0.7] * 40

    def partial_fit(self, X, y, classes=None):
        self.epochs_ = getattr(self, "epochs_", 0) + 1
        return self

    def score(self, X, y, sample_weight=None):
        return self.SCRIPT[self.epochs_ - 1]

    def fit(self, X, y):
        self.n_iter_ = self.max_iter
        return self

    def _stopping_rule(self, n_samples):
        return {"n_iter_no_change": 3, "wait_for_progress": self.n_iter_no_change == "auto"}


class _BelowChanceFirst(_ScriptedScores):
    """A first epoch worse than a constant prediction (0.5 on balanced folds), back to
    chance, then progress."""

    SCRIPT = [0.4] + [0.5] * 6 + [0.6, 0.7] + [0.7] * 40


# Stops 4 epochs (more than 3) past the last improvement, counted from the first epoch
# (sklearn's rule) or only once the score has left the first epoch's plateau ('auto').
# _BelowChanceFirst: counted from the first epoch's score, 'auto' would stop at chance
# after epoch 6, as sklearn's rule does; it waits until the score beats the constant
# prediction's 0.5.
@pytest.mark.parametrize("Model, n_iter_no_change, epochs", [
    (_ScriptedScores, "auto", 8 + 4), (_ScriptedScores, 10, 1 + 4),
    (_BelowChanceFirst, "auto", 9 + 4), (_BelowChanceFirst, 10, 2 + 4)])
def test_tune_does_not_count_the_first_plateau_nor_chance_when_the_fit_does_not(
        Model, n_iter_no_change, epochs):
    X, y = np.zeros((20, 2)), np.arange(20) % 2
    model = Model(n_iter_no_change=n_iter_no_change, max_iter=40)
    space = {"alpha": FloatDistribution(1e-4, 1e-3, log=True)}
    _, study = tune(model, X, y, space=space, n_trials=1, cv=2, random_state=0, verbose=0)
    assert study.trials[0].user_attrs["epochs"] == 2 * epochs
