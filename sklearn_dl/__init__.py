"""scikit-learn estimators backed by PyTorch.

The estimators live in :mod:`sklearn_dl.neural_network` (multi-layer
perceptrons, convolutional and recurrent networks, trained through skorch) and
:mod:`sklearn_dl.linear_model` (linear models written in torch tensor math).
"""

__version__ = "0.1.0"

from sklearn_dl._training import DivergenceError  # noqa: E402
from sklearn_dl.neural_network import CNNClassifier, CNNRegressor  # noqa: E402
from sklearn_dl.neural_network import LSTMClassifier, LSTMRegressor  # noqa: E402
from sklearn_dl.neural_network import MLPClassifier, MLPRegressor  # noqa: E402
from sklearn_dl.neural_network import TorchClassifier, TorchRegressor  # noqa: E402
from sklearn_dl.neural_network import TransformerClassifier, TransformerRegressor  # noqa: E402
from sklearn_dl import linear_model  # noqa: E402, F401
from sklearn_dl.utils.persistence import load, save  # noqa: E402
from sklearn_dl.utils._show_versions import show_versions  # noqa: E402

__all__ = ["CNNClassifier", "CNNRegressor", "DivergenceError", "LSTMClassifier", "LSTMRegressor", "MLPClassifier", "MLPRegressor", "TorchClassifier", "TorchRegressor", "TransformerClassifier", "TransformerRegressor", "__version__", "load", "save", "show_versions"]
