"""A skorch callback that lets an Optuna trial prune a network's training."""

import copy

import optuna
from skorch.callbacks import Callback


class OptunaPruning(Callback):
    """Report a network's per-epoch score to an Optuna trial; stop it when pruned.

    For hand-written ``study.optimize`` objectives: pass it in the
    estimator's ``callbacks``. After each epoch it reports ``monitor`` from
    the net's history to ``trial`` (step = epoch number) and raises
    :class:`optuna.TrialPruned` when the trial should be pruned; the
    exception leaves ``fit`` and the objective, and Optuna records the trial
    as pruned.

    The trial is shared, never copied: ``sklearn.base.clone`` and the deep
    copy the estimators make of their callbacks at each ``fit`` keep the
    same trial, so the reports reach the study. Pickling drops the trial (a
    trial is tied to its study's storage), so a pickled or unpickled model
    trains on without pruning.

    Parameters
    ----------
    trial : optuna.Trial or None
        The trial to report to; None makes the callback do nothing.
    monitor : str or None, default=None
        History column to report. None picks ``'valid_score'`` when the
        estimator validates (``early_stopping=True``), else ``'train_loss'``.
    lower_is_better : bool or None, default=None
        Whether lower values of ``monitor`` are better; None infers it from
        the name (``*loss`` is lower-is-better). A value whose sense is
        opposite to the study's direction is reported negated, so the
        pruner compares trials the right way round.

    Examples
    --------
    >>> import optuna
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_dl.neural_network import MLPClassifier
    >>> from sklearn_dl.tuning import OptunaPruning
    >>> X, y = load_iris(return_X_y=True)
    >>> def objective(trial):
    ...     lr = trial.suggest_float("learning_rate_init", 1e-4, 1e-1, log=True)
    ...     model = MLPClassifier(learning_rate_init=lr, max_iter=5, early_stopping=True,
    ...                           random_state=0, callbacks=[OptunaPruning(trial)])
    ...     return model.fit(X, y).best_validation_score_
    >>> optuna.logging.set_verbosity(optuna.logging.WARNING)
    >>> study = optuna.create_study(direction="maximize")
    >>> study.optimize(objective, n_trials=2)
    >>> len(study.trials[0].intermediate_values) > 0
    True
    """

    def __init__(self, trial, monitor=None, lower_is_better=None):
        self.trial = trial
        self.monitor = monitor
        self.lower_is_better = lower_is_better

    def __sklearn_clone__(self):
        return type(self)(self.trial, self.monitor, self.lower_is_better)

    def __deepcopy__(self, memo):
        # Not copy.copy: that goes through __getstate__, which drops the trial.
        shared = object.__new__(type(self))
        memo[id(self)] = shared
        for name, value in vars(self).items():
            setattr(shared, name, value if name == "trial" else copy.deepcopy(value, memo))
        return shared

    def __getstate__(self):
        return {**vars(self), "trial": None}

    def on_epoch_end(self, net, **kwargs):
        if self.trial is None:
            return
        last = net.history[-1]
        monitor = self.monitor or ("valid_score" if "valid_score" in last else "train_loss")
        lower_is_better = (monitor.endswith("loss") if self.lower_is_better is None
                           else self.lower_is_better)
        value = float(last[monitor])
        maximize = self.trial.study.direction == optuna.study.StudyDirection.MAXIMIZE
        if lower_is_better == maximize:
            value = -value
        epoch = len(net.history)
        self.trial.report(value, step=epoch)
        if self.trial.should_prune():
            raise optuna.TrialPruned(f"Pruned at epoch {epoch} ({monitor}={last[monitor]:.4g}).")
