"""LSTMClassifier and LSTMRegressor: recurrent networks over sequences."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.metaestimators import available_if

from sklearn_dl.base import (
    TRAINING_ATTRIBUTES_DOC,
    TRAINING_PARAMETERS_DOC,
    TorchClassifierMixin,
    TorchRegressorMixin,
)
from sklearn_dl.modules import RecurrentNet
from sklearn_dl.modules.recurrent import GATE_INITS, POOLINGS
from sklearn_dl.neural_network._sequence import (
    SEQUENCE_ATTRIBUTES_DOC,
    SEQUENCE_INPUT_DOC,
    TOKEN_PARAMETERS_DOC,
    _AUTO_PATIENCE_STEPS,
    _BaseSequence,
)

# The two gate initialisations, described once; each estimator's entry lists its
# default first, then the other, then why.
_GATE_INIT_DOCS = {
    "unit_forget": """\
        ``'unit_forget'``: an LSTM's forget-gate bias 1 and every other bias 0
        (a GRU's all 0), a memory of about 4 steps at the start""",
    "chrono": """\
        ``'chrono'``: the chrono initialisation of Tallec and Ollivier (2018,
        "Can recurrent neural networks warp time?"), with ``T_max`` the number
        of timesteps of the training data (the longest sequence): each unit's
        forget-gate bias is ``log(u)``, ``u`` uniform in ``[1, T_max - 1]``,
        and its input-gate bias the opposite (a GRU's update-gate bias
        ``log(u)``), so the units start with memories spread from 2 to
        ``T_max`` steps, drawn from the ``random_state`` stream""",
}


def _gate_init_doc(default, why, other_note=""):
    """The ``gate_init`` entry of an estimator whose default is ``default``."""
    other = next(name for name in _GATE_INIT_DOCS if name != default)
    return (f"    gate_init : {{'{default}', '{other}'}}, default='{default}'\n"
            "        The gate biases the network starts from (the weights are the same:\n"
            "        Glorot input weights, orthogonal recurrent ones).\n"
            f"{_GATE_INIT_DOCS[default]}.\n{_GATE_INIT_DOCS[other]}{other_note}.\n{why}\n")


_REGRESSOR_GATE_INIT_DOC = _gate_init_doc("unit_forget", """\
        It helps where a value must be carried across many steps, which is why
        it is :class:`LSTMClassifier`'s default. ``'unit_forget'`` is the
        regressor's: on 6 short series forecast recursively from 24-step
        windows, ``'chrono'`` made 4 of the 6 forecasts worse (worst of 3
        seeds).""")

_CLASSIFIER_GATE_INIT_DOC = _gate_init_doc("chrono", """\
        ``'chrono'`` is the default because a value carried across many steps
        is found where the unit forget gate stays at chance: the sign of one
        marked step of 200 (500 training sequences) is read at 0.958 at worst
        over seeds 0 to 9 against 0.470; over the same 10 seeds the worst of
        40 motion series (UEA BasicMotions) is 0.900 against 0.700, the parity
        of 10 codes 0.998 against 0.948, and the order of codes 0.994 against
        0.998 (with the former ``alpha=0.01`` and the last epoch's weights;
        with the current ``alpha`` and ``keep_best``, 0.952 on the marked
        step, 0.950 on BasicMotions, 0.904 on parity and 0.990 on order).""", other_note=""",
        the classifier's former default and :class:`LSTMRegressor`'s""")

# keep_best, described once; each estimator's entry adds its default and why.
_KEEP_BEST_DOC = """\
        Whether ``fit`` ends with the weights of the epoch of the lowest
        training loss (``best_loss_``) instead of the last epoch's, as
        :class:`CNNClassifier`'s ``keep_best``. An epoch's training loss is
        the mean of its batches' losses, taken while the weights moved;
        ``loss_`` stays the last epoch's. Not used with ``early_stopping``
        (which keeps the weights of the best validation score); a
        ``warm_start`` fit keeps the best of its own epochs, and
        ``partial_fit`` always keeps its epoch's weights."""

_REGRESSOR_KEEP_BEST_DOC = f"""\
    keep_best : bool, default=False
{_KEEP_BEST_DOC}
        Off by default for the regressor, whose forecasts were not measured
        with it; on for :class:`LSTMClassifier`."""

_CLASSIFIER_KEEP_BEST_DOC = f"""\
    keep_best : bool, default=True
{_KEEP_BEST_DOC}
        On by default for the classifier: with the former ``alpha=0.01``
        and the last epoch's weights, a fit on 40 motion series (UEA
        BasicMotions, seed 2) that read every test series from epoch 80 to
        182 met one large gradient at epoch 183 and ended at epoch 200
        reading 36 of the 40; the weights of its lowest training loss (epoch
        182) read all 40. With ``alpha=0.003`` it took the worst of seeds 0
        to 2 of the panel's counting task from 0.974 to 0.978 and a seed of
        the matching task from 0.906 to 0.964, but one of ten seeds of its
        parity task from 0.972 to 0.904 (an epoch's loss is measured while
        its weights move). ``False`` ends on the last epoch's weights, as
        the classifier did before."""

_RECURRENT_PARAMETERS_DOC = """\
    cell : {'lstm', 'gru'}, default='lstm'
        The recurrent cell.

    hidden_size : int, default=64
        Width of the recurrent state (per direction).

    num_layers : int, default=1
        Number of stacked recurrent layers.

    bidirectional : bool, default=False
        Also read each sequence backwards; the head sees both final states.
        Only for sequences seen whole (classification, not forecasting).

    dropout : float, default=0.0
        Probability of zeroing a recurrent layer's outputs during training,
        between stacked layers and before the output layer.

    pooling : {'last', 'mean', 'max', 'last_mean', 'last_max', 'last_mean_max'}, default='last'
        What the output layer reads: ``'last'`` the last layer's final state
        (both directions' with ``bidirectional``); ``'mean'`` / ``'max'`` the
        last layer's outputs averaged / maximised over each sequence's own
        steps (padding never counts); ``'last_mean'``, ``'last_max'`` and
        ``'last_mean_max'`` the final state beside those poolings. A pooling
        reaches a step anywhere in a long sequence without the state having
        to carry it to the end: the sign of one marked step of 200 (500
        training sequences, worst of 3 seeds) is read at 0.966 with
        ``'last_mean'`` and 0.470 (chance) with ``'last'``, both measured
        with ``gate_init='unit_forget'``, the classifier's default then (its
        ``'chrono'`` reads it at 0.958 with ``'last'``). ``'last'`` stays the
        default: every pooling tried lost more than a point on some other
        sequence task (``'last_mean'``: the parity of codes 0.966 against
        0.978, 40 motion series 0.925 against 0.950, with the same gate
        initialisation).

""" + _REGRESSOR_GATE_INIT_DOC + """
    input_shape : tuple of int (timesteps, features) or None, default=None
        How to read a 2-D X of shape (n_samples, timesteps * features): each
        row holds step 0's features, then step 1's... None reads a 2-D X of
        shape (n_samples, T) as univariate sequences of length T. A 3-D X
        (n_samples, timesteps, features) carries its own shape. A ragged X (a
        list of sequences of different lengths) is padded to its longest
        sequence in ``fit``, or to these timesteps when set: predicting
        sequences longer than the training ones needs them set to the longest
        length to expect.

    standardize_input : bool, default=True
        Standardise each input feature (channel) to zero mean and unit
        variance over the training sequences' samples and timesteps
        (sample-weighted, padding excluded; the first call's data for
        ``partial_fit`` and ``warm_start``), inside the estimator
        (``input_mean_``, ``input_scale_``). Recurrent gates saturate on raw
        inputs such as counts or integer codes, and a per-channel scale keeps
        the relation between timesteps, which a per-column ``StandardScaler``
        on flat windows does not. ``False`` feeds X to the network as it is;
        token ids (``vocab_size``) are never scaled.

""" + _REGRESSOR_KEEP_BEST_DOC

# The recurrent nets' n_iter_no_change entry, which the classifier replaces.
_RECURRENT_PATIENCE_DOC = """\
    n_iter_no_change : int or 'auto', default='auto'
        ``'auto'`` is 10 epochs, counted only once the training loss has
        fallen 10% below the lower of its first epoch's value and chance's
        (the loss of predicting the mean training target): a recurrent net
        often sits on its initial loss for dozens of epochs before it finds
        the dependency it must learn, and sklearn's rule stops it there (with
        ``early_stopping``, ``'auto'`` is sklearn's rule with 10). An int:
"""

# The training parameters whose recurrent defaults differ from sklearn's MLP;
# tests/test_defaults.py checks that every replacement took.
_RECURRENT_TRAINING_DOC = TRAINING_PARAMETERS_DOC.replace(
    "max_grad_norm : float or None, default=None",
    "max_grad_norm : float or None, default=1.0",
).replace(
    "Mini-batch size; ``'auto'`` is ``min(200, n_samples)``.",
    """Mini-batch size. ``'auto'`` is ``n_samples // 100`` clipped to
        ``[32, 200]`` (and to ``n_samples``): about 100 optimiser steps per
        epoch on small data, sklearn's 200 on large data. A recurrent net
        needs many updates to find a dependency across time; with sklearn's
        ``min(200, n_samples)``, 84 training windows make one step per epoch.
        An int is used as is.""",
).replace(
    """    n_iter_no_change : int, default=10
""",
    _RECURRENT_PATIENCE_DOC,
)

_SCALING_ATTRIBUTES_DOC = """\
    input_mean_ : ndarray of shape (features,)
        Mean of each input feature over the training data, subtracted before
        the network (zeros with ``standardize_input=False`` or token ids).

    input_scale_ : ndarray of shape (features,)
        Standard deviation of each input feature over the training data, by
        which it is divided (ones with ``standardize_input=False`` or token
        ids)."""

_EMBEDDING_DOC = """\
    embedding_dim : int or None, default=None
        Width of the token embedding (token input only); None is
        ``hidden_size``."""

_GRADIENT_CLIPPING_DOC = """\
    Gradients are clipped to a norm of 1 by default (``max_grad_norm=1.0``):
    back-propagation through time multiplies Jacobians over the steps, and a
    single exploding batch can otherwise wreck a recurrent net's weights."""


# The classifier's parameters and defaults that differ from the regressor's.
_CLASSIFIER_PARAMETERS_DOC = _RECURRENT_PARAMETERS_DOC.replace(
    _REGRESSOR_GATE_INIT_DOC, _CLASSIFIER_GATE_INIT_DOC,
).replace(
    _REGRESSOR_KEEP_BEST_DOC, _CLASSIFIER_KEEP_BEST_DOC,
).replace(
    """    hidden_size : int, default=64
        Width of the recurrent state (per direction).""",
    """    hidden_size : int, default=16
        Width of the recurrent state (per direction). 16, not the
        regressor's 64: on 100 to 500 training sequences a wider state
        memorises them before it learns the rule (worst of 3 seeds, parity
        of 10 codes: 0.68 with 64, 0.92 with 16; the UEA BasicMotions set,
        40 series: 0.83 and 0.85), and on 3,000 sequences 16 still
        learns the order task as well as 64 (1.0 on held-out sequences,
        in 17 epochs against 19). Widen it for large data.""",
).replace(
    """    bidirectional : bool, default=False
        Also read each sequence backwards; the head sees both final states.
        Only for sequences seen whole (classification, not forecasting).""",
    """    bidirectional : bool, default=True
        Also read each sequence backwards; the head sees both final states.
        True by default for classification: the backward pass ends on the
        first steps, so what the start of a long sequence holds reaches the
        head without having to survive every later step (a class written in
        the first of 200 noisy steps, 100 training sequences: 0.48 with one
        direction, 1.0 with both). ``False`` reads forwards only, as
        :class:`LSTMRegressor` does.""",
) + """

    one_hot_input : {'auto', False}, default='auto'
        ``'auto'``: a numeric feature whose training values are 3 to 10
        distinct integers (codes: symbols, categories, small levels) is also
        fed as one 0 / 1 indicator per value (``input_categories_``), after
        the standardised features; a value not seen in ``fit`` sets none.
        A recurrent gate is a monotone function of its input, so from one
        standardised number it hardly tells code 2 from codes 1 and 3: on
        500 sequences of raw codes 0..4 labelled by the order of the first
        1 and the first 2, the indicators took the default from 0.62 to
        0.99. ``False`` feeds the features alone; token ids (``vocab_size``)
        go through their embedding instead."""

# sklearn's alpha entry of TRAINING_PARAMETERS_DOC, which both recurrent nets replace.
_SKLEARN_ALPHA_DOC = """\
    alpha : float, default=0.0001
        Strength of the L2 penalty on the weight matrices, with sklearn's
        scaling: ``alpha / 2 * ||W||^2 / sum(batch weights)`` is added to each
        batch's loss. Biases and normalisation parameters are not penalised."""

_CLASSIFIER_TRAINING_DOC = _RECURRENT_TRAINING_DOC.replace(
    """    learning_rate_init : float, default=0.001
        Initial learning rate of ``'adam'``, ``'adamw'`` and ``'sgd'``.""",
    """    learning_rate_init : float, default=0.01
        Initial learning rate of ``'adam'``, ``'adamw'`` and ``'sgd'``. Ten
        times sklearn's 0.001 for the classifier: on small sets (100 to 500
        sequences) 0.001 lets the net memorise the training sequences before
        it finds the rule across time (one seed, 64 units: parity of 500
        sequences of 10 codes, 0.72 at 0.001 and 0.85 at 0.01; a class 200
        steps back from 100 sequences, 0.85 and 1.0), and 0.01 trains in
        half the epochs.""",
).replace(
    _SKLEARN_ALPHA_DOC,
    _SKLEARN_ALPHA_DOC.replace("default=0.0001", "default=0.003") + """
        30 times sklearn's 0.0001 for the classifier: on a few hundred
        sequences the net otherwise finds a rule that fits every training
        sequence but not new ones (worst of 3 seeds, parity of 500 sequences
        of 10 codes: 0.922 with 0.0001 and 0.978 with 0.01, with the unit
        forget gate of the time; 0.996 with 0.003, ``keep_best`` and the
        chrono gates). Not the former 0.01, which the regressor keeps: with
        it, one seed in ten memorised instead of finding whether the signs
        of two marked steps 67 or more apart agree (500 sequences of 200
        steps; worst of seeds 0 to 9: 0.520, chance, against 0.952 with
        0.003 and ``keep_best``). ``alpha=0.01, keep_best=False`` restore
        the previous classifier; ``alpha=0.0001`` sklearn's penalty.""",
).replace(
    _RECURRENT_PATIENCE_DOC,
    f"""    n_iter_no_change : int or 'auto', default='auto'
        ``'auto'`` is 10 epochs or {_AUTO_PATIENCE_STEPS} optimiser steps,
        whichever is longer (as for :class:`TransformerClassifier`), counted
        only once the training loss has fallen 10% below the lower of its
        first epoch's value and chance's (the loss of predicting the
        training class frequencies): a recurrent net often sits on its
        initial loss for dozens of epochs before it finds the dependency it
        must learn, and sklearn's rule stops it there. 40 training series make two optimiser steps an
        epoch: with 10 epochs of patience, ``alpha=0.01`` stopped
        the UEA BasicMotions set at 0.725 (worst of 3 seeds) against 0.950
        with 200 steps (with the unit forget gate of the time). With ``early_stopping``, ``'auto'`` is sklearn's
        rule with 10 epochs; ``n_iter_no_change=10`` is the classifier's
        previous patience without the wait for progress. An int:
""",
)


_REGRESSOR_TRAINING_DOC = _RECURRENT_TRAINING_DOC.replace(
    """    learning_rate_init : float, default=0.001
        Initial learning rate of ``'adam'``, ``'adamw'`` and ``'sgd'``.""",
    """    learning_rate_init : float, default=0.01
        Initial learning rate of ``'adam'``, ``'adamw'`` and ``'sgd'``. Ten
        times sklearn's 0.001, as for :class:`LSTMClassifier`: a short series
        makes a few dozen windows, a few optimiser steps an epoch, and at
        0.001 the network alone was still far from fitted after 200 epochs
        (forecasting the airline passengers' last 36 months from the 108
        before, worst MAPE of 3 seeds 0.248 against the seasonal-naive
        forecast's 0.132; 0.060 with this default and ``alpha=0.01``, see
        ``alpha``). ``learning_rate_init=0.001, alpha=0.0001`` restore the
        previous network.""",
).replace(
    _SKLEARN_ALPHA_DOC,
    _SKLEARN_ALPHA_DOC.replace("default=0.0001", "default=0.01") + """
        100 times sklearn's 0.0001, as for :class:`LSTMClassifier`, to go
        with the larger learning rate: on the six short series (100-300
        points) of the benchmark panel, forecast by the network alone, the
        learning rate alone made ``sunspots`` worse (worst MAPE of 3 seeds
        1.09 to 1.89) and the two together made every series but ``elnino``
        better than the previous defaults (worst of 6 seeds; 0.052 against
        0.055 there).""",
)


class _BaseRecurrent(_BaseSequence):
    """Parameters that both recurrent estimators share."""

    _parameter_constraints: dict = {
        **_BaseSequence._parameter_constraints,
        "cell": [StrOptions({"lstm", "gru"})],
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "num_layers": [Interval(Integral, 1, None, closed="left")],
        "bidirectional": ["boolean"],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "standardize_input": ["boolean"],
        "pooling": [StrOptions(set(POOLINGS))],
        "gate_init": [StrOptions(set(GATE_INITS))],
        "keep_best": ["boolean"],
        "n_iter_no_change": [*_BaseSequence._parameter_constraints["n_iter_no_change"],
                             StrOptions({"auto"})],
    }

    def _make_net(self, sample_shape, device):
        if self.precision == "fp16" and self.cell == "lstm" and device.type == "cpu":
            # oneDNN, torch's CPU backend for LSTMs, has no float16 LSTM.
            raise ValueError("precision='fp16' with cell='lstm' does not run on the CPU; use "
                             "precision='bf16' or 'float32', cell='gru', or a CUDA device.")
        return super()._make_net(sample_shape, device)

    def _validate_X(self, X, reset):
        # Training data is standardised in _train, where the sample weights are known.
        X = super()._validate_X(X, reset)
        # A refusal names the user's values, not the standardised ones.
        self._check_representable(X, "X")
        return self._standardized(X)

    def _train(self, X, targets, y, sample_weight, first_call, incremental):
        if first_call:
            self._fit_input_scaling(X, sample_weight)
        super()._train(self._standardized(X), targets, y, sample_weight, first_call,
                       incremental)

    def _fit_input_scaling(self, X, sample_weight):
        """Per-feature sample-weighted mean and standard deviation, padding excluded."""
        timesteps, features = self.input_shape_
        self._fit_input_codes(X)
        if not self.standardize_input or self.vocab_size_ is not None:
            self.input_mean_, self.input_scale_ = np.zeros(features), np.ones(features)
            return
        sequences = X.reshape(len(X), timesteps, features).astype(np.float64)
        weights = np.where(np.isnan(sequences), 0.0, sample_weight[:, None, None])
        values = np.nan_to_num(sequences)
        total = weights.sum(axis=(0, 1))
        mean = (weights * values).sum(axis=(0, 1)) / total
        scale = np.sqrt((weights * (values - mean) ** 2).sum(axis=(0, 1)) / total)
        # A constant feature is centred, not blown up.
        scale[scale <= np.finfo(np.float64).eps * np.abs(mean).clip(1)] = 1.0
        self.input_mean_, self.input_scale_ = mean, scale

    def _standardized(self, X):
        """X with each feature standardised by the training data's statistics; NaN stays NaN.

        Features holding codes (``input_categories_``) are followed, after
        all the standardised features, by one 0 / 1 indicator per code.
        """
        codes = self._input_codes()
        if not codes and not np.any(self.input_mean_) and np.all(self.input_scale_ == 1):
            return X
        timesteps, features = self.input_shape_
        raw = X.reshape(len(X), timesteps, features)
        sequences = [(raw - self.input_mean_) / self.input_scale_,
                     *self._code_indicators(raw, codes)]
        sequences = np.concatenate(sequences, axis=2)
        return sequences.astype(X.dtype, copy=False).reshape(len(X), -1)

    def _stopping_rule(self, n_samples):
        if self.n_iter_no_change == "auto":
            return {"n_iter_no_change": 10, "wait_for_progress": True}
        return super()._stopping_rule(n_samples)

    def _keeps_best_weights(self):
        return self.keep_best

    def _build_module(self, n_features, n_outputs):
        # n_features counts the code indicators that _standardized appends to each step.
        timesteps = self.input_shape_[0]
        return RecurrentNet((timesteps, n_features // timesteps), n_outputs, cell=self.cell,
                            hidden_size=self.hidden_size, num_layers=self.num_layers,
                            bidirectional=self.bidirectional, dropout=self.dropout,
                            vocab_size=self.vocab_size_,
                            embedding_dim=self.embedding_dim or self.hidden_size,
                            pooling=self.pooling, gate_init=self.gate_init)


class LSTMClassifier(TorchClassifierMixin, _BaseRecurrent):
    __doc__ = f"""Recurrent (LSTM or GRU) sequence classifier on PyTorch.

    A stacked LSTM or GRU reads each sequence; a linear layer on its final
    state gives the class scores. Targets are handled as by
    :class:`MLPClassifier` (binary, multiclass, multi-label), and training
    runs through skorch with the same parameters.

{SEQUENCE_INPUT_DOC}

{_GRADIENT_CLIPPING_DOC}

    Parameters
    ----------
{_CLASSIFIER_PARAMETERS_DOC}

{TOKEN_PARAMETERS_DOC}

{_EMBEDDING_DOC}

{_CLASSIFIER_TRAINING_DOC}

    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes in the loss, multiplied into ``sample_weight``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.

{SEQUENCE_ATTRIBUTES_DOC}

{_SCALING_ATTRIBUTES_DOC}

    input_categories_ : list of (ndarray or None), one per input feature
        The codes of each feature fed one-hot as well (``one_hot_input``),
        None for a feature fed as a number only.

{TRAINING_ATTRIBUTES_DOC}

    See Also
    --------
    LSTMRegressor : The same network for regression and forecasting.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dl.neural_network import LSTMClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 8, 1))          # 300 sequences of 8 steps
    >>> y = (X[:, :4, 0].sum(axis=1) > X[:, 4:, 0].sum(axis=1)).astype(int)
    >>> model = LSTMClassifier(hidden_size=16, learning_rate_init=0.01, max_iter=60,
    ...                        random_state=0).fit(X, y)
    >>> model.score(X, y) > 0.9
    True
    >>> model.predict([[3.0, 2.0, 1.0], [-3.0, -2.0]]).shape   # shorter, ragged sequences
    (2,)
    """

    _parameter_constraints: dict = {
        **_BaseRecurrent._parameter_constraints,
        "one_hot_input": [StrOptions({"auto"}), Options(bool, {False})],
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        cell="lstm",
        hidden_size=16,
        num_layers=1,
        *,
        bidirectional=True,
        dropout=0.0,
        pooling="last",
        gate_init="chrono",
        input_shape=None,
        standardize_input=True,
        keep_best=True,
        one_hot_input="auto",
        vocab_size=None,
        embedding_dim=None,
        solver="adam",
        alpha=0.003,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.01,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change="auto",
        max_fun=15000,
        max_grad_norm=1.0,
        precision="float32",
        class_weight=None,
        device="auto",
        callbacks=None,
        compile=False,
        on_divergence="raise",
    ):
        self.cell = cell
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.pooling = pooling
        self.gate_init = gate_init
        self.input_shape = input_shape
        self.standardize_input = standardize_input
        self.keep_best = keep_best
        self.one_hot_input = one_hot_input
        self.vocab_size = vocab_size
        self.embedding_dim = embedding_dim
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.max_grad_norm = max_grad_norm
        self.precision = precision
        self.class_weight = class_weight
        self.device = device
        self.callbacks = callbacks
        self.compile = compile
        self.on_divergence = on_divergence

    def _stopping_rule(self, n_samples):
        if self.n_iter_no_change != "auto" or self.early_stopping:
            return super()._stopping_rule(n_samples)
        return self._patience_in_steps(n_samples)

    @available_if(lambda est: est._check_solver())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Train for exactly one epoch over (X, y).

        Parameters
        ----------
        X : array-like of shape (n_samples, timesteps, features) or (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
        sample_weight : array-like of shape (n_samples,), default=None
        classes : array-like of shape (n_classes,), default=None
            Every class that ``y`` can hold; required on the first call.

        Returns
        -------
        self : object
        """
        return self._partial_fit(X, y, sample_weight, classes=classes)


class LSTMRegressor(TorchRegressorMixin, _BaseRecurrent):
    __doc__ = f"""Recurrent (LSTM or GRU) sequence regressor and forecaster on PyTorch.

    A stacked LSTM or GRU reads each sequence; a linear layer on its final
    state gives the outputs. A 2-D ``y`` of shape (n_samples, horizon) trains
    a multi-step forecast, all steps predicted in one pass. For forecasting a
    series, build the samples with :func:`sklearn_dl.time_series.make_supervised`
    and roll the model forward with
    :class:`sklearn_dl.time_series.RecursiveForecaster`.

{SEQUENCE_INPUT_DOC}

{_GRADIENT_CLIPPING_DOC}

    Parameters
    ----------
{_RECURRENT_PARAMETERS_DOC}

{TOKEN_PARAMETERS_DOC}

{_EMBEDDING_DOC}

{_REGRESSOR_TRAINING_DOC}

    standardize_target : bool, default=True
        Train on targets standardised to zero mean and unit variance per
        output (sample-weighted) and map predictions back, so the default
        learning rate suits targets of any scale. ``loss_`` and
        ``loss_curve_`` are then in standardised units.

    Attributes
    ----------
{SEQUENCE_ATTRIBUTES_DOC}

{_SCALING_ATTRIBUTES_DOC}

{TRAINING_ATTRIBUTES_DOC}

    See Also
    --------
    LSTMClassifier : The same network for classification.
    sklearn_dl.time_series.RecursiveForecaster : Multi-step forecasts of a series.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dl.neural_network import LSTMRegressor
    >>> from sklearn_dl.time_series import make_supervised
    >>> t = np.arange(400)
    >>> series = np.sin(2 * np.pi * t / 12)
    >>> X, y = make_supervised(series, window=12, horizon=3)   # y: the next 3 values
    >>> X.shape, y.shape
    ((386, 12), (386, 3))
    >>> model = LSTMRegressor(hidden_size=16, learning_rate_init=0.01, max_iter=50,
    ...                       random_state=0).fit(X, y)
    >>> model.score(X, y) > 0.95
    True
    """

    _parameter_constraints: dict = {
        **_BaseRecurrent._parameter_constraints,
        "standardize_target": ["boolean"],
    }

    def __init__(
        self,
        cell="lstm",
        hidden_size=64,
        num_layers=1,
        *,
        bidirectional=False,
        dropout=0.0,
        pooling="last",
        gate_init="unit_forget",
        input_shape=None,
        standardize_input=True,
        keep_best=False,
        vocab_size=None,
        embedding_dim=None,
        solver="adam",
        alpha=0.01,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.01,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change="auto",
        max_fun=15000,
        max_grad_norm=1.0,
        precision="float32",
        standardize_target=True,
        device="auto",
        callbacks=None,
        compile=False,
        on_divergence="raise",
    ):
        self.cell = cell
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.pooling = pooling
        self.gate_init = gate_init
        self.input_shape = input_shape
        self.standardize_input = standardize_input
        self.keep_best = keep_best
        self.vocab_size = vocab_size
        self.embedding_dim = embedding_dim
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.max_grad_norm = max_grad_norm
        self.precision = precision
        self.standardize_target = standardize_target
        self.device = device
        self.callbacks = callbacks
        self.compile = compile
        self.on_divergence = on_divergence

    @available_if(lambda est: est._check_solver())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Train for exactly one epoch over (X, y).

        Parameters
        ----------
        X : array-like of shape (n_samples, timesteps, features) or (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        return self._partial_fit(X, y, sample_weight)
