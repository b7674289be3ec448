"""What every network estimator shares: parameters, the fit / partial_fit flow, prediction.

A concrete estimator is a list of parameters plus :meth:`BaseTorchEstimator._build_module`
(and, for non-tabular input, :meth:`BaseTorchEstimator._validate_X` and
:meth:`BaseTorchEstimator._validate_X_y`, whose arrays' rows are what the
module receives). It inherits its task from :class:`TorchClassifierMixin` or
:class:`TorchRegressorMixin`.

``fit(X, y, sample_weight)``:

1. validate parameters and data (``n_features_in_``, ``feature_names_in_``),
   encode the targets (``classes_``);
2. move the data once to the device as tensors;
3. build the module (seeded from ``random_state``) and a
   :class:`sklearn_dl._training.TrainingNet` around it;
4. train through skorch, stopping as sklearn's MLP stops;
5. copy the results to sklearn's fitted attributes.
"""

import contextlib
import copy
import functools
import math
import warnings
from abc import abstractmethod
from numbers import Integral, Real

import numpy as np
import pandas as pd
import scipy.sparse as sp
import scipy.special
import torch
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    RegressorMixin,
    _fit_context,
    is_classifier,
    is_regressor,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.utils import compute_sample_weight
from sklearn.utils._param_validation import Interval, Options, StrOptions, make_constraint
from sklearn.utils.multiclass import check_classification_targets, type_of_target, unique_labels
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    column_or_1d,
    validate_data,
)
from skorch.callbacks import (BatchScoring, EarlyStopping, EpochScoring, GradientNormClipping,
                              ProgressBar)
from skorch.utils import to_numpy

from sklearn_dl._training import (
    SklearnStopping,
    SparseRows,
    TensorData,
    TrainingNet,
    KeepFitHistory,
    keeps_data_on_host,
    lbfgs_warning,
    monitor_training_loss,
    module_outputs,
    predict_raw,
    to_tensor,
    training_rows,
)
from sklearn_dl.callbacks import BackupAndRestore, fit_fingerprint
from sklearn_dl.modules import use_generator
from sklearn_dl.modules.losses import (
    HalfPoissonDeviance,
    HalfSquaredError,
    SigmoidCrossEntropy,
    SoftmaxCrossEntropy,
)
from sklearn_dl.utils import derive_seed, resolve_device, seeded
from sklearn_dl.utils._torch import drawing_from
from sklearn_dl.utils._constraints import DeviceName, SkorchCallbacks
from sklearn_dl.utils._doc_link import DocLinkMixin

# Upper bound on the number of input values forwarded at once when predicting,
# per device type, so that prediction memory stays bounded whatever the number
# of rows. On a CPU, chunks whose activations stay in cache predict about twice
# as fast as large ones (2**18: 2,621 rows of 100 features); GPUs want more.
_PREDICT_CHUNK_VALUES = {"cpu": 2**18}
_DEFAULT_PREDICT_CHUNK_VALUES = 2**22

def _package_version():
    import sklearn_dl

    return sklearn_dl.__version__


_AUTOCAST_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}

# Per estimator class: its parameter names, its parameters' constraint objects,
# and the parameter values (see _values_key) that met them.
_PARAM_NAMES = {}
_MADE_CONSTRAINTS = {}
_VALID_VALUES = {}
_MAX_VALID_VALUES = 64
# torch.device: immutable, hashable, and any instance is a valid device.
_KEYED_TYPES = (type(None), bool, int, float, str, torch.device)


def _values_key(params):
    """A hashable key of parameter values, exact in type and value, or None.

    Only plain values (None, bools, numbers, strings, torch devices, and
    tuples of them) have one: whether a value meets a constraint depends on its type as well
    (``True == 1``), which the key holds for each value.
    """
    key = []
    for name, value in params.items():
        kind = type(value)
        if kind is tuple:
            if not all(type(item) in _KEYED_TYPES for item in value):
                return None
            value = tuple((type(item), item) for item in value)
        elif kind not in _KEYED_TYPES:
            return None
        key.append((name, kind, value))
    return tuple(key)

_OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "sgd": torch.optim.SGD,
    "lbfgs": torch.optim.LBFGS,
}


class BaseTorchEstimator(DocLinkMixin, BaseEstimator):
    """Base class of the network estimators; not to be used directly.

    Holds the training parameters that every network shares, with sklearn's
    names and meanings (see :class:`sklearn_dl.neural_network.MLPClassifier`
    for their documentation).
    """

    # Whether the module may draw from torch's global generator while training (a
    # user's nn.Dropout); the built-in modules draw from generators of their fit.
    _module_draws_from_global_rng = False

    _parameter_constraints: dict = {
        "solver": [StrOptions({"adam", "adamw", "sgd", "lbfgs"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), Options(Real, {np.inf})],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "max_grad_norm": [Interval(Real, 0, None, closed="neither"), None],
        "precision": [StrOptions({"float32", "float64", "bf16", "fp16"})],
        "device": [DeviceName()],
        "callbacks": [SkorchCallbacks(), None],
        "compile": ["boolean", dict],
        "on_divergence": [StrOptions({"raise", "stop"})],
    }

    @classmethod
    def _get_param_names(cls):
        # sklearn reads the names from __init__'s signature at every
        # get_params (at every fit, clone, repr): a class's names never change.
        names = _PARAM_NAMES.get(cls)
        if names is None:
            names = _PARAM_NAMES[cls] = tuple(super()._get_param_names())
        return list(names)

    def _validate_params(self):
        # sklearn makes each parameter's constraint objects afresh at every
        # fit; they are made once per class here, and sklearn's own check
        # runs (and words the error) only when one is not met. Plain values
        # found valid once are not checked again (refits, searches, clones).
        constraints = self._parameter_constraints
        made = _MADE_CONSTRAINTS.get(type(self)) if type(constraints) is dict else None
        if made is None and type(constraints) is dict:
            made = _MADE_CONSTRAINTS[type(self)] = {
                name: [make_constraint(constraint) for constraint in options]
                for name, options in constraints.items() if options != "no_validation"}
        if made is not None:
            params = self.get_params(deep=False)
            key = _values_key(params)
            valid = _VALID_VALUES.setdefault(type(self), set())
            if key is not None and key in valid:
                return
            if all(any(constraint.is_satisfied_by(value) for constraint in made[name])
                   for name, value in params.items() if name in made):
                if key is not None:
                    if len(valid) >= _MAX_VALID_VALUES:
                        valid.clear()
                    valid.add(key)
                return
        super()._validate_params()

    @abstractmethod
    def _build_module(self, n_features, n_outputs):
        """Return a new, initialised ``torch.nn.Module`` for this data."""

    # -- input hooks, overridden by estimators of non-tabular input -------------

    def _input_check_params(self):
        """Keyword arguments of ``validate_data`` for X."""
        return {"accept_sparse": ["csr", "csc"], "dtype": (np.float64, np.float32)}

    def _validate_X(self, X, reset):
        """Validate X (and set ``n_features_in_`` when ``reset``); return an array."""
        if (not reset and type(self)._input_check_params is BaseTorchEstimator._input_check_params
                and _plain_X(self, X)):
            return X  # what validate_data returns for it, without its data-frame checks
        return validate_data(self, X, reset=reset, **self._input_check_params())

    def _validate_X_y(self, X, y, reset):
        if (type(self)._input_check_params is BaseTorchEstimator._input_check_params
                and _plain_X_y(self, X, y, reset)):
            return X, y
        return validate_data(self, X, y, reset=reset, multi_output=True,
                             y_numeric=is_regressor(self), **self._input_check_params())

    # -- fit ---------------------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train the network on (X, y).

        With ``warm_start=True`` and a fitted estimator, training continues
        from the current weights for up to ``max_iter`` more epochs.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; pandas frames record ``feature_names_in_``.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values (class labels for classifiers).
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in the loss.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, incremental=False)

    def _partial_fit(self, X, y, sample_weight, classes=None):
        # early_stopping='auto' (sequence estimators) trains here without a validation set.
        if self.early_stopping and not isinstance(self.early_stopping, str):
            raise ValueError("partial_fit does not support early_stopping=True")
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def _fit(self, X, y, sample_weight, incremental, classes=None):
        fitted = hasattr(self, "net_")
        first_call = not fitted or not (incremental or self.warm_start)
        if incremental and not fitted:
            self._check_first_partial_fit(classes)
        try:
            X, y = self._validate_X_y(X, y, reset=first_call)
            if first_call:
                # As sklearn's coefs_ take the training data's dtype, predictions
                # are float32 when both the training and the new data are.
                self._input_dtype = X.dtype.name
            ones = None
            if sample_weight is None and type(X) is np.ndarray and X.ndim:
                # What sklearn's check makes of None, without its namespace look-ups.
                sample_weight = ones = np.ones(X.shape[0], dtype=np.float64)
            else:
                sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64)
            targets, sample_weight = self._encode_targets(y, sample_weight, first_call, classes)
            self._check_representable(X, "X")
            # A classifier's targets are class indices or 0 / 1 labels, and
            # weights made as ones are ones: both always representable.
            if not is_classifier(self):
                self._check_representable(targets, "y", "; the targets are standardised first "
                                          "with standardize_target=True" if is_regressor(self)
                                          else "")
            if sample_weight is not ones:
                self._check_representable(sample_weight, "sample_weight")
            self._train(X, targets, y, sample_weight, first_call, incremental)
        except BaseException:
            if first_call:
                self._forget_fit()
            raise
        return self

    def _check_representable(self, values, name, hint=""):
        """Refuse finite values that the network's float32 would turn into infinities."""
        if self._torch_dtype() == torch.float64:
            return
        values = values.data if sp.issparse(values) else np.asarray(values)
        if values.size == 0 or values.dtype.kind != "f" or values.dtype.itemsize <= 4:
            return
        limit = np.finfo(np.float32).max
        # fmax / fmin skip the NaN that marks padding in sequences, without a warning.
        largest = max(np.fmax.reduce(values, axis=None), -np.fmin.reduce(values, axis=None))
        if largest > limit:
            raise ValueError(
                f"{name} holds values up to {largest:.3g} in magnitude, beyond what "
                f"precision={self.precision!r} represents (float32, up to {limit:.3g}): they "
                f"would become infinite. Scale {name} (e.g. StandardScaler) or use "
                f"precision='float64'{hint}.")

    def _forget_fit(self):
        for name in [name for name in vars(self) if name.endswith("_") and not name.startswith("__")]:
            delattr(self, name)

    def _train(self, X, targets, y, sample_weight, first_call, incremental):
        device = resolve_device(self.device) if first_call else torch.device(self.net_.device)
        base_seed = derive_seed(self.random_state) if first_call else self._base_seed
        epochs_before = 0 if first_call else len(self.loss_curve_)
        seed = (base_seed + 7919 * epochs_before) % (2**31 - 1)
        n_samples = X.shape[0]

        train_index, valid_index = self._validation_split(n_samples, y, seed)
        dtype = self._torch_dtype()
        target_dtype = dtype if targets.dtype.kind == "f" else torch.int64
        # Data too large for the GPU's memory stays on the host, copied a batch
        # at a time; so does sparse data, densified a batch at a time.
        on_host = keeps_data_on_host(
            int(np.prod(X.shape)) * dtype.itemsize + targets.size * target_dtype.itemsize,
            device) or (sp.issparse(X) and device.type != "cpu")
        data_device = torch.device("cpu") if on_host else device
        X_tensor = training_rows(X, data_device, dtype)
        encoded_targets, targets = targets, to_tensor(targets, data_device, target_dtype)
        weights = to_tensor(sample_weight, data_device, dtype)
        uniform = bool(np.all(sample_weight == 1))
        stream_to = device if on_host else None
        if valid_index is None:
            train = TensorData(X_tensor, targets, None if uniform else weights, stream_to)
        else:
            train = TensorData(X_tensor[train_index], targets[train_index],
                               None if uniform else weights[train_index], stream_to)
        epochs = 1 if incremental else self.max_iter

        if first_call:
            with seeded(seed, device):
                net = self._make_net(X.shape[1:], device)
        else:
            net = self.net_
            self._renew_callbacks(net)
            if not incremental:
                self._restart_optimizer(net)
            net.shuffle = self.shuffle
            net.verbose = int(self.verbose)
            net.callbacks_ = self._with_own_callbacks(net.callbacks_)
        # Training draws only from generators of its own fit, never from torch's
        # global one, so fits in threads neither see each other nor touch it.
        net.shuffle_generator = torch.Generator().manual_seed(seed)
        net.random_generator = torch.Generator(device).manual_seed(_layer_seed(seed))
        use_generator(net.module_, net.random_generator)
        # A module that may draw from torch's global generator (a user's nn.Dropout)
        # trains on a stand-in of its own fit: reproducible, and the caller's untouched.
        net.global_generator = (torch.Generator(device).manual_seed(_layer_seed(seed, stream=2))
                                if self._module_draws_from_global_rng else None)
        # What depends on this call's data, and its parameters read again (as
        # sklearn reads them at every fit): a warm start may bring other data, and
        # a net that sklearn_dl.load rebuilt never knew its training set's size.
        net.batch_size = self._effective_batch_size(len(train))
        stopping = dict(net.callbacks_)["sklearn_stopping"]
        for name, value in self._stopping_parameters(len(train)).items():
            setattr(stopping, name, value)
        # Where the wait for progress applies, it also counts from chance: the
        # loss of the best constant output on this call's training rows.
        stopping.chance_loss = np.inf
        if stopping.wait_for_progress and valid_index is None:
            stopping.chance_loss = self._chance_loss(encoded_targets, sample_weight)
        stopping.set_validation(
            self._validation_scorer(X_tensor[valid_index], targets[valid_index].to(device),
                                    weights[valid_index].to(device), device,
                                    y[valid_index.cpu().numpy()],
                                    sample_weight[valid_index.cpu().numpy()],
                                    [callback for callback in _scorers(net.callbacks_)
                                     if not callback.on_train])
            if valid_index is not None else None
        )
        stopping.keep_best_loss = (not incremental and valid_index is None
                                   and self._keeps_best_weights())
        n_epochs_before = len(net.history)
        averaged = (None if incremental or valid_index is not None
                    else self._averaged_epochs(epochs))
        stopping.average_after = None if averaged is None else n_epochs_before + epochs - averaged
        backup = _backup_callback(net)
        restored = 0
        if backup is not None and first_call and not incremental:
            restored = backup.start(net, fit_fingerprint(
                self, X, targets, sample_weight,
                seed=None if self.random_state is None else base_seed))
        elif backup is not None:
            backup.disarm()
        net.max_epochs = epochs - restored
        epochs_restored = len(net.history)  # with those of a backup, which count as run
        with (contextlib.nullcontext() if net.global_generator is None
              else drawing_from(net.global_generator)):
            net.partial_fit(train)
        keep_history = dict(net.callbacks_).get("keep_fit_history")
        if keep_history is not None and keep_history.epochs_at_begin_ > epochs_restored:
            # A callback (LoadInitState) loaded the epochs of a checkpoint as
            # training began: this fit went on from them, as a warm start does.
            loaded = net.history[epochs_restored:keep_history.epochs_at_begin_]
            stopping.t_ += sum(batch.get("train_batch_size", 0)
                               for epoch in loaded for batch in epoch.get("batches", ()))
            n_epochs_before = keep_history.epochs_at_begin_
        epochs_run = sum("train_loss" in epoch for epoch in net.history[n_epochs_before:])
        stopped = stopping.stopped_ or _early_stopped(net)
        if backup is not None and (stopped or epochs_run >= epochs):
            backup.finish()
        if not incremental:
            self._after_training(net, train, device)
        self._record_fit(net, stopping, base_seed, epochs_run)
        # What the module was built for, so sklearn_dl.load can rebuild it.
        self._sample_shape = tuple(int(size) for size in X.shape[1:])
        if stopping.diverged_:
            warnings.warn(stopping.stop_message_, ConvergenceWarning)
        elif stopping.convergence_warning_ is not None:
            warnings.warn(stopping.convergence_warning_, ConvergenceWarning)
        elif epochs_run < epochs and not stopped:
            warnings.warn("Training interrupted by user; the estimator keeps the weights "
                          "reached so far.", UserWarning)
        elif not incremental and not stopped and self.solver == "lbfgs":
            warnings.warn(lbfgs_warning(epochs_run, "max_iter", self.max_iter),
                          ConvergenceWarning)
        elif not incremental and not stopped:
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and the "
                "optimization hasn't converged yet.", ConvergenceWarning,
            )

    def _after_training(self, net, train, device):
        """Last step of ``fit`` on the training rows ``train`` (a TensorData); none here."""

    def _keeps_best_weights(self):
        """Whether ``fit`` without a validation set ends on its lowest training loss's weights."""
        return False

    def _averaged_epochs(self, epochs):
        """How many of the last of a fit's ``epochs`` ``fit`` without a validation set
        averages the weights of, ending on their mean; None: it ends on the last epoch's."""
        return None

    def _check_first_partial_fit(self, classes):
        """Classifiers need ``classes`` on the first ``partial_fit`` call."""

    def _torch_dtype(self):
        """dtype of the weights and of the data on the device."""
        return torch.float64 if self.precision == "float64" else torch.float32

    def _autocast_dtype(self):
        """dtype of the forward passes under mixed precision, else None."""
        return _AUTOCAST_DTYPES.get(self.precision)

    def _stopping_rule(self, n_samples):
        """Keyword arguments of :class:`SklearnStopping` that set when to stop.

        ``n_samples`` is the size of the training set (after any validation
        split), for a rule counted in optimiser steps.
        """
        return {"n_iter_no_change": self.n_iter_no_change}

    def _chance_loss(self, targets, sample_weight):
        """The training loss of the best constant output for the encoded ``targets``,
        without the L2 penalty (a constant needs no weight matrix); inf: unknown."""
        return np.inf

    def _learning_rate_schedule(self):
        """The ``learning_rate`` that SklearnStopping follows: sklearn's only for SGD."""
        return self.learning_rate if self.solver == "sgd" else "constant"

    def _effective_batch_size(self, n_samples):
        if self.solver == "lbfgs":
            return n_samples
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warnings.warn("Got `batch_size` less than 1 or larger than sample size. "
                          "It is going to be clipped")
        return int(np.clip(self.batch_size, 1, n_samples))

    def _check_solver(self):
        """Whether ``partial_fit`` exists: as in sklearn, for stochastic solvers only."""
        if self.solver == "lbfgs":
            raise AttributeError(
                f"partial_fit is only available for stochastic optimizers. "
                f"{self.solver} is not stochastic."
            )
        return True

    def _validates(self):
        """Whether fit holds out a validation set: sklearn ignores early_stopping for lbfgs."""
        return self.early_stopping and self.solver != "lbfgs"

    def _validation_split(self, n_samples, y, seed):
        if not self._validates():
            return None, None
        # Stratified like sklearn's MLPClassifier, except for multi-label targets.
        stratify = y if is_classifier(self) and y.ndim == 1 else None
        train_index, valid_index = train_test_split(
            np.arange(n_samples), test_size=self.validation_fraction,
            random_state=seed, stratify=stratify,
        )
        if len(valid_index) < 2:
            raise ValueError("The validation set is too small. Increase 'validation_fraction' "
                             "or the size of your dataset.")
        if len(train_index) < 2:
            raise ValueError(f"early_stopping leaves {len(train_index)} training sample(s) "
                             "after holding out the validation set. Decrease "
                             "'validation_fraction' or pass more samples.")
        return torch.as_tensor(train_index), torch.as_tensor(valid_index)

    def _validation_scorer(self, X_valid, targets_valid, weights_valid, device, y_valid,
                           sw_valid, valid_scorers=()):
        chunk = self._predict_chunk_rows(X_valid.shape[1:], device,
                                         sparse=isinstance(X_valid, SparseRows))

        def score(net):
            raw = module_outputs(net.module_, X_valid, chunk, device, self._autocast_dtype())
            loss = net.get_loss(raw, (targets_valid, weights_valid)).item()
            # A user's EpochScoring(on_train=False) scores the validation set:
            # handed its predictions as skorch's validation batch would hand them.
            for callback in valid_scorers:
                callback.on_batch_end(net, batch=(X_valid, (targets_valid, weights_valid)),
                                      y_pred=raw, training=False)
                callback.on_epoch_end(net, dataset_train=None, dataset_valid=X_valid)
            return self._score_raw(raw.to("cpu", torch.float64).numpy(), y_valid, sw_valid), loss

        return score

    def _check_precision_solver(self):
        if self.solver == "lbfgs" and self._autocast_dtype() is not None:
            raise ValueError(f"precision={self.precision!r} (mixed precision) needs solver "
                             "'adam', 'adamw' or 'sgd'; solver='lbfgs' needs 'float32' or "
                             "'float64'.")

    def _make_net(self, sample_shape, device):
        """The untrained net for samples of ``sample_shape``; ``_train`` sets what
        depends on the training data (batch size, stopping rule) at every call."""
        self._check_precision_solver()
        module = self._build_module(int(np.prod(sample_shape)), self.n_outputs_)
        dtype = self._torch_dtype()
        # A no-op cast still walks every submodule: cast only where one differs.
        if any((tensor.is_floating_point() or tensor.is_complex()) and tensor.dtype != dtype
               for tensor in (*module.parameters(), *module.buffers())):
            module = module.to(dtype)
        optimizer_kwargs = self._optimizer_kwargs()
        callbacks = [
            ("sklearn_stopping", SklearnStopping(**self._schedule(optimizer_kwargs))),
        ]
        callbacks = self._with_own_callbacks(callbacks)
        user_callbacks = self._copy_callbacks()
        callbacks.extend(user_callbacks)
        net = TrainingNet(
            module=module,
            criterion=self._make_criterion(),
            optimizer=self._optimizer_class(),
            train_split=None,
            max_epochs=self.max_iter,
            callbacks=callbacks,
            device=str(device),
            verbose=int(self.verbose),
            l2_penalty=self._l2_penalty(),
            shuffle=self.shuffle,
            autocast_dtype=self._autocast_dtype(),
            compile_options=self._compile_options(),
            **{f"optimizer__{key}": value for key, value in optimizer_kwargs.items()},
        )
        self._set_up_scorers(net, user_callbacks)
        net.callbacks_copied_from_ = _callback_items(self.callbacks)
        return net.initialize()

    def _copy_callbacks(self):
        """Fresh copies of the ``callbacks`` parameter, as the net trains with them."""
        user_callbacks = copy.deepcopy(self.callbacks or [])
        if not self._validates():
            monitor_training_loss(user_callbacks)
        if user_callbacks:
            user_callbacks.append(("keep_fit_history", KeepFitHistory()))
        return user_callbacks

    def _set_up_scorers(self, net, user_callbacks):
        """Check the scoring callbacks among ``user_callbacks`` and point them at ``net``."""
        scorers = list(_scorers(user_callbacks))
        if scorers:
            net.scoring_decoders = self._scoring_decoders()
            if is_classifier(self):
                net.classes_ = self.classes_
        for callback in scorers:
            if callback.use_caching is False:
                raise ValueError(
                    f"{type(callback).__name__}(use_caching=False) cannot score these "
                    "estimators' training data, which is no skorch Dataset; leave "
                    "use_caching=True, its default: it scores the predictions that "
                    "training made.")
            if not callback.on_train and (isinstance(callback, BatchScoring)
                                          or not self._validates()):
                raise ValueError(
                    f"{type(callback).__name__}(on_train=False) scores a validation set, "
                    f"which {type(self).__name__} holds out only for "
                    + ("EpochScoring with early_stopping=True"
                       + (" and a solver other than 'lbfgs'" if self.solver == "lbfgs" else "")
                       if isinstance(callback, EpochScoring) else "its own validation score")
                    + "; pass on_train=True to score the training batches.")
            if callback.target_extractor is to_numpy:
                callback.target_extractor = net.scoring_targets

    def _renew_callbacks(self, net):
        """A warm start's callbacks: fresh copies of ``callbacks`` where it changed.

        The copies that the last fit made go on (an ``LRScheduler`` keeps its
        count) while ``callbacks`` holds the same callback objects, in the same
        order and under the same names. Otherwise they make way for copies of
        the new ones; the estimator's own callbacks (the stopping rule with its
        counters and best loss, clipping, progress bar, epoch table) go on.
        """
        if _same_callbacks(getattr(net, "callbacks_copied_from_", None), self.callbacks):
            return
        user_callbacks = self._copy_callbacks()
        self._set_up_scorers(net, user_callbacks)
        kept = dict(net.callbacks_)
        own = {name for name, _ in net.get_default_callbacks()} | set(_OWN_CALLBACKS)
        old_callbacks = net.callbacks
        net.callbacks = [item for item in old_callbacks
                         if isinstance(item, tuple) and item[0] in own] + user_callbacks
        try:
            # skorch's names (a class's name, numbered where repeated; a name
            # given twice is refused) and set-up.
            named = list(net._uniquely_named_callbacks())
        except ValueError:
            net.callbacks = old_callbacks
            raise
        callbacks_ = []
        for name, callback in named:
            if name in own:
                if name in kept:
                    callbacks_.append((name, kept[name]))
                continue
            callback = callback() if isinstance(callback, type) else callback
            callback.initialize()
            callbacks_.append((name, callback))
        net.callbacks_ = callbacks_
        net.callbacks_copied_from_ = _callback_items(self.callbacks)
        if user_callbacks:
            # A new LRScheduler, made at the history's epoch count, reads the
            # rate it started from in the optimiser's groups (torch's KeyError).
            for name in net._optimizers:
                for group in getattr(net, name + "_").param_groups:
                    group.setdefault("initial_lr", group["lr"])

    def _with_own_callbacks(self, callbacks):
        """The (name, callback) pairs with the clipping of ``max_grad_norm`` and, where
        ``verbose >= 2``, tqdm's bar over each epoch's batches, each made afresh."""
        # L-BFGS's line search needs the true gradient: clipping would make its
        # directional derivatives disagree with the loss it evaluates.
        clipping = (GradientNormClipping(gradient_clip_value=self.max_grad_norm)
                    if self.max_grad_norm is not None and self.solver != "lbfgs" else None)
        callbacks = _with_own_callback(callbacks, "gradient_clipping", clipping)
        return _with_own_callback(callbacks, "progress_bar",
                                  ProgressBar() if self.verbose >= 2 else None)

    def _restart_optimizer(self, net):
        """sklearn's warm start: the last fit's weights, a fresh optimiser of this fit's parameters.

        scikit-learn's MLP makes a new optimiser at every ``fit``: Adam's
        moments and SGD's momentum start at zero, the rate at
        ``learning_rate_init``, while ``t_`` (for ``'invscaling'``), the
        stopping rule's counters and the loss curve go on.
        """
        self._check_precision_solver()
        for name in [name for name in vars(net) if name.startswith("optimizer__")]:
            delattr(net, name)
        optimizer_kwargs = self._optimizer_kwargs()
        for key, value in optimizer_kwargs.items():
            setattr(net, f"optimizer__{key}", value)
        net.optimizer = self._optimizer_class()
        net.l2_penalty = self._l2_penalty()
        # What torch's schedulers recorded in the optimiser's groups: skorch's
        # LRScheduler makes its scheduler at the history's epoch count, which
        # torch refuses on an optimiser without them.
        scheduled = {name: [{key: group[key] for key in _SCHEDULER_KEYS if key in group}
                            for group in getattr(net, name + "_").param_groups]
                     for name in net._optimizers}
        net.initialize_optimizer()
        for name, old_groups in scheduled.items():
            for group, old in zip(getattr(net, name + "_").param_groups, old_groups):
                group.update({"initial_lr": group["lr"], **old})
        stopping = dict(net.callbacks_)["sklearn_stopping"]
        for name, value in self._schedule(optimizer_kwargs).items():
            setattr(stopping, name, value)
        stopping.current_lr_ = optimizer_kwargs["lr"]

    def _stopping_parameters(self, n_samples):
        """SklearnStopping's rule for ``n_samples`` training rows, read at every fit."""
        return {"tol": self.tol, "on_divergence": self.on_divergence,
                "wait_for_progress": False, **self._stopping_rule(n_samples)}

    def _schedule(self, optimizer_kwargs):
        """SklearnStopping's learning-rate schedule and L-BFGS budget, for a new optimiser."""
        return {"learning_rate": self._learning_rate_schedule(),
                "learning_rate_init": optimizer_kwargs["lr"], "power_t": self.power_t,
                "max_fun": self.max_fun if self.solver == "lbfgs" else None}

    def _l2_penalty(self):
        """The L2 penalty the training loop adds (AdamW decays the weights itself)."""
        return 0.0 if self.solver == "adamw" else self.alpha

    def _scoring_decoders(self):
        """What ``predict``, ``predict_proba`` and ``y`` are, from the module's outputs
        and the training targets (see ``TrainingNet.scoring_decoders``); None: raw."""
        return None

    def _compile_options(self):
        if self.compile is False:
            return None
        return {} if self.compile is True else dict(self.compile)

    def _optimizer_class(self):
        """The torch optimiser of ``solver``."""
        return _OPTIMIZERS[self.solver]

    def _optimizer_kwargs(self):
        if self.solver in ("adam", "adamw"):
            kwargs = {"lr": self.learning_rate_init, "betas": (self.beta_1, self.beta_2),
                      "eps": self.epsilon, "fused": True}
            if self.solver == "adamw":
                kwargs["weight_decay"] = self.alpha
            return kwargs
        if self.solver == "sgd":
            return {"lr": self.learning_rate_init, "momentum": self.momentum,
                    "nesterov": self.nesterovs_momentum and self.momentum > 0, "fused": True}
        # One iteration per epoch, whose strong-Wolfe line search gets its
        # budget of loss evaluations from SklearnStopping; as many curvature
        # pairs as scipy's L-BFGS-B keeps (maxcor=10).
        return {"lr": 1.0, "max_iter": 1, "history_size": 10,
                "line_search_fn": "strong_wolfe", "tolerance_grad": self.tol,
                "tolerance_change": 0.0}

    def _record_fit(self, net, stopping, base_seed, epochs_run):
        # Left in eval mode, prediction never switches modes, so concurrent
        # predict calls from several threads cannot see each other's switch.
        net.module_.eval()
        self.net_ = net
        self._base_seed = base_seed
        # An epoch cut short by Ctrl-C has no train_loss.
        # numpy floats, as sklearn's loss_ and loss_curve_ hold.
        losses = [np.float64(epoch["train_loss"]) for epoch in net.history
                  if "train_loss" in epoch]
        self.loss_curve_ = losses
        # None when Ctrl-C came before the first epoch ended: the initial weights.
        self.loss_ = losses[-1] if losses else None
        self.n_iter_ = epochs_run
        self.t_ = stopping.t_
        if self._validates():
            self.validation_scores_ = list(stopping.validation_scores_)
            self.best_validation_score_ = stopping.best_validation_score_
            self.best_loss_ = None
        else:
            self.validation_scores_ = None
            self.best_validation_score_ = None
            self.best_loss_ = stopping.best_loss_

    # -- prediction ------------------------------------------------------------

    def _predict_chunk_rows(self, sample_shape, device, sparse=False):
        values = _PREDICT_CHUNK_VALUES.get(device.type, _DEFAULT_PREDICT_CHUNK_VALUES)
        if sparse:
            # Densifying a sparse chunk costs a pass over its zeros too: few
            # larger chunks beat many cache-sized ones.
            values = max(values, _DEFAULT_PREDICT_CHUNK_VALUES)
        # math.prod: np.prod makes an array of the shape first (2 µs, 2 % of a 100-row predict).
        return max(1, values // max(1, math.prod(sample_shape)))

    def _raw_predict(self, X, labels=False):
        """Validated X -> raw module outputs, in bounded memory.

        The outputs are float64 unless both X and the training data are
        float32, as sklearn's MLP predicts in the dtype of ``X`` and ``coefs_``.
        With ``labels`` (classifiers), what ``_chunk_decoder`` makes of each
        chunk's outputs on the device is returned in their place.
        """
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        self._check_representable(X, "X")
        device = torch.device(self.net_.device)
        if labels:
            decode, out_dtype = self._chunk_decoder()
        else:
            decode = None
            out_dtype = np.result_type(X.dtype, getattr(self, "_input_dtype", "float64"))
        outputs, n_nonfinite = predict_raw(
            self.net_.module_, X, device, self._torch_dtype(),
            self._predict_chunk_rows(X.shape[1:], device, sp.issparse(X)),
            self._autocast_dtype(), out_dtype=out_dtype, decode=decode)
        if n_nonfinite:
            raise ValueError(
                f"The network's outputs are not finite for {n_nonfinite} of {len(outputs)} "
                f"sample(s): with these inputs its values overflow precision={self.precision!r}. "
                "Scale X as it was scaled for training, or refit with precision='float64'.")
        return outputs

    @property
    def module_(self):
        """The trained ``torch.nn.Module``."""
        return self.net_.module_

    @property
    def history_(self):
        """Per-epoch training history as a :class:`pandas.DataFrame`.

        One row per epoch with ``train_loss``, ``train_loss_best``, ``dur``
        (seconds) and, with ``early_stopping``, ``valid_loss``,
        ``valid_loss_best`` and ``valid_score``, plus what callbacks record.
        """
        rows = [{key: value for key, value in epoch.items() if key != "batches"}
                for epoch in self.net_.history]
        return pd.DataFrame(rows).set_index("epoch")

    def __getstate__(self):
        state = super().__getstate__()
        state["_sklearn_dl_version"] = _package_version()
        return state

    def __setstate__(self, state):
        saved = state.pop("_sklearn_dl_version", None)
        if saved is not None and saved != _package_version():
            warnings.warn(
                f"This {type(self).__name__} was pickled with sklearn_dl {saved} and is loaded "
                f"with {_package_version()}; predictions may differ. Refit it, or use "
                "sklearn_dl.save / sklearn_dl.load.", UserWarning,
            )
        super().__setstate__(state)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


@functools.lru_cache(maxsize=256)
def _layer_seed(seed, stream=1):
    """The seed of dropout and augmentation (stream 1) or of the stand-in for torch's
    global generator (stream 2), drawn apart from the shuffling's ``seed``.

    The same every time for a seed, so drawn once (a SeedSequence costs
    tens of microseconds)."""
    return int(np.random.SeedSequence([seed, stream]).generate_state(1)[0])


# The keys that torch's learning-rate schedulers add to an optimiser's groups.
_SCHEDULER_KEYS = ("initial_lr", "max_lr", "min_lr", "max_momentum", "base_momentum")


def _early_stopped(net):
    """Whether a skorch ``EarlyStopping`` ended the training of ``net``.

    It ends training as Ctrl-C does, with a ``KeyboardInterrupt``, when
    ``patience`` epochs in a row did not improve: a deliberate stop, not an
    interruption.
    """
    return any(isinstance(callback, EarlyStopping) and callback.misses_ >= callback.patience
               for _, callback in net.callbacks_)


# The (name, callback) pairs of the estimators' own, after skorch's defaults.
_OWN_CALLBACKS = ("sklearn_stopping", "gradient_clipping", "progress_bar")


def _with_own_callback(callbacks, name, callback):
    """(name, callback) pairs with the estimator's own callback ``name`` replaced by
    ``callback``, after those that precede it in ``_OWN_CALLBACKS``; without it where
    ``callback`` is None."""
    callbacks = [item for item in callbacks if item[0] != name]
    if callback is not None:
        before = _OWN_CALLBACKS[:_OWN_CALLBACKS.index(name)]
        after = max(index for index, (other, _) in enumerate(callbacks) if other in before) + 1
        callbacks.insert(after, (name, callback.initialize()))
    return callbacks


def _callback_items(callbacks):
    """The callback objects of a ``callbacks`` parameter, with their names where given."""
    return tuple(item if isinstance(item, tuple) else (None, item) for item in callbacks or ())


def _same_callbacks(items, callbacks):
    """Whether ``callbacks`` holds the callback objects ``items`` came from."""
    new = _callback_items(callbacks)
    return items is not None and len(items) == len(new) and all(
        name == new_name and callback is new_callback
        for (name, callback), (new_name, new_callback) in zip(items, new))


def _scorers(callbacks):
    """The ``EpochScoring`` and ``BatchScoring`` among callbacks or (name, callback) pairs."""
    for item in callbacks:
        callback = item[1] if isinstance(item, tuple) else item
        if isinstance(callback, (EpochScoring, BatchScoring)):
            yield callback


def _backup_callback(net):
    backups = [callback for _, callback in net.callbacks_ if isinstance(callback, BackupAndRestore)]
    if len(backups) > 1:
        raise ValueError("At most one BackupAndRestore callback per estimator.")
    return backups[0] if backups else None


# The targets sklearn's check_classification_targets accepts.
_CLASSIFICATION_TARGETS = {"binary", "multiclass", "multiclass-multioutput",
                           "multilabel-indicator", "multilabel-sequences"}


def _plain_X_y(estimator, X, y, reset):
    """Whether ``validate_data`` would hand back tabular ``X`` and ``y`` unchanged.

    True for the common input, finite float32 / float64 numpy arrays (and
    numeric labels or targets) of agreeing lengths whose number of features
    is right: the estimator's ``n_features_in_`` is then set as
    ``validate_data`` sets it, without sklearn's checks for data frames,
    which cost more than a small network's epoch. Anything else (data frames,
    lists, sparse matrices, other dtypes, a NaN, a wrong shape) goes through
    ``validate_data``, which converts it or words the error.
    """
    if (type(X) is not np.ndarray or type(y) is not np.ndarray or y.ndim not in (1, 2)
            or y.dtype.kind not in "biuf" or not y.size or X.shape[:1] != y.shape[:1]):
        return False
    if y.dtype.kind == "f" and not _finite_sum(y):
        return False
    return _plain_X(estimator, X, reset)


def _plain_X(estimator, X, reset=False):
    """Whether ``validate_data`` would hand back tabular ``X`` unchanged (see ``_plain_X_y``).

    In prediction (``reset=False``) the estimator must have been fitted on
    as many features and without feature names, so sklearn's validation
    would neither raise nor warn.
    """
    if (type(X) is not np.ndarray or X.ndim != 2 or X.dtype not in _PLAIN_DTYPES
            or not X.size or not _finite_sum(X)):
        return False
    if reset:
        estimator.n_features_in_ = X.shape[1]
        if hasattr(estimator, "feature_names_in_"):
            del estimator.feature_names_in_
        return True
    return (getattr(estimator, "n_features_in_", None) == X.shape[1]
            and not hasattr(estimator, "feature_names_in_"))


def _finite_sum(values):
    """A finite sum means finite values; a sum that overflows is left to sklearn's check."""
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(np.add.reduce(values, axis=None)))


_PLAIN_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))
_FLOAT64_EPS = np.finfo(np.float64).eps


def _target_type(y, labels=None):
    """sklearn's ``type_of_target(y)``, and the number of distinct labels where it is known.

    Integer (or boolean) labels in a 1-d array, the common case, are binary
    or multiclass by their number of distinct values alone, which is what
    ``type_of_target`` finds for them after checks that cost more than a
    small network's epoch. ``labels`` is ``np.unique(y)`` where the caller has it.
    """
    if _integer_labels(y):
        n_labels = len(np.unique(y) if labels is None else labels)
        return ("multiclass" if n_labels > 2 else "binary"), n_labels
    return type_of_target(y, input_name="y"), None


def _integer_labels(y):
    """Whether ``y`` is a non-empty 1-d numpy array of integer (or boolean) labels."""
    return isinstance(y, np.ndarray) and y.ndim == 1 and y.size and y.dtype.kind in "iub"


class TorchClassifierMixin(ClassifierMixin):
    """Classification on top of :class:`BaseTorchEstimator`.

    Binary targets train one logistic output, multiclass targets a softmax
    over ``n_classes`` outputs, and multi-label indicator targets one
    logistic output per label, as sklearn's MLPClassifier does.
    """

    def _check_first_partial_fit(self, classes):
        if classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit.")

    def _encode_targets(self, y, sample_weight, reset, classes=None):
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        # A new fit on integer labels: the classes, and each label's index among
        # them, in one pass over the labels.
        labels = indices = None
        if reset and classes is None and _integer_labels(y):
            labels = np.unique(y)
            indices = np.searchsorted(labels, y)  # every label is among them
        target_type, n_labels = _target_type(y, labels)
        if target_type not in _CLASSIFICATION_TARGETS or (
                "multiclass" in target_type
                and (n_labels is None or (len(y) > 20 and n_labels > round(0.5 * len(y))))):
            # sklearn's check: its error for other targets, its warning when
            # most labels are distinct.
            check_classification_targets(y)
        multilabel = target_type.startswith("multilabel")
        if reset:
            if multilabel:
                classes_ = np.arange(y.shape[1])
            elif labels is not None:
                classes_ = labels
            else:
                classes_ = np.unique(y if classes is None else np.asarray(classes))
            if len(classes_) < 2 and not multilabel:
                raise ValueError(
                    f"{type(self).__name__} needs samples of at least 2 classes in the data, "
                    f"but the data contains only one class: {classes_[0]!r}."
                )
            self.classes_ = classes_
            self._multilabel = multilabel
            self.n_outputs_ = y.shape[1] if multilabel else (1 if len(classes_) == 2 else len(classes_))
            self.out_activation_ = "softmax" if self.n_outputs_ > 1 and not multilabel else "logistic"
        elif multilabel != self._multilabel:
            raise ValueError("The type of target changed since the estimator was fitted.")
        elif classes is not None and not np.array_equal(self.classes_, unique_labels(classes)):
            raise ValueError(f"`classes={classes!r}` is not the same as on last call to "
                             f"partial_fit, was: {self.classes_!r}")
        elif self.warm_start and not multilabel and not np.array_equal(np.unique(y), self.classes_):
            raise ValueError(
                "warm_start can only be used where `y` has the same classes as in the previous "
                f"call to fit. Previously got {self.classes_}, `y` has {np.unique(y)}"
            )
        if multilabel:
            return y.astype(np.float64), sample_weight
        if indices is None:
            indices = self._label_indices(y)
        if self.class_weight is not None:
            sample_weight = sample_weight * compute_sample_weight(self.class_weight, y)
        if self.n_outputs_ == 1:
            return indices.astype(np.float64).reshape(-1, 1), sample_weight
        return indices.astype(np.int64), sample_weight

    def _label_indices(self, y):
        indices = np.searchsorted(self.classes_, y)
        indices = np.clip(indices, 0, len(self.classes_) - 1)
        unseen = self.classes_[indices] != y
        if np.any(unseen):
            raise ValueError(
                f"`y` has classes not in `self.classes_`. `self.classes_` has {self.classes_}. "
                f"'y' has {np.unique(np.asarray(y)[unseen])}."
            )
        return indices

    def _make_criterion(self):
        return SoftmaxCrossEntropy() if self.out_activation_ == "softmax" else SigmoidCrossEntropy()

    def _chance_loss(self, targets, sample_weight):
        # The log-loss of predicting the weighted class (or label) frequencies:
        # the entropy of the classes, summed over the labels as the loss sums it.
        weights = sample_weight / sample_weight.sum()
        if self.out_activation_ == "softmax":
            frequencies = np.bincount(targets, weights=weights, minlength=self.n_outputs_)
            return float(-scipy.special.xlogy(frequencies, frequencies).sum())
        positive = weights @ targets
        return float(-(scipy.special.xlogy(positive, positive)
                       + scipy.special.xlogy(1 - positive, 1 - positive)).sum())

    def _proba_from_raw(self, raw):
        if self.out_activation_ == "softmax":
            return scipy.special.softmax(raw, axis=1)
        proba = scipy.special.expit(raw)
        if self._multilabel:
            return proba
        return np.hstack([1 - proba, proba])

    def _labels_from_raw(self, raw):
        """Labels from a numpy array of logits, decoded as ``predict`` decodes each chunk."""
        decode, dtype = self._chunk_decoder()
        return self._labels_from_decoded(
            decode(torch.from_numpy(raw)).numpy().astype(dtype, copy=False))

    def _labels_from_decoded(self, decoded):
        """Labels from what ``_chunk_decoder``'s function made of the logits."""
        return decoded if self._multilabel else self.classes_[decoded]

    def _chunk_decoder(self):
        """The logits' labels, for a chunk of them on the device: ``predict``'s one rule.

        Returns the function and the dtype of its results: indices into
        ``classes_``, or the 0 / 1 indicators of multi-label targets. Only
        those then cross to the host, not the logits.
        """
        if self._multilabel:
            return _positive_logits, np.int_
        if self.out_activation_ == "softmax":
            return _largest_logit, np.intp
        return _positive_first_logit, np.intp

    def _scoring_decoders(self):
        return self._labels_from_raw, self._proba_from_raw, self._labels_from_targets

    def _labels_from_targets(self, targets):
        """The labels of training targets (class indices, or 0 / 1 columns)."""
        if self._multilabel:
            return targets.astype(int)
        if targets.ndim == 2:
            targets = targets[:, 0]
        return self.classes_[targets.astype(int)]

    def _score_raw(self, raw, y, sample_weight):
        return accuracy_score(y, self._labels_from_raw(raw), sample_weight=sample_weight)

    def predict(self, X):
        """Predict class labels for X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)
            Labels from ``classes_`` (an indicator matrix for multi-label targets).
        """
        return self._labels_from_decoded(self._raw_predict(X, labels=True))

    def predict_proba(self, X):
        """Probability estimates, columns ordered as ``classes_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        return self._proba_from_raw(self._raw_predict(X))

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`, computed stably from the logits.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        raw = self._raw_predict(X)
        if self.out_activation_ == "softmax":
            return scipy.special.log_softmax(raw, axis=1)
        log_positive = -np.logaddexp(0, -raw)
        if self._multilabel:
            return log_positive
        return np.hstack([-np.logaddexp(0, raw), log_positive])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


# TorchClassifierMixin._chunk_decoder's functions.
def _largest_logit(raw):
    # The first of equal maxima, in either; on a CPU numpy's is about 1.5
    # times as fast as torch's on a few columns.
    if raw.device.type == "cpu" and raw.dtype in (torch.float32, torch.float64):
        return torch.from_numpy(np.argmax(raw.numpy(), axis=1))
    return raw.argmax(dim=1)


def _positive_logits(raw):
    return raw > 0


def _positive_first_logit(raw):
    return raw[:, 0] > 0


class TorchRegressorMixin(RegressorMixin):
    """Regression on top of :class:`BaseTorchEstimator`: one linear output per target.

    With ``standardize_target`` (the estimator's parameter) the network learns
    the targets standardised to zero mean and unit variance per output, and
    predictions are mapped back: the default learning rate then suits targets
    of any scale, as it suits standardised inputs.
    """

    def _encode_targets(self, y, sample_weight, reset, classes=None):
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        poisson = getattr(self, "loss", "squared_error") == "poisson"
        if poisson and np.any(y < 0):
            raise ValueError("Some value(s) of y are negative which is not allowed for "
                             "Poisson regression.")
        targets = y.reshape(len(y), -1).astype(np.float64)
        if reset:
            self.n_outputs_ = targets.shape[1]
            self._y_ndim = y.ndim
            self.out_activation_ = "exp" if poisson else "identity"
            self._target_mean, self._target_scale = self._target_standardization(
                targets, sample_weight, enabled=self.standardize_target and not poisson)
        elif targets.shape[1] != self.n_outputs_:
            raise ValueError(f"y has {targets.shape[1]} outputs but the estimator was fitted "
                             f"with {self.n_outputs_}.")
        return (targets - self._target_mean) / self._target_scale, sample_weight

    @staticmethod
    def _target_standardization(targets, sample_weight, enabled):
        n_outputs = targets.shape[1]
        if not enabled:
            return np.zeros(n_outputs), np.ones(n_outputs)
        # Computed on the targets divided by a power of two near their largest
        # magnitude, which is exact: squares of targets beyond 1e154 would
        # overflow float64 (an infinite scale, then infinite predictions).
        _, exponent = np.frexp(np.abs(targets).max(axis=0))
        unit = np.ldexp(1.0, exponent)
        scaled = targets / unit
        # np.average(..., axis=0, weights=sample_weight)'s own operations, in
        # its order, without its argument checks (twice a small network's epoch).
        weights = np.asarray(sample_weight, dtype=np.float64).reshape(-1, 1)
        total = weights.sum(axis=0)
        if not total.all():  # np.average's error
            np.average(scaled, axis=0, weights=sample_weight)
        mean = np.multiply(scaled, weights).sum(axis=0) / total
        scale = np.sqrt(np.multiply((scaled - mean) ** 2, weights).sum(axis=0) / total)
        mean, scale = mean * unit, scale * unit
        # A constant target keeps its scale; dividing by zero would help no one.
        return mean, np.where(scale > _FLOAT64_EPS * np.abs(mean).clip(1), scale, 1.0)

    def _make_criterion(self):
        loss = HalfPoissonDeviance if self.out_activation_ == "exp" else HalfSquaredError
        return loss(sum_outputs=self._sums_outputs)

    # Whether the loss sums over the outputs (scikit-learn's MLPRegressor) or
    # averages them (the other networks, with no scikit-learn counterpart).
    _sums_outputs = False

    def _chance_loss(self, targets, sample_weight):
        # The loss of predicting the weighted mean of each (standardised)
        # output, reduced over the outputs as the loss reduces them: half
        # the weighted variance, or half the Poisson deviance from the mean.
        weights = sample_weight / sample_weight.sum()
        mean = weights @ targets
        if self.out_activation_ == "exp":
            per_output = weights @ (scipy.special.xlogy(targets, targets)
                                    - scipy.special.xlogy(targets, mean))
        else:
            per_output = 0.5 * (weights @ (targets - mean) ** 2)
        return float(per_output.sum() if self._sums_outputs else per_output.mean())

    def _values_from_raw(self, raw):
        values = np.exp(raw) if self.out_activation_ == "exp" else raw
        values = (values * self._target_scale + self._target_mean).astype(raw.dtype, copy=False)
        return values.ravel() if self._y_ndim == 1 else values

    def _scoring_decoders(self):
        return self._values_from_raw, self._values_from_raw, self._values_from_targets

    def _values_from_targets(self, targets):
        """Training targets (standardised) in the units of ``y``."""
        values = (targets * self._target_scale + self._target_mean).astype(targets.dtype,
                                                                             copy=False)
        return values.ravel() if self._y_ndim == 1 else values

    def _score_raw(self, raw, y, sample_weight):
        return r2_score(y, self._values_from_raw(raw), sample_weight=sample_weight)

    def predict(self, X):
        """Predict target values for X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        """
        return self._values_from_raw(self._raw_predict(X))


# numpydoc text of the training parameters every network estimator shares;
# the estimators' docstrings include it so it is written once.
TRAINING_PARAMETERS_DOC = """\
    solver : {'adam', 'adamw', 'sgd', 'lbfgs'}, default='adam'
        The optimiser. ``'adam'``, ``'sgd'`` and ``'lbfgs'`` as in sklearn
        (L-BFGS runs full-batch, one iteration with a strong-Wolfe line search
        per epoch, and stops on scipy's L-BFGS-B tests); ``'adamw'`` is Adam
        with decoupled weight decay, for which ``alpha`` is the decay.

    alpha : float, default=0.0001
        Strength of the L2 penalty on the weight matrices, with sklearn's
        scaling: ``alpha / 2 * ||W||^2 / sum(batch weights)`` is added to each
        batch's loss. Biases and normalisation parameters are not penalised.

    batch_size : int or 'auto', default='auto'
        Mini-batch size; ``'auto'`` is ``min(200, n_samples)``. Ignored by
        ``'lbfgs'``, which uses the whole training set.

    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        Learning-rate schedule for ``solver='sgd'``, as in sklearn.

    learning_rate_init : float, default=0.001
        Initial learning rate of ``'adam'``, ``'adamw'`` and ``'sgd'``.

    power_t : float, default=0.5
        Exponent of the ``'invscaling'`` schedule.

    max_iter : int, default=200
        Maximum number of epochs (L-BFGS iterations for ``'lbfgs'``).

    shuffle : bool, default=True
        Whether to reshuffle the training data at every epoch.

    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, dropout, shuffling and the validation
        split. An int gives identical results on the same device; torch's
        global random state is left untouched.

    tol : float, default=1e-4
        Improvement of the training loss (or validation score with
        ``early_stopping``) below which an epoch counts as no improvement.
        For ``'lbfgs'``, the gradient tolerance as in sklearn: training stops
        once no gradient entry exceeds ``tol`` in absolute value, or when an
        iteration no longer reduces the loss (relative reduction under
        about 2.2e-9, scipy's default).

    verbose : bool or int, default=False
        1 (or True) prints a table of the per-epoch loss (skorch's
        ``PrintLog``), coloured on a terminal or in a notebook and plain text
        elsewhere (log files, pipes; or when ``NO_COLOR`` is set). 2 adds a
        progress bar over each epoch's batches (skorch's ``ProgressBar``,
        which needs ``tqdm``); ``callbacks=[ProgressBar()]`` gives the bar
        alone.

    warm_start : bool, default=False
        Continue training from the previous solution on the next ``fit``. As
        in scikit-learn, the next ``fit`` keeps the weights, ``t_``, the loss
        curve and the stopping rule's counters, and starts a fresh optimiser
        from its own parameters (``solver``, ``learning_rate_init``,
        ``alpha``...); ``partial_fit`` keeps the optimiser's state. Both
        read the other training parameters again (``tol``, ``shuffle``,
        ``max_grad_norm``, ``on_divergence``, ``verbose``...); the network's
        are fixed.

    momentum : float, default=0.9
        Momentum of ``'sgd'``.

    nesterovs_momentum : bool, default=True
        Whether ``'sgd'`` uses Nesterov's momentum.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified for
        classifiers) and stop when the validation score stops improving; the
        best weights are restored. Without it, every sample is trained on.
        Ignored by ``'lbfgs'``, as in sklearn.

    validation_fraction : float, default=0.1
        Share of the training data held out for ``early_stopping``.

    beta_1 : float, default=0.9
        Adam's first-moment decay.

    beta_2 : float, default=0.999
        Adam's second-moment decay.

    epsilon : float, default=1e-8
        Adam's numerical-stability term. The MLPs add it where scikit-learn's
        MLP does, to the root of the raw second moment, so that their steps
        are scikit-learn's; the other networks use torch's Adam, which adds
        it to the root of the bias-corrected moment (up to 32 times less
        weight in the first steps).

    n_iter_no_change : int, default=10
        Number of epochs without improvement by ``tol`` before stopping
        (not used by ``'lbfgs'``).

    max_fun : int, default=15000
        Maximum number of loss evaluations of ``'lbfgs'``; reaching it ends
        training after the current iteration with a ``ConvergenceWarning``.

    max_grad_norm : float or None, default=None
        Clip the gradients' global L2 norm to this value (skorch's
        ``GradientNormClipping``); None disables clipping. Ignored by
        ``solver='lbfgs'``, whose line search needs the true gradient.

    precision : {'float32', 'float64', 'bf16', 'fp16'}, default='float32'
        Floating-point precision of the network, in training and prediction.
        float32 is what GPUs and deep-learning practice use; float64 gives
        sklearn's double precision at about half the speed on a CPU.
        ``'bf16'`` and ``'fp16'`` are mixed precision: the weights stay
        float32 while forward passes run under ``torch.autocast`` in
        bfloat16 or float16 (with a gradient scaler for float16), which is
        faster on GPUs with tensor cores (bf16 needs Ampere or newer) and
        slower on most CPUs. Not with ``solver='lbfgs'``.

    device : str or torch.device, default='auto'
        Where to train: ``'auto'`` picks CUDA when available, else the CPU.
        A fitted model pickles and loads on a machine without a GPU.

    callbacks : list of (name, skorch callback) tuples or callbacks, default=None
        Extra skorch callbacks (e.g. ``LRScheduler``, ``Checkpoint``), copied
        at each fit from scratch. A ``warm_start`` fit or ``partial_fit`` goes
        on with those copies while ``callbacks`` holds the same callback
        objects (in the same order, under the same names); other callbacks set
        in between replace them with fresh copies of the new ones. Without a validation set
        (``early_stopping=False`` or ``'lbfgs'``), a callback that monitors
        ``valid_loss`` or ``valid_loss_best`` (skorch's default for
        ``Checkpoint`` and ``EarlyStopping``) monitors ``train_loss`` /
        ``train_loss_best``. ``EpochScoring`` and ``BatchScoring`` score the
        estimator's predictions against ``y`` (see the user guide).

    compile : bool or dict, default=False
        Train through ``torch.compile`` (a dict is passed to it as keyword
        arguments, e.g. ``{"mode": "max-autotune"}``). Compiling takes from
        seconds to a minute, repaid on long GPU runs; ``module_`` stays the
        plain module, so prediction and pickling are unchanged.

    on_divergence : {'raise', 'stop'}, default='raise'
        What to do when the training loss becomes NaN or infinite: raise
        :class:`~sklearn_dl.DivergenceError`, or stop training with a
        ``ConvergenceWarning`` and keep the weights (and optimiser state) of
        the last finite epoch. Either way the model never holds non-finite
        weights; a first epoch that diverges always raises."""

TRAINING_ATTRIBUTES_DOC = """\
    loss_ : float
        Training loss of the last epoch (including the L2 penalty).

    best_loss_ : float or None
        Lowest training loss reached; None with ``early_stopping``.

    loss_curve_ : list of float
        Training loss at each epoch, over all calls to ``fit`` /
        ``partial_fit`` that continued training.

    validation_scores_ : list of float or None
        Validation score at each epoch with ``early_stopping``, else None.

    best_validation_score_ : float or None
        Best validation score with ``early_stopping``, else None.

    n_iter_ : int
        Number of epochs run by the last call to ``fit`` or ``partial_fit``.

    t_ : int
        Number of training samples seen.

    n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features, when X has string column names.

    n_outputs_ : int
        Number of outputs of the network.

    out_activation_ : str
        Output non-linearity: ``'logistic'``, ``'softmax'``, ``'identity'`` or ``'exp'``.

    net_ : skorch.NeuralNet
        The skorch net that trained the module.

    module_ : torch.nn.Module
        The trained network.

    history_ : pandas.DataFrame
        Per-epoch table: ``train_loss``, ``train_loss_best``, ``dur`` and,
        with ``early_stopping``, ``valid_loss``, ``valid_loss_best`` and
        ``valid_score``."""
