"""Default Optuna search spaces of the estimators, and the string codec for tuple parameters."""

import copy

from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone
from sklearn.pipeline import Pipeline
from sklearn.utils import get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from sklearn_dl.utils._doc_link import DocLinkMixin

# Parameters whose values are tuples of ints (layer widths, filter counts).
# Optuna's categorical choices must be None, bool, int, float or str to be
# stored, so the spaces offer them as strings such as "128-64", which
# :func:`decode_params` turns back into (128, 64).
TUPLE_PARAMETERS = frozenset({"hidden_layer_sizes", "filters"})


def _training_space(estimator):
    """What every network trained by gradient descent tunes."""
    return {
        "learning_rate_init": FloatDistribution(1e-4, 1e-1, log=True),
        "alpha": FloatDistribution(1e-6, 1e-1, log=True),
        # 'auto' is min(200, n_samples), so small data sets never see a clipped batch.
        "batch_size": CategoricalDistribution([64, 128, "auto"]),
        "dropout": FloatDistribution(0.0, 0.5),
    }


def _mlp_space(estimator):
    return {
        "hidden_layer_sizes": CategoricalDistribution(
            ["64", "128", "256", "512", "128-64", "256-128", "256-256", "512-256"]),
        "activation": CategoricalDistribution(["relu", "tanh", "gelu"]),
        **_training_space(estimator),
    }


def _cnn_space(estimator):
    return {
        "filters": CategoricalDistribution(["16-32", "32-64", "32-64-128", "64-128"]),
        "kernel_size": CategoricalDistribution([3, 5]),
        "hidden_layer_sizes": CategoricalDistribution(["64", "128", "256"]),
        **_training_space(estimator),
    }


def _lstm_space(estimator):
    space = {
        "hidden_size": IntDistribution(8, 256, log=True),
        "num_layers": IntDistribution(1, 3),
        "cell": CategoricalDistribution(["lstm", "gru"]),
        # The classifier's default and the regressor's: each wins on some tasks
        # (docs/defaults.md), so the search tries both.
        "gate_init": CategoricalDistribution(["chrono", "unit_forget"]),
        **_training_space(estimator),
    }
    if hasattr(estimator, "one_hot_input"):
        # The classifier reads both ways by default; one way won on some tasks
        # (parity of codes, docs/defaults.md), so the search tries both.
        space["bidirectional"] = CategoricalDistribution([True, False])
    return space


def _transformer_space(estimator):
    return {
        # Every choice of d_model is a multiple of every choice of n_heads.
        "d_model": CategoricalDistribution([32, 64, 128]),
        "n_heads": CategoricalDistribution([2, 4]),
        "num_layers": IntDistribution(1, 3),
        "dim_feedforward": CategoricalDistribution([64, 128, 256]),
        "pooling": CategoricalDistribution(["cls", "mean"]),
        **_training_space(estimator),
    }


def _logistic_space(estimator):
    space = {"C": FloatDistribution(1e-4, 1e4, log=True)}
    # Only the proximal solver handles an L1 part; the smooth solvers reject l1_ratio > 0.
    if getattr(estimator, "solver", None) == "proximal":
        space["l1_ratio"] = FloatDistribution(0.0, 1.0)
    return space


def _ridge_space(estimator):
    return {"alpha": FloatDistribution(1e-4, 1e4, log=True)}


# Looked up by class name along the MRO, so that estimators still being
# written (or subclasses) are covered without importing them here.
_SPACES = {
    "MLPClassifier": _mlp_space,
    "MLPRegressor": _mlp_space,
    "CNNClassifier": _cnn_space,
    "CNNRegressor": _cnn_space,
    "LSTMClassifier": _lstm_space,
    "LSTMRegressor": _lstm_space,
    "TransformerClassifier": _transformer_space,
    "TransformerRegressor": _transformer_space,
    "LogisticRegression": _logistic_space,
    "Ridge": _ridge_space,
    # A user's module: the training parameters; add its module__* ones to the space.
    "TorchClassifier": _training_space,
    "TorchRegressor": _training_space,
}


def _final_step(estimator):
    """(prefix, estimator) of what a search space describes: a pipeline's last step."""
    if isinstance(estimator, Tunable):
        return _final_step(estimator.estimator)
    if isinstance(estimator, Pipeline):
        name, step = estimator.steps[-1]
        prefix, final = _final_step(step)
        return f"{name}__{prefix}", final
    return "", estimator


def search_space(estimator, prefix=""):
    """Default Optuna search space of an estimator, or of a pipeline's final step.

    Parameters
    ----------
    estimator : estimator, Pipeline or Tunable
        A sklearn_dl estimator (looked up by class name: MLP, CNN, LSTM, Transformer,
        LogisticRegression, Ridge), a :class:`~sklearn.pipeline.Pipeline`
        ending in one (keys get the ``stepname__`` prefix), or a
        :class:`Tunable` wrapping either.
    prefix : str, default=""
        Prepended to every key, e.g. ``"model__"`` for a nested estimator.

    Returns
    -------
    space : dict of str to optuna.distributions.BaseDistribution
        Only parameters the estimator has. Tuple parameters
        (``hidden_layer_sizes``, ``filters``) are offered as strings such as
        ``"128-64"``: search with :func:`tune`, or wrap the estimator in
        :class:`Tunable` for :class:`optuna_integration.OptunaSearchCV`.

    Raises
    ------
    ValueError
        If there is no default space for the estimator's class.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_dl.neural_network import MLPClassifier
    >>> from sklearn_dl.tuning import search_space
    >>> sorted(search_space(make_pipeline(StandardScaler(), MLPClassifier())))[:3]
    ['mlpclassifier__activation', 'mlpclassifier__alpha', 'mlpclassifier__batch_size']
    """
    step_prefix, final = _final_step(estimator)
    for klass in type(final).__mro__:
        if klass.__name__ in _SPACES:
            space = _SPACES[klass.__name__](final)
            break
    else:
        raise ValueError(
            f"There is no default search space for {type(final).__name__}; pass your own "
            "dict of optuna distributions (e.g. tune(..., space={...})). Default spaces: "
            f"{', '.join(sorted(_SPACES))}."
        )
    own = final.get_params(deep=False)
    return {f"{prefix}{step_prefix}{name}": dist for name, dist in space.items() if name in own}


def decode_params(params):
    """Turn string-encoded tuple parameters (``"128-64"``) back into tuples.

    Parameters
    ----------
    params : dict
        Parameters as suggested from a :func:`search_space`, keys possibly
        prefixed (``"mlpclassifier__hidden_layer_sizes"``).

    Returns
    -------
    params : dict
        The same parameters with tuple values, ready for ``set_params``.

    Examples
    --------
    >>> from sklearn_dl.tuning import decode_params
    >>> decode_params({"mlp__hidden_layer_sizes": "128-64", "mlp__alpha": 0.01})
    {'mlp__hidden_layer_sizes': (128, 64), 'mlp__alpha': 0.01}
    """
    return {
        key: tuple(int(width) for width in value.split("-"))
        if key.rsplit("__", 1)[-1] in TUPLE_PARAMETERS and isinstance(value, str) else value
        for key, value in params.items()
    }


def _final_estimator(estimator):
    return estimator.steps[-1][1] if isinstance(estimator, Pipeline) else estimator


def _delegates(method):
    return lambda self: hasattr(self.estimator, method)


class Tunable(MetaEstimatorMixin, DocLinkMixin, BaseEstimator):
    """Make an estimator or pipeline accept the string-encoded values of a search space.

    ``set_params`` decodes ``hidden_layer_sizes="128-64"`` (any key ending
    in a tuple parameter) into ``(128, 64)`` and forwards every parameter to
    the wrapped estimator, under the wrapped estimator's own names, so
    :func:`search_space` keys work unchanged. Everything else delegates to
    the fitted copy ``estimator_``. ``partial_fit`` works on a pipeline too:
    the first call fits the transformers, every call trains the final step
    (one epoch for the networks), so
    ``OptunaSearchCV(enable_pruning=True)`` can prune pipelines.

    Parameters
    ----------
    estimator : estimator or Pipeline
        The model to tune.

    Attributes
    ----------
    estimator_ : estimator or Pipeline
        The fitted copy of ``estimator``.

    classes_ : ndarray of shape (n_classes,)
        Class labels, for classifiers.

    Examples
    --------
    >>> import warnings
    >>> import optuna
    >>> from optuna_integration import OptunaSearchCV
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_dl.neural_network import MLPClassifier
    >>> from sklearn_dl.tuning import Tunable, search_space
    >>> X, y = load_digits(return_X_y=True)
    >>> model = Tunable(MLPClassifier(max_iter=5, random_state=0))
    >>> optuna.logging.set_verbosity(optuna.logging.WARNING)
    >>> with warnings.catch_warnings():  # OptunaSearchCV is experimental
    ...     warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
    ...     search = OptunaSearchCV(model, search_space(model), n_trials=2, cv=2,
    ...                             random_state=0).fit(X, y)
    >>> isinstance(search.best_estimator_.estimator_.hidden_layer_sizes, tuple)
    True
    """

    def __init__(self, estimator):
        self.estimator = estimator

    def get_params(self, deep=True):
        params = {"estimator": self.estimator}
        if deep:
            params.update(self.estimator.get_params(deep=True))
        return params

    def set_params(self, **params):
        if "estimator" in params:
            self.estimator = params.pop("estimator")
        if params:
            self.estimator.set_params(**decode_params(params))
        return self

    def fit(self, X, y=None, **fit_params):
        """Fit a copy of the estimator.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs), default=None
        **fit_params : dict
            Passed to the estimator's ``fit``.

        Returns
        -------
        self : object
        """
        self.estimator_ = clone(self.estimator).fit(X, y, **fit_params)
        return self

    @available_if(lambda self: hasattr(_final_estimator(self.estimator), "partial_fit"))
    def partial_fit(self, X, y, **params):
        """Train the (final step of the) estimator once more over (X, y).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        **params : dict
            Passed to the final step's ``partial_fit`` (e.g. ``classes``).

        Returns
        -------
        self : object
        """
        if not hasattr(self, "estimator_"):
            self.estimator_ = clone(self.estimator)
            if isinstance(self.estimator_, Pipeline):
                # Slicing shares the step objects, so this fits estimator_'s transformers.
                X = self.estimator_[:-1].fit_transform(X, y)
        elif isinstance(self.estimator_, Pipeline):
            X = self.estimator_[:-1].transform(X)
        _final_estimator(self.estimator_).partial_fit(X, y, **params)
        return self

    @available_if(_delegates("predict"))
    def predict(self, X):
        """Predict with the fitted estimator."""
        check_is_fitted(self)
        return self.estimator_.predict(X)

    @available_if(_delegates("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities from the fitted estimator."""
        check_is_fitted(self)
        return self.estimator_.predict_proba(X)

    @available_if(_delegates("predict_log_proba"))
    def predict_log_proba(self, X):
        """Log class probabilities from the fitted estimator."""
        check_is_fitted(self)
        return self.estimator_.predict_log_proba(X)

    @available_if(_delegates("decision_function"))
    def decision_function(self, X):
        """Decision function of the fitted estimator."""
        check_is_fitted(self)
        return self.estimator_.decision_function(X)

    @available_if(_delegates("score"))
    def score(self, X, y, sample_weight=None):
        """Score of the fitted estimator (accuracy or R^2)."""
        check_is_fitted(self)
        return self.estimator_.score(X, y, sample_weight=sample_weight)

    @property
    def classes_(self):
        """Class labels of the fitted classifier."""
        return self.estimator_.classes_

    @property
    def n_features_in_(self):
        """Number of features seen during fit."""
        return self.estimator_.n_features_in_

    def __sklearn_tags__(self):
        # A classifier stays a classifier (stratified CV, classes= in partial_fit).
        return copy.deepcopy(get_tags(self.estimator))
