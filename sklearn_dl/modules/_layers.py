"""Building blocks shared by the architectures: activations and weight init."""

import math

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
        fan_out, fan_in = weight.shape[0], weight[0].numel()
        if weight_init == "xavier":
            factor = 2.0 if activation == "logistic" else 6.0
            bound = math.sqrt(factor / (fan_in + fan_out))
            nn.init.uniform_(weight, -bound, bound)
            if layer.bias is not None:
                nn.init.uniform_(layer.bias, -bound, bound)
        else:
            nn.init.kaiming_normal_(weight, nonlinearity=_GAIN_NONLINEARITY[activation])
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
    return module
