"""Neural-network estimators: sklearn's API, PyTorch underneath."""

from sklearn_dl.neural_network._cnn import CNNClassifier, CNNRegressor
from sklearn_dl.neural_network._lstm import LSTMClassifier, LSTMRegressor
from sklearn_dl.neural_network._mlp import MLPClassifier, MLPRegressor
from sklearn_dl.neural_network._torch import TorchClassifier, TorchRegressor
from sklearn_dl.neural_network._transformer import TransformerClassifier, TransformerRegressor

__all__ = ["CNNClassifier", "CNNRegressor", "LSTMClassifier", "LSTMRegressor", "MLPClassifier", "MLPRegressor",
           "TorchClassifier", "TorchRegressor", "TransformerClassifier", "TransformerRegressor"]
