"""TorchClassifier and TorchRegressor: your own ``torch.nn.Module`` with this package's guarantees.

The estimator builds the module in ``fit`` from the data's shapes, so the same
estimator works on any data set and clones, grid searches and refits build a
fresh module every time. Everything else (labels, weights, stopping, the
divergence guard, seeding, ``partial_fit``, pickling) is
:class:`~sklearn_dl.base.BaseTorchEstimator`'s.
"""

import inspect
import math
from numbers import Integral

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import _fit_context, is_regressor
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import validate_data
from torch import nn

from sklearn_dl.base import (
    TRAINING_ATTRIBUTES_DOC,
    TRAINING_PARAMETERS_DOC,
    BaseTorchEstimator,
    TorchClassifierMixin,
    TorchRegressorMixin,
)
from sklearn_dl.utils import seeded

_MODULE_PREFIX = "module__"
# What the estimator passes to the builder from the data, by these names.
_SHAPE_ARGUMENTS = ("n_features", "input_shape", "n_outputs")


class _ConstraintsWithModuleParams:
    """``_parameter_constraints`` that also lists an instance's ``module__*`` parameters.

    sklearn's checks expect one constraint per parameter that ``get_params``
    returns; the module's own parameters are the module's to validate.
    Read from the class, it is the plain dict, so subclasses extend it as usual.
    """

    def __init__(self, constraints):
        self.constraints = constraints

    def __get__(self, instance, owner=None):
        if instance is None:
            return self.constraints
        return {**self.constraints,
                **dict.fromkeys(getattr(instance, "_module_params", {}), "no_validation")}


class _BaseTorchModule(BaseTorchEstimator):
    """Input of any sample shape, and a module built by a builder from the data's shapes.

    X reaches the module as ``(batch, *input_shape_)``: flat rows for tabular
    data, images or sequences when ``input_shape`` is given or X is an N-D
    array. A subclass with a fixed architecture (no ``module`` parameter)
    overrides :meth:`_module_builder` to return its builder and arguments; an
    ``input_shape`` parameter is optional.
    """

    # A user's module may use nn.Dropout or torch.rand: it trains on a stand-in for
    # torch's global generator, seeded by random_state (fits in threads take turns).
    _module_draws_from_global_rng = True

    _parameter_constraints = _ConstraintsWithModuleParams({
        **BaseTorchEstimator._parameter_constraints,
        "input_shape": ["array-like", None],
    })

    # -- module__* parameters, routed to the builder ------------------------------

    def get_params(self, deep=True):
        """Parameters of this estimator, ``module__*`` ones included.

        Parameters
        ----------
        deep : bool, default=True
            Also return the parameters of contained estimators.

        Returns
        -------
        params : dict
        """
        return {**super().get_params(deep=deep), **getattr(self, "_module_params", {})}

    def set_params(self, **params):
        """Set parameters, ``module__*`` ones included.

        Parameters
        ----------
        **params : dict
            Estimator parameters, and ``module__name=value`` to pass ``name``
            to the module's builder.

        Returns
        -------
        self : object
        """
        module_params = {key: params.pop(key) for key in list(params)
                         if key.startswith(_MODULE_PREFIX)}
        if module_params:
            self._module_params = {**getattr(self, "_module_params", {}), **module_params}
        return super().set_params(**params)

    def _validate_params(self):
        # Checked at fit, not in __init__, which only stores (sklearn's checks pass
        # any keyword to it): a misspelt estimator parameter lands here.
        for key in getattr(self, "_module_params", {}):
            if not key.startswith(_MODULE_PREFIX):
                raise ValueError(
                    f"Invalid parameter {key!r} for estimator {type(self).__name__}: "
                    f"parameters of the module are passed as '{_MODULE_PREFIX}<name>'."
                )
        super()._validate_params()

    # -- the module ---------------------------------------------------------------

    def _module_builder(self):
        """The callable that builds the module, and the keyword arguments it gets."""
        module = self.module
        name = type(self).__name__
        if module is None:
            raise ValueError(f"{name} needs a module: pass module=<a torch.nn.Module class, or "
                             "a function that returns a torch.nn.Module>.")
        if isinstance(module, nn.Module):
            raise ValueError(
                f"module must be a torch.nn.Module class or a function that builds one, not "
                f"an instance ({type(module).__name__}): clones and refits would share its "
                f"weights. Pass module={type(module).__name__} and its arguments as "
                f"{_MODULE_PREFIX}<name>."
            )
        return module, {key[len(_MODULE_PREFIX):]: value
                        for key, value in getattr(self, "_module_params", {}).items()}

    def _build_module(self, n_features, n_outputs):
        module, builder_name = self._construct_module(n_features, n_outputs)
        self._check_output_shape(module.to(self._torch_dtype()), builder_name, n_outputs)
        return module

    def _construct_module(self, n_features, n_outputs):
        """The module the builder returns, and the builder's name (for messages)."""
        builder, kwargs = self._module_builder()
        builder_name = getattr(builder, "__name__", repr(builder))
        shapes = {"n_features": n_features, "input_shape": self.input_shape_,
                  "n_outputs": n_outputs}
        taken = sorted(set(kwargs) & set(shapes))
        if taken:
            raise ValueError(f"{_MODULE_PREFIX}{taken[0]} is set from the data; remove it.")
        accepted = _keyword_arguments(builder)
        if accepted is not None:
            unknown = sorted(set(kwargs) - accepted)
            if unknown:
                raise ValueError(
                    f"{_MODULE_PREFIX}{unknown[0]} is not a parameter of {builder_name} "
                    f"(it takes {', '.join(sorted(accepted)) or 'none'})."
                )
            shapes = {key: value for key, value in shapes.items() if key in accepted}
        try:
            module = builder(**shapes, **kwargs)
        except TypeError as error:
            raise ValueError(f"Building the module {builder_name}(...) failed: {error}. It is "
                             f"called with {', '.join(_SHAPE_ARGUMENTS)} (those it names) and "
                             f"the {_MODULE_PREFIX}* parameters.") from error
        if not isinstance(module, nn.Module):
            raise TypeError(f"module {builder_name} returned a {type(module).__name__}; it "
                            "must return a torch.nn.Module.")
        return module, builder_name

    def _outputs_on(self, module, fill):
        """The module's outputs on two samples of ``fill``, in eval mode, without gradients."""
        was_training = module.training
        module.eval()
        try:
            with torch.no_grad():
                return module(torch.full((2, *self.input_shape_), fill,
                                         dtype=self._torch_dtype()))
        finally:
            module.train(was_training)

    def _check_output_shape(self, module, builder_name, n_outputs):
        """Forward two samples of zeros: a wrong output shape is named here, not in the loss."""
        expected = (2, n_outputs)
        try:
            output = self._outputs_on(module, 0.0)
        except Exception as error:
            raise ValueError(
                f"module {builder_name} failed on a batch of shape (2, "
                f"{', '.join(map(str, self.input_shape_))}), the shape of the input X: "
                f"{type(error).__name__}: {error}"
            ) from error
        shape = tuple(output.shape) if isinstance(output, torch.Tensor) else None
        if shape != expected:
            received = f"shape {shape}" if shape is not None else f"a {type(output).__name__}"
            hint = (" Keep the output's last dimension (no squeeze)."
                    if shape == (2,) and expected == (2, 1) else "")
            raise ValueError(
                f"module {builder_name} returned {received} for 2 samples; {type(self).__name__} "
                f"needs a tensor of shape {expected}: {self._output_meaning()}{hint}"
            )
        return output

    # -- input of any sample shape ----------------------------------------------

    def _input_check_params_for(self, sample_shape):
        params = self._input_check_params()
        if sample_shape is not None and len(sample_shape) > 1:
            params["accept_sparse"] = False  # a sparse matrix has no N-D form
        return params

    def _validate_X(self, X, reset):
        X, sample_shape = self._flat_rows(X, reset)
        X = validate_data(self, X, reset=reset, **self._input_check_params_for(sample_shape))
        return self._shaped(X, sample_shape, reset)

    def _validate_X_y(self, X, y, reset):
        X, sample_shape = self._flat_rows(X, reset)
        X, y = validate_data(self, X, y, reset=reset, multi_output=True,
                             y_numeric=is_regressor(self),
                             **self._input_check_params_for(sample_shape))
        return self._shaped(X, sample_shape, reset), y

    def _shaped(self, X, sample_shape, reset):
        if reset:
            self.input_shape_ = sample_shape or (X.shape[1],)
        if len(self.input_shape_) == 1 or sp.issparse(X):
            return X
        return X.reshape(len(X), *self.input_shape_)  # a view: rows stay contiguous

    def _flat_rows(self, X, reset):
        """X as flat rows (a view of an N-D array), and the shape of one sample.

        The flat form goes through ``validate_data``, so pandas column names
        and sklearn's messages about the number of features apply as for any
        estimator.
        """
        if not hasattr(X, "ndim") and not sp.issparse(X):
            X = np.asarray(X)  # lists, and objects that only implement __array__
        if getattr(X, "ndim", 2) < 2:
            return X, None  # not samples of any shape: validate_data says so
        expected = self._expected_sample_shape(X, reset)
        if X.ndim > 2:
            X = np.asarray(X)  # any N-D array-like (a torch tensor, a memmap...)
            X = X.reshape(len(X), math.prod(X.shape[1:]))
        return X, expected

    def _expected_sample_shape(self, X, reset):
        name = type(self).__name__
        received = tuple(X.shape[1:])
        if not reset:
            expected = self.input_shape_
        elif getattr(self, "input_shape", None) is not None:
            expected = _checked_input_shape(self.input_shape)
        else:
            expected = received
        if X.ndim == 2 and received[0] != math.prod(expected):
            if not reset:
                return expected  # validate_data names the wrong number of features
            raise ValueError(
                f"X has {received[0]} features, but input_shape={expected} needs "
                f"{math.prod(expected)} (flat rows of samples of that shape)."
            )
        if X.ndim > 2 and received != expected:
            raise ValueError(f"X has samples of shape {received}, but {name} expects samples "
                             f"of shape {expected}.")
        return expected

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # 3-D and 4-D arrays are valid input when a module wants them.
        tags.input_tags.three_d_array = True
        return tags


def _checked_input_shape(input_shape):
    shape = tuple(input_shape if isinstance(input_shape, (tuple, list))
                  else np.asarray(input_shape).tolist())
    if not shape or not all(isinstance(size, Integral) and not isinstance(size, bool)
                            and size > 0 for size in shape):
        raise ValueError(f"input_shape must be a tuple of positive ints (the shape of one "
                         f"sample, e.g. (3, 32, 32)), got {input_shape!r}.")
    return tuple(int(size) for size in shape)


def _probability_rows(output):
    """Whether every row of a 2-D output of several columns is a probability vector."""
    if (not isinstance(output, torch.Tensor) or output.ndim != 2 or output.shape[1] < 2
            or output.is_meta):  # a module rebuilt without values (sklearn_dl.load)
        return False
    output = output.double()
    return bool(((output >= 0) & (output <= 1)).all()
                and torch.allclose(output.sum(dim=1), torch.ones_like(output[:, 0]),
                                   rtol=0, atol=1e-4))


def _keyword_arguments(builder):
    """Names the builder accepts as keywords, or None if it takes any (``**kwargs``)."""
    try:
        parameters = inspect.signature(builder).parameters.values()
    except (TypeError, ValueError):  # builtins without a signature
        return None
    if any(parameter.kind == parameter.VAR_KEYWORD for parameter in parameters):
        return None
    return {parameter.name for parameter in parameters
            if parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY)}


_MODULE_PARAMETERS_DOC = """\
    module : torch.nn.Module class or callable, default=None
        Builds the network in ``fit``: a ``torch.nn.Module`` subclass or a
        function returning a module. It is called with keyword arguments,
        each only if its signature names it (all of them if it takes
        ``**kwargs``): ``n_features`` (the number of input values of one
        sample), ``input_shape`` (the shape of one sample, ``(n_features,)``
        for tabular data) and ``n_outputs``, plus every ``module__<name>``
        parameter of the estimator as ``<name>``. Required; pass a class or a
        function, not an instance, so that clones and refits each build a
        fresh module (seeded from ``random_state``).

    input_shape : tuple of int, default=None
        Shape of one sample when X holds flat rows of N-D samples, e.g.
        ``(3, 32, 32)`` for color images passed as rows of 3072 values. X may
        also be an array of shape ``(n_samples, *input_shape)``. None takes
        the shape of X's samples: flat rows for a 2-D X.

{training}

    **module_params : dict
        ``module__<name>=value``: passed to the module's builder as
        ``<name>=value``. They are parameters of the estimator like any
        other: ``get_params``, ``set_params``, ``clone`` and searches such
        as ``GridSearchCV({{'module__hidden': [16, 32]}})`` see them."""


_MODULE_ATTRIBUTES_DOC = """\
    input_shape_ : tuple of int
        Shape of one sample, as the module receives it (after the batch axis)."""


class TorchClassifier(TorchClassifierMixin, _BaseTorchModule):
    __doc__ = f"""Classifier around your own ``torch.nn.Module``, with this package's guarantees.

    The module is built in ``fit`` from the data's shapes and trained like the
    built-in networks: sklearn's parameter names, labels of any type in
    ``classes_``, sample and class weights, ``partial_fit`` as one epoch,
    reproducible results from ``random_state``, early stopping, the divergence
    guard and pickling.

    The module receives batches of shape ``(batch, *input_shape_)`` and must
    return raw scores (logits) of shape ``(batch, n_outputs)``: one column for
    binary targets (the positive class's logit; or two, a logit per class,
    from a module that does not take ``n_outputs``, as the usual PyTorch head
    for two classes and skorch's are), ``n_classes`` columns for multiclass
    targets (softmax), one per label for a multi-label indicator matrix. The
    loss applies the sigmoid or softmax; a module whose outputs are already
    probabilities (a final softmax) is refused with a ``ValueError``.

    Parameters
    ----------
{_MODULE_PARAMETERS_DOC.format(training=TRAINING_PARAMETERS_DOC)}

    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes in the loss, multiplied into ``sample_weight``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.

{_MODULE_ATTRIBUTES_DOC}

{TRAINING_ATTRIBUTES_DOC}

    See Also
    --------
    TorchRegressor : The same for regression.
    MLPClassifier : A built-in multi-layer perceptron.
    skorch.NeuralNetClassifier : skorch's estimator around a module.

    Examples
    --------
    >>> import torch
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_dl.neural_network import TorchClassifier
    >>> class Net(torch.nn.Module):
    ...     def __init__(self, n_features, n_outputs, hidden=16):
    ...         super().__init__()
    ...         self.layers = torch.nn.Sequential(torch.nn.Linear(n_features, hidden),
    ...                                           torch.nn.ReLU(),
    ...                                           torch.nn.Linear(hidden, n_outputs))
    ...     def forward(self, X):
    ...         return self.layers(X)
    >>> X, y = load_iris(return_X_y=True)
    >>> model = TorchClassifier(Net, module__hidden=32, learning_rate_init=0.01,
    ...                         max_iter=100, random_state=0).fit(X, y)
    >>> model.score(X, y) > 0.9
    True
    >>> model.get_params()["module__hidden"]
    32
    """

    _parameter_constraints = _ConstraintsWithModuleParams({
        **_BaseTorchModule._parameter_constraints,
        "module": [callable, None],
        "class_weight": [dict, StrOptions({"balanced"}), None],
    })

    def __init__(
        self,
        module=None,
        *,
        input_shape=None,
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
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        max_grad_norm=None,
        precision="float32",
        class_weight=None,
        device="auto",
        callbacks=None,
        compile=False,
        on_divergence="raise",
        **module_params,
    ):
        self.module = module
        self.input_shape = input_shape
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
        self._module_params = module_params

    def _output_meaning(self):
        return ("one logit per output: 1 for binary targets (or 2, one per class), n_classes "
                "for multiclass, n_labels for multi-label.")

    def _train(self, X, targets, y, sample_weight, first_call, incremental):
        if (first_call and self.n_outputs_ == 1 and not self._multilabel
                and self._returns_two_logits()):
            # The usual PyTorch head for two classes, and skorch's: a logit per
            # class and a softmax over both, trained as a multiclass target.
            self.n_outputs_, self.out_activation_ = 2, "softmax"
            targets = targets.ravel().astype(np.int64)
        return super()._train(X, targets, y, sample_weight, first_call, incremental)

    def _returns_two_logits(self):
        """Whether the module, not told ``n_outputs``, returns two columns for binary targets."""
        builder, _ = self._module_builder()
        accepted = _keyword_arguments(builder)
        if accepted is None or "n_outputs" in accepted:
            return False  # it is built with n_outputs=1
        with seeded(0, torch.device("cpu")):
            module, _ = self._construct_module(int(np.prod(self.input_shape_)), 1)
        try:
            output = self._outputs_on(module.to(self._torch_dtype()), 0.0)
        except Exception:  # named by the check of the module that fit builds
            return False
        return isinstance(output, torch.Tensor) and tuple(output.shape) == (2, 2)

    def _check_output_shape(self, module, builder_name, n_outputs):
        output = super()._check_output_shape(module, builder_name, n_outputs)
        if (self.out_activation_ == "softmax" and _probability_rows(output)
                and _probability_rows(self._outputs_on(module, 1.0))):
            raise ValueError(
                f"module {builder_name} returns probabilities: on two samples, each row of "
                "its output lies in [0, 1] and sums to 1, as after a softmax. "
                f"{type(self).__name__} applies the softmax in its loss and needs raw scores "
                "(logits): remove the final softmax. (skorch's NeuralNetClassifier, whose "
                "default loss takes probabilities, wants it; here it would be applied twice.)"
            )
        return output

    @available_if(lambda est: est._check_solver())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Train for exactly one epoch over (X, y).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Or an array of N-D samples, of shape ``(n_samples, *input_shape_)``.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
        sample_weight : array-like of shape (n_samples,), default=None
        classes : array-like of shape (n_classes,), default=None
            Every class that ``y`` can hold; required on the first call.

        Returns
        -------
        self : object
        """
        return self._partial_fit(X, y, sample_weight, classes=classes)


class TorchRegressor(TorchRegressorMixin, _BaseTorchModule):
    __doc__ = f"""Regressor around your own ``torch.nn.Module``, with this package's guarantees.

    The module is built in ``fit`` from the data's shapes and trained like the
    built-in networks: sklearn's parameter names, multi-output targets,
    sample weights, ``partial_fit`` as one epoch, reproducible results from
    ``random_state``, early stopping, the divergence guard and pickling.

    The module receives batches of shape ``(batch, *input_shape_)`` and must
    return a tensor of shape ``(batch, n_outputs)`` (``n_outputs`` is 1 for a
    1-D ``y``), in standardised target units when ``standardize_target``.

    Parameters
    ----------
    loss : {{'squared_error', 'poisson'}}, default='squared_error'
        Half squared error, or half Poisson deviance with a log link (the
        estimator predicts ``exp`` of the module's output).

{_MODULE_PARAMETERS_DOC.format(training=TRAINING_PARAMETERS_DOC)}

    standardize_target : bool, default=True
        Train on targets standardised to zero mean and unit variance per
        output (sample-weighted) and map predictions back, so the default
        learning rate suits targets of any scale. Ignored for
        ``loss='poisson'``.

    Attributes
    ----------
{_MODULE_ATTRIBUTES_DOC}

{TRAINING_ATTRIBUTES_DOC}

    See Also
    --------
    TorchClassifier : The same for classification.
    MLPRegressor : A built-in multi-layer perceptron.
    skorch.NeuralNetRegressor : skorch's estimator around a module.

    Examples
    --------
    >>> import torch
    >>> from sklearn.datasets import make_regression
    >>> from sklearn_dl.neural_network import TorchRegressor
    >>> def linear(n_features, n_outputs):
    ...     return torch.nn.Linear(n_features, n_outputs)
    >>> X, y = make_regression(n_samples=200, n_features=5, noise=1, random_state=0)
    >>> model = TorchRegressor(linear, learning_rate_init=0.05, max_iter=100,
    ...                        random_state=0).fit(X, y)
    >>> model.score(X, y) > 0.95
    True
    """

    _parameter_constraints = _ConstraintsWithModuleParams({
        **_BaseTorchModule._parameter_constraints,
        "module": [callable, None],
        "loss": [StrOptions({"squared_error", "poisson"})],
        "standardize_target": ["boolean"],
    })

    def __init__(
        self,
        module=None,
        *,
        loss="squared_error",
        input_shape=None,
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
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        max_grad_norm=None,
        precision="float32",
        standardize_target=True,
        device="auto",
        callbacks=None,
        compile=False,
        on_divergence="raise",
        **module_params,
    ):
        self.module = module
        self.loss = loss
        self.input_shape = input_shape
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
        self._module_params = module_params

    def _output_meaning(self):
        return "one value per output (n_outputs is 1 for a 1-D y)."

    @available_if(lambda est: est._check_solver())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Train for exactly one epoch over (X, y).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Or an array of N-D samples, of shape ``(n_samples, *input_shape_)``.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        return self._partial_fit(X, y, sample_weight)
