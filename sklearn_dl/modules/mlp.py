"""Feed-forward network: the architecture behind MLPClassifier and MLPRegressor."""

from torch import nn

from sklearn_dl.modules._layers import ACTIVATIONS, Dropout, initialize_weights, linear_layer


class MLP(nn.Module):
    """A stack of fully connected layers that outputs raw scores (logits).

    Each hidden block is ``Linear -> [BatchNorm1d] -> activation -> [Dropout]``;
    the output layer is a plain ``Linear``. The output non-linearity (softmax,
    sigmoid, exp) belongs to the loss, so the module stays numerically stable.

    Parameters
    ----------
    n_features : int
        Width of the input.
    hidden_layer_sizes : sequence of int
        Width of each hidden layer; empty for a linear model.
    n_outputs : int
        Width of the output.
    activation : {'identity', 'logistic', 'tanh', 'relu', 'gelu'}
    dropout : float
        Probability of zeroing a hidden unit during training.
    batch_norm : bool
        Whether to normalise each hidden layer's pre-activations.
    weight_init : {'default', 'xavier', 'he'}
        ``'default'`` keeps PyTorch's initialisation; the others draw the
        linear layers' weights as :func:`~sklearn_dl.modules.initialize_weights`
        does, to the same values as ``initialize_weights(MLP(...), weight_init,
        activation)`` from the same generator state, without drawing
        PyTorch's first.

    Examples
    --------
    >>> import torch
    >>> from sklearn_dl.modules import MLP
    >>> MLP(4, (8,), 3)(torch.zeros(2, 4)).shape
    torch.Size([2, 3])
    """

    def __init__(self, n_features, hidden_layer_sizes, n_outputs, activation="relu",
                 dropout=0.0, batch_norm=False, weight_init="default"):
        super().__init__()
        torch_init = weight_init == "default"
        blocks = []
        fan_in = n_features
        for width in hidden_layer_sizes:
            blocks.append(linear_layer(fan_in, width, torch_init))
            if batch_norm:
                blocks.append(nn.BatchNorm1d(width))
            blocks.append(ACTIVATIONS[activation]())
            if dropout > 0:
                blocks.append(Dropout(dropout))
            fan_in = width
        blocks.append(linear_layer(fan_in, n_outputs, torch_init))
        self.layers = nn.Sequential(*blocks)
        initialize_weights(self, weight_init, activation)

    def forward(self, X):
        return self.layers(X)

    def linear_layers(self):
        """The ``nn.Linear`` layers in order, input to output."""
        return [layer for layer in self.layers if isinstance(layer, nn.Linear)]
