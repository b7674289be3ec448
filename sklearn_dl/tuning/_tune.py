"""tune(): cross-validated Optuna search with epoch-level pruning."""

import numbers
import time
import warnings
from typing import NamedTuple

import numpy as np
import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from sklearn.base import clone, is_classifier
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv, cross_validate
from sklearn.pipeline import Pipeline
from sklearn.utils import _safe_indexing

from sklearn_dl._training import DivergenceError
from sklearn_dl.tuning._spaces import _final_estimator, decode_params, search_space


class TuneResult(NamedTuple):
    """What :func:`tune` returns; unpacks as ``best_estimator, study``.

    Examples
    --------
    >>> from sklearn_dl.tuning import TuneResult
    >>> best, study = TuneResult(best_estimator="model", study="study")
    >>> best
    'model'
    """

    best_estimator: object
    """The estimator refitted on all the data with the best parameters."""
    study: optuna.Study
    """The Optuna study, with every trial (also those of other workers)."""


def _suggest(trial, name, distribution):
    """Draw one parameter through the public suggest API."""
    if isinstance(distribution, FloatDistribution):
        return trial.suggest_float(name, distribution.low, distribution.high,
                                   log=distribution.log, step=distribution.step)
    if isinstance(distribution, IntDistribution):
        return trial.suggest_int(name, distribution.low, distribution.high,
                                 log=distribution.log, step=distribution.step)
    if isinstance(distribution, CategoricalDistribution):
        return trial.suggest_categorical(name, distribution.choices)
    raise TypeError(f"Unsupported distribution for {name!r}: {distribution!r}.")


def _fit_batch_sizes(space, n_train):
    """Drop batch sizes larger than the training folds: they would all be clipped alike."""
    fitted = {}
    for name, dist in space.items():
        if name.rsplit("__", 1)[-1] == "batch_size" and isinstance(dist, CategoricalDistribution):
            choices = [c for c in dist.choices if not isinstance(c, int) or c <= n_train]
            dist = CategoricalDistribution(choices or ["auto"])
        fitted[name] = dist
    return fitted


def _trains_by_epoch(model):
    """Whether the final step can be trained one epoch at a time."""
    final = _final_estimator(model)
    # early_stopping='auto' (the sequence estimators) is off in partial_fit; the
    # cross-validated score stops the epochs here instead.
    early_stopping = getattr(final, "early_stopping", False)
    return hasattr(final, "partial_fit") and (not early_stopping or early_stopping == "auto") \
        and hasattr(final, "max_iter")


def _prepare_folds(model, X, y, splits):
    """Per fold: a fresh final step and the data it sees (transformers fitted once)."""
    folds = []
    for train, test in splits:
        fold_model = clone(model)
        X_train, y_train = _safe_indexing(X, train), _safe_indexing(y, train)
        X_test, y_test = _safe_indexing(X, test), _safe_indexing(y, test)
        if isinstance(fold_model, Pipeline):
            X_train = fold_model[:-1].fit_transform(X_train, y_train)
            X_test = fold_model[:-1].transform(X_test)
        folds.append((_final_estimator(fold_model), X_train, y_train, X_test, y_test))
    return folds


def _patience(estimator, n_samples):
    """The epochs without improvement that stop ``estimator``'s own fit, and whether it
    waits for the first progress before counting them (its ``n_iter_no_change='auto'``)."""
    rule = getattr(estimator, "_stopping_rule", None)
    rule = rule(n_samples) if rule is not None else {"n_iter_no_change": estimator.n_iter_no_change}
    patience = rule["n_iter_no_change"]
    return (patience if isinstance(patience, numbers.Integral) else 10,
            rule.get("wait_for_progress", False))


def _chance_score(folds, scorer):
    """The mean score of a constant prediction fitted on each training fold."""
    scores = []
    for estimator, X_train, y_train, X_test, y_test in folds:
        constant = (DummyClassifier(strategy="prior") if is_classifier(estimator)
                    else DummyRegressor())
        with warnings.catch_warnings():
            # A constant prediction's own (an undefined precision): not the user's model's.
            warnings.simplefilter("ignore")
            scores.append(scorer(constant.fit(X_train, y_train), X_test, y_test))
    return float(np.mean(scores))


def _cv_by_epoch(trial, model, X, y, splits, scorer, prune):
    """Train every fold in lockstep, one epoch at a time, reporting the mean score.

    Training stops when the mean validation score has not improved by the
    final step's ``tol`` for as many epochs as the estimator's own fit would
    wait (``n_iter_no_change``, or what its ``'auto'`` means for this data,
    not counting epochs where its rule does not: while the mean score is no
    better than the first epoch's nor than chance's, the mean score of a
    constant prediction, sklearn's ``DummyClassifier(strategy='prior')`` or
    ``DummyRegressor()`` fitted on each training fold), at ``max_iter``, or
    when the pruner says so. Returns the best mean score and the epoch that
    reached it.
    """
    folds = _prepare_folds(model, X, y, splits)
    final = _final_estimator(model)
    partial_fit_params = {"classes": np.unique(y)} if is_classifier(final) else {}
    best_score, best_epoch, no_improvement = -np.inf, 0, 0
    epoch = 0
    for epoch in range(1, final.max_iter + 1):
        scores = []
        for estimator, X_train, y_train, X_test, y_test in folds:
            estimator.partial_fit(X_train, y_train, **partial_fit_params)
            scores.append(scorer(estimator, X_test, y_test))
        score = float(np.mean(scores))
        trial.set_user_attr("epochs", epoch * len(folds))
        trial.report(score, step=epoch)
        if epoch == 1:
            patience, wait_for_progress = _patience(folds[0][0], len(folds[0][1]))
            plateau = max(score, _chance_score(folds, scorer)) if wait_for_progress else score
        no_improvement = no_improvement + 1 if score < best_score + final.tol else 0
        if score > best_score:
            best_score, best_epoch = score, epoch
        if prune and trial.should_prune():
            raise optuna.TrialPruned(f"pruned at epoch {epoch} (score {score:.4f})")
        # As the fit's own rule: an 'auto' patience that waits for progress does not
        # count epochs while the score sits on its first epoch's plateau or at chance.
        if wait_for_progress and best_score <= plateau + final.tol:
            no_improvement = 0
        if no_improvement > patience:
            break
    trial.set_user_attr("best_epoch", best_epoch)
    return best_score


def _printer(n_trials, start):
    def report(study, trial):
        epochs = trial.user_attrs.get("epochs")
        if trial.state == optuna.trial.TrialState.COMPLETE:
            detail = f"{trial.value:.4f}"
        elif trial.state == optuna.trial.TrialState.PRUNED and trial.intermediate_values:
            step = max(trial.intermediate_values)
            detail = f"pruned at epoch {step} ({trial.intermediate_values[step]:.4f})"
        else:
            detail = trial.state.name.lower()
        try:
            best = f"best {study.best_value:.4f} (trial {study.best_trial.number})"
        except ValueError:  # no complete trial yet
            best = "no complete trial yet"
        total = f"/{n_trials}" if n_trials else ""
        print(f"[tune] trial {trial.number}{total}: {detail}"
              f"{f', {epochs} epochs' if epochs else ''}; {best}; "
              f"{time.perf_counter() - start:.0f}s", flush=True)
    return report


def tune(estimator, X, y, *, space=None, n_trials=20, cv=5, scoring=None, storage=None,
         study_name=None, timeout=None, pruning=True, random_state=None, callbacks=None,
         verbose=1, show_progress_bar=False):
    """Tune an estimator's hyperparameters by cross-validation with Optuna.

    Each trial draws parameters from ``space`` (TPE sampler) and
    cross-validates them on the same folds. When the final step trains one
    epoch per ``partial_fit`` (the networks with a stochastic solver), all
    folds train in lockstep, the mean validation score is reported to the
    trial after every epoch, and the pruner stops hopeless trials early; a
    trial ends when that score stops improving by ``tol`` for
    ``n_iter_no_change`` epochs (for ``'auto'``, the patience the
    estimator's own fit would use on this data, counted once the score
    leaves its first epoch's value where that fit's rule waits for
    progress), and its value is the best mean score over
    its epochs. Other estimators are cross-validated with ``fit``.
    The best parameters are then refitted on all of (X, y) — for
    epoch-trained models for the number of epochs that reached the best
    score (set as ``max_iter``).

    Parameters
    ----------
    estimator : estimator or Pipeline
        The model to tune, e.g. ``make_pipeline(StandardScaler(), MLPClassifier())``.
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
    space : dict of str to optuna distribution, default=None
        The search space; None takes :func:`search_space` of ``estimator``.
        String-encoded tuple values (``"128-64"``) are decoded, and integer
        ``batch_size`` choices larger than the training folds are dropped.
    n_trials : int or None, default=20
        Trials run by this call (with a shared storage, by this worker).
    cv : int, cross-validation generator or iterable, default=5
        As in :func:`sklearn.model_selection.cross_validate` (stratified
        for classifiers).
    scoring : str or callable, default=None
        Score to maximise; None uses the estimator's ``score``.
    storage : str, optuna.storages.BaseStorage or None, default=None
        Where the study lives: None keeps it in memory, a SQLAlchemy URL
        (``"sqlite:///study.db"``, ``"postgresql://..."``) or a storage object
        such as ``JournalStorage(JournalFileBackend("study.log"))`` shares it
        between processes and machines, each running ``tune``.
    study_name : str, default=None
        Name of the study in ``storage``; an existing study is continued.
    timeout : float, default=None
        Stop starting new trials after this many seconds.
    pruning : bool or optuna.pruners.BasePruner, default=True
        True uses ``MedianPruner(n_startup_trials=3, n_warmup_steps=3)``.
    random_state : int or None, default=None
        Seeds the sampler, and the final step's ``random_state`` when it is
        None so that trials differ only by their parameters. Give every
        worker of a shared study its own seed.
    callbacks : list of callable, default=None
        Optuna callbacks ``callback(study, frozen_trial)``, called after each
        of this call's trials (e.g. ``optuna.study.MaxTrialsCallback``).
    verbose : int, default=1
        0 is silent; 1 prints a line per trial.
    show_progress_bar : bool, default=False
        Show Optuna's progress bar over the trials (``tqdm``), as
        ``study.optimize(show_progress_bar=True)`` does; with ``verbose=0``
        it is the only output.

    Returns
    -------
    result : TuneResult
        Named tuple ``(best_estimator, study)``: the estimator refitted with
        the best parameters, and the study (``study.best_params`` holds the
        encoded parameters, ``study.best_value`` the cross-validated score).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_dl.neural_network import MLPClassifier
    >>> from sklearn_dl.tuning import tune
    >>> X, y = load_iris(return_X_y=True)
    >>> model = make_pipeline(StandardScaler(), MLPClassifier(max_iter=10))
    >>> best, study = tune(model, X, y, n_trials=3, cv=3, random_state=0, verbose=0)
    >>> len(study.trials), best.score(X, y) > 0.5
    (3, True)
    """
    space = search_space(estimator) if space is None else space
    model = clone(estimator)
    final = _final_estimator(model)
    if random_state is not None and getattr(final, "random_state", 0) is None:
        final.set_params(random_state=random_state)
    if pruning is True:
        pruner = optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=3)
    else:
        pruner = pruning or optuna.pruners.NopPruner()
    splits = list(check_cv(cv, y, classifier=is_classifier(model)).split(X, y))
    space = _fit_batch_sizes(space, min(len(train) for train, _ in splits))
    scorer = check_scoring(model, scoring=scoring)
    by_epoch = _trains_by_epoch(model)

    def objective(trial):
        params = decode_params({name: _suggest(trial, name, dist) for name, dist in space.items()})
        candidate = clone(model).set_params(**params)
        if by_epoch and _trains_by_epoch(candidate):
            return _cv_by_epoch(trial, candidate, X, y, splits, scorer, prune=bool(pruning))
        scores = cross_validate(candidate, X, y, cv=splits, scoring=scorer, error_score="raise")
        return float(np.mean(scores["test_score"]))

    callbacks = list(callbacks or [])
    if verbose:
        callbacks.append(_printer(n_trials, time.perf_counter()))
    # Our per-trial lines replace Optuna's INFO log, which would say it all twice.
    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        study = optuna.create_study(
            storage=storage, study_name=study_name, direction="maximize", load_if_exists=True,
            sampler=optuna.samplers.TPESampler(seed=random_state), pruner=pruner,
        )
        # A diverging trial fails (and is recorded so) instead of ending the study.
        study.optimize(objective, n_trials=n_trials, timeout=timeout, callbacks=callbacks,
                       catch=(DivergenceError,), show_progress_bar=show_progress_bar)
    finally:
        optuna.logging.set_verbosity(verbosity)
    return TuneResult(_refit(model, study, X, y), study)


def _refit(model, study, X, y):
    best = clone(model).set_params(**decode_params(study.best_params))
    best_epoch = study.best_trial.user_attrs.get("best_epoch")
    if best_epoch is not None:
        _final_estimator(best).set_params(max_iter=best_epoch)
        if _final_estimator(best).get_params().get("early_stopping") == "auto":
            # The epochs are chosen by cross-validation: train on every sample.
            _final_estimator(best).set_params(early_stopping=False)
    with warnings.catch_warnings():
        # Stopping at the cross-validated best epoch is the point, not a failure to converge.
        warnings.simplefilter("ignore", ConvergenceWarning)
        return best.fit(X, y)
