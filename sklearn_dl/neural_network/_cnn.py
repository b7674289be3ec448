"""CNNClassifier and CNNRegressor: convolutional networks for signals and images."""

import math
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import _fit_context, is_regressor
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import validate_data

from sklearn_dl._training import _to_device, autocasting
from sklearn_dl.base import (
    TRAINING_ATTRIBUTES_DOC,
    TRAINING_PARAMETERS_DOC,
    BaseTorchEstimator,
    TorchClassifierMixin,
    TorchRegressorMixin,
)
from sklearn_dl.modules import BatchAugmentation, ConvNet, initialize_weights

_AUGMENTATION_KEYS = ("shift", "flip", "noise", "scale")

# What each 'auto' architecture parameter is. Signals: the fully convolutional
# network (FCN) of Wang, Yan and Oates (2017), the standard deep baseline of
# time-series classification. Images: a small pooled net with a dense head.
_SIGNAL_ARCHITECTURE = {"filters": (128, 256, 128), "kernel_size": (8, 5, 3), "pooling": None,
                        "global_pooling": "avg", "hidden_layer_sizes": (), "dropout": 0.0}
_IMAGE_ARCHITECTURE = {"filters": (32, 64), "kernel_size": 3, "pooling": "max",
                       "global_pooling": False, "hidden_layer_sizes": (128,), "dropout": 0.1}
# The FCN's mini-batch for signals: at most 16, about 10 steps per epoch on small data.
_FCN_BATCH_SIZE = 16
# n_iter_no_change='auto' for signals: epochs without improvement before each
# division of the rate (the FCN waited 50 epochs, over 2,000; ArrowHead's worst
# of 3 seeds: 0.82 with 20, 0.86 with 30).
_SIGNAL_PATIENCE = 30
# At most this many values in the widest feature map of one chunk of the pass
# that recomputes the batch-norm statistics after training (256 MiB in float32).
_STATISTICS_CHUNK_VALUES = 2**26


def _is_float_in(value, low, high):
    """Whether ``value`` is a real number in ``[low, high)``."""
    return isinstance(value, Real) and not isinstance(value, bool) and low <= value < high


def _is_auto(value):
    return isinstance(value, str) and value == "auto"


def augmentation_module(params, keys=_AUGMENTATION_KEYS):
    """The :class:`BatchAugmentation` of an ``augmentation`` dict, each value checked.

    ``keys``: the perturbations the estimator allows, a subset of ``shift``,
    ``flip``, ``noise`` and ``scale``.
    """
    unknown = set(params) - set(keys)
    if unknown:
        raise ValueError(f"Unknown augmentation {sorted(unknown)}; the keys are "
                         f"{list(keys)}.")
    params = dict(params)
    shift = params.get("shift", 0)
    if not isinstance(shift, Integral) or isinstance(shift, bool) or shift < 0:
        raise ValueError(f"augmentation['shift'] must be an int >= 0, got {shift!r}.")
    if not isinstance(params.get("flip", False), (bool, np.bool_)):
        raise ValueError(f"augmentation['flip'] must be a bool, got {params['flip']!r}.")
    if not _is_float_in(params.get("noise", 0.0), 0, np.inf):
        raise ValueError(f"augmentation['noise'] must be a float >= 0, got "
                         f"{params['noise']!r}.")
    if not _is_float_in(params.get("scale", 0.0), 0, 1):
        raise ValueError(f"augmentation['scale'] must be a float in [0, 1), got "
                         f"{params['scale']!r}.")
    return BatchAugmentation(**params)


class _BaseCNN(BaseTorchEstimator):
    """Input handling, architecture and augmentation that both CNNs share.

    X reaches the network as flat rows (``n_features_in_ = prod(input_shape_)``)
    that the module unflattens, so sparse matrices, data frames, sklearn's
    checks and chunked prediction work as for the MLP; 3-D and 4-D arrays are
    checked against ``input_shape_`` and flattened (a view, no copy).
    """

    _parameter_constraints: dict = {
        **BaseTorchEstimator._parameter_constraints,
        "input_shape": ["array-like", None],
        "channels_last": ["boolean"],
        "filters": ["array-like", StrOptions({"auto"})],
        "kernel_size": [Interval(Integral, 1, None, closed="left"), "array-like",
                        StrOptions({"auto"})],
        "pooling": [StrOptions({"max", "avg", "auto"}), None],
        "global_pooling": ["boolean", StrOptions({"avg", "auto"})],
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left"),
                               StrOptions({"auto"})],
        "activation": [StrOptions({"identity", "logistic", "tanh", "relu", "gelu"})],
        "dropout": [Interval(Real, 0, 1, closed="left"), StrOptions({"auto"})],
        "batch_norm": ["boolean"],
        "weight_init": [StrOptions({"xavier", "he", "default"})],
        "augmentation": [StrOptions({"auto"}), dict, None],
        "keep_best": ["boolean"],
        "average_weights": [Interval(Real, 0, 1, closed="right"), None],
        "n_iter_no_change": [*BaseTorchEstimator._parameter_constraints["n_iter_no_change"],
                             StrOptions({"auto"})],
    }

    # -- input -------------------------------------------------------------------

    def _validate_X(self, X, reset):
        X, sample_shape = self._flat_rows(X, reset)
        X = validate_data(self, X, reset=reset, **self._input_check_params())
        if reset:
            self.input_shape_ = sample_shape
        return X

    def _validate_X_y(self, X, y, reset):
        X, sample_shape = self._flat_rows(X, reset)
        X, y = validate_data(self, X, y, reset=reset, multi_output=True,
                             y_numeric=is_regressor(self), **self._input_check_params())
        if reset:
            self.input_shape_ = sample_shape
        self._check_batch_norm_values(X.shape[0])
        return X, y

    def _check_batch_norm_values(self, n_samples):
        """Refuse training data too small for batch statistics, before torch does.

        Each batch holds at least 2 samples (a last one of 1 is merged), so only
        a training set of 1 sample whose smallest feature map (the last
        block's, after the poolings before it) has 1 position falls short.
        """
        if not self.batch_norm or n_samples >= 2:
            return
        spatial = self._spatial_shape()
        architecture = self._architecture()
        if architecture["pooling"] is not None:
            for _ in architecture["filters"][1:]:
                spatial = [size // 2 if size >= 2 else size for size in spatial]
        if n_samples * math.prod(spatial) < 2:
            raise ValueError(
                f"batch_norm=True needs at least 2 values per channel to normalise over in "
                f"training, but {n_samples} sample(s) of shape {self.input_shape_} leave "
                f"{n_samples * math.prod(spatial)} after pooling. Pass more samples or set "
                "batch_norm=False."
            )

    def _flat_rows(self, X, reset):
        """X as flat rows (a view of an N-D array), and the shape of one sample."""
        if not hasattr(X, "ndim"):
            X = np.asarray(X)  # lists, and objects that only implement __array__
        if X.ndim in (3, 4):
            X = np.asarray(X)  # any N-D array-like (a torch tensor, a memmap...)
            sample_shape = self._expected_sample_shape(X.shape, reset)
            return X.reshape(len(X), math.prod(sample_shape)), sample_shape
        if X.ndim == 2:
            return X, self._expected_sample_shape(X.shape, reset)
        # Not samples of any shape: validate_data rejects it with sklearn's message.
        return X, None

    def _expected_sample_shape(self, X_shape, reset):
        """The shape of one sample that X must hold; a ValueError says what differs."""
        if not reset:
            expected = self.input_shape_
        elif self.input_shape is not None:
            expected = self._checked_input_shape()
        elif len(X_shape) == 2:
            expected = (X_shape[1], 1) if self.channels_last else (1, X_shape[1])
        else:
            expected = tuple(X_shape[1:])
            self._check_channel_axis(expected)
        received = tuple(X_shape[1:])
        name = type(self).__name__
        if len(received) == 1 and received[0] != math.prod(expected):
            raise ValueError(
                f"X has {received[0]} features, but {name} is expecting "
                f"{math.prod(expected)} features as input: flat rows of samples of shape "
                f"{expected} {self._layout(expected)}, received samples of shape {received}."
            )
        if len(received) > 1 and received != expected:
            raise ValueError(
                f"X has samples of shape {received}, but {name} expects samples of shape "
                f"{expected} {self._layout(expected)}.{self._shape_hint(received, expected)}"
            )
        return expected

    def _checked_input_shape(self):
        shape = tuple(self.input_shape)
        if len(shape) not in (2, 3) or not all(
                isinstance(size, Integral) and size > 0 for size in shape):
            raise ValueError(
                "input_shape must be 2 positive ints (channels, length) for signals or 3 "
                f"(channels, height, width) for images, got {self.input_shape!r}."
            )
        return tuple(int(size) for size in shape)

    def _check_channel_axis(self, shape):
        # An inferred shape whose last axis is short and first long is most likely
        # channels-last data (an (H, W, 3) image): reading it channels first would
        # train on nonsense without a word, so ask which it is.
        if not self.channels_last and shape[-1] <= 4 < shape[0]:
            raise ValueError(
                f"X has samples of shape {shape}, which looks channels-last (the last axis "
                "is the channels): set channels_last=True for such data, or pass "
                f"input_shape={shape} to confirm that the first axis holds the channels."
            )

    def _layout(self, shape):
        axes = ("length",) if len(shape) == 2 else ("height", "width")
        axes = (*axes, "channels") if self.channels_last else ("channels", *axes)
        return "(" + ", ".join(axes) + ")"

    def _shape_hint(self, received, expected):
        if sorted(received) == sorted(expected):
            return (" The axes look permuted: channels_last=True reads (height, width, "
                    "channels) or (length, channels) samples.")
        if len(received) + 1 == len(expected) and 1 in expected:
            return " A channel axis is missing: add it, e.g. X[:, None] or X[..., None]."
        return ""

    # -- network -----------------------------------------------------------------

    def _build_module(self, n_features, n_outputs):
        module = ConvNet(self.input_shape_, n_outputs, batch_norm=self.batch_norm,
                         activation=self.activation, channels_last=self.channels_last,
                         augmentation=self._augmentation(), **self._architecture())
        return initialize_weights(module, self.weight_init, self.activation)

    def _architecture(self):
        """The network's shape parameters, with each ``'auto'`` resolved for the input."""
        defaults = (_SIGNAL_ARCHITECTURE if len(self._spatial_shape()) == 1
                    else _IMAGE_ARCHITECTURE)
        values = {name: defaults[name] if _is_auto(getattr(self, name)) else getattr(self, name)
                  for name in defaults}
        filters = self._sizes("filters", values["filters"])
        if _is_auto(self.kernel_size) and np.size(values["kernel_size"]) not in (1, len(filters)):
            values["kernel_size"] = 3  # the FCN's kernels fit its three blocks only
        kernel_size = self._sizes("kernel_size", values["kernel_size"])
        if len(kernel_size) not in (1, len(filters)):
            raise ValueError(f"kernel_size must hold one size, or one per convolutional block "
                             f"({len(filters)}), got {len(kernel_size)}.")
        return {
            "filters": filters,
            "kernel_size": kernel_size * len(filters) if len(kernel_size) == 1 else kernel_size,
            "pooling": values["pooling"],
            # True is 'avg', the only global pooling there is; False flattens.
            "global_pooling": values["global_pooling"] in (True, "avg"),
            "hidden_layer_sizes": self._sizes("hidden_layer_sizes",
                                              values["hidden_layer_sizes"]),
            "dropout": values["dropout"],
        }

    @staticmethod
    def _sizes(name, sizes):
        sizes = [sizes] if np.ndim(sizes) == 0 else list(sizes)
        if any(not isinstance(size, Integral) or size <= 0 for size in sizes):
            raise ValueError(f"{name} must hold positive ints, got {sizes}.")
        if name in ("filters", "kernel_size") and not sizes:
            raise ValueError(f"{name} must hold at least one convolutional block's value.")
        return [int(size) for size in sizes]

    def _spatial_shape(self):
        shape = self.input_shape_
        return shape[:-1] if self.channels_last else shape[1:]

    def _augmentation(self):
        if self.augmentation is None:
            return None
        spatial = self._spatial_shape()
        if self.augmentation == "auto":
            # Images: translations only, since flips change the meaning of digits
            # and text. Signals: translation, amplitude scaling and a little noise.
            if len(spatial) == 2:
                return BatchAugmentation(shift=max(1, min(spatial) // 8))
            return BatchAugmentation(shift=max(1, spatial[0] // 10), scale=0.1, noise=0.05)
        return augmentation_module(self.augmentation)

    def _after_training(self, net, train, device):
        """Recompute the batch-norm statistics over the training set with the final weights.

        In training, each batch is normalised by its own mean and variance;
        for prediction, batch norm uses running averages of those, updated
        after every step while the weights still move. With the small
        batches of signals (3 samples an epoch on 36 series) these averages
        are noisy and stale, and they describe layers whose inputs were
        normalised by 3 samples, not by the whole set as they are when
        predicting. So at the end of ``fit`` one pass over the training rows
        (no augmentation, no dropout, weights unchanged) replaces them with
        the mean and variance of each channel over the whole training set,
        layer after layer ("precise batch norm": Wu and Johnson, 2021,
        *Rethinking "Batch" in BatchNorm*). ``partial_fit`` keeps the running
        averages, since it may see a small part of the data at a time.
        """
        layers = [layer for layer in net.module_.modules()
                  if isinstance(layer, torch.nn.modules.batchnorm._BatchNorm)]
        n_samples = len(train)
        if not layers or n_samples == 0:
            return
        channels = self.input_shape_[-1 if self.channels_last else 0]
        widest = max(channels, *self._architecture()["filters"]) * math.prod(
            self._spatial_shape())
        chunk = max(2, _STATISTICS_CHUNK_VALUES // widest)
        # Near-equal chunks of at least `chunk` rows (all of them if fewer), so
        # that each holds 2 values per channel and the cumulative average of
        # their statistics weighs every row alike.
        bounds = np.linspace(0, n_samples, max(1, n_samples // chunk) + 1).astype(int)
        momenta = [layer.momentum for layer in layers]
        net.module_.eval()
        for layer in layers:
            layer.reset_running_stats()
            layer.momentum = None  # a cumulative average over the chunks
            layer.train()
        try:
            with torch.no_grad(), autocasting(self._autocast_dtype(), device):
                for start, stop in zip(bounds[:-1], bounds[1:]):
                    net.module_(_to_device(train.X[start:stop], device))
        finally:
            for layer, momentum in zip(layers, momenta):
                layer.momentum = momentum
            net.module_.eval()

    def _keeps_best_weights(self):
        return self.keep_best

    def _averaged_epochs(self, epochs):
        if self.average_weights is None:
            return None
        if self.keep_best:
            raise ValueError(
                f"keep_best=True and average_weights={self.average_weights!r} both choose the "
                "weights that fit ends with: set keep_best=False or average_weights=None.")
        return math.ceil(self.average_weights * epochs)

    def _effective_batch_size(self, n_samples):
        if (self.batch_size == "auto" and self.solver != "lbfgs"
                and len(self._spatial_shape()) == 1):
            return min(n_samples, _FCN_BATCH_SIZE, max(2, n_samples // 10))
        return super()._effective_batch_size(n_samples)

    def _stopping_rule(self, n_samples):
        if _is_auto(self.n_iter_no_change):
            signals = len(self._spatial_shape()) == 1
            return {"n_iter_no_change": _SIGNAL_PATIENCE if signals else 10}
        return super()._stopping_rule(n_samples)

    def _learning_rate_schedule(self):
        return "constant" if self.solver == "lbfgs" else self.learning_rate


_CNN_PARAMETERS_DOC = """\
    input_shape : tuple of int or None, default=None
        Shape of one sample: ``(channels, length)`` for 1-D signals (1-D
        convolutions) or ``(channels, height, width)`` for images (2-D
        convolutions); with ``channels_last``, ``(length, channels)`` or
        ``(height, width, channels)``. Flat rows of X (2-D X) are reshaped to
        it in C order. None infers it: a 3-D X of shape (n_samples, channels,
        length) or a 4-D X of shape (n_samples, channels, height, width)
        gives it directly, and a flat 2-D X is read as one-channel 1-D
        signals of length n_features, i.e. ``(1, n_features)``; pass
        ``input_shape=(1, 8, 8)`` to read flat rows as 8x8 images.

    filters : array-like of int or 'auto', default='auto'
        Number of channels of each convolutional block. ``'auto'`` is
        ``(128, 256, 128)`` for 1-D signals (the fully convolutional network
        of Wang, Yan and Oates, 2017, the standard deep baseline of
        time-series classification) and ``(32, 64)`` for images.

    kernel_size : int, array-like of int or 'auto', default='auto'
        Width of the convolution kernels along every spatial axis: one for
        every block, or one per block. ``'auto'`` is the FCN's ``(8, 5, 3)``
        for signals with three blocks, and ``3`` otherwise (images, or
        another number of blocks). The convolutions are zero-padded to keep
        the spatial size ('same').

    channels_last : bool, default=False
        Whether the channel axis of X (and ``input_shape``) is the last one,
        as images of shape (height, width, channels) are usually loaded.
        Without it, an inferred sample shape whose last axis is short (<= 4)
        and first axis longer raises an error rather than being read
        channels first.

    pooling : {{'max', 'avg', 'auto'}} or None, default='auto'
        Downsampling by 2 after each convolutional block; an axis already
        shorter than 2 is not pooled. ``'auto'`` is None for signals (the
        FCN keeps every time step) and ``'max'`` for images.

    global_pooling : {{'avg', 'auto'}} or bool, default='auto'
        ``'avg'`` (or True) averages each feature map over its positions
        before the dense head (fewer weights, invariance to position);
        False flattens it. ``'auto'`` is ``'avg'`` for signals and False
        for images.

    hidden_layer_sizes : array-like of int or 'auto', default='auto'
        Widths of the dense head's hidden layers. ``'auto'`` is ``()`` for
        signals (the FCN's pooled features feed the output layer directly)
        and ``(128,)`` for images.

    activation : {{'identity', 'logistic', 'tanh', 'relu', 'gelu'}}, default='relu'
        Activation of the convolutional blocks and hidden layers.

    dropout : float or 'auto', default='auto'
        Probability of zeroing a unit after each block and hidden layer
        during training. ``'auto'`` is 0 for signals (as the FCN) and 0.1
        for images, which brings the default network to about 99% 5-fold
        accuracy on the 8x8 digits (98.8-98.9% without), at the cost of more
        epochs before the training loss settles.

    batch_norm : bool, default=True
        Normalise each convolution's outputs over the batch, which makes
        training faster and less sensitive to the learning rate. For
        prediction, ``fit`` ends with one pass over the training rows that
        sets each channel's mean and variance to those of the whole
        training set under the final weights, in place of the running
        averages kept during training (``partial_fit`` keeps those): with
        the small batches of signals, the averages are noisy and describe
        weights that have since moved.

    weight_init : {{'xavier', 'he', 'default'}}, default='he'
        Initialisation of the kernels and weight matrices: Kaiming normal
        (``'he'``, suited to ReLU), sklearn's Glorot uniform (``'xavier'``)
        or PyTorch's own (``'default'``).

    augmentation : 'auto', dict or None, default=None
        Random perturbations of each training batch, drawn on the device from
        the seeded generator (reproducible with ``random_state``); never
        applied when predicting or scoring the validation set. A dict may set
        ``shift`` (int: random translation by up to that many pixels or steps,
        by padding and random cropping), ``flip`` (bool: reverse the last axis
        of half the samples, a horizontal flip for images), ``noise`` (float:
        Gaussian noise of that many times each sample's standard deviation)
        and ``scale`` (float: multiply each sample by a factor in
        ``[1 - scale, 1 + scale]``). ``'auto'`` is
        ``{{"shift": max(1, min(height, width) // 8)}}`` for images (no flip:
        it changes the meaning of digits and text) and ``{{"shift": max(1,
        length // 10), "scale": 0.1, "noise": 0.05}}`` for signals.

    keep_best : bool, default=False
        Whether ``fit`` ends with the weights of the epoch of the lowest
        training loss (``best_loss_``) instead of the last epoch's, as the
        reference implementation of the FCN does (Keras's
        ``ModelCheckpoint(monitor='loss', save_best_only=True)``; Ismail
        Fawaz et al., 2019, *Deep learning for time series classification:
        a review*). An epoch's training loss is the mean of its batches'
        losses, taken while the weights moved, not the loss of the weights
        at its end that are kept. The batch-norm statistics are then
        recomputed with the kept weights; ``loss_`` stays the last epoch's.
        Not used with ``early_stopping`` (which keeps the weights of the best
        validation score); a ``warm_start`` fit keeps the best of its own
        epochs, and ``partial_fit`` always keeps its epoch's weights. Off by
        default: on the UCR set ArrowHead it lowered the default's accuracy
        (seeds 0, 1, 2: 0.869, 0.834, 0.851, against 0.869, 0.857, 0.863
        with the last epoch's weights).

    average_weights : float in (0, 1] or None, default=None
        Stochastic weight averaging (Izmailov et al., 2018, *Averaging
        Weights Leads to Wider Optima and Better Generalization*): ``fit``
        ends with the mean of the weights at the end of each of the last
        ``ceil(average_weights * max_iter)`` epochs of its ``max_iter``
        instead of the last epoch's (0.25: the last quarter), then
        recomputes the batch-norm statistics with them, as SWA requires.
        Training is unchanged: the mean is only read as ``fit`` ends. A fit
        that stops before ``max_iter`` averages the epochs of that window
        it ran, and keeps its last epoch's weights if it stopped before the
        window began; ``loss_`` and ``best_loss_`` stay those of training.
        Not used with ``early_stopping`` (which keeps the weights of the
        best validation score) nor by ``partial_fit`` (one epoch, whose
        weights it keeps); a ``warm_start`` fit averages the end of its own
        ``max_iter`` epochs; a fit stopped by ``on_divergence='stop'`` keeps
        the weights the guard fell back to. Cannot be combined with
        ``keep_best``. Off by default: on the UCR set ArrowHead it lowered
        the worst of seeds 0, 1, 2 (0.851, 0.846, 0.863 with 0.25, against
        0.869, 0.857, 0.863 with the last epoch's weights), though over
        seeds 0 to 9 it narrowed the spread (worst 0.823 against 0.760,
        mean 0.839 against 0.827)."""

# The training parameters whose CNN defaults differ from sklearn's MLP;
# tests/test_defaults.py checks that every replacement took.
_CNN_TRAINING_DOC = TRAINING_PARAMETERS_DOC.replace(
    "Mini-batch size; ``'auto'`` is ``min(200, n_samples)``.",
    """Mini-batch size. ``'auto'`` is, for 1-D signals, the FCN's
        ``n_samples // 10`` clipped to ``[2, 16]`` (and to ``n_samples``):
        about 10 optimiser steps per epoch on small data, where sklearn's
        ``min(200, n_samples)`` makes one (a UCR training set of 50 series
        then gets 200 steps in 200 epochs, far too few to train the FCN);
        for images, sklearn's ``min(200, n_samples)``. An int is used as
        is.""",
).replace(
    """    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        Learning-rate schedule for ``solver='sgd'``, as in sklearn.""",
    """    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='adaptive'
        Learning-rate schedule of ``'adam'``, ``'adamw'`` and ``'sgd'``
        (sklearn's applies to ``'sgd'`` only). ``'adaptive'`` is sklearn's
        rule: each time the training loss (the validation score with
        ``early_stopping``) has not improved by ``tol`` for
        ``n_iter_no_change`` epochs, the rate is divided by 5, and training
        stops once it falls under 1e-6. With a constant rate, a CNN's
        training loss on small batches is noisy enough for sklearn's rule to
        stop it early and its test accuracy jumps from epoch to epoch; the
        decays settle it, as the FCN's schedule does. ``'constant'`` gives
        sklearn's behaviour for Adam.""",
).replace(
    """    n_iter_no_change : int, default=10
        Number of epochs without improvement by ``tol`` before stopping
        (not used by ``'lbfgs'``).""",
    f"""    n_iter_no_change : int or 'auto', default='auto'
        Number of epochs without improvement by ``tol`` before stopping, or,
        with ``learning_rate='adaptive'``, before each division of the rate
        (not used by ``'lbfgs'``). ``'auto'`` is {_SIGNAL_PATIENCE} for 1-D
        signals and sklearn's 10 for images: on small batches of signals
        the training loss is noisy, and 10 epochs without a new best come
        round before the FCN has fitted (ArrowHead: 0.73 with 10 for seed
        0; worst of 3 seeds, 0.82 with 20 and 0.86 with {_SIGNAL_PATIENCE}).""",
)

_CNN_ATTRIBUTES_DOC = """\
    input_shape_ : tuple of int
        Shape of one sample as X holds it (see ``input_shape``);
        ``n_features_in_`` is its product."""


class CNNClassifier(TorchClassifierMixin, _BaseCNN):
    __doc__ = f"""Convolutional network classifier for 1-D signals and 2-D images, on PyTorch.

    A stack of convolutional blocks (convolution, batch normalisation,
    activation, pooling, dropout) and a dense head, trained through skorch
    with the same training parameters, fitted attributes and sklearn
    behaviour as :class:`MLPClassifier`. By default (the ``'auto'``
    architecture parameters) a 1-D signal gets the fully convolutional
    network (FCN) of Wang, Yan and Oates (2017): three unpooled blocks of
    128, 256 and 128 filters with kernels 8, 5 and 3, global average
    pooling and no hidden layer, trained on mini-batches of at most 16
    with a patience of 30 epochs before each division of the rate; an
    image gets two blocks of 32 and 64 filters with max pooling and a dense
    layer of 128 units. X holds flat rows reshaped to
    ``input_shape``, or arrays of shape (n_samples, channels, length) or
    (n_samples, channels, height, width) (channels last with
    ``channels_last=True``). Training batches can be augmented on the
    device with random shifts, flips, scaling and noise.

    Binary targets train one logistic output, multiclass targets a softmax,
    and a multi-label indicator matrix one logistic output per label.

    Parameters
    ----------
{_CNN_PARAMETERS_DOC}

{_CNN_TRAINING_DOC}

    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes in the loss, multiplied into ``sample_weight``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.

{_CNN_ATTRIBUTES_DOC}

{TRAINING_ATTRIBUTES_DOC}

    See Also
    --------
    CNNRegressor : The same network for regression.
    MLPClassifier : A fully connected network, for tabular data.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_dl.neural_network import CNNClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> model = CNNClassifier(input_shape=(1, 8, 8), filters=(16, 32), max_iter=10,
    ...                       batch_size=50, random_state=0)
    >>> model.fit(X[:600] / 16, y[:600]).score(X[1000:] / 16, y[1000:]) > 0.9
    True
    >>> images = X[1000:1003].reshape(-1, 1, 8, 8) / 16  # (n_samples, channels, h, w)
    >>> model.predict(images).shape
    (3,)
    """

    _parameter_constraints: dict = {
        **_BaseCNN._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        input_shape=None,
        filters="auto",
        kernel_size="auto",
        *,
        channels_last=False,
        pooling="auto",
        global_pooling="auto",
        hidden_layer_sizes="auto",
        activation="relu",
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="adaptive",
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
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change="auto",
        max_fun=15000,
        dropout="auto",
        batch_norm=True,
        weight_init="he",
        augmentation=None,
        keep_best=False,
        average_weights=None,
        max_grad_norm=None,
        precision="float32",
        class_weight=None,
        device="auto",
        callbacks=None,
        compile=False,
        on_divergence="raise",
    ):
        self.input_shape = input_shape
        self.filters = filters
        self.kernel_size = kernel_size
        self.channels_last = channels_last
        self.pooling = pooling
        self.global_pooling = global_pooling
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
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
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.weight_init = weight_init
        self.augmentation = augmentation
        self.keep_best = keep_best
        self.average_weights = average_weights
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
        X : array-like of shape (n_samples, n_features) or (n_samples, ``*input_shape_``)
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
        sample_weight : array-like of shape (n_samples,), default=None
        classes : array-like of shape (n_classes,), default=None
            Every class that ``y`` can hold; required on the first call.

        Returns
        -------
        self : object
        """
        return self._partial_fit(X, y, sample_weight, classes=classes)


class CNNRegressor(TorchRegressorMixin, _BaseCNN):
    __doc__ = f"""Convolutional network regressor for 1-D signals and 2-D images, on PyTorch.

    The network of :class:`CNNClassifier` with one linear output per
    target, trained on the half squared error (targets standardised by
    default), with the training parameters and fitted attributes of
    :class:`MLPRegressor`.

    Parameters
    ----------
{_CNN_PARAMETERS_DOC}

{_CNN_TRAINING_DOC}

    standardize_target : bool, default=True
        Train on targets standardised to zero mean and unit variance per
        output (sample-weighted) and map predictions back, so the default
        learning rate suits targets of any scale.

    Attributes
    ----------
{_CNN_ATTRIBUTES_DOC}

{TRAINING_ATTRIBUTES_DOC}

    See Also
    --------
    CNNClassifier : The same network for classification.
    MLPRegressor : A fully connected network, for tabular data.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dl.neural_network import CNNRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = 0.1 * rng.normal(size=(400, 1, 32))  # 400 one-channel signals
    >>> amplitude = rng.uniform(0.5, 2, size=400)
    >>> for i, start in enumerate(rng.integers(0, 26, size=400)):
    ...     X[i, 0, start:start + 6] += amplitude[i] * np.hanning(6)
    >>> model = CNNRegressor(filters=(8, 16), hidden_layer_sizes=(32,), max_iter=40,
    ...                      batch_size=50, random_state=0)
    >>> model.fit(X[:300], amplitude[:300]).score(X[300:], amplitude[300:]) > 0.85
    True
    """

    _parameter_constraints: dict = {
        **_BaseCNN._parameter_constraints,
        "standardize_target": ["boolean"],
    }

    def __init__(
        self,
        input_shape=None,
        filters="auto",
        kernel_size="auto",
        *,
        channels_last=False,
        pooling="auto",
        global_pooling="auto",
        hidden_layer_sizes="auto",
        activation="relu",
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="adaptive",
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
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change="auto",
        max_fun=15000,
        dropout="auto",
        batch_norm=True,
        weight_init="he",
        augmentation=None,
        keep_best=False,
        average_weights=None,
        max_grad_norm=None,
        precision="float32",
        standardize_target=True,
        device="auto",
        callbacks=None,
        compile=False,
        on_divergence="raise",
    ):
        self.input_shape = input_shape
        self.filters = filters
        self.kernel_size = kernel_size
        self.channels_last = channels_last
        self.pooling = pooling
        self.global_pooling = global_pooling
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
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
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.weight_init = weight_init
        self.augmentation = augmentation
        self.keep_best = keep_best
        self.average_weights = average_weights
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
        X : array-like of shape (n_samples, n_features) or (n_samples, ``*input_shape_``)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        return self._partial_fit(X, y, sample_weight)
