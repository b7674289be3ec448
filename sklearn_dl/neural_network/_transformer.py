"""TransformerClassifier and TransformerRegressor: self-attention over sequences."""

import math
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from sklearn_dl._training import autocasting, evaluating, to_tensor
from sklearn_dl.base import (
    TRAINING_ATTRIBUTES_DOC,
    TRAINING_PARAMETERS_DOC,
    TorchClassifierMixin,
    TorchRegressorMixin,
)
from sklearn_dl.modules import TransformerNet
from sklearn_dl.neural_network._cnn import augmentation_module
from sklearn_dl.neural_network._sequence import (
    SEQUENCE_ATTRIBUTES_DOC,
    SEQUENCE_INPUT_DOC,
    TOKEN_PARAMETERS_DOC,
    _AUTO_PATIENCE_STEPS,
    _BaseSequence,
    with_early_stopping_doc,
)

_ARCHITECTURE_DOC = """\
    d_model : int, default=64
        Width of every position's vector; a multiple of ``n_heads``.

    n_heads : int, default=4
        Attention heads per block.

    num_layers : int, default=2
        Number of pre-norm encoder blocks (self-attention, then a
        feed-forward layer, each with a residual connection).

    dim_feedforward : int, default=128
        Width of each block's feed-forward layer.

    dropout : float, default=0.1
        Dropout on the step vectors, on each sub-layer's output and on the
        pooled vector, during training (not on the attention weights).

    pooling : {'auto', 'cls', 'mean', 'last'}, default='auto'
        What the output layer reads: a learned class token's final vector
        (``'cls'``), the average of the unpadded positions' final vectors
        (``'mean'``), or the last unpadded position's (``'last'``: where a
        query ends each sequence, as in associative recall).
        ``'auto'`` is ``'mean'`` for token ids (text) and for signals read
        through convolutions (``patch_embedding_='conv'``), ``'cls'`` for
        other numeric sequences: the class of a short text is spread over its
        words, which the mean reads with every word's vector, where a class
        token must learn where to look from a few thousand texts (movie
        reviews, first split: 0.742 with the class token, 0.761 with the
        mean, both with ``max_len=40``, ``early_stopping=True``); the mean
        of the convolved patches is the global average pooling of the fully
        convolutional network, which finds a shape wherever it lies.

    position : {'sinusoidal', 'learned', 'rotary'}, default='sinusoidal'
        Position code added to each step's vector: the fixed sines and
        cosines of Vaswani et al., or one learned vector per position; or
        ``'rotary'`` (RoPE, Su et al., 2021): nothing added, each head's
        queries and keys turned by angles proportional to their position, so
        that attention depends on the offset between two positions, not on
        where they lie.

    max_len : int or None, default=None
        Longest sequence the position code covers; None is the length of the
        sequences seen in ``fit``.

    patch_size : int or 'auto', default='auto'
        Numeric input: how many consecutive steps make one position. Each
        patch of ``patch_size`` steps (all features) is mapped linearly to
        one vector, as in PatchTST (Nie et al., 2023), so attention runs over
        ``ceil(timesteps / patch_size)`` positions; a patch is padding only
        if all its steps are. ``'auto'`` is {patch} for a signal (real-valued
        numeric input of at least {min_steps} steps whose neighbouring steps
        are alike: a lag-1 autocorrelation of at least {smooth} in ``fit``,
        averaged over the features) and 1 for anything else (codes, events,
        noise, token ids), the fitted value is ``patch_size_``. A step of a
        finely sampled signal says little alone, and attention over single
        steps did not learn shapes: on GunPoint (150 steps, worst of 3
        seeds) the default scored 0.847 with one step per position and
        0.973 with linear patches of {patch}; but on ArrowHead its worst seed
        fell from 0.709 to 0.634 (see the user guide). Token ids are read one
        per position.

    patch_embedding : {'auto', 'linear', 'conv'}, default='auto'
        Numeric input: how the steps of a patch become its vector.
        ``'linear'``: one linear map of the patch's steps (PatchTST).
        ``'conv'``: two convolution blocks over the steps at full resolution
        (kernels of 8 and 5 steps, ``d_model`` channels, batch normalisation
        over the unpadded steps, GELU), the mean of each patch's outputs,
        then a linear map, as hybrid convolution-attention models of time
        series do (ConvTran, Foumani et al., 2024). ``'auto'`` is
        ``'conv'`` when the steps are read in patches (``patch_size_ > 1``)
        and ``'linear'`` otherwise; the fitted value is
        ``patch_embedding_``. A linear patch sees its own 8 steps only, and
        fitted its training series but generalised poorly (the panel's UCR
        sets, worst of 3 seeds, linear patches against convolutions:
        GunPoint 0.967 against 0.980, ArrowHead 0.634 against 0.680,
        OSULeaf 0.579 against 0.744; ItalyPowerDemand 0.952 against
        0.942), at about 2.7 times the time per epoch. Padding is zero
        between the blocks, so a padded sequence still predicts bit for bit
        as the same sequence alone.

    augmentation : 'auto', dict or None, default='auto'
        Random perturbations of each training batch (never of predictions),
        as :class:`CNNClassifier`'s ``augmentation``, restricted to what
        keeps padding at the end: ``"shift"`` (int: a translation by up to
        that many steps either way, the series extended by its edge values)
        and ``"scale"`` (float in [0, 1): each series multiplied by a factor
        drawn in ``[1 - scale, 1 + scale]``). ``'auto'`` is ``{"shift":
        max(1, timesteps // 20)}`` for a signal read through convolutions
        (``patch_embedding_='conv'``) and None otherwise; the fitted value
        is ``augmentation_``. The convolutions and the mean over positions
        find a shape wherever it lies, but the position code lets attention
        learn where the shapes of a few dozen training series happen to
        lie: every seed fitted its training set, and ArrowHead's 36 series
        generalised poorly. Shifts of 5 % of the series (UCR sets, worst of
        3 seeds, without against with): ArrowHead 0.680 against 0.794,
        GunPoint 0.980 against 0.980, ItalyPowerDemand 0.942 against 0.939,
        OSULeaf 0.744 against 0.843; shifts of 10 % cost GunPoint 2.7 points, and amplitude
        scaling with noise (the CNN's ``'auto'``) cost ArrowHead. None
        trains on the series as given.

    token_shift : bool, default=False
        Add to each position's vector a learned linear map of the previous
        position's (the shift of H3, Fu et al. 2023; RWKV's token shift).
        Attention then reads, at each position, the token before it too, so
        that one attention step can match a query to a key and return the
        value written after the key: the two-step rule (an induction head)
        that associative recall needs and that attention alone learns slowly
        from one label per sequence.

    input_shape : tuple of int (timesteps, features) or None, default=None
        How to read a 2-D X of shape (n_samples, timesteps * features): each
        row holds step 0's features, then step 1's... None reads a 2-D X of
        shape (n_samples, T) as univariate sequences (or token ids) of length
        T. A 3-D X (n_samples, timesteps, features) carries its own shape. A
        ragged X (a list of sequences of different lengths) is padded to its
        longest sequence in ``fit``, or to these timesteps when set:
        predicting sequences longer than the training ones needs them set to
        the longest length to expect."""

_EMBEDDING_DOC = """\
    embedding_dim : int or None, default=None
        Width of the token embedding (token input only), projected to
        ``d_model`` when different; None is ``d_model``."""

_ONE_HOT_DOC = """\
    one_hot_input : {'auto', False}, default='auto'
        ``'auto'``: a numeric feature whose training values are 3 to 10
        distinct integers (codes: symbols, categories, small levels) is also
        fed as one 0 / 1 indicator per value (``input_categories_``), after
        the features themselves; a value not seen in ``fit`` sets none, and
        padding stays padding. Each step enters the network through a linear
        map, which puts the vectors of codes 1, 2, 3... on one line: attention
        scores are then monotone in the code, and "is this a 4" (counting a
        symbol, the parity of its occurrences) is hard to ask; one indicator
        per code gives each code its own direction, as an embedding does for
        token ids (500 sequences of raw codes 0..4, worst of 3 seeds: whether
        4 occurs an odd number of times, 0.506 without the indicators and
        0.984 with them; whether 3 occurs more often than 1, 0.802 and
        0.978). The rule is :class:`LSTMClassifier`'s; real-valued
        signals have far more than 10 values and are left alone. ``False``
        feeds the features alone; token ids (``vocab_size``) go through
        their embedding instead."""

_ATTENTION_DOC = """\
    Every step attends to every other step of its sequence (multi-head
    scaled dot-product attention), so a dependency between distant steps is
    one hop away, where a recurrent net must carry it through every step in
    between. Padding is masked out of every attention and of the pooling:
    a padded sequence gives bit for bit the prediction of the same sequence
    without padding. :meth:`attention_weights` returns what each head looked
    at; :func:`sklearn_dl.utils.plot_attention` draws it.

    Gradients are clipped to a norm of 1 by default (``max_grad_norm=1.0``),
    as usual for Transformers, and the patience of the stopping rule is
    counted in optimiser steps (``n_iter_no_change='auto'``), so that a
    training set of a few dozen sequences is not stopped after a few dozen
    steps."""

# patch_size='auto': patches of _AUTO_PATCH steps for sequences of at least
# _MIN_PATCHED_STEPS steps whose lag-1 autocorrelation is at least _SIGNAL_AUTOCORRELATION.
_AUTO_PATCH = 8
_MIN_PATCHED_STEPS = 2 * _AUTO_PATCH
_SIGNAL_AUTOCORRELATION = 0.7

_ARCHITECTURE_DOC = (_ARCHITECTURE_DOC.replace("{patch}", str(_AUTO_PATCH))
                     .replace("{min_steps}", str(_MIN_PATCHED_STEPS))
                     .replace("{smooth}", str(_SIGNAL_AUTOCORRELATION)))
_TRANSFORMER_PARAMETERS_DOC = "\n\n".join(
    [_ARCHITECTURE_DOC, TOKEN_PARAMETERS_DOC, _EMBEDDING_DOC])

# augmentation='auto': random shifts by up to timesteps // _AUTO_SHIFT_DIVISOR steps
# for signals; only the perturbations that keep NaN padding at the end.
_AUTO_SHIFT_DIVISOR = 20
_AUGMENTATION_KEYS = ("shift", "scale")

# The fitted attributes of the choices that 'auto' makes, in both estimators' docstrings.
_FITTED_CHOICES_DOC = """\
    patch_size_ : int
        Steps per position (``patch_size``, or what ``'auto'`` chose).

    patch_embedding_ : {'linear', 'conv'}
        How a patch becomes a vector (``patch_embedding``, or what
        ``'auto'`` chose).

    augmentation_ : dict or None
        The perturbations of the training batches (``augmentation``, or
        what ``'auto'`` chose)."""

# batch_size='auto': batches of equal sizes for signals in patches below this many samples.
_EQUAL_BATCHES_BELOW = 100


def lag_one_autocorrelation(sequences):
    """Mean over features of the correlation between each step and the next, padding excluded.

    ``sequences``: (n_samples, timesteps, features), NaN for padding. A
    constant feature counts as 0 (nothing alike to find in it).
    """
    now, after = sequences[:, :-1], sequences[:, 1:]
    correlations = []
    for feature in range(sequences.shape[2]):
        x, y = now[..., feature].ravel(), after[..., feature].ravel()
        pairs = ~(np.isnan(x) | np.isnan(y))
        x, y = x[pairs] - x[pairs].mean(), y[pairs] - y[pairs].mean()
        scale = np.sqrt((x @ x) * (y @ y))
        correlations.append(x @ y / scale if scale > 0 else 0.0)
    return float(np.mean(correlations))


class _BaseTransformer(_BaseSequence):
    """Parameters, module and attention maps that both Transformer estimators share."""

    _parameter_constraints: dict = {
        **_BaseSequence._parameter_constraints,
        "d_model": [Interval(Integral, 1, None, closed="left")],
        "n_heads": [Interval(Integral, 1, None, closed="left")],
        "num_layers": [Interval(Integral, 1, None, closed="left")],
        "dim_feedforward": [Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "pooling": [StrOptions({"auto", "cls", "mean", "last"})],
        "early_stopping": ["boolean", StrOptions({"auto"})],
        "position": [StrOptions({"sinusoidal", "learned", "rotary"})],
        "max_len": [Interval(Integral, 1, None, closed="left"), None],
        "patch_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "patch_embedding": [StrOptions({"auto", "linear", "conv"})],
        "augmentation": [StrOptions({"auto"}), dict, None],
        "token_shift": ["boolean"],
        "n_iter_no_change": [*_BaseSequence._parameter_constraints["n_iter_no_change"],
                             StrOptions({"auto"})],
    }

    def _effective_batch_size(self, n_samples):
        size = super()._effective_batch_size(n_samples)
        if (self.batch_size == "auto" and self.solver != "lbfgs"
                and getattr(self, "patch_size_", 1) > 1 and n_samples < _EQUAL_BATCHES_BELOW):
            # A few dozen signals read in patches: as many batches, of equal sizes,
            # so that 36 series make two steps of 18, not one of 32 and one of 4.
            size = math.ceil(n_samples / math.ceil(n_samples / size))
        return size

    def _validate_X(self, X, reset):
        # The codes are found in _train, on the training data; here they are only applied.
        return self._with_indicators(super()._validate_X(X, reset))

    def _train(self, X, targets, y, sample_weight, first_call, incremental):
        if first_call:
            self._fit_input_codes(X)
            self.patch_size_ = self._fitted_patch_size(X)
            self.patch_embedding_ = self._fitted_patch_embedding()
            self.augmentation_ = self._fitted_augmentation()
        super()._train(self._with_indicators(X), targets, y, sample_weight, first_call,
                       incremental)

    def _fitted_patch_size(self, X):
        """``patch_size_``: the given one, or 'auto''s choice on the training data X."""
        if self.vocab_size_ is not None:
            if self.patch_size not in ("auto", 1):
                raise ValueError(f"patch_size={self.patch_size} needs numeric input; token ids "
                                 "(vocab_size) are read one per position.")
            return 1
        if self.patch_size != "auto":
            return self.patch_size
        timesteps, features = self.input_shape_
        if timesteps < _MIN_PATCHED_STEPS or self._input_codes():
            return 1
        sequences = X.reshape(len(X), timesteps, features)
        return (_AUTO_PATCH if lag_one_autocorrelation(sequences) >= _SIGNAL_AUTOCORRELATION
                else 1)

    def _fitted_patch_embedding(self):
        """``patch_embedding_``: the given one, or 'auto''s: convolutions for patches."""
        if self.vocab_size_ is not None:
            if self.patch_embedding == "conv":
                raise ValueError("patch_embedding='conv' needs numeric input; token ids "
                                 "(vocab_size) go through their embedding.")
            return "linear"
        if self.patch_embedding != "auto":
            return self.patch_embedding
        return "conv" if self.patch_size_ > 1 else "linear"

    def _fitted_augmentation(self):
        """``augmentation_``: the given dict (checked), or 'auto''s: shifts for signals."""
        if self.augmentation is None:
            return None
        if isinstance(self.augmentation, str):  # 'auto'
            if self.patch_size_ > 1 and self.patch_embedding_ == "conv":
                return {"shift": max(1, self.input_shape_[0] // _AUTO_SHIFT_DIVISOR)}
            return None
        if self.vocab_size_ is not None:
            raise ValueError("augmentation needs numeric input; token ids (vocab_size) are "
                             "not augmented.")
        augmentation_module(self.augmentation, _AUGMENTATION_KEYS)  # checks every value
        return dict(self.augmentation)

    def _stopping_rule(self, n_samples):
        if self.n_iter_no_change != "auto":
            return super()._stopping_rule(n_samples)
        return self._patience_in_steps(n_samples)

    def _build_module(self, n_features, n_outputs):
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model={self.d_model} must be a multiple of "
                             f"n_heads={self.n_heads}.")
        # n_features counts the code indicators that _with_indicators appends to each step.
        timesteps = self.input_shape_[0]
        features = n_features // timesteps
        max_len = timesteps if self.max_len is None else self.max_len
        if timesteps > max_len:
            raise ValueError(f"X has sequences of {timesteps} steps but max_len={max_len}.")
        return TransformerNet(
            features, n_outputs, d_model=self.d_model, n_heads=self.n_heads,
            num_layers=self.num_layers, dim_feedforward=self.dim_feedforward,
            dropout=self.dropout, pooling=self._pooling(), max_len=max_len,
            position=self.position, vocab_size=self.vocab_size_,
            embedding_dim=self.embedding_dim or self.d_model, patch_size=self.patch_size_,
            patch_embedding=self.patch_embedding_, augmentation=self._augmentation_module(),
            token_shift=self.token_shift)

    def _augmentation_module(self):
        augmentation = getattr(self, "augmentation_", None)
        return (None if augmentation is None
                else augmentation_module(augmentation, _AUGMENTATION_KEYS))

    def _pooling(self):
        """``pooling``, with ``'auto'`` resolved: the mean for token ids and convolutions."""
        if self.pooling != "auto":
            return self.pooling
        return ("mean" if self.vocab_size_ is not None or self.patch_embedding_ == "conv"
                else "cls")

    def attention_weights(self, X):
        """Attention weights of every layer and head for the sequences of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, timesteps, features) or (n_samples, n_features)
            Sequences, in any form that ``predict`` accepts.

        Returns
        -------
        weights : ndarray of shape (n_samples, num_layers, n_heads, steps, steps)
            ``weights[i, l, h, q, k]``: how much position ``q`` draws on
            position ``k`` in head ``h`` of layer ``l`` (each unpadded row
            sums to 1). ``steps`` is ``input_shape_[0]`` (divided by
            ``patch_size_``, rounded up: one position per patch), plus one
            with a class token (``pooling='cls'``, or ``'auto'`` on numeric
            sequences): position 0 is then the class token, whose row is
            what the output layer reads. Rows and columns of padding are 0.
        """
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        module = self.net_.module_
        device = torch.device(self.net_.device)
        chunk = self._predict_chunk_rows(X.shape[1:], device)
        chunks = []
        with evaluating(module), autocasting(self._autocast_dtype(), device):
            for start in range(0, len(X), chunk):
                batch = to_tensor(X[start:start + chunk], device, self._torch_dtype())
                layers = module.attention_weights(batch)
                chunks.append(torch.stack(layers, dim=1).to("cpu", torch.float64).numpy())
        return np.concatenate(chunks)


def _transformer_training_doc(doc):
    """The shared training parameters' documentation, with the Transformers' defaults."""
    return with_early_stopping_doc(doc).replace(
        "max_grad_norm : float or None, default=None",
        "max_grad_norm : float or None, default=1.0",
    ).replace(
        "Mini-batch size; ``'auto'`` is ``min(200, n_samples)``.",
        """Mini-batch size. ``'auto'`` is ``n_samples // 100`` clipped to
        ``[32, 200]`` (and to ``n_samples``), as for the LSTMs: about 100
        optimiser steps per epoch on small data, sklearn's 200 on large
        data. With sklearn's ``min(200, n_samples)``, 500 sequences make 3
        steps per epoch, and a Transformer learns from steps, not epochs.
        For fewer than 100 signals read in patches (``patch_size_ > 1``)
        the same number of batches is made of equal sizes: 36 series make
        two batches of 18 rather than one of 32 and one of 4, whose step is
        noisy (with linear patches, ArrowHead, worst of seeds 0 to 5: 0.623
        against 0.577;
        GunPoint 0.953 against 0.960; OSULeaf's 200 series lost 2 points
        with them and keep batches of 32). An int is used as is.""",
    ).replace(
        """    n_iter_no_change : int, default=10
""",
        f"""    n_iter_no_change : int or 'auto', default='auto'
        ``'auto'`` is 10 epochs or {_AUTO_PATIENCE_STEPS} optimiser steps, whichever
        is longer, counted only once the training loss has fallen 10% below
        the lower of its first epoch's value and chance's (the loss of
        predicting the training class frequencies, or the mean target):
        sklearn counts epochs, but an epoch of a few dozen sequences is one
        optimiser step, and a Transformer needs hundreds of steps to fit,
        often after sitting on its initial loss until attention finds what
        to look at (on large data, 10 epochs are the longer). Counted from
        the first epoch's loss alone, a first epoch above chance ended the
        wait when the net settled back to a constant output: matching the
        signs of two steps 67 or more apart in 200 (500 sequences), seed 1
        was stopped after 33 epochs at 0.472, and runs on to 0.914. An int:
""",
    )


class TransformerClassifier(TorchClassifierMixin, _BaseTransformer):
    __doc__ = f"""Encoder-only Transformer sequence classifier on PyTorch.

    Each step of a sequence becomes a vector (a linear map of its features,
    or a token embedding; a signal is read in patches of steps, each patch
    one vector through convolutions, ``patch_embedding``) plus a position code; pre-norm self-attention
    blocks mix the steps, and a linear layer on the pooled vector gives the
    class scores. Targets are handled as by :class:`MLPClassifier` (binary,
    multiclass, multi-label), and training runs through skorch with the same
    parameters.

{_ATTENTION_DOC}

{SEQUENCE_INPUT_DOC}

    Parameters
    ----------
{_TRANSFORMER_PARAMETERS_DOC}

{_ONE_HOT_DOC}

{_transformer_training_doc(TRAINING_PARAMETERS_DOC)}

    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes in the loss, multiplied into ``sample_weight``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.

{SEQUENCE_ATTRIBUTES_DOC}

{_FITTED_CHOICES_DOC}

    input_categories_ : list of (ndarray or None), one per input feature
        The codes of each feature fed one-hot as well (``one_hot_input``),
        None for a feature fed as a number only.

{TRAINING_ATTRIBUTES_DOC}

    See Also
    --------
    TransformerRegressor : The same network for regression.
    LSTMClassifier : A recurrent network over the same inputs.
    sklearn_dl.text.TokenSequencer : Text to token ids, for a Pipeline.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dl.neural_network import TransformerClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.integers(1, 10, size=(300, 10))     # 300 sequences of 10 token ids
    >>> y = (X == 5).any(axis=1).astype(int)        # does token 5 occur?
    >>> model = TransformerClassifier(d_model=16, vocab_size="auto", max_iter=20,
    ...                               learning_rate_init=0.01, random_state=0).fit(X, y)
    >>> model.score(X, y) > 0.95
    True
    >>> model.attention_weights(X[:2]).shape   # (samples, layers, heads, 10, 10)
    (2, 2, 4, 10, 10)
    """

    _parameter_constraints: dict = {
        **_BaseTransformer._parameter_constraints,
        "one_hot_input": [StrOptions({"auto"}), Options(bool, {False})],
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        d_model=64,
        n_heads=4,
        num_layers=2,
        *,
        dim_feedforward=128,
        dropout=0.1,
        pooling="auto",
        position="sinusoidal",
        max_len=None,
        patch_size="auto",
        patch_embedding="auto",
        augmentation="auto",
        token_shift=False,
        input_shape=None,
        one_hot_input="auto",
        vocab_size=None,
        embedding_dim=None,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping="auto",
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
        self.d_model = d_model
        self.n_heads = n_heads
        self.num_layers = num_layers
        self.dim_feedforward = dim_feedforward
        self.dropout = dropout
        self.pooling = pooling
        self.position = position
        self.max_len = max_len
        self.patch_size = patch_size
        self.patch_embedding = patch_embedding
        self.augmentation = augmentation
        self.token_shift = token_shift
        self.input_shape = input_shape
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


class TransformerRegressor(TorchRegressorMixin, _BaseTransformer):
    __doc__ = f"""Encoder-only Transformer sequence regressor on PyTorch.

    The network of :class:`TransformerClassifier` with one linear output per
    target; a 2-D ``y`` trains several outputs (e.g. a multi-step forecast)
    in one pass.

{_ATTENTION_DOC}

{SEQUENCE_INPUT_DOC}

    Parameters
    ----------
{_TRANSFORMER_PARAMETERS_DOC}

{_transformer_training_doc(TRAINING_PARAMETERS_DOC)}

    standardize_target : bool, default=True
        Train on targets standardised to zero mean and unit variance per
        output (sample-weighted) and map predictions back, so the default
        learning rate suits targets of any scale. ``loss_`` and
        ``loss_curve_`` are then in standardised units.

    Attributes
    ----------
{SEQUENCE_ATTRIBUTES_DOC}

{_FITTED_CHOICES_DOC}

{TRAINING_ATTRIBUTES_DOC}

    See Also
    --------
    TransformerClassifier : The same network for classification.
    LSTMRegressor : A recurrent network over the same inputs.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dl.neural_network import TransformerRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 10, 2))
    >>> y = X[:, 2, 0] - X[:, 7, 1]                 # two steps far apart
    >>> model = TransformerRegressor(d_model=16, max_iter=40, learning_rate_init=0.01,
    ...                              random_state=0).fit(X, y)
    >>> model.score(X, y) > 0.9
    True
    """

    _parameter_constraints: dict = {
        **_BaseTransformer._parameter_constraints,
        "standardize_target": ["boolean"],
    }

    def __init__(
        self,
        d_model=64,
        n_heads=4,
        num_layers=2,
        *,
        dim_feedforward=128,
        dropout=0.1,
        pooling="auto",
        position="sinusoidal",
        max_len=None,
        patch_size="auto",
        patch_embedding="auto",
        augmentation="auto",
        token_shift=False,
        input_shape=None,
        vocab_size=None,
        embedding_dim=None,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping="auto",
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
        self.d_model = d_model
        self.n_heads = n_heads
        self.num_layers = num_layers
        self.dim_feedforward = dim_feedforward
        self.dropout = dropout
        self.pooling = pooling
        self.position = position
        self.max_len = max_len
        self.patch_size = patch_size
        self.patch_embedding = patch_embedding
        self.augmentation = augmentation
        self.token_shift = token_shift
        self.input_shape = input_shape
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
