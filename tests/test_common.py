"""sklearn's estimator checks over every public estimator of the package.

Estimators are found by :func:`sklearn_dl.utils.all_estimators`, so a new one is
checked the day it is added. ``CHECK_PARAMS`` keeps each estimator's checks fast
(few epochs on tiny data); ``EXPECTED_FAILED_CHECKS`` lists each known failure
with its reason, strictly: a check that starts passing fails the suite until
its entry is removed.
"""

import pytest
import torch
from sklearn.base import clone
from sklearn.linear_model import Ridge
from sklearn.utils import get_tags
from sklearn.utils.estimator_checks import (
    check_param_validation,
    check_sample_weight_equivalence_on_dense_data,
    check_sample_weight_equivalence_on_sparse_data,
    parametrize_with_checks,
)

from sklearn_dl.utils import all_estimators


class SmallNet(torch.nn.Module):
    """The user-defined module of the checks of TorchClassifier / TorchRegressor."""

    def __init__(self, n_features, n_outputs, hidden=8):
        super().__init__()
        self.layers = torch.nn.Sequential(torch.nn.Linear(n_features, hidden), torch.nn.ReLU(),
                                          torch.nn.Linear(hidden, n_outputs))

    def forward(self, X):
        return self.layers(X)


# Parameters that keep sklearn's checks fast without changing what they test.
CHECK_PARAMS = {
    "CNNClassifier": {"filters": (8,), "hidden_layer_sizes": (16,), "max_iter": 30,
                      "learning_rate_init": 0.01},
    # 50 epochs: check_regressors_train's R^2 > 0.5 with margin under any dropout masks.
    # Flattened feature maps: the checks' tabular rows are read as signals, and
    # the signal default's global average pooling would average their features'
    # positions away (R^2 under 0.5 on check_regressors_train).
    "CNNRegressor": {"filters": (8,), "hidden_layer_sizes": (16,), "max_iter": 50,
                     "learning_rate_init": 0.01, "global_pooling": False},
    "LSTMClassifier": {"hidden_size": 8, "max_iter": 30, "learning_rate_init": 0.03},
    "LSTMRegressor": {"hidden_size": 16, "max_iter": 60, "learning_rate_init": 0.03},
    # module__hidden: the checks clone and set a routed module parameter too.
    "TorchClassifier": {"module": SmallNet, "module__hidden": 16, "max_iter": 60,
                        "learning_rate_init": 0.01},
    "TorchRegressor": {"module": SmallNet, "module__hidden": 16, "max_iter": 60,
                       "learning_rate_init": 0.01},
    "TransformerClassifier": {"d_model": 8, "n_heads": 2, "num_layers": 1,
                              "dim_feedforward": 16, "max_iter": 30, "learning_rate_init": 0.03},
    "TransformerRegressor": {"d_model": 8, "n_heads": 2, "num_layers": 1,
                             "dim_feedforward": 16, "max_iter": 60, "learning_rate_init": 0.03},
    # The forecaster with an estimator's correction; its default (the linear
    # model alone) is checked too, in _instances.
    "RecursiveForecaster": {"window": 3, "estimator": Ridge()},
}

_MINI_BATCH_WEIGHTS = (
    "mini-batch Adam: repeating a sample changes which batches it lands in, so weighting "
    "cannot equal repeating; checked with full-batch solver='lbfgs' in "
    "test_sample_weight_equivalence_full_batch, as sklearn checks its own MLP"
)

# {estimator name: {check name: reason}}. The target is none.
EXPECTED_FAILED_CHECKS = {
    name: {
        "check_sample_weight_equivalence_on_dense_data": _MINI_BATCH_WEIGHTS,
        "check_sample_weight_equivalence_on_sparse_data": _MINI_BATCH_WEIGHTS,
    }
    for name in ("MLPClassifier", "MLPRegressor", "TorchClassifier", "TorchRegressor")
}
# Recurrent nets take no sparse input, so only the dense check runs; the full-batch
# version is in tests/test_lstm.py.
for name in ("LSTMClassifier", "LSTMRegressor"):
    EXPECTED_FAILED_CHECKS[name] = {
        "check_sample_weight_equivalence_on_dense_data": _MINI_BATCH_WEIGHTS,
    }
_BATCH_WEIGHTS_CNN = (
    "mini-batch Adam, dropout's random masks and batch norm's unweighted batch statistics "
    "(all on by default): weighting cannot equal repeating; checked full-batch without them in "
    "tests/test_cnn.py::test_sample_weight_equivalence_full_batch"
)
for name in ("CNNClassifier", "CNNRegressor"):
    EXPECTED_FAILED_CHECKS[name] = {
        "check_sample_weight_equivalence_on_dense_data": _BATCH_WEIGHTS_CNN,
        "check_sample_weight_equivalence_on_sparse_data": _BATCH_WEIGHTS_CNN,
    }
_BATCH_WEIGHTS_TRANSFORMER = (
    "mini-batch Adam and dropout's random masks (on by default): weighting cannot equal "
    "repeating; checked full-batch without dropout in "
    "tests/test_transformer.py::test_sample_weight_equivalence_full_batch"
)
for name in ("TransformerClassifier", "TransformerRegressor"):
    EXPECTED_FAILED_CHECKS[name] = {
        "check_sample_weight_equivalence_on_dense_data": _BATCH_WEIGHTS_TRANSFORMER,
    }
EXPECTED_FAILED_CHECKS["RecursiveForecaster"] = {
    "check_fit1d": "a 1-D X is a single time series, the forecaster's natural input",
}
_WINDOWS_SPAN_ROWS = ("a row's window holds the rows before it: a subset or a reordering of a "
                      "series changes its windows by definition")
EXPECTED_FAILED_CHECKS["SlidingWindow"] = {
    "check_methods_subset_invariance": _WINDOWS_SPAN_ROWS,
    "check_methods_sample_order_invariance": _WINDOWS_SPAN_ROWS,
}


def _instances(two_d_only=False):
    for name, Estimator in all_estimators():
        estimator = Estimator(**CHECK_PARAMS.get(name, {}))
        # sklearn's checks feed numeric arrays; estimators of raw text (sklearn_dl.text)
        # are checked on strings in tests/test_text.py.
        if not two_d_only or get_tags(estimator).input_tags.two_d_array:
            yield estimator
            if name == "RecursiveForecaster":
                yield Estimator(window=3)


def _expected_failed_checks(estimator):
    return EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {})


@parametrize_with_checks(
    list(_instances(two_d_only=True)), expected_failed_checks=_expected_failed_checks, xfail_strict=True
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", list(_instances()), ids=lambda est: type(est).__name__)
def test_check_param_validation(estimator):
    check_param_validation(type(estimator).__name__, clone(estimator))


@pytest.mark.parametrize("name", ["MLPClassifier", "MLPRegressor", "TorchClassifier",
                                  "TorchRegressor"])
@pytest.mark.parametrize("check", [check_sample_weight_equivalence_on_dense_data,
                                   check_sample_weight_equivalence_on_sparse_data])
def test_sample_weight_equivalence_full_batch(name, check):
    Estimator = dict(all_estimators())[name]
    # Full batch and double precision: weighting must then equal repeating exactly.
    check(name, Estimator(**{**CHECK_PARAMS.get(name, {}), "solver": "lbfgs", "max_iter": 100,
                             "precision": "float64"}))


def test_every_estimator_is_discovered():
    names = {name for name, _ in all_estimators()}
    assert {"MLPClassifier", "MLPRegressor"} <= names
