"""Building blocks shared by the architectures: activations, dropout and weight init."""

import math

import torch
from torch import nn

ACTIVATIONS = {
    "identity": nn.Identity,
    "logistic": nn.Sigmoid,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "gelu": nn.GELU,
}

_GAIN_NONLINEARITY = {"identity": "linear", "logistic": "sigmoid", "tanh": "tanh",
                      "relu": "relu", "gelu": "relu"}


def initialize_weights(module, weight_init, activation):
    """Initialise every linear and convolutional layer of ``module`` in place.

    Parameters
    ----------
    module : torch.nn.Module
    weight_init : {'xavier', 'he', 'default'}
        ``'xavier'`` is Glorot's uniform scheme exactly as sklearn's MLP draws
        it (weights and biases uniform in +-sqrt(6 / (fan_in + fan_out)), the
        factor 6 becoming 2 for the logistic activation). ``'he'`` is Kaiming's
        normal scheme for ReLU-like activations, with zero biases.
        ``'default'`` keeps PyTorch's own initialisation.
    activation : str
        Name of the hidden activation, a key of :data:`ACTIVATIONS`.

    Returns
    -------
    module : torch.nn.Module
        The same module, initialised.

    Examples
    --------
    >>> from sklearn_dl.modules import MLP, initialize_weights
    >>> mlp = initialize_weights(MLP(4, (50,), 3), "xavier", "relu")
    >>> bool(mlp.linear_layers()[0].weight.abs().max() <= (6 / 54) ** 0.5)
    True
    """
    if weight_init == "default":
        return module
    for layer in module.modules():
        if not isinstance(layer, (nn.Linear, nn.Conv1d, nn.Conv2d)):
            continue
        weight = layer.weight
        fan_out, fan_in = weight.shape[0], math.prod(weight.shape[1:])
        if weight_init == "xavier":
            factor = 2.0 if activation == "logistic" else 6.0
            bound = math.sqrt(factor / (fan_in + fan_out))
            # What nn.init.uniform_ does (the same draws), without its
            # dispatch checks: a tenth of a small network's set-up.
            with torch.no_grad():
                weight.uniform_(-bound, bound)
                if layer.bias is not None:
                    layer.bias.uniform_(-bound, bound)
        else:
            nn.init.kaiming_normal_(weight, nonlinearity=_GAIN_NONLINEARITY[activation])
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
    return module


def _skip_reset():
    """Stands in for ``nn.Linear.reset_parameters`` while :func:`linear_layer` builds a layer."""


def linear_layer(in_features, out_features, torch_init=True):
    """An ``nn.Linear``, drawn by torch's initialisation or only as if it were.

    With ``torch_init=False`` the layer is torch's own (its ``__init__``, the
    same attributes and parameters) but its weights are not drawn from
    torch's scheme: each parameter is filled by one ``uniform_`` draw, which
    takes as many numbers from the generator as torch's initialisation
    takes, and is left for the caller to initialise. A scheme drawn
    afterwards (:func:`initialize_weights`) then gets the same numbers as
    after torch's initialisation, without the cost of computing it (a
    quarter of a small network's construction).

    Parameters
    ----------
    in_features, out_features : int
    torch_init : bool, default=True
        Whether to run torch's ``reset_parameters``.

    Returns
    -------
    layer : torch.nn.Linear

    Examples
    --------
    >>> import torch
    >>> from sklearn_dl.modules._layers import linear_layer
    >>> _ = torch.manual_seed(0)
    >>> layer = linear_layer(3, 2, torch_init=False)
    >>> after_ours = torch.rand(1)
    >>> _ = torch.manual_seed(0)
    >>> torch_layer = torch.nn.Linear(3, 2)
    >>> torch.equal(after_ours, torch.rand(1)), type(layer) is torch.nn.Linear
    (True, True)
    """
    if torch_init:
        return nn.Linear(in_features, out_features)
    layer = nn.Linear.__new__(nn.Linear)
    # Shadows the class's method during torch's own __init__ (an instance
    # attribute, outside the module's parameters and submodules).
    object.__setattr__(layer, "reset_parameters", _skip_reset)
    nn.Linear.__init__(layer, in_features, out_features)
    object.__delattr__(layer, "reset_parameters")
    with torch.no_grad():
        layer.weight.uniform_()
        layer.bias.uniform_()
    return layer


class Dropout(nn.Module):
    """``torch.nn.Dropout`` drawing its masks from a generator of its own.

    ``nn.Dropout`` draws from torch's process-wide generator, so fits running
    in threads would draw each other's masks. This layer draws from
    ``generator`` (a :class:`torch.Generator` on the layer's device, set by
    :func:`use_generator`), or from torch's global generator while it is None.
    The generator is not part of the layer's state: it is not saved, copied
    or pickled with it.

    Parameters
    ----------
    p : float
        Probability of zeroing a unit in training mode; the kept units are
        scaled by ``1 / (1 - p)``.

    Examples
    --------
    >>> import torch
    >>> from sklearn_dl.modules import Dropout, use_generator
    >>> layer = use_generator(Dropout(0.5), torch.Generator().manual_seed(0))
    >>> first = layer(torch.ones(8))
    >>> second = use_generator(Dropout(0.5), torch.Generator().manual_seed(0))(torch.ones(8))
    >>> torch.equal(first, second), sorted(set(first.tolist()))
    (True, [0.0, 2.0])
    """

    def __init__(self, p=0.5):
        super().__init__()
        self.p = float(p)
        self.generator = None

    def forward(self, X):
        if not self.training or self.p == 0:
            return X
        # Drawn in the logical order of X's elements, whatever its memory layout.
        keep = torch.empty(X.shape, dtype=X.dtype, device=X.device)
        keep.bernoulli_(1 - self.p, generator=self.generator)
        return X * keep.div_(1 - self.p)

    def extra_repr(self):
        return f"p={self.p}"

    def __getstate__(self):
        # A generator may live on a GPU the unpickling machine lacks.
        return {**self.__dict__, "generator": None}


def use_generator(module, generator):
    """Make every random layer of ``module`` draw from ``generator``; return ``module``.

    A random layer is a submodule whose ``generator`` attribute is None or a
    :class:`torch.Generator`, such as :class:`Dropout` and
    :class:`~sklearn_dl.modules.BatchAugmentation`.
    ``generator`` must be on the module's device (or None: torch's global
    generator).

    Parameters
    ----------
    module : torch.nn.Module
    generator : torch.Generator or None

    Returns
    -------
    module : torch.nn.Module
    """
    for layer in module.modules():
        if isinstance(getattr(layer, "generator", False), (torch.Generator, type(None))):
            layer.generator = generator
    return module
