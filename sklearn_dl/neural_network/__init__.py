"""Neural-network estimators: sklearn's API, PyTorch underneath."""

from sklearn_dl.neural_network._mlp import MLPClassifier, MLPRegressor

__all__ = ["MLPClassifier", "MLPRegressor"]
