"""Bad input over every public predictor: a clear sklearn-style error, never a torch traceback.

Each case fits (or predicts with) every estimator that has ``predict`` and checks
the error type and that its message names the problem. Each test is one
(input x estimator) pair; tests/conftest.py prints how many passed.
"""

import numpy as np
import pytest
from sklearn.base import clone, is_classifier
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from sklearn_dl.utils import all_estimators
from test_common import CHECK_PARAMS

PREDICTORS = [(name, Estimator) for name, Estimator in all_estimators()
              if hasattr(Estimator, "predict") and name != "RecursiveForecaster"]

def _data(estimator, n_samples=40, n_features=6):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n_samples, n_features))
    y = (X[:, 0] > 0).astype(int) if is_classifier(estimator) else X[:, 0] + 0.1
    return X, y


def _estimator(name, Estimator):
    return Estimator(**CHECK_PARAMS.get(name, {}))


def _with_value(X, value):
    X = X.copy()
    X[3, 2] = value
    return X


CASES = {
    "nan_in_X": (lambda X, y: (_with_value(X, np.nan), y), ValueError, "NaN"),
    "inf_in_X": (lambda X, y: (_with_value(X, np.inf), y), ValueError, "infinity"),
    "empty_X": (lambda X, y: (X[:0], y[:0]), ValueError, "0 sample"),
    "one_d_X": (lambda X, y: (X[:, 0], y), ValueError, "2D array"),
    "string_X": (lambda X, y: (X.astype(str).astype(object) + "a", y), ValueError, "string|float"),
    "y_length": (lambda X, y: (X, y[:-1]), ValueError, "inconsistent numbers of samples"),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("name, Estimator", PREDICTORS, ids=[name for name, _ in PREDICTORS])
def test_bad_training_input_is_refused_clearly(name, Estimator, case):
    estimator = _estimator(name, Estimator)
    make_bad, error, message = CASES[case]
    X, y = make_bad(*_data(estimator))
    with pytest.raises(error, match=message):
        estimator.fit(X, y)
    with pytest.raises(NotFittedError):  # nothing half-fitted left behind
        check_is_fitted(estimator)


PREDICT_CASES = {
    "wrong_feature_count": (lambda X: X[:, :4], "features"),
    "nan": (lambda X: _with_value(X, np.nan), "NaN"),
}


@pytest.mark.parametrize("case", sorted(PREDICT_CASES))
@pytest.mark.parametrize("name, Estimator", PREDICTORS, ids=[name for name, _ in PREDICTORS])
def test_bad_prediction_input_is_refused_clearly(name, Estimator, case):
    estimator = _estimator(name, Estimator)
    X, y = _data(estimator)
    estimator.fit(X, y)
    make_bad, message = PREDICT_CASES[case]
    with pytest.raises(ValueError, match=message):
        estimator.predict(make_bad(X))


@pytest.mark.parametrize("name, Estimator", [(n, E) for n, E in PREDICTORS
                                             if is_classifier(E())],
                         ids=lambda value: value if isinstance(value, str) else "")
def test_single_class_and_unseen_labels(name, Estimator):
    estimator = _estimator(name, Estimator)
    X, y = _data(estimator)
    with pytest.raises(ValueError, match="class"):
        clone(estimator).fit(X, np.zeros(len(X), dtype=int))
    estimator.fit(X, y)
    assert estimator.score(X, np.full(len(X), 7)) == 0.0  # unseen label at score time


@pytest.mark.parametrize("name, Estimator", [(n, E) for n, E in PREDICTORS
                                             if not is_classifier(E())],
                         ids=lambda value: value if isinstance(value, str) else "")
def test_nan_in_y_is_refused(name, Estimator):
    estimator = _estimator(name, Estimator)
    X, y = _data(estimator)
    y = y.astype(float)
    y[5] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        estimator.fit(X, y)
