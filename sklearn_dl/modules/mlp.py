"""Feed-forward network: the architecture behind MLPClassifier and MLPRegressor."""

from torch import nn

from sklearn_dl.modules._layers import ACTIVATIONS, Dropout


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

    Examples
    --------
    >>> import torch
    >>> from sklearn_dl.modules import MLP
    >>> MLP(4, (8,), 3)(torch.zeros(2, 4)).shape
    torch.Size([2, 3])
    """

    def __init__(self, n_features, hidden_layer_sizes, n_outputs, activation="relu",
                 dropout=0.0, batch_norm=False):
        super().__init__()
        blocks = []
        fan_in = n_features
        for width in hidden_layer_sizes:
            blocks.append(nn.Linear(fan_in, width))
            if batch_norm:
                blocks.append(nn.BatchNorm1d(width))
            blocks.append(ACTIVATIONS[activation]())
            if dropout > 0:
                blocks.append(Dropout(dropout))
            fan_in = width
        blocks.append(nn.Linear(fan_in, n_outputs))
        self.layers = nn.Sequential(*blocks)

    def forward(self, X):
        return self.layers(X)

    def linear_layers(self):
        """The ``nn.Linear`` layers in order, input to output."""
        return [layer for layer in self.layers if isinstance(layer, nn.Linear)]
