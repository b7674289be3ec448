"""The training engine: skorch, fed from device tensors, stopped as sklearn stops.

Every network estimator trains through :class:`TrainingNet`, a skorch
``NeuralNet`` with three changes that the estimators rely on:

* data already lives on the device as tensors (:class:`TensorData`) and a batch
  is an index slice of them (:class:`SliceIterator`), so there is no
  per-sample ``__getitem__`` and no ``DataLoader`` collation;
* the loss is sklearn's: a sample-weighted mean plus ``alpha / 2`` times the
  squared norm of the weight matrices, divided by the batch's total weight;
* stopping follows sklearn's MLP (``tol``, ``n_iter_no_change``,
  ``early_stopping``, the ``adaptive`` / ``invscaling`` learning rates), in the
  :class:`SklearnStopping` callback, which also guards against divergence.

Everything else (callbacks, history, gradient clipping, LR schedulers,
checkpoints, device moves, pickling) is skorch's.
"""

import contextlib
import dataclasses
import itertools
import math
import operator
import os
import re
import sys
import threading
import typing
import warnings

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.utils import ClassifierTags
from sklearn.utils.metadata_routing import _routing_enabled
from skorch import NeuralNet
from skorch.callbacks import Callback, EpochTimer, PassthroughScoring, PrintLog
from skorch.exceptions import DeviceWarning
from skorch.history import History
from skorch.utils import TeeGenerator, to_device, to_numpy

from sklearn_dl._optim import SklearnAdam
from sklearn_dl.utils._torch import one_thread


_CONSTANTS = {}


def _constant_like(value, tensor):
    """A 0-d tensor holding ``value`` in ``tensor``'s dtype and device, made once."""
    key = (value, tensor.dtype, tensor.device)
    constant = _CONSTANTS.get(key)
    if constant is None:
        constant = _CONSTANTS[key] = torch.tensor(value, dtype=tensor.dtype, device=tensor.device)
    return constant


class _NoGrad:
    """``torch.no_grad()`` as a context manager, without its decorator machinery.

    What ``no_grad``'s ``__enter__`` and ``__exit__`` do, at a third of the
    cost: it is entered several times per epoch of a small network.
    """

    __slots__ = ("prev",)

    def __enter__(self):
        self.prev = torch.is_grad_enabled()
        torch._C._set_grad_enabled(False)

    def __exit__(self, *exc_info):
        torch._C._set_grad_enabled(self.prev)


class DivergenceError(FloatingPointError, ValueError):
    """Raised when the training loss becomes NaN or infinite.

    A first ``fit`` that diverges leaves the estimator unfitted; a
    ``partial_fit`` or ``warm_start`` fit keeps the weights of the last finite
    epoch. The message says what to change. It is also a ``ValueError``, the
    error scikit-learn's MLPs raise for non-finite weights ("Solver produced
    non-finite parameter weights"), so code written for theirs catches it.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dl import DivergenceError, MLPRegressor
    >>> X = np.random.default_rng(0).normal(size=(50, 2)) * 1e30
    >>> model = MLPRegressor(hidden_layer_sizes=(4,), solver="sgd", learning_rate_init=10.0,
    ...                      momentum=0.0, standardize_target=False, max_iter=5)
    >>> try:
    ...     model.fit(X, X[:, 0])
    ... except DivergenceError as error:
    ...     print(str(error).split(":")[0])
    Training diverged at epoch 1
    """


def to_tensor(X, device, dtype):
    """Copy a numpy array or scipy sparse matrix to a dense ``dtype`` tensor on ``device``."""
    if sp.issparse(X):
        X = X.astype(_numpy_dtype(dtype)).toarray()
    if not X.flags.writeable:
        # torch cannot share memory with a read-only array (e.g. a joblib memmap).
        X = np.array(X)
    tensor = torch.as_tensor(np.ascontiguousarray(X), dtype=dtype)
    if device.type == "cuda":
        return tensor.pin_memory().to(device, non_blocking=True)
    return tensor.to(device)


def _numpy_dtype(dtype):
    return torch.empty(0, dtype=dtype).numpy().dtype


def training_rows(X, device, dtype):
    """The training inputs: a tensor on ``device``, or :class:`SparseRows` for sparse ``X``."""
    if sp.issparse(X):
        return SparseRows(X, dtype)
    return to_tensor(X, device, dtype)


class SparseRows:
    """A scipy sparse matrix that hands out dense tensor rows, a batch at a time.

    It stands in for the input tensor of :class:`TensorData` (and of the
    validation rows) when X is sparse, so that training never holds X dense:
    a slice or ``index_select`` gives the dense rows of one batch, while
    indexing with an index tensor gives the sparse subset of those rows
    (the training / validation split). It lives in host memory.
    """

    device = torch.device("cpu")

    def __init__(self, matrix, dtype):
        # Stored in the training dtype, so a batch is densified straight into it.
        self.matrix = sp.csr_matrix(matrix, dtype=_numpy_dtype(dtype))
        self.dtype = dtype

    @property
    def shape(self):
        return self.matrix.shape

    def __len__(self):
        return self.matrix.shape[0]

    def _dense(self, rows):
        return torch.as_tensor(rows.toarray(), dtype=self.dtype)

    def __getitem__(self, index):
        if isinstance(index, torch.Tensor):
            return SparseRows(self.matrix[index.cpu().numpy()], self.dtype)
        if isinstance(index, slice):
            return self._dense(self.matrix[index])
        return self._dense(self.matrix[[index]])[0]

    def index_select(self, dim, index):
        return self._dense(self.matrix[index.cpu().numpy()])


# Training data may take up to this share of a GPU's free memory; larger data
# stays in host memory and is copied to the GPU one batch at a time.
DEVICE_DATA_FRACTION = 0.5


def keeps_data_on_host(n_bytes, device):
    """Whether training data of ``n_bytes`` should stay in host memory.

    True only for a CUDA ``device`` whose free memory is less than
    ``n_bytes / DEVICE_DATA_FRACTION``: the model, its activations and the
    optimiser need the rest.
    """
    if device.type != "cuda":
        return False
    free_bytes, _ = torch.cuda.mem_get_info(device)
    return n_bytes > DEVICE_DATA_FRACTION * free_bytes


class TensorData(torch.utils.data.Dataset):
    """In-memory training data as tensors: inputs, targets, sample weights.

    ``sample_weight`` is None when every sample weighs the same, which saves a
    gather and a multiplication per batch. The tensors live on the training
    device, or, when ``stream_to`` is a device, in host memory: each batch is
    then gathered into pinned memory and copied to ``stream_to`` without
    blocking, one batch ahead (see :class:`SliceIterator`).
    """

    def __init__(self, X, y, sample_weight=None, stream_to=None):
        self.X, self.y, self.sample_weight = X, y, sample_weight
        self.stream_to = stream_to

    def __len__(self):
        # The first dimension read directly: a tensor's len() goes through
        # torch's Python-level checks, several times per epoch.
        return self.X.shape[0]

    def __getitem__(self, index):
        pinned = self.stream_to is not None and self.stream_to.type == "cuda"
        weight = (None if self.sample_weight is None
                  else _rows(self.sample_weight, index, pinned))
        return _rows(self.X, index, pinned), (_rows(self.y, index, pinned), weight)


def _rows(tensor, index, pinned=False):
    """``tensor[index]`` for a slice or an index tensor.

    An index tensor gathers with ``index_select`` (about half the time of
    advanced indexing for a batch), into pinned memory when ``pinned``.
    """
    if not isinstance(index, torch.Tensor):
        return tensor[index]
    if not pinned or isinstance(tensor, SparseRows):
        return tensor.index_select(0, index)
    out = torch.empty((len(index), *tensor.shape[1:]), dtype=tensor.dtype, pin_memory=True)
    return torch.index_select(tensor, 0, index, out=out)


class SliceIterator:
    """Yield mini-batches of a :class:`TensorData` as index slices.

    Without shuffling a batch is a view (no copy); with shuffling it is one
    gather per tensor. A last batch of a single sample is folded into the one
    before it, so batch normalisation always sees at least two samples.
    """

    def __init__(self, dataset, batch_size, shuffle=False, generator=None):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = generator

    def _bounds(self):
        # Made once: the iterator serves every epoch of a fit.
        key = (len(self.dataset), self.batch_size)
        if getattr(self, "_bounds_of", (None,))[0] != key:
            n = key[0]
            starts = list(range(0, n, self.batch_size))
            if len(starts) > 1 and n - starts[-1] == 1:
                starts.pop()
            self._bounds_of = (key, [(start, starts[i + 1] if i + 1 < len(starts) else n)
                                     for i, start in enumerate(starts)])
        return self._bounds_of[1]

    def __len__(self):
        return len(self._bounds())

    def _indices(self):
        if self.shuffle:
            order = torch.randperm(len(self.dataset), generator=self.generator)
            if self.dataset.X.device != order.device:
                order = order.to(self.dataset.X.device)
            for start, stop in self._bounds():
                yield order[start:stop]
        else:
            for start, stop in self._bounds():
                yield slice(start, stop)

    def __iter__(self):
        batches = (self.dataset[index] for index in self._indices())
        if self.dataset.stream_to is None:
            return batches
        return _copied_ahead(batches, self.dataset.stream_to)


def _copied_ahead(batches, device):
    """Yield host ``batches`` on ``device``, each copy started one batch ahead.

    On a GPU the copies come from pinned memory without blocking, so the host
    gathers and queues the next batch while the GPU still computes this one.
    """
    ahead = None
    for batch in batches:
        batch = _to_device(batch, device)
        if ahead is not None:
            yield ahead
        ahead = batch
    if ahead is not None:
        yield ahead


def _to_device(batch, device):
    """Copy a (nested tuple of) tensor(s) to ``device``; None stays None.

    A host tensor bound for a GPU goes through pinned memory, without blocking.
    """
    if batch is None:
        return None
    if isinstance(batch, tuple):
        return tuple(_to_device(part, device) for part in batch)
    if batch.device.type != "cpu" or device.type != "cuda":
        return batch.to(device)  # a no-op when it is there already
    if not batch.is_pinned():
        batch = batch.pin_memory()
    return batch.to(device, non_blocking=True)


_ANSI_CODE = re.compile(r"\x1b\[[0-9;]*m")


def _colour_output(stream):
    """Whether ``stream`` shows ANSI colours: a terminal or a notebook, unless NO_COLOR is set.

    Anything else (a log file, a pipe, a CI log) gets plain text.
    """
    if os.environ.get("NO_COLOR"):
        return False
    if getattr(stream, "isatty", lambda: False)():
        return True
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return type(shell).__name__ == "ZMQInteractiveShell"


# skorch callbacks monitor the validation loss by default; without a
# validation set they monitor the training loss instead.
_TRAINING_MONITORS = {"valid_loss": "train_loss", "valid_loss_best": "train_loss_best"}


def _total_weight(weight):
    """The sum of a batch's sample weights, or 1 where every one of them is 0.

    Small batches of data with many zero weights can hold nothing else: such a
    batch then adds nothing to the data term and a bounded L2 step, where
    dividing by its total would make the loss NaN.
    """
    total = weight.sum()
    return torch.where(total > 0, total, torch.ones_like(total))


class KeepFitHistory(Callback):
    """Keep the fit's own history when a callback loads a saved one as training ends.

    skorch's ``Checkpoint(load_best=True)`` loads, at the end of training, the
    files it saved at its best epoch, the history among them: the weights are
    then that epoch's, as asked, but ``n_iter_`` and ``loss_curve_`` would
    describe a fit cut there, and the estimator would take the missing epochs
    for an interruption. Placed after the user's callbacks, so that a history
    loaded as training begins (``LoadInitState``) is the one kept.
    """

    def on_train_begin(self, net, **kwargs):
        self.history_ = net.history
        # Counts the epochs that a callback loaded as training began.
        self.epochs_at_begin_ = len(net.history)

    def on_train_end(self, net, **kwargs):
        net.history = self.__dict__.pop("history_", net.history)


def monitor_training_loss(callbacks):
    """Point the callbacks that monitor the validation loss at the training loss.

    ``callbacks`` are callbacks or (name, callback) pairs, changed in place.
    """
    for item in callbacks:
        callback = item[1] if isinstance(item, tuple) else item
        monitor = getattr(callback, "monitor", None)
        if isinstance(monitor, str) and monitor in _TRAINING_MONITORS:
            callback.monitor = _TRAINING_MONITORS[monitor]
    return callbacks


class QuietPrintLog(PrintLog):
    """skorch's per-epoch table, formatted only when ``verbose`` prints it.

    skorch colours each epoch's best values; the colour codes are left out
    when standard output is not a terminal or a notebook.
    """

    def on_epoch_end(self, net, **kwargs):
        if net.verbose:
            self.plain_ = not _colour_output(sys.stdout)
            super().on_epoch_end(net, **kwargs)

    def format_row(self, row, key, color):
        formatted = super().format_row(row, key, color)
        if getattr(self, "plain_", False) and isinstance(formatted, str):
            return _ANSI_CODE.sub("", formatted)
        return formatted


class _History(History):
    """skorch's ``History``, with one epoch's row looked up without copying all rows first.

    skorch's indexing copies the list of every epoch's row before picking
    one, and ``record`` indexes: a cost paid several times per epoch that
    grows with the number of epochs.
    """

    def __getitem__(self, index):
        if isinstance(index, int):
            return list.__getitem__(self, index)
        if isinstance(index, tuple) and index and isinstance(index[0], int):
            # No other row plays a part: index a history of that row alone.
            return History([list.__getitem__(self, index[0])])[(0, *index[1:])]
        return super().__getitem__(index)


class _PassthroughLoss(PassthroughScoring):
    """skorch's epoch loss (the batch losses' mean weighted by batch size), read directly.

    skorch's history slicing and ``np.average`` cost more than an epoch of a
    small network.
    """

    def on_epoch_end(self, net, **kwargs):
        size_key = "train_batch_size" if self.on_train else "valid_batch_size"
        batches = [batch for batch in net.history[-1]["batches"] if self.name in batch]
        if not batches:  # e.g. no validation data
            return
        # A numpy float, as skorch's np.average gives (and sklearn's losses are).
        score = np.float64(sum(batch[self.name] * batch[size_key] for batch in batches)
                           / sum(batch[size_key] for batch in batches))
        is_best = self._is_best_score(score)
        if is_best:
            self.best_score_ = score
        net.history.record(self.name, score)
        if is_best is not None:
            net.history.record(self.name + "_best", bool(is_best))


@dataclasses.dataclass
class _EpochSetup:
    """What a training epoch looks up once instead of at every batch."""

    penalized_parameters: list
    announces_gradients: bool  # a callback listens to on_grad_computed (e.g. clipping)
    uses_lbfgs: bool
    listens_to_batches: bool  # a callback listens to on_batch_begin / on_batch_end
    parameters: list = dataclasses.field(default_factory=list)  # all of the module's
    # The lean loop's (None in skorch's): the optimisers, and the parameters
    # whose gradients their zero_grad would clear.
    optimizers: list = None
    optimized_parameters: list = None
    # Per optimiser of the lean loop: its direct fused Adam step, or None.
    direct_steps: list = None
    defer_penalty: bool = False  # batches return their L2 term in parts (fast epoch)
    # Whether the parameters are all finite after the epoch's last step, when
    # the fast epoch read it back with its losses; None when not known.
    finite_parameters: bool = None
    # The lean loop's: the 2-norms of the penalised parameters that the
    # divergence check computed after the epoch's last step, with the
    # parameters' versions then. The next batch's L2 term needs the same
    # norms (its step has not begun): it takes them while no parameter has
    # changed since.
    penalized_norms: tuple = None
    # Where the penalised parameters are in ``parameters`` (the lean loop's
    # with an L2 penalty; else None).
    penalized_index: list = None
    # L-BFGS's last evaluated point, while nothing has written into the
    # parameters since: (the parameters, their versions); else None.
    lbfgs_point: tuple = None


class _BatchRecords:
    """The losses of an epoch's batches, kept on the device until the epoch ends.

    Every extra tensor operation per batch costs about as much as a small
    layer's, so a batch only appends its tensors to lists; every ``CHUNK``
    batches they are stacked into one tensor each, so that thousands of small
    tensors are never alive between the batches' large ones (they would
    fragment the allocator's heap, which then grows with the number of
    batches). The L2 terms are added up on the host, in double precision.
    """

    CHUNK = 64

    def __init__(self):
        self.sizes = []
        self._losses, self._norms, self._scales = [], [], []
        self._stacked = []  # (one tensor, n_batches, n_norms, float scales or None)

    def add(self, step, size):
        self._losses.append(step["loss"].detach())
        if "l2_norms" in step:
            self._norms.extend(step["l2_norms"])
            self._scales.append(step["l2_scale"])
        self.sizes.append(size)
        if len(self._losses) == self.CHUNK:
            self._stack()

    def _stack(self, checks=()):
        if not self._losses and not checks:
            return
        # One tensor, read back in one transfer: the losses, the weights'
        # norms, each batch's total weight when the samples are weighted
        # (else the scales are floats already), and ``checks``.
        weighted = bool(self._scales) and isinstance(self._scales[0], torch.Tensor)
        parts = self._losses + self._norms + (self._scales if weighted else []) + list(checks)
        self._stacked.append((torch.stack(parts), len(self._losses), len(self._norms),
                              None if weighted else self._scales))
        self._losses, self._norms, self._scales = [], [], []

    def values(self, parameters=(), norms_out=None):
        """Each batch's loss including its L2 term, and whether ``parameters`` are all finite.

        The check rides on the epoch's last transfer, as the parameters'
        2-norms; it is redone exactly (:func:`_all_finite`) only when one of
        them is not finite. The 2-norms are appended to ``norms_out`` when
        it is a list.
        Returns a list of floats and a bool (True when ``parameters`` is empty).
        """
        with _NoGrad():
            # A 2-norm is finite when every entry is, and is several times
            # cheaper than the largest absolute entry; only a 2-norm that is
            # not finite (NaN, infinity, or the overflow of its sum of squares)
            # sends the check to the exact one.
            checks = torch._foreach_norm(parameters) if parameters else []
        if norms_out is not None:
            norms_out.extend(checks)
        self._stack(checks)
        values, finite = [], True
        for stacked, n_batches, n_norms, scales in self._stacked:
            flat = stacked.tolist()
            losses = flat[:n_batches]
            norms = flat[n_batches:n_batches + n_norms]
            end = n_batches + n_norms
            if norms and scales is None:
                scales, end = flat[end:end + n_batches], end + n_batches
            finite = finite and all(math.isfinite(check) for check in flat[end:])
            if not norms:
                values.extend(losses)
                continue
            per_batch = n_norms // n_batches
            values.extend(
                loss + 0.5 * scale * sum(norm * norm
                                         for norm in norms[i * per_batch:(i + 1) * per_batch])
                for i, (loss, scale) in enumerate(zip(losses, scales)))
        if not finite:
            finite = _all_finite(parameters)
        return values, finite


def _n_rows(data):
    """``len(data)``, read from the shape of a tensor: a tensor's len() goes
    through torch's Python-level checks, several times per batch."""
    return data.shape[0] if isinstance(data, torch.Tensor) else len(data)


def penalized_parameters(module):
    """The weight matrices and kernels that ``alpha`` penalises (no biases, no norms)."""
    return [param for param in module.parameters() if param.requires_grad and param.ndim > 1]


def _on_device(module, device):
    """Whether every parameter and buffer of ``module`` is on ``device`` already."""
    if device is None:
        return True
    device = torch.device(device)
    return all(tensor.device == device
               for tensors in (module.parameters(), module.buffers()) for tensor in tensors)


# The net classes whose set-up methods are TrainingNet's (see TrainingNet.initialize).
_PLAIN_NET_TYPES = set()
_SETUP_METHODS = ("initialize_virtual_params", "initialize_callbacks", "_initialize_callbacks",
                  "initialize_module", "_initialize_module", "initialize_criterion",
                  "_initialize_criterion", "initialize_history", "_initialize_history",
                  "get_default_callbacks", "_default_callbacks", "_validate_params",
                  "torch_compile", "check_training_readiness", "initialize")


def _plain_net_type(net_type):
    if not all(getattr(net_type, name) is getattr(TrainingNet, name) for name in _SETUP_METHODS):
        return False
    _PLAIN_NET_TYPES.add(net_type)
    return True


# Largest matrix product (batch rows times a layer's weight entries) that
# TrainingNet computes in one CPU thread: the default MLP's (200 rows x 20 x 100
# or 100 x 100) are well under it, a (256, 256) network's far above.
ONE_THREAD_PRODUCT = 2**22
_ONE_THREAD_LAYERS = (torch.nn.Linear, torch.nn.BatchNorm1d, torch.nn.LayerNorm)


class TrainingNet(NeuralNet):
    """skorch ``NeuralNet`` on device tensors with sklearn's weighted, L2-penalised loss.

    Parameters beyond skorch's
    --------------------------
    l2_penalty : float
        sklearn's ``alpha``: ``l2_penalty / 2 * sum(W ** 2) / sum(batch weights)``
        is added to every training batch's loss (see :meth:`train_step_single`).
    shuffle : bool
        Reshuffle the training data at every epoch.
    shuffle_generator : torch.Generator or None
        Source of the shuffling order, seeded by the estimator.
    random_generator : torch.Generator or None
        The generator, on the training device, that the module's random
        layers (dropout, augmentation) draw from, seeded by the estimator;
        kept here so that a backup can save and restore its state.
    autocast_dtype : torch.dtype or None
        Mixed precision: forward passes run under ``torch.autocast`` in this
        dtype (``bfloat16`` or ``float16``) while the weights stay float32;
        ``float16`` adds a gradient scaler against underflow.
    compile_options : dict or None
        Train through ``torch.compile(module, **compile_options)``; the fitted
        ``module_`` stays the plain module, so it pickles as usual.
    """

    def __init__(self, *args, l2_penalty=0.0, shuffle=True, shuffle_generator=None,
                 random_generator=None, autocast_dtype=None, compile_options=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.l2_penalty = l2_penalty
        self.shuffle = shuffle
        self.shuffle_generator = shuffle_generator
        self.random_generator = random_generator
        self.autocast_dtype = autocast_dtype
        self.compile_options = compile_options

    @property
    def _default_callbacks(self):
        return [
            ("epoch_timer", EpochTimer()),
            ("train_loss", _PassthroughLoss(name="train_loss", on_train=True)),
            ("print_log", QuietPrintLog()),
        ]

    def initialize_history(self):
        if self.history_ is None:
            self.history_ = _History()
        return super().initialize_history()

    def initialize(self):
        """skorch's ``initialize``, its steps taken directly for an estimator's own net.

        skorch looks up each component's parameters in every attribute of
        the net, moves every module to the device and checks the net's
        arguments; for a new net that only has components of the estimators
        (module and criterion instances, their own callbacks, optimiser
        arguments) those steps find nothing to do, and they cost as much as a
        few epochs of a small network. This makes the same components, in the
        same order, registered as skorch registers them. Anything else (a
        user's callback, a component's parameters, a subclass's own set-up, a
        second initialisation) takes skorch's.
        """
        items = self._plain_initialization()
        if items is None:
            return super().initialize()
        self.check_training_readiness()
        self.initialize_virtual_params()
        # skorch's order: the per-epoch table last.
        callbacks = ([item for item in items if not isinstance(item[1], PrintLog)]
                     + [item for item in items if isinstance(item[1], PrintLog)])
        for _, callback in callbacks:
            callback.initialize()
        self.callbacks_ = callbacks
        for name in ("module", "criterion"):
            with self._current_init_context(name):
                component = getattr(self, name)
                setattr(self, name + "_", component)  # registered as skorch registers it
                if not _on_device(component, self.device):
                    setattr(self, name + "_", to_device(component, self.device))
        self._initialize_optimizer()
        self.initialize_history()
        if (self.use_caching not in ("auto", False, True)
                or any(not key.startswith("optimizer__") for key in self._params_to_validate)):
            super()._validate_params()  # skorch's error
        self.initialized_ = True
        return self

    def _plain_initialization(self):
        """The (name, callback) pairs, defaults first, when :meth:`initialize` may take
        its steps directly (see there); else None."""
        if (self.initialized_ or self.compile or self._modules or self._criteria
                or self._optimizers
                or (type(self) not in _PLAIN_NET_TYPES and not _plain_net_type(type(self)))
                or not isinstance(self.module, torch.nn.Module)
                or not isinstance(self.criterion, torch.nn.Module)
                or type(self.callbacks) is not list):
            return None
        # Parameters of a component (module__*, callbacks__*...): skorch's.
        if any("__" in key and not key.startswith("optimizer__") for key in vars(self)):
            return None
        items = [*self.get_default_callbacks(), *self.callbacks]
        names = {item[0] for item in items if type(item) is tuple and len(item) == 2}
        if len(names) != len(items) or not all(type(name) is str and type(callback) in
                                               _LEAN_CALLBACKS for name, callback in items):
            return None
        return items

    def get_iterator(self, dataset, training=False):
        batch_size = len(dataset) if self.batch_size == -1 else self.batch_size
        return SliceIterator(dataset, batch_size, shuffle=training and self.shuffle,
                             generator=self.shuffle_generator)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """Sample-weighted mean of the per-sample loss (the data term)."""
        target, weight = y_true
        if weight is None:
            return self.criterion_.mean(y_pred, target)
        return (self.criterion_(y_pred, target) * weight).sum() / _total_weight(weight)

    def _set_training(self, training=True):
        # skorch sets the mode before every batch; walking the module tree each
        # time is measurable on small models, so only switch when it changes.
        if self.module_.training != training:
            super()._set_training(training)

    def _listeners(self, method_name):
        """The callbacks that override ``method_name`` (skorch calls them all)."""
        return [callback for _, callback in self.callbacks_
                if getattr(type(callback), method_name) is not getattr(Callback, method_name)]

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        """skorch's loop, with what each epoch needs looked up once per call."""
        self._epoch = _EpochSetup(
            penalized_parameters=penalized_parameters(self.module_),
            announces_gradients=bool(self._listeners("on_grad_computed")),
            uses_lbfgs=any(isinstance(getattr(self, name + "_"), torch.optim.LBFGS)
                           for name in self._optimizers),
            listens_to_batches=bool(self._listeners("on_batch_begin")
                                    or self._listeners("on_batch_end")),
            parameters=list(self.module_.parameters()),
        )
        # skorch's partial_fit names its entry point, for metadata routing.
        routing_method = fit_params.pop("_routing_method", "fit")
        lean = (not fit_params and not _routing_enabled() and not self._epoch.listens_to_batches
                and not self._epoch.announces_gradients
                and all(type(callback) in _LEAN_CALLBACKS for _, callback in self.callbacks_)
                and all(type(getattr(self, name + "_")) in _LEAN_OPTIMIZERS
                        for name in self._optimizers))
        if lean:
            self._epoch.optimizers = [getattr(self, name + "_") for name in self._optimizers]
            self._epoch.optimized_parameters = [
                param for optimizer in self._epoch.optimizers
                for group in optimizer.param_groups for param in group["params"]]
            self._epoch.direct_steps = [_FusedAdamStep.for_optimizer(optimizer)
                                        or _LBFGSStep.for_optimizer(optimizer)
                                        for optimizer in self._epoch.optimizers]
            positions = {id(param): index for index, param in enumerate(self._epoch.parameters)}
            if self.l2_penalty and all(id(param) in positions
                                       for param in self._epoch.penalized_parameters):
                self._epoch.penalized_index = [positions[id(param)]
                                               for param in self._epoch.penalized_parameters]
        try:
            with (one_thread() if self._small_for_threads(len(X))
                  else contextlib.nullcontext()):
                if lean:
                    return self._lean_fit_loop(X, y, epochs)
                return super().fit_loop(X, y, epochs, _routing_method=routing_method,
                                        **fit_params)
        finally:
            del self._epoch

    def _lean_fit_loop(self, X, y, epochs):
        """skorch's loop, calling only the epoch hooks that do something.

        Taken when every callback is one of the estimators' own
        (:data:`_LEAN_CALLBACKS`): their epoch hooks run in skorch's order,
        with skorch's arguments, without dispatching each event to every
        callback; no callback listens to batches or gradients.
        """
        self.check_data(X, y)
        self.check_training_readiness()
        epochs = epochs if epochs is not None else self.max_epochs
        dataset_train, dataset_valid = self.get_split_datasets(X, y)
        on_epoch_kwargs = {"dataset_train": dataset_train, "dataset_valid": dataset_valid}
        iterator_train = self.get_iterator(dataset_train, training=True)
        iterator_valid = (None if dataset_valid is None
                          else self.get_iterator(dataset_valid, training=False))
        begin = [self.on_epoch_begin] + [getattr(callback, "on_epoch_begin")
                                         for callback in self._listeners("on_epoch_begin")]
        # Left out: hooks that do nothing here (skorch's net's own on_epoch_end,
        # the per-epoch table when nothing is printed).
        end = ([] if type(self).on_epoch_end is NeuralNet.on_epoch_end else [self.on_epoch_end])
        end += [getattr(callback, "on_epoch_end")
                for callback in self._listeners("on_epoch_end")
                if self.verbose or type(callback) is not QuietPrintLog]
        for _ in range(epochs):
            for hook in begin:
                hook(self, **on_epoch_kwargs)
            self.run_single_epoch(iterator_train, training=True, prefix="train",
                                  step_fn=self.train_step)
            if iterator_valid is not None:
                self.run_single_epoch(iterator_valid, training=False, prefix="valid",
                                      step_fn=self.validation_step)
            self.end_epoch(end, on_epoch_kwargs)
        return self

    def notify(self, method_name, **cb_kwargs):
        if method_name != "on_epoch_end":
            return super().notify(method_name, **cb_kwargs)
        return self.end_epoch([self.on_epoch_end] + [callback.on_epoch_end
                                                     for _, callback in self.callbacks_],
                              cb_kwargs)

    def end_epoch(self, hooks, kwargs):
        """Call the epoch-end ``hooks`` in order.

        When the estimator's stopping rule ends training at this epoch (with a
        ``KeyboardInterrupt``, skorch's way), the later hooks still take the
        epoch, as they take every other one: the per-epoch table prints its
        row, a user's ``Checkpoint`` saves it if it is the best. Any other
        interruption (Ctrl-C, a callback's, a divergence) ends training at once.
        """
        for index, hook in enumerate(hooks):
            try:
                hook(self, **kwargs)
            except KeyboardInterrupt:
                stopping = dict(self.callbacks_).get("sklearn_stopping")
                if stopping is None or not stopping.stopped_:
                    raise
                if not stopping.diverged_:
                    for later in hooks[index + 1:]:
                        later(self, **kwargs)
                if self.verbose:
                    print(stopping.stop_message_)
                raise

    def _small_for_threads(self, n_samples):
        """Whether the module's matrix products are too small to gain from torch's CPU threads.

        True on a CPU with several threads for a module of fully connected
        layers (and 1-d normalisations) whose largest product per batch,
        batch rows times weight entries, is at most :data:`ONE_THREAD_PRODUCT`:
        there each product that torch splits over its threads costs a barrier
        worth more than the product (under load, where a thread waits for a
        core, milliseconds against microseconds). sklearn's MLP multiplies such
        matrices in one thread too.
        """
        if torch.device(self.device).type != "cpu" or torch.get_num_threads() == 1:
            return False
        widest = 0
        for module in self.module_.modules():
            if isinstance(module, torch.nn.Linear):
                widest = max(widest, module.weight.numel())
            elif (next(module.parameters(recurse=False), None) is not None
                  and not isinstance(module, _ONE_THREAD_LAYERS)):
                return False
        batch_size = n_samples if self.batch_size == -1 else min(self.batch_size, n_samples)
        return batch_size * widest <= ONE_THREAD_PRODUCT

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        """skorch's epoch, without per-batch work that nobody listens to.

        skorch notifies every callback around every batch and reads each
        batch's loss back to the host (a device sync on a GPU). When no
        callback listens to batch events, the losses stay on the device until
        the epoch ends and are then written to the history in one transfer,
        with the same per-batch records skorch would have made.
        """
        if iterator is None:
            return None
        self._epoch.finite_parameters = None
        if self._epoch.listens_to_batches:
            return super().run_single_epoch(iterator, training, prefix, step_fn, **fit_params)
        # Each batch's L2 term is summed at the end of the epoch, in one go,
        # except for L-BFGS whose line search needs the whole loss at once.
        self._epoch.defer_penalty = not self._epoch.uses_lbfgs
        records = _BatchRecords()
        for batch in iterator:
            records.add(step_fn(batch, **fit_params), _n_rows(batch[0]))
        # The divergence guard's check of the weights comes with the losses.
        norms = [] if training and self._epoch.penalized_index is not None else None
        values, finite = records.values(self._epoch.parameters if training else (), norms)
        if training:
            self._epoch.finite_parameters = finite
        if norms:  # only asked for where the L2 term can reuse them
            self._epoch.penalized_norms = (
                [norms[index] for index in self._epoch.penalized_index],
                [param._version for param in self._epoch.penalized_parameters])
        # The records History.new_batch / record_batch would make, added at once.
        self.history[-1]["batches"].extend(
            {prefix + "_loss": value, prefix + "_batch_size": size}
            for value, size in zip(values, records.sizes))
        self.history.record(prefix + "_batch_count", len(records.sizes))
        return None

    def train_step(self, batch, **fit_params):
        """One optimisation step; skorch's closure-based step only for L-BFGS.

        Optimisers that evaluate the loss once per step (Adam, AdamW, SGD) are
        stepped directly, and ``on_grad_computed`` (e.g. gradient clipping)
        is only announced when a callback listens to it.
        """
        if self._epoch.uses_lbfgs:
            return self._lbfgs_step(batch, **fit_params)
        step = self._gradients(batch, **fit_params)
        scaler = self._gradient_scaler()
        if scaler is None and self._epoch.optimizers is not None:
            for optimizer, direct in zip(self._epoch.optimizers, self._epoch.direct_steps):
                if direct is None:
                    optimizer.step()
                else:
                    direct.step()
        elif scaler is None:
            self._step_optimizer(None)
        else:
            # Skips the step when the scaled gradients overflowed, then adapts the scale.
            for name in self._optimizers:
                scaler.step(getattr(self, name + "_"))
            scaler.update()
        return step

    # What the estimator makes of the module's outputs (its predict and
    # predict_proba) and of the training targets, as three callables, for the
    # scorers that callbacks (EpochScoring, BatchScoring) call on the net:
    # they then score as they would score the estimator. None: skorch's.
    scoring_decoders = None

    def predict_proba(self, X):
        raw = super().predict_proba(X)
        return raw if self.scoring_decoders is None else self.scoring_decoders[1](raw)

    def predict(self, X):
        raw = NeuralNet.predict_proba(self, X)
        return raw if self.scoring_decoders is None else self.scoring_decoders[0](raw)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        if "classes_" in vars(self):
            # A classifier's net: sklearn's scorers then read a binary
            # classifier's probability of its positive class ('roc_auc').
            tags.estimator_type = "classifier"
            tags.classifier_tags = ClassifierTags()
        return tags

    def scoring_targets(self, y):
        """A batch's targets (the part of its ``(targets, sample weights)`` pair) as the
        estimator's ``y``: an ``EpochScoring`` or ``BatchScoring`` ``target_extractor``."""
        targets = to_numpy(y[0] if isinstance(y, tuple) else y)
        return targets if self.scoring_decoders is None else self.scoring_decoders[2](targets)

    def on_train_begin(self, net, **kwargs):
        # L-BFGS starts afresh at every fit, as sklearn's does: its curvature
        # pairs, its count of evaluations and its last evaluation belong to
        # the data of one fit.
        self.lbfgs_evaluations_ = 0
        self._lbfgs_last = None
        for name in self._optimizers:
            optimizer = getattr(self, name + "_")
            if isinstance(optimizer, torch.optim.LBFGS):
                optimizer.state.clear()

    def _gradients(self, batch, **fit_params):
        """Zeroed, then computed gradients of one batch, announced when a callback listens."""
        if self._epoch.optimized_parameters is not None:
            # What the optimisers' zero_grad() does (set_to_none), without
            # their profiling wrappers, which cost more than a small layer.
            for param in self._epoch.optimized_parameters:
                param.grad = None
        else:
            self._zero_grad_optimizer()
        step = self.train_step_single(batch, **fit_params)
        if self._epoch.announces_gradients:
            self.notify("on_grad_computed",
                        named_parameters=TeeGenerator(self.get_all_learnable_params()),
                        batch=batch, training=True)
        return step

    def _lbfgs_step(self, batch, **fit_params):
        """One L-BFGS iteration: a direction, then a strong-Wolfe line search.

        torch's LBFGS evaluates the loss where each step starts, which is where
        the previous step's line search ended: that evaluation is reused, so
        an iteration costs the line search's evaluations only, as in scipy's
        L-BFGS-B. The returned loss is the one at the accepted point.
        """
        params = [param for param in self._epoch.parameters if param.requires_grad]

        def closure():
            return self._lbfgs_evaluate(params, batch, **fit_params)

        direct = self._epoch.direct_steps
        if direct is not None and len(direct) == 1 and isinstance(direct[0], _LBFGSStep):
            direct[0].step(closure)
        else:
            self._step_optimizer(closure)
        return {"loss": closure(), "y_pred": self._lbfgs_last[3]}

    def _lbfgs_evaluate(self, params, batch, **fit_params):
        """The loss at the parameters' values, their gradients set; each point evaluated once.

        The last evaluated point is known by the parameters' versions while
        nothing has written into them (as from the end of one step to the
        start of the next), else by their values. Its gradients are handed
        back as they are: nothing writes into them (an evaluation clears the
        gradients before computing new ones).
        """
        versions = [param._version for param in params]
        last, point = self._lbfgs_last, self._epoch.lbfgs_point
        if (last is not None and point is not None and point[1] == versions
                and all(map(operator.is_, point[0], params))):
            for param, grad in zip(params, last[2]):
                param.grad = grad
            return last[1]
        with torch.no_grad():
            flat = torch.cat([param.reshape(-1) for param in params])
        self._epoch.lbfgs_point = (params, versions)
        if last is not None and torch.equal(last[0], flat):
            for param, grad in zip(params, last[2]):
                param.grad = grad
            return last[1]
        step = self._gradients(batch, **fit_params)
        loss = step["loss"].detach()
        self._lbfgs_last = (flat, loss,
                            [torch.zeros_like(param) if param.grad is None else param.grad
                             for param in params],
                            step["y_pred"].detach())
        self.lbfgs_evaluations_ += 1
        return loss

    def parameters_finite(self):
        """Whether every parameter of the module is finite.

        Read with the epoch's losses when the fast epoch ran (no extra
        device sync), else checked here.
        """
        epoch = getattr(self, "_epoch", None)
        if epoch is not None and epoch.finite_parameters is not None:
            return epoch.finite_parameters
        return _finite_parameters(self.module_)

    def lbfgs_gradient_max(self):
        """Largest absolute gradient entry at L-BFGS's last evaluated point."""
        with _NoGrad():
            return float(torch.stack(torch._foreach_norm(self._lbfgs_last[2], math.inf)).max())

    def _gradient_scaler(self):
        """float16's gradient scaler, made on first use and kept for the fit."""
        if self.autocast_dtype != torch.float16:
            return None
        if getattr(self, "_grad_scaler", None) is None:
            self._grad_scaler = torch.amp.GradScaler(torch.device(self.device).type)
        return self._grad_scaler

    def infer(self, x, **fit_params):
        """Forward through the compiled module while training with ``compile_options``.

        Batches are already device tensors, so skorch's conversion is skipped.
        """
        if self.compile_options is None or not self.module_.training:
            if isinstance(x, torch.Tensor):
                return self.module_(x, **fit_params)
            return super().infer(x, **fit_params)
        # Held in a tuple: skorch refuses module attributes set outside initialize.
        module, compiled = getattr(self, "_compiled_module", (None, None))
        if module is not self.module_:
            compiled = torch.compile(self.module_, **self.compile_options)
            self._compiled_module = (self.module_, compiled)
        return compiled(x, **fit_params)

    def train_step_single(self, batch, **fit_params):
        """skorch's step, with sklearn's L2 penalty added straight to the gradients.

        The penalty's gradient ``alpha * W / sum(weights)`` is added in place
        after ``backward`` and its value is reported in the loss: two fused
        passes over the weight matrices, far less than putting the penalty
        through autograd. Inside a fast epoch the value is returned in parts
        (``l2_scale``, ``l2_norms``) for the epoch to add up.
        """
        self._set_training(True)
        Xi, yi = batch
        if self.autocast_dtype is None:
            y_pred = self.infer(Xi, **fit_params)
        else:
            with autocasting(self.autocast_dtype, self.device):
                y_pred = self.infer(Xi, **fit_params)
        # The loss is always computed in float32 or float64, outside autocast
        # (checked here, since even a no-op cast costs a tensor operation).
        if y_pred.dtype != Xi.dtype:
            y_pred = y_pred.to(Xi.dtype)
        scaler = self._gradient_scaler()
        parts = getattr(self.criterion_, "mean_parts", None)
        if (parts is not None and scaler is None and yi[1] is None
                and type(self).get_loss is TrainingNet.get_loss):
            # The mean loss is a constant times a loss of torch's (half the
            # squared error): backward starts from the constant, which is the
            # gradient the product's node would pass on, one node fewer.
            base, factor = parts(y_pred, yi[0])
            base.backward(_constant_like(factor, base))
            with _NoGrad():
                loss = factor * base
            return self._with_penalty(loss, y_pred, Xi, yi)
        loss = self.get_loss(y_pred, yi, X=Xi, training=True)
        if scaler is None:
            loss.backward()
        else:
            scaler.scale(loss).backward()
            for name in self._optimizers:
                scaler.unscale_(getattr(self, name + "_"))
        return self._with_penalty(loss, y_pred, Xi, yi)

    def _with_penalty(self, loss, y_pred, Xi, yi):
        """The step's result, with sklearn's L2 gradient added (see :meth:`train_step_single`)."""
        if not self.l2_penalty:
            return {"loss": loss, "y_pred": y_pred}
        weight = yi[1]
        if weight is not None:
            scale = self.l2_penalty / _total_weight(weight)
        else:
            scale = self.l2_penalty / _n_rows(Xi)
        params = self._epoch.penalized_parameters
        if self._epoch.optimizers is None:
            # skorch's loop, where a callback (Freezer, Unfreezer) may freeze or
            # unfreeze a layer between batches: a frozen weight has no gradient.
            params = [param for param in self._epoch.parameters
                      if param.ndim > 1 and param.grad is not None]
        with _NoGrad():
            grads = [param.grad for param in params]
            if isinstance(scale, torch.Tensor):
                torch._foreach_add_(grads, torch._foreach_mul(params, scale))
            else:
                torch._foreach_add_(grads, params, alpha=scale)
            reused, self._epoch.penalized_norms = self._epoch.penalized_norms, None
            if reused is not None and all(param._version == version
                                          for param, version in zip(params, reused[1])):
                norms = reused[0]
            else:
                norms = torch._foreach_norm(params)
        if self._epoch.defer_penalty:
            return {"loss": loss, "y_pred": y_pred, "l2_scale": scale, "l2_norms": norms}
        penalty = 0.5 * scale * torch.stack(norms).square().sum()
        return {"loss": loss.detach() + penalty, "y_pred": y_pred}

    def __getstate__(self):
        # The estimators hand skorch the module instance, so ``module`` is
        # ``module_``. skorch pickles ``module_`` (and the optimiser and the
        # criterion) apart, to map them to the CPU on a machine without a
        # GPU; left in the state, ``module`` would be pickled a second time
        # as plain device tensors, which no CPU-only machine can load.
        state = super().__getstate__()
        if "module_" in self.__dict__ and self.__dict__.get("module") is self.module_:
            state["module"] = _SAME_AS_MODULE_
        # Rebuilt on demand: a compiled graph does not pickle, and the scaler
        # may hold device tensors.
        state.pop("_compiled_module", None)
        state.pop("_grad_scaler", None)
        # Made again by every fit, and a GPU's generator would not load on a CPU.
        state["random_generator"] = None
        if "global_generator" in state:
            state["global_generator"] = None
        return state

    def __setstate__(self, state):
        # A net trained on a GPU loads on a CPU-only machine: skorch maps it to
        # the CPU and warns; for our estimators that is the documented
        # behaviour of device='auto', so the warning is noise.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeviceWarning)
            super().__setstate__(state)
        if isinstance(self.__dict__.get("module"), str) and self.module == _SAME_AS_MODULE_:
            self.module = self.module_
        if "module_" in self.__dict__:
            # Unpickled weights lie in separate storages; cuDNN's recurrences want
            # them in one buffer (else they copy them at every call, and warn).
            for layer in self.module_.modules():
                if isinstance(layer, torch.nn.RNNBase):
                    layer.flatten_parameters()


# Stands for ``module_`` in a pickled net whose ``module`` is that same instance.
_SAME_AS_MODULE_ = "<sklearn_dl: the module_ instance>"


def _has_step_hooks(optimizer):
    """Whether a hook runs around ``optimizer.step()`` (its own, or torch's global
    ones; assumed where torch keeps them elsewhere): a direct step would skip it."""
    from torch.optim import optimizer as torch_optimizer

    return bool(optimizer._optimizer_step_pre_hooks or optimizer._optimizer_step_post_hooks
                or getattr(torch_optimizer, "_global_optimizer_pre_hooks", True)
                or getattr(torch_optimizer, "_global_optimizer_post_hooks", True))


class _LBFGSStep:
    """``optimizer.step(closure)`` of torch's L-BFGS making one iteration, without its overhead.

    The estimators' L-BFGS makes one iteration per step (``max_iter=1``) with
    a strong-Wolfe line search. torch's step wraps it in profiling and moves
    between the algorithm's flat vectors and the parameters one slice at a
    time, several operations per parameter at every evaluation, which costs
    as much as the evaluations of a small network. This is torch's step for
    one iteration, its operations on the same values in the same order, with
    torch's own line search (``_strong_wolfe``), reading and writing the
    optimiser's state as torch does: bit for bit torch's step, the moves
    between flat vectors and parameters made in fewer operations. Made only
    for what it covers: one group of real parameters on one device,
    ``max_iter=1``, ``line_search_fn='strong_wolfe'``, no step hooks.
    """

    def __init__(self, optimizer, line_search):
        self.optimizer = optimizer
        self.group = optimizer.param_groups[0]
        self.params = list(self.group["params"])
        self.numels = [param.numel() for param in self.params]
        self.line_search = line_search

    @classmethod
    def for_optimizer(cls, optimizer):
        """A direct step for ``optimizer``, or None where torch's own step is needed."""
        from torch.optim import lbfgs

        line_search = getattr(lbfgs, "_strong_wolfe", None)
        if (type(optimizer) is not torch.optim.LBFGS or line_search is None
                or len(optimizer.param_groups) != 1 or _has_step_hooks(optimizer)):
            return None
        group = optimizer.param_groups[0]
        if (group["max_iter"] != 1 or group["line_search_fn"] != "strong_wolfe"
                or isinstance(group["lr"], torch.Tensor)
                or any(torch.is_complex(param) for param in group["params"])
                or len({param.device for param in group["params"]}) != 1):
            return None
        return cls(optimizer, line_search)

    def _flat_grad(self):
        return torch.cat([param.new(param.numel()).zero_() if param.grad is None
                          else param.grad.to_dense().view(-1) if param.grad.is_sparse
                          else param.grad.view(-1) for param in self.params], 0)

    def _add(self, step_size, update):
        for param, part in zip(self.params, update.split_with_sizes(self.numels)):
            param.add_(part.view_as(param), alpha=step_size)

    def step(self, closure):
        def evaluate():
            # torch evaluates the closure with gradients enabled.
            torch._C._set_grad_enabled(True)
            try:
                return closure()
            finally:
                torch._C._set_grad_enabled(False)

        with _NoGrad():
            return self._step(evaluate)

    def _step(self, evaluate):
        group, params = self.group, self.params
        history_size = group["history_size"]
        state = self.optimizer.state[params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        orig_loss = evaluate()
        loss = float(orig_loss)
        state["func_evals"] += 1
        flat_grad = self._flat_grad()
        if flat_grad.abs().max() <= group["tolerance_grad"]:
            return orig_loss
        d, t, H_diag = state.get("d"), state.get("t"), state.get("H_diag")
        old_dirs, old_stps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        prev_flat_grad = state.get("prev_flat_grad")
        state["n_iter"] += 1
        if state["n_iter"] == 1:
            d = flat_grad.neg()
            old_dirs, old_stps, ro, H_diag = [], [], [], 1
        else:
            y = flat_grad.sub(prev_flat_grad)
            s = d.mul(t)
            ys = y.dot(s)
            if ys > 1e-10:
                if len(old_dirs) == history_size:
                    old_dirs.pop(0)
                    old_stps.pop(0)
                    ro.pop(0)
                old_dirs.append(y)
                old_stps.append(s)
                ro.append(1.0 / ys)
                H_diag = ys / y.dot(y)
            if "al" not in state:
                state["al"] = [None] * history_size
            al = state["al"]
            q = flat_grad.neg()
            for i in range(len(old_dirs) - 1, -1, -1):
                al[i] = old_stps[i].dot(q) * ro[i]
                q.add_(old_dirs[i], alpha=-al[i])
            d = r = torch.mul(q, H_diag)
            for i in range(len(old_dirs)):
                be_i = old_dirs[i].dot(r) * ro[i]
                r.add_(old_stps[i], alpha=al[i] - be_i)
        if prev_flat_grad is None:
            prev_flat_grad = flat_grad.clone(memory_format=torch.contiguous_format)
        else:
            prev_flat_grad.copy_(flat_grad)
        prev_loss = loss
        if state["n_iter"] == 1:
            t = min(1.0, 1.0 / flat_grad.abs().sum()) * group["lr"]
        else:
            t = group["lr"]
        gtd = flat_grad.dot(d)
        if not gtd > -group["tolerance_change"]:
            x_init = [param.clone(memory_format=torch.contiguous_format) for param in params]

            def directional_evaluate(x, t, d):
                self._add(t, d)
                value = float(evaluate())
                gradient = self._flat_grad()
                torch._foreach_copy_(params, x)
                return value, gradient

            loss, flat_grad, t, evaluations = self.line_search(
                directional_evaluate, x_init, t, d, loss, flat_grad, gtd,
                max_ls=group["max_eval"] - 1)
            self._add(t, d)
            state["func_evals"] += evaluations
        state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=H_diag,
                     prev_flat_grad=prev_flat_grad, prev_loss=prev_loss)
        return orig_loss


class _FusedAdamStep:
    """``optimizer.step()`` of a fused Adam or AdamW, without its per-step bookkeeping.

    torch's step wraps the fused kernel in profiling, hooks and a walk over
    the parameters' state that together cost several times the kernel on a
    small network. This calls the same two kernels (the step count, then the
    update) on the optimiser's state tensors with the group's current
    hyper-parameters: bit for bit torch's step. The first step makes the
    state as torch's first fused step makes it (zero moments, a float32 step
    count on the parameter's device). It falls back to ``optimizer.step()``
    whenever that may differ: a parameter without a gradient, or a state it
    does not recognise.
    """

    def __init__(self, optimizer):
        self.optimizer = optimizer
        self.group = optimizer.param_groups[0]
        self.params = list(self.group["params"])
        self.kernel = (torch._fused_adamw_ if self.group.get("decoupled_weight_decay")
                       or isinstance(optimizer, torch.optim.AdamW) else torch._fused_adam_)
        self._state = None
        self._ahead = False  # the state was made ahead of the first step, not yet stepped

    def make_state_ahead(self):
        """Make the state of the first step now; whether it was made.

        What the first step would make (zero moments, step counts of 0): the
        steps are the same, and the divergence guard's first snapshot then
        holds the state that every later one holds, so that those are
        written into it rather than made afresh. A snapshot of a state made
        ahead stands for an optimiser that has not stepped: restored, it is
        no state (see :meth:`SklearnStopping._restore`).
        """
        optimizer = self.optimizer
        if optimizer.state or not all(param.requires_grad for param in self.params):
            return False
        self._make_state(optimizer)
        self._state = None
        self._ahead = bool(optimizer.state)
        return self._ahead

    @classmethod
    def for_optimizer(cls, optimizer):
        """A direct step for ``optimizer``, or None where torch's own step is needed."""
        if (type(optimizer) not in (torch.optim.Adam, torch.optim.AdamW, SklearnAdam)
                or len(optimizer.param_groups) != 1
                or getattr(optimizer, "grad_scale", None) is not None
                or getattr(optimizer, "found_inf", None) is not None
                or _has_step_hooks(optimizer)):
            return None
        group = optimizer.param_groups[0]
        if (not group.get("fused") or group.get("amsgrad") or group.get("maximize")
                or group.get("capturable") or group.get("differentiable")
                or isinstance(group["lr"], torch.Tensor)
                or any(isinstance(beta, torch.Tensor) for beta in group["betas"])
                or len({(param.device, param.dtype) for param in group["params"]}) != 1):
            return None
        return cls(optimizer)

    def step(self):
        optimizer = self.optimizer
        grads = [param.grad for param in self.params]
        state = self._state
        if state is None or state[0] is not optimizer.state:
            # The first step, or a state loaded afresh (a restore).
            if not optimizer.state and not any(grad is None for grad in grads):
                self._make_state(optimizer)
            self._state = state = self._read_state(optimizer)
        if state is None or any(grad is None for grad in grads):
            if self._ahead:
                # torch's step makes no state for a parameter without a
                # gradient: neither does a state made ahead.
                for param, grad in zip(self.params, grads):
                    if grad is None:
                        optimizer.state.pop(param, None)
            self._ahead = False
            optimizer.step()
            self._state = self._read_state(optimizer)
            return
        self._ahead = False
        if isinstance(optimizer, SklearnAdam):
            optimizer.prepare_step()  # scikit-learn's eps for this step
        group = self.group
        beta1, beta2 = group["betas"]
        with _NoGrad():
            torch._foreach_add_(state[3], 1)
            self.kernel(self.params, grads, state[1], state[2], [], state[3],
                        amsgrad=False, lr=group["lr"], beta1=beta1, beta2=beta2,
                        weight_decay=group["weight_decay"], eps=group["eps"], maximize=False,
                        grad_scale=None, found_inf=None)

    def _make_state(self, optimizer):
        """What torch's first fused Adam step adds to the state (``Adam._init_group``)."""
        for param in self.params:
            if not (param.is_floating_point() and param.device.type in ("cpu", "cuda")):
                return
        for param in self.params:
            state = optimizer.state[param]
            state["step"] = torch.zeros((), dtype=torch.float32, device=param.device)
            state["exp_avg"] = torch.zeros_like(param, memory_format=torch.preserve_format)
            state["exp_avg_sq"] = torch.zeros_like(param, memory_format=torch.preserve_format)

    def _read_state(self, optimizer):
        states = [optimizer.state.get(param) for param in self.params]
        if (optimizer.param_groups[0] is not self.group
                or any(not state or state.keys() != {"step", "exp_avg", "exp_avg_sq"}
                       or state["step"].dtype != torch.float32 or state["step"].ndim
                       or state["step"].device != param.device
                       for param, state in zip(self.params, states))):
            return None
        return (optimizer.state, [state["exp_avg"] for state in states],
                [state["exp_avg_sq"] for state in states], [state["step"] for state in states])


# The callbacks whose epoch hooks TrainingNet's lean loop calls directly (the
# estimators' own; SklearnStopping is added below), and the optimisers whose
# zero_grad and step it calls directly.
_LEAN_CALLBACKS = {EpochTimer, _PassthroughLoss, QuietPrintLog}
_LEAN_OPTIMIZERS = {torch.optim.Adam, torch.optim.AdamW, SklearnAdam, torch.optim.SGD,
                    torch.optim.LBFGS}


# Prediction pads a smaller chunk to this many rows: BLAS then runs the same
# kernel for one row as for many, so a sample's prediction does not depend on
# the samples predicted with it (bit for bit, as sklearn's checks require).
_MIN_PREDICT_ROWS = 64


def autocasting(dtype, device):
    """``torch.autocast`` in ``dtype`` on ``device``'s type, or nothing when ``dtype`` is None."""
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(torch.device(device).type, dtype=dtype)


_EVAL_SWITCH = threading.Lock()


@contextlib.contextmanager
def evaluating(module):
    """Run the block in eval mode without autograd.

    Outside a training step a module stays in eval mode (the next step
    switches it back): restoring training mode here would let a concurrent
    prediction run, in part, with dropout on and batch-norm statistics
    updated. A module found training anywhere (``module_.train()`` called by
    hand) is switched under a lock, so no caller starts before the whole
    tree is in eval mode.
    """
    if any(submodule.training for submodule in module.modules()):
        with _EVAL_SWITCH:
            module.eval()
    with torch.inference_mode():
        yield


def predict_raw(module, X, device, dtype, chunk_rows, autocast_dtype=None,
                out_dtype=np.float64, decode=None):
    """Forward ``X`` (numpy or sparse) through ``module`` in bounded-memory chunks.

    Returns ``(outputs, n_nonfinite)``: a numpy array of ``out_dtype`` filled
    chunk by chunk (no list of chunks to concatenate, so the outputs exist
    once), and the number of rows whose raw outputs are not all finite.
    ``decode`` maps each chunk's raw outputs on ``device`` to what is kept
    (class indices, say), so that only those cross to the host; without it
    the raw outputs are kept.
    """
    outputs = None
    target = None
    n_nonfinite = 0
    with evaluating(module), autocasting(autocast_dtype, device):
        for start in range(0, X.shape[0], chunk_rows):
            batch = to_tensor(X[start:start + chunk_rows], device, dtype)
            n_rows = len(batch)
            if n_rows < _MIN_PREDICT_ROWS:
                padding = batch.new_zeros((_MIN_PREDICT_ROWS - n_rows, *batch.shape[1:]))
                batch = torch.cat([batch, padding])
            raw = module(batch)[:n_rows]
            del batch  # one input chunk at a time: freed before the next is made
            # Checked on the device, so the raw outputs need not cross to the host:
            # a sum is finite only if every value is (in float32 at least, which
            # half-precision outputs do not overflow); the rows are counted only
            # where it is not.
            if not torch.isfinite(raw.sum(dtype=torch.promote_types(raw.dtype, torch.float32))):
                n_nonfinite += int(torch.isfinite(raw.reshape(n_rows, -1)).all(dim=1)
                                   .logical_not_().sum())
            result = raw if decode is None else decode(raw)
            if outputs is None:
                outputs = np.empty((X.shape[0], *result.shape[1:]), dtype=out_dtype)
                target = torch.from_numpy(outputs)
            # Across in the device's dtype (the network's, or booleans), cast on
            # the host: no wider copy than needed, and MPS has no float64.
            target[start:start + n_rows].copy_(result.to("cpu"))
    return outputs, n_nonfinite


def module_outputs(module, X_tensor, chunk_rows, device, autocast_dtype=None):
    """Forward a tensor through ``module`` on ``device`` in eval mode, chunked, as a tensor.

    ``X_tensor`` may live in host memory (training data too large for the
    GPU): each chunk is then copied to ``device`` on its own.
    """
    with evaluating(module), autocasting(autocast_dtype, device):
        return torch.cat([module(_to_device(X_tensor[start:start + chunk_rows], device))
                          for start in range(0, len(X_tensor), chunk_rows)]).to(X_tensor.dtype)


# How far below the lower of its first epoch's value and the chance loss the
# training loss must fall before SklearnStopping(wait_for_progress=True) counts
# epochs without improvement.
PROGRESS_FRACTION = 0.1


class SklearnStopping(Callback):
    """sklearn MLP's convergence rule, learning-rate schedules and a divergence guard.

    After each epoch: with ``early_stopping`` the validation score (accuracy or
    R^2) must beat the best by ``tol``, otherwise the training loss must drop
    below the best by ``tol``; after more than ``n_iter_no_change`` epochs
    without that, training stops (or, with the ``adaptive`` learning rate, the
    rate is divided by 5 until it falls under 1e-6). With ``early_stopping``
    the best weights are restored at the end; without it, with
    ``keep_best_loss`` (an attribute set before each fit), those of the epoch
    of this fit's lowest training loss; with ``average_after`` (an attribute
    set before each fit: an epoch count of the history, or None), the mean of
    the parameters at the end of each epoch after that one (stochastic weight
    averaging; the buffers stay the last epoch's). A non-finite training loss
    restores the previous epoch's weights and optimiser state, then raises
    :class:`DivergenceError` or, with ``on_divergence='stop'`` and a finite
    epoch to fall back on, drops the diverged epoch and stops training.

    With ``max_fun`` (L-BFGS, one iteration per epoch) the rule is scipy's
    L-BFGS-B's instead, as sklearn runs it: stop when no gradient entry
    exceeds ``tol``, when the loss's relative reduction falls under
    :data:`LBFGS_FTOL`, or, with a ``ConvergenceWarning``, after ``max_fun``
    loss evaluations.

    With ``wait_for_progress`` (the recurrent nets' ``n_iter_no_change='auto'``),
    epochs without improvement of the training loss only count once the loss
    has fallen :data:`PROGRESS_FRACTION` below the lower of its first epoch's
    value and ``chance_loss`` (an attribute set before each fit: the loss of
    the best constant output on that fit's training rows): a net that sits on
    its initial plateau (a recurrent net before it finds the dependency it
    must learn) is not stopped there, nor one whose first loss was above
    chance and that fell back to a constant output, still at chance.

    The state (``best_loss_``, ``t_``...) lives on the callback, inside the
    fitted net, so ``partial_fit`` and ``warm_start`` continue it. The
    estimators set ``tol``, ``n_iter_no_change``, ``wait_for_progress``,
    ``chance_loss`` and ``on_divergence`` again before each fit, from that
    fit's parameters and data.
    """

    def __init__(self, tol=1e-4, n_iter_no_change=10, learning_rate="constant",
                 learning_rate_init=1e-3, power_t=0.5, max_fun=None, on_divergence="raise",
                 wait_for_progress=False):
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.wait_for_progress = wait_for_progress
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_fun = max_fun
        self.on_divergence = on_divergence

    def initialize(self):
        self.best_loss_ = np.inf
        self.first_loss_ = None
        self.best_validation_score_ = -np.inf
        self.validation_scores_ = []
        self.no_improvement_count_ = 0
        self.t_ = 0
        self.current_lr_ = self.learning_rate_init
        self.validation_ = None
        self._last_good_state = None
        self._older_state = None
        self._module_state = None
        self._best_state = None
        self._best_epoch = None
        self.keep_best_loss = False
        self.average_after = None
        self._average_state = None
        self.chance_loss = np.inf  # unknown: the wait counts from the first loss alone
        self._fit_best_loss = np.inf
        return self

    def state_dict(self):
        """The stopping state, for :class:`sklearn_dl.callbacks.BackupAndRestore`."""
        return {
            "best_loss": float(self.best_loss_),
            "first_loss": self.first_loss_,
            "best_validation_score": float(self.best_validation_score_),
            "validation_scores": [float(score) for score in self.validation_scores_],
            "no_improvement_count": int(self.no_improvement_count_),
            "t": int(self.t_),
            "current_lr": float(self.current_lr_),
            "best_state": self._best_state,
            "best_epoch": self._best_epoch,
            "fit_best_loss": float(self._fit_best_loss),
            "average_state": self._average_state,
        }

    def load_state_dict(self, state):
        """Continue from a :meth:`state_dict`."""
        self.best_loss_ = state["best_loss"]
        self.first_loss_ = state.get("first_loss")
        self.best_validation_score_ = state["best_validation_score"]
        self.validation_scores_ = list(state["validation_scores"])
        self.no_improvement_count_ = state["no_improvement_count"]
        self.t_ = state["t"]
        self.current_lr_ = state["current_lr"]
        self._best_state = state["best_state"]
        self._best_epoch = state.get("best_epoch")
        self._fit_best_loss = state.get("fit_best_loss", np.inf)
        self._average_state = state.get("average_state")

    def set_validation(self, scorer):
        """Score the net after each epoch with ``scorer(net) -> (score, loss)``, or not."""
        self.validation_ = scorer
        self._best_state = self._best_epoch = None
        self._fit_best_loss = np.inf
        self._average_state = None

    def on_train_begin(self, net, **kwargs):
        self.stopped_ = False
        self.diverged_ = False
        self.stop_message_ = None
        self.convergence_warning_ = None
        self.lbfgs_iterations_ = 0
        self._previous_loss = None
        self._module_state = None
        # Snapshots belong to one fit (one whose training raised keeps them).
        self._last_good_state = self._older_state = None
        self._lr_changes = 0

    def on_epoch_begin(self, net, **kwargs):
        # Written into an earlier epoch's copies: fresh buffers at every epoch
        # would cost page faults on every weight matrix. Stopping on divergence
        # keeps the epoch before too: the last epoch's final step may have left
        # weights whose outputs overflow though its loss (taken before each
        # step) was finite.
        into = self._last_good_state
        if self.on_divergence == "stop":
            into, self._older_state = self._older_state, self._last_good_state
        self._last_good_state = self._snapshot_training(net, into)
        if self.max_fun is not None:
            # The line search may not spend more than what is left of max_fun
            # (torch counts the iteration's reused first evaluation too).
            left = self.max_fun - net.lbfgs_evaluations_
            net.optimizer_.param_groups[0]["max_eval"] = 1 + min(LBFGS_MAX_LINE_SEARCH,
                                                                 max(1, left))

    def _snapshot_training(self, net, into):
        """Copies of the module's and the optimiser's state, written into ``into``'s.

        Taken at every epoch, so kept cheap: the module's tensors are looked
        up once per fit, and while the optimiser keeps the same state tensors
        (Adam and SGD update theirs in place) the copy is written into the
        earlier snapshot without walking the state's structure. In the lean
        loop, where nothing but the estimator's own code runs between two
        epochs, the copies are views of one flat buffer per dtype and device,
        each filled by one ``torch.cat`` (less than half the time of a copy
        per tensor on a small network), and the hyper-parameters are read
        afresh only when a learning-rate schedule changed them. Elsewhere
        the copy is one ``torch._foreach_copy_``. torch's L-BFGS's state is
        mostly kept rather than copied (:meth:`_snapshot_lbfgs`). Returns a
        :class:`_Snapshot`.
        """
        if self._module_state is None:
            self._module_state = net.module_.state_dict(keep_vars=True)
        optimizer = net.optimizer_
        lean = getattr(net, "_epoch", None) is not None and net._epoch.optimizers is not None
        if type(optimizer) is torch.optim.LBFGS:
            return self._snapshot_lbfgs(optimizer, into, lean)
        ahead = (lean and into is None and not optimizer.state
                 and net.autocast_dtype != torch.float16  # a scaler may skip steps
                 and any(direct is not None and direct.optimizer is optimizer
                         and direct.make_state_ahead() for direct in net._epoch.direct_steps))
        sources = [*self._module_state.values(),
                   *itertools.chain.from_iterable(map(dict.values, optimizer.state.values()))]
        if _refill(into, sources, lean):
            if lean and into.lr_changes == self._lr_changes and "ahead" not in into.optimizer:
                return into
            # The hyper-parameters (a learning rate a schedule changed) are read afresh.
            param_groups = [{**{key: value for key, value in group.items() if key != "params"},
                             "params": old["params"]}
                            for group, old in zip(optimizer.param_groups,
                                                  into.optimizer["param_groups"])]
            return into._replace(
                optimizer={"state": into.optimizer["state"], "param_groups": param_groups},
                lr_changes=self._lr_changes)
        optimizer_state = optimizer.state_dict()
        param_groups = optimizer_state["param_groups"]
        tensors = all(isinstance(tensor, torch.Tensor) for tensor in sources)
        flat = _flat_copies(sources) if lean and tensors else None
        if flat is None:
            module_copy, state_copy = _snapshot(
                (self._module_state, optimizer_state["state"]),
                None if into is None else (into.module, into.optimizer["state"]))
            copies = [*module_copy.values(),
                      *(value for state in state_copy.values() for value in state.values())]
            return _Snapshot(module_copy, {"state": state_copy, "param_groups": param_groups},
                             sources if tensors else None, copies if tensors else None, None,
                             self._lr_changes)
        copies, filled = flat
        copy_of = dict(zip(map(id, sources), copies))
        module_copy = {key: copy_of[id(value)] for key, value in self._module_state.items()}
        state_copy = {index: {key: copy_of[id(value)] for key, value in state.items()}
                      for index, state in optimizer_state["state"].items()}
        optimizer_copy = {"state": state_copy, "param_groups": param_groups}
        if ahead:
            optimizer_copy["ahead"] = True
        return _Snapshot(module_copy, optimizer_copy, sources, copies, filled,
                         self._lr_changes)

    def _snapshot_lbfgs(self, optimizer, into, lean):
        """:meth:`_snapshot_training` for torch's L-BFGS.

        torch's L-BFGS keeps its state on its first parameter and, at every
        step, replaces each entry of it with a new object (tensors that it
        never writes into, lists that it appends to and pops from), except
        ``prev_flat_grad``, which it writes into. Only that one is copied,
        with the module's tensors; the others are kept as they are, the
        lists as shallow copies: copying the curvature pairs of its history
        cost as much as a small network's iteration.
        """
        state = next(iter(optimizer.state.values()), {})
        written = state.get("prev_flat_grad")
        sources = [*self._module_state.values(), *([] if written is None else [written])]
        if _refill(into, sources, lean):
            module_copy, copies, buffers = into.module, into.copies, into.buffers
        else:
            with _NoGrad():
                flat = _flat_copies(sources) if lean else None
                copies, buffers = (([source.detach().clone() for source in sources], None)
                                   if flat is None else flat)
            module_copy = dict(zip(self._module_state, copies))
        state_copy = {key: list(value) if isinstance(value, list) else value
                      for key, value in state.items()}
        if written is not None:
            state_copy["prev_flat_grad"] = copies[-1]
        # Read afresh: max_fun sets max_eval at every epoch.
        param_groups = [{**{key: value for key, value in group.items() if key != "params"},
                         "params": list(range(len(group["params"])))}
                        for group in optimizer.param_groups]
        return _Snapshot(module_copy,
                         {"state": {0: state_copy} if state else {}, "param_groups": param_groups},
                         sources, copies, buffers, self._lr_changes)

    def on_epoch_end(self, net, dataset_train=None, **kwargs):
        loss = net.history[-1]["train_loss"]
        if not math.isfinite(loss) or not net.parameters_finite():
            self._on_divergence(net, loss, dataset_train)
        self.t_ += len(dataset_train)
        if self.validation_ is not None:
            self._track_validation(net)
        else:
            self._track_loss(loss)
            if self.keep_best_loss and loss < self._fit_best_loss:
                # The weights at this epoch's end; its loss is the mean over
                # its batches, taken while they moved (as Keras's checkpoint).
                self._fit_best_loss = loss
                self._keep_best(net)
            if self.average_after is not None and len(net.history) > self.average_after:
                self._add_to_average(net)
        if self.max_fun is not None:
            self._check_lbfgs(net, loss)
            return
        if self.learning_rate == "invscaling":
            self._set_lr(net, self.learning_rate_init / (self.t_ + 1) ** self.power_t)
        if self.no_improvement_count_ > self.n_iter_no_change:
            # Worded only when it is said (formatting it costs a small network's step).
            self._on_plateau(net, (
                f"{'Validation score' if self.validation_ is not None else 'Training loss'} "
                f"did not improve more than tol={self.tol:f} for {self.n_iter_no_change} "
                "consecutive epochs."))

    def _check_lbfgs(self, net, loss):
        """scipy L-BFGS-B's stopping tests, as sklearn runs it (``gtol=tol``)."""
        self.lbfgs_iterations_ += 1
        previous, self._previous_loss = self._previous_loss, loss
        if net.lbfgs_evaluations_ >= self.max_fun:
            self.convergence_warning_ = lbfgs_warning(self.lbfgs_iterations_, "max_fun")
            self._stop(net, self.convergence_warning_)
        if net.lbfgs_gradient_max() <= self.tol:
            self._stop(net, "lbfgs converged: the largest gradient entry is below tol.")
        if previous is not None and previous - loss <= LBFGS_FTOL * max(abs(previous),
                                                                        abs(loss), 1.0):
            self._stop(net, "lbfgs converged: the relative reduction of the loss is below "
                            f"{LBFGS_FTOL:.3g}.")

    def on_train_end(self, net, **kwargs):
        if (len(net.history) and "train_loss" not in net.history[-1]
                and self._last_good_state is not None):
            # Interrupted (Ctrl-C) mid-epoch: back to the last complete epoch,
            # optimiser included, as if the interrupted one had not begun.
            self._restore(net, self._last_good_state)
            del net.history[-1]
        if self._best_state is not None:
            net.module_.load_state_dict(self._best_state)
        elif self._average_state is not None:
            with _NoGrad():
                for name, parameter in net.module_.named_parameters():
                    parameter.copy_(self._average_state[name])
        self.validation_ = None
        self._best_state = self._best_epoch = None
        self._average_state = None
        self._last_good_state = self._older_state = None
        self._module_state = None

    @staticmethod
    def _restore(net, state):
        module_state, optimizer_state = state.module, state.optimizer
        net.module_.load_state_dict(module_state)
        # The optimiser adopts tensors of its own, not the snapshot's (views
        # of a buffer that later snapshots write into). A state made ahead of
        # the first step stands for none.
        net.optimizer_.load_state_dict({
            "state": {} if optimizer_state.get("ahead") else {
                index: {key: value.clone() if isinstance(value, torch.Tensor) else value
                        for key, value in values.items()}
                for index, values in optimizer_state["state"].items()},
            "param_groups": optimizer_state["param_groups"]})

    def _on_divergence(self, net, loss, dataset_train):
        epoch = len(net.history)
        cause = (f"the loss became {loss}" if not math.isfinite(loss)
                 else "the weights became non-finite")
        self._restore(net, self._last_good_state)
        kept = epoch - 1
        if self.on_divergence == "stop" and kept and not _finite_outputs(net, dataset_train):
            # The last epoch's final step overflowed: fall back one more epoch.
            kept -= 1
            if kept:
                self._restore(net, self._older_state)
        self._last_good_state = self._older_state = None
        # The mean may hold the weights of an epoch now dropped (whose outputs
        # overflow): the fit keeps the weights the guard fell back to.
        self._average_state = None
        if self.on_divergence != "stop" or not kept or (self._best_epoch or 0) > kept:
            # Not restored as training ends: the weights of a dropped epoch (whose
            # outputs overflow), or of a fit that raises.
            self._best_state = self._best_epoch = None
        advice = ("Scale the inputs (e.g. StandardScaler), lower learning_rate_init, or clip "
                  "gradients with max_grad_norm.")
        if self.on_divergence == "stop" and kept > 0:
            del net.history[kept:]
            self.diverged_ = True
            self._stop(net, f"Training diverged at epoch {epoch}: {cause}. Training stopped "
                            f"with the weights of epoch {self._best_epoch or kept}. " + advice)
        raise DivergenceError(f"Training diverged at epoch {epoch}: {cause}. "
                              "The weights of the last finite epoch were kept. " + advice)

    def _track_validation(self, net):
        score, valid_loss = self.validation_(net)
        earlier = [row["valid_loss"] for row in net.history[:-1] if "valid_loss" in row]
        net.history.record("valid_loss", valid_loss)
        # What skorch's own validation scoring records, for callbacks that
        # monitor it (Checkpoint's default).
        net.history.record("valid_loss_best", valid_loss < min(earlier, default=np.inf))
        net.history.record("valid_score", score)
        self.validation_scores_.append(score)
        if score < self.best_validation_score_ + self.tol:
            self.no_improvement_count_ += 1
        else:
            self.no_improvement_count_ = 0
        if score > self.best_validation_score_:
            self.best_validation_score_ = score
            self._keep_best(net)

    def _keep_best(self, net):
        """Copy the weights at this epoch's end, restored as training ends."""
        self._best_state = _snapshot(net.module_.state_dict(), self._best_state)
        self._best_epoch = len(net.history)

    def _add_to_average(self, net):
        """Fold the parameters at this epoch's end into the mean of this fit's averaged epochs
        (those of the history after ``average_after``, this one included)."""
        parameters = {name: parameter.detach()
                      for name, parameter in net.module_.named_parameters()}
        if self._average_state is None:
            self._average_state = {name: value.clone() for name, value in parameters.items()}
            return
        with _NoGrad():
            torch._foreach_lerp_(list(self._average_state.values()),
                                 [parameters[name] for name in self._average_state],
                                 1.0 / (len(net.history) - self.average_after))

    def _track_loss(self, loss):
        if self.first_loss_ is None:
            self.first_loss_ = float(loss)
        if loss > self.best_loss_ - self.tol and not self._on_initial_plateau():
            self.no_improvement_count_ += 1
        else:
            self.no_improvement_count_ = 0
        self.best_loss_ = min(self.best_loss_, loss)

    def _on_initial_plateau(self):
        if not self.wait_for_progress:
            return False
        # A chance loss of 0 (a constant fits the targets exactly) leaves no
        # progress to wait for; above the first loss it changes nothing.
        start = self.first_loss_
        if 0 < self.chance_loss < start:
            start = self.chance_loss
        return self.best_loss_ > (1 - PROGRESS_FRACTION) * start

    def _on_plateau(self, net, message):
        if self.learning_rate != "adaptive":
            self._stop(net, message + " Stopping.")
        elif self.current_lr_ <= 1e-6:
            self._stop(net, message + " Learning rate too small. Stopping.")
        else:
            self._set_lr(net, self.current_lr_ / 5.0)
            self.no_improvement_count_ = 0
            if net.verbose:
                print(message + f" Setting learning rate to {self.current_lr_:f}")

    def _set_lr(self, net, lr):
        self.current_lr_ = lr
        self._lr_changes = getattr(self, "_lr_changes", 0) + 1
        optimizer = net.optimizer_
        for group in optimizer.param_groups:
            previous, group["lr"] = group["lr"], lr
            if not group.get("momentum") or previous == lr:
                continue
            # sklearn's SGD velocity is the step itself (v = momentum * v - rate *
            # gradient), made with the rates of the steps that built it; torch's
            # momentum buffer is a sum of gradients that the current rate scales.
            # Rescaled, the velocity carried over keeps its step, as sklearn's does.
            for param in group["params"]:
                buffer = optimizer.state.get(param, {}).get("momentum_buffer")
                if buffer is not None:
                    buffer.mul_(previous / lr)

    def _stop(self, net, message):
        self.stopped_ = True
        self.stop_message_ = message
        # skorch's way for a callback to end training cleanly; the message is
        # printed once the epoch has ended (TrainingNet.end_epoch).
        raise KeyboardInterrupt


_LEAN_CALLBACKS.add(SklearnStopping)


def _refill(into, sources, lean):
    """Write ``sources`` into the copies of ``into``, an earlier snapshot of the same
    tensors; whether it was one. In the lean loop, a snapshot whose copies are views
    of flat buffers is refilled by one ``torch.cat`` per buffer."""
    if (into is None or into.copies is None or len(into.sources) != len(sources)
            or not all(map(operator.is_, into.sources, sources))):
        return False
    with _NoGrad():
        if lean and into.buffers is not None:
            for views, buffer in into.buffers:
                torch.cat(views, out=buffer)
        else:
            torch._foreach_copy_(into.copies, sources)
    return True


class _Snapshot(typing.NamedTuple):
    """One epoch's copy of the training state, kept by the divergence guard."""

    module: dict  # the module's state dict, copied
    optimizer: dict  # the optimiser's state dict, its tensors copied
    sources: list  # the tensors copied (the module's, then the optimiser's), or None
    copies: list  # their copies, in the same order, or None
    buffers: list  # (views, flat buffer) pairs that fill the copies in the lean loop, or None
    lr_changes: int  # learning-rate changes counted when the snapshot was taken


def _snapshot(tree, into=None):
    """A copy of nested dicts, lists and tuples in which every tensor is copied.

    Tensors are copied into the matching tensors of ``into``, an earlier
    snapshot of the same structure, where their shape, dtype and device agree,
    and into new ones otherwise. What ``copy.deepcopy`` does to a
    ``state_dict``, in a fraction of its time: the copies into earlier
    buffers go through one ``torch._foreach_copy_`` call, since the
    divergence guard takes a snapshot at every epoch.
    """
    sources, targets = [], []
    copied = _copy_structure(tree, into, sources, targets)
    if sources:
        with torch.no_grad():
            torch._foreach_copy_(targets, sources)
    return copied


def _flat_copies(sources):
    """Copies of ``sources`` as views of one flat buffer per dtype and device, or None.

    Returns the copies, in the order of ``sources``, and a list of (flat
    views of a group's sources, the group's buffer), each buffer filled
    with its sources already: ``torch.cat(views, out=buffer)`` copies them
    again. None when a source is not a contiguous dense tensor (its flat
    view would be a copy).
    """
    if not all(source.layout == torch.strided and source.is_contiguous() for source in sources):
        return None
    groups = {}
    for index, source in enumerate(sources):
        groups.setdefault((source.dtype, source.device), []).append(index)
    copies, filled = [None] * len(sources), []
    with _NoGrad():  # the views do not require gradients
        for indices in groups.values():
            views = [sources[index].view(-1) for index in indices]
            buffer = torch.cat(views)
            parts = buffer.split_with_sizes([view.shape[0] for view in views])
            for index, part in zip(indices, parts):
                # view_as: a third of the time of view(shape) (16 tensors
                # for a small MLP, at every fit's first snapshot).
                copies[index] = part.view_as(sources[index])
            filled.append((views, buffer))
    return copies, filled


def _copy_structure(tree, into, sources, targets):
    """:func:`_snapshot`'s structure, with the copies into ``into`` deferred to the lists."""
    if isinstance(tree, torch.Tensor):
        if (isinstance(into, torch.Tensor) and into.shape == tree.shape
                and into.dtype == tree.dtype and into.device == tree.device):
            sources.append(tree)
            targets.append(into)
            return into
        return tree.detach().clone()
    if isinstance(tree, dict):
        into = into if isinstance(into, dict) else {}
        return {key: _copy_structure(value, into.get(key), sources, targets)
                for key, value in tree.items()}
    if isinstance(tree, (list, tuple)):
        if not isinstance(into, (list, tuple)) or len(into) != len(tree):
            into = [None] * len(tree)
        return type(tree)(_copy_structure(value, old, sources, targets)
                          for value, old in zip(tree, into))
    return tree


def _all_finite(tensors):
    """Whether every entry of ``tensors`` is finite (one device sync).

    A tensor's largest absolute entry is finite exactly when all its entries
    are: three tensor operations in all, however many tensors.
    """
    if not tensors:
        return True
    with torch.no_grad():
        return math.isfinite(torch.stack(torch._foreach_norm(tensors, math.inf)).max().item())


def _finite_parameters(module):
    """Whether every parameter of ``module`` is finite (one device sync)."""
    return _all_finite(list(module.parameters()))


def _finite_outputs(net, dataset):
    """Whether the module's outputs on the training inputs are all finite."""
    X = dataset.X
    chunk_rows = max(1, 2**18 // max(1, X[0].numel()))
    with evaluating(net.module_), autocasting(net.autocast_dtype, net.device):
        return all(bool(torch.isfinite(net.module_(_to_device(X[start:start + chunk_rows],
                                                              torch.device(net.device)))).all())
                   for start in range(0, len(X), chunk_rows))



# scipy's L-BFGS-B stops when the loss decreases by less than this, relative
# to its size (``factr=1e7`` times float64's machine epsilon).
LBFGS_FTOL = 1e7 * np.finfo(float).eps
# Most loss evaluations of one L-BFGS line search (scipy's ``maxls``).
LBFGS_MAX_LINE_SEARCH = 20


def lbfgs_warning(n_iter, limit, max_iter=None):
    """sklearn's ConvergenceWarning text for L-BFGS stopped by ``max_iter`` or ``max_fun``."""
    if limit == "max_fun":
        reason = "STOP: TOTAL NO. OF F,G EVALUATIONS EXCEEDS LIMIT\n"
    else:
        reason = ("STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT\n\nIncrease the number of "
                  f"iterations to improve the convergence (max_iter={max_iter}).")
    return (f"lbfgs failed to converge after {n_iter} iteration(s) (status=1):\n{reason}\n"
            "You might also want to scale the data as shown in:\n"
            "    https://scikit-learn.org/stable/modules/preprocessing.html")
