"""Bad input over every public predictor: a clear sklearn-style error, never a torch traceback.

Each case fits (or predicts with) every estimator that has ``predict`` and checks
the error type and that its message names the problem, or, for input that sklearn
accepts (one sample for a regressor, one feature, sparse X where the tags say so,
a huge batch_size), that it is handled as sklearn handles it. A failed fit must
leave nothing half-fitted. Each test is one (input x estimator) pair;
tests/conftest.py prints how many passed.
"""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone, is_classifier
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.utils.validation import check_is_fitted

from sklearn_dl.base import BaseTorchEstimator
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


def _quick(name, Estimator, **params):
    """The estimator with ``params``, networks trained for a few epochs only:
    cases that compare two fits or check finiteness need no converged model."""
    estimator = _estimator(name, Estimator)
    if isinstance(estimator, BaseTorchEstimator):
        params = {"max_iter": 5, **params}
    return estimator.set_params(**params)


def _outputs(estimator, X):
    """Everything a fitted estimator predicts for X, as one float array."""
    if is_classifier(estimator):
        return estimator.predict_proba(X)
    return np.asarray(estimator.predict(X), dtype=float)


def _assert_not_fitted(estimator):
    with pytest.raises(NotFittedError):  # nothing half-fitted left behind
        check_is_fitted(estimator)


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
    _assert_not_fitted(estimator)


PREDICT_CASES = {
    "wrong_feature_count": (lambda X: X[:, :4], "features"),
    "nan": (lambda X: _with_value(X, np.nan), "NaN"),
}


@pytest.mark.parametrize("case", sorted(PREDICT_CASES))
@pytest.mark.parametrize("name, Estimator", PREDICTORS, ids=[name for name, _ in PREDICTORS])
def test_bad_prediction_input_is_refused_clearly(name, Estimator, case):
    estimator = _quick(name, Estimator)
    X, y = _data(estimator)
    estimator.fit(X, y)
    make_bad, message = PREDICT_CASES[case]
    with pytest.raises(ValueError, match=message):
        estimator.predict(make_bad(X))


CLASSIFIERS = [(name, Estimator) for name, Estimator in PREDICTORS if is_classifier(Estimator())]
REGRESSORS = [(name, Estimator) for name, Estimator in PREDICTORS
              if not is_classifier(Estimator())]


@pytest.mark.parametrize("name, Estimator", CLASSIFIERS, ids=[name for name, _ in CLASSIFIERS])
def test_single_class_is_refused(name, Estimator):
    estimator = _estimator(name, Estimator)
    X, _ = _data(estimator)
    with pytest.raises(ValueError, match="class"):
        estimator.fit(X, np.zeros(len(X), dtype=int))
    _assert_not_fitted(estimator)


@pytest.mark.parametrize("name, Estimator", CLASSIFIERS, ids=[name for name, _ in CLASSIFIERS])
def test_unseen_label_at_score_counts_as_wrong(name, Estimator):
    estimator = _quick(name, Estimator)
    X, y = _data(estimator)
    estimator.fit(X, y)
    assert estimator.score(X, np.full(len(X), 7)) == 0.0


@pytest.mark.parametrize("name, Estimator", REGRESSORS, ids=[name for name, _ in REGRESSORS])
def test_nan_in_y_is_refused(name, Estimator):
    estimator = _estimator(name, Estimator)
    X, y = _data(estimator)
    y = y.astype(float)
    y[5] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        estimator.fit(X, y)
    _assert_not_fitted(estimator)


@pytest.mark.parametrize("name, Estimator", PREDICTORS, ids=[name for name, _ in PREDICTORS])
def test_one_sample(name, Estimator):
    # As sklearn: a single sample is a single class, which classifiers refuse;
    # regressors fit it (sklearn's LinearRegression, Ridge and MLPRegressor do).
    estimator = _quick(name, Estimator)
    X, y = _data(estimator)
    if is_classifier(estimator):
        with pytest.raises(ValueError, match="only one class"):
            estimator.fit(X[:1], y[:1])
        _assert_not_fitted(estimator)
        return
    estimator.fit(X[:1], y[:1])
    prediction = estimator.predict(X)
    assert prediction.shape == (len(X),)
    assert np.all(np.isfinite(prediction))
    if not isinstance(estimator, BaseTorchEstimator):
        assert_allclose(prediction, y[0])  # sklearn's linear models predict that sample's y


BATCH_NORMALIZED = [(name, Estimator) for name, Estimator in PREDICTORS
                    if "batch_norm" in Estimator().get_params()]


@pytest.mark.parametrize("name, Estimator", BATCH_NORMALIZED,
                         ids=[name for name, _ in BATCH_NORMALIZED])
def test_one_sample_with_batch_norm_is_refused(name, Estimator):
    # One sample of one feature leaves batch normalisation a single value per
    # channel: a clear error before training, not torch's from inside a batch.
    estimator = _quick(name, Estimator, batch_norm=True)
    X, y = _data(estimator)
    with pytest.raises(ValueError, match="batch_norm=True needs at least 2"):
        if is_classifier(estimator):  # one sample is one class: only partial_fit takes it
            estimator.partial_fit(X[:1, :1], y[:1], classes=[0, 1])
        else:
            estimator.fit(X[:1, :1], y[:1])
    _assert_not_fitted(estimator)


@pytest.mark.parametrize("name, Estimator", PREDICTORS, ids=[name for name, _ in PREDICTORS])
def test_one_feature(name, Estimator):
    estimator = _quick(name, Estimator)
    X, y = _data(estimator)
    estimator.fit(X[:, :1], y)
    assert estimator.n_features_in_ == 1
    outputs = _outputs(estimator, X[:, :1])
    assert len(outputs) == len(X)
    assert np.all(np.isfinite(outputs))


FRAME_CASES = {
    "renamed_columns": (lambda frame: frame.set_axis(list("uvwxyz"), axis=1),
                        "(?s)feature names should match.*unseen at fit time"),
    "reordered_columns": (lambda frame: frame[frame.columns[::-1]],
                          "(?s)feature names should match.*same order"),
}


@pytest.mark.parametrize("case", sorted(FRAME_CASES))
@pytest.mark.parametrize("name, Estimator", PREDICTORS, ids=[name for name, _ in PREDICTORS])
def test_other_columns_at_predict_are_refused(name, Estimator, case):
    # sklearn 1.9 raises, rather than predicting from columns in the wrong place.
    estimator = _quick(name, Estimator)
    X, y = _data(estimator)
    frame = pd.DataFrame(X, columns=list("abcdef"))
    estimator.fit(frame, y)
    make_bad, message = FRAME_CASES[case]
    with pytest.raises(ValueError, match=message):
        estimator.predict(make_bad(frame))


@pytest.mark.parametrize("name, Estimator", PREDICTORS, ids=[name for name, _ in PREDICTORS])
def test_array_at_predict_after_frame_warns_as_sklearn(name, Estimator):
    estimator = _quick(name, Estimator)
    X, y = _data(estimator)
    frame = pd.DataFrame(X, columns=list("abcdef"))
    estimator.fit(frame, y)
    expected = _outputs(estimator, frame)
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        assert_array_equal(_outputs(estimator, X), expected)


@pytest.mark.parametrize("name, Estimator", PREDICTORS, ids=[name for name, _ in PREDICTORS])
def test_sparse_X(name, Estimator):
    """Sparse X fits and predicts as its dense twin where the tags accept it,
    else a TypeError asks for dense data (in fit and in predict)."""
    estimator = _quick(name, Estimator, random_state=0)
    X, y = _data(estimator)
    X[np.abs(X) < 1] = 0.0  # about two thirds zeros
    X_sparse = sp.csr_matrix(X)
    if not estimator.__sklearn_tags__().input_tags.sparse:
        with pytest.raises(TypeError, match="Sparse data was passed.*dense data is required"):
            estimator.fit(X_sparse, y)
        _assert_not_fitted(estimator)
        estimator.fit(X, y)
        with pytest.raises(TypeError, match="dense data is required"):
            estimator.predict(X_sparse)
        return
    dense = clone(estimator).fit(X, y)
    estimator.fit(X_sparse, y)
    assert_allclose(_outputs(estimator, X_sparse), _outputs(dense, X), rtol=1e-6, atol=1e-7)
    assert_allclose(_outputs(estimator, X_sparse.tocsc()), _outputs(dense, X),
                    rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name, Estimator", PREDICTORS, ids=[name for name, _ in PREDICTORS])
def test_huge_batch_size_is_clipped(name, Estimator):
    """A batch larger than the data trains full-batch: the networks warn as
    sklearn's MLP does; the linear models' 'sgd', whose only use it is, clips it silently."""
    estimator = _quick(name, Estimator, random_state=0)
    if not isinstance(estimator, BaseTorchEstimator):
        estimator.set_params(solver="sgd")
    X, y = _data(estimator)
    full_batch = clone(estimator).set_params(batch_size=len(X)).fit(X, y)
    estimator.set_params(batch_size=10**6)
    if isinstance(estimator, BaseTorchEstimator):
        with pytest.warns(UserWarning, match="batch_size.*clipped"):
            estimator.fit(X, y)
    else:
        estimator.fit(X, y)
    assert_array_equal(_outputs(estimator, X), _outputs(full_batch, X))


# sklearn's LogisticRegression accepts max_iter=0 (and warns that it did not
# converge); its MLPs and Ridge require max_iter >= 1.
_MAX_ITER_ZERO_FITS = {"LogisticRegression"}


@pytest.mark.parametrize("name, Estimator", PREDICTORS, ids=[name for name, _ in PREDICTORS])
def test_zero_max_iter(name, Estimator):
    estimator = _estimator(name, Estimator).set_params(max_iter=0)
    X, y = _data(estimator)
    if name not in _MAX_ITER_ZERO_FITS:
        with pytest.raises(ValueError, match="'max_iter' parameter .* must be an int in the "
                                             r"range \[1, inf\)"):
            estimator.fit(X, y)
        _assert_not_fitted(estimator)
        return
    with pytest.warns(ConvergenceWarning, match="after 0 iteration"):
        estimator.fit(X, y)
    assert_array_equal(estimator.n_iter_, 0)
    assert_allclose(_outputs(estimator, X), 0.5)  # the starting point: zero coefficients


class _NotACallback:
    def __repr__(self):  # a stable test id
        return "NotACallback()"


# (parameter, value, error, message); each estimator gets those it has.
BAD_PARAMETERS = [
    ("alpha", -1, ValueError, "'alpha' parameter"),
    ("alpha", "0.1", TypeError, "'alpha' parameter"),
    ("C", -1, ValueError, "'C' parameter"),
    ("hidden_layer_sizes", -1, ValueError, "'hidden_layer_sizes' parameter"),
    ("hidden_layer_sizes", ("10",), ValueError, "hidden_layer_sizes must .*ints"),
    ("hidden_size", -1, ValueError, "'hidden_size' parameter"),
    ("num_layers", 0, ValueError, "'num_layers' parameter"),
    ("filters", (8, -1), ValueError, "filters must hold positive ints"),
    ("kernel_size", 0, ValueError, "'kernel_size' parameter"),
    ("batch_size", 0, ValueError, "'batch_size' parameter"),
    ("batch_size", 2.5, TypeError, "'batch_size' parameter"),
    ("learning_rate_init", -1, ValueError, "'learning_rate_init' parameter"),
    ("max_iter", -1, ValueError, "'max_iter' parameter"),
    ("max_iter", "10", TypeError, "'max_iter' parameter"),
    ("tol", -1, ValueError, "'tol' parameter"),
    ("average_weights", 1.5, ValueError, "'average_weights' parameter"),
    ("device", "cpux", ValueError, "'device' parameter .* must be a device name"),
    ("device", "cuda:abc", ValueError, "'device' parameter .* must be a device name"),
    ("device", 0, TypeError, "'device' parameter"),
    ("callbacks", [_NotACallback()], TypeError,
     "'callbacks' parameter .* list of skorch callbacks"),
    ("callbacks", "BackupAndRestore", ValueError, "'callbacks' parameter"),
]
PARAMETER_CASES = [
    pytest.param(name, Estimator, parameter, value, error, message,
                 id=f"{name}-{parameter}={value!r}")
    for name, Estimator in PREDICTORS
    for parameter, value, error, message in BAD_PARAMETERS
    if parameter in Estimator().get_params()
]


@pytest.mark.parametrize("name, Estimator, parameter, value, error, message", PARAMETER_CASES)
def test_bad_parameter_is_refused_clearly(name, Estimator, parameter, value, error, message):
    estimator = _quick(name, Estimator).set_params(**{parameter: value})
    X, y = _data(estimator)
    with pytest.raises(error, match=message):
        estimator.fit(X, y)
    _assert_not_fitted(estimator)


# -- kinds of input that once slipped through ------------------------------------------


def _as_frame(X, dtype, with_na):
    """X as a pandas frame of a nullable (or object) dtype, one cell pd.NA if ``with_na``."""
    if dtype == "boolean":
        X = X > 0
    elif dtype == "Int64":
        X = np.round(X * 3)
    frame = pd.DataFrame(X).astype(dtype)
    if with_na:
        frame.iloc[3, 2] = pd.NA
    return frame


FRAME_DTYPES = ["object", "Int64", "Float64", "boolean"]


@pytest.mark.parametrize("dtype", FRAME_DTYPES)
@pytest.mark.parametrize("name, Estimator", PREDICTORS, ids=[name for name, _ in PREDICTORS])
def test_nullable_and_object_frames_fit_as_their_float_values(name, Estimator, dtype):
    # Without missing values they are numbers: the fit equals that on the float array.
    estimator = _quick(name, Estimator, random_state=0)
    X, y = _data(estimator)
    frame = _as_frame(X, dtype, with_na=False)
    expected = clone(estimator).fit(frame.to_numpy(dtype=float), y)
    estimator.fit(frame, y)
    # Equal up to the rounding of float64 BLAS on differently laid-out copies.
    assert_allclose(_outputs(estimator, frame), _outputs(expected, frame.to_numpy(float)),
                    rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("dtype", FRAME_DTYPES)
@pytest.mark.parametrize("name, Estimator", PREDICTORS, ids=[name for name, _ in PREDICTORS])
def test_nullable_frames_with_missing_values_are_refused(name, Estimator, dtype):
    # As sklearn: pd.NA in a nullable column is NaN; in an object column it is
    # not a number, and the error names its type.
    error, message = (TypeError, "NAType") if dtype == "object" else (ValueError, "NaN")
    estimator = _quick(name, Estimator)
    X, y = _data(estimator)
    with pytest.raises(error, match=message):
        estimator.fit(_as_frame(X, dtype, with_na=True), y)
    _assert_not_fitted(estimator)
    estimator.fit(X, y)
    with pytest.raises(error, match=message):
        estimator.predict(_as_frame(X, dtype, with_na=True))


@pytest.mark.parametrize("name, Estimator", PREDICTORS, ids=[name for name, _ in PREDICTORS])
def test_values_beyond_float32_are_refused_or_computed(name, Estimator):
    # 1e39 is a finite float64 that float32 makes infinite: the networks
    # (float32 by default) refuse it by name in fit and predict; float64
    # models compute with it.
    estimator = _quick(name, Estimator, random_state=0)
    X, y = _data(estimator)
    huge = _with_value(X, 1e39)
    float32 = (isinstance(estimator, BaseTorchEstimator)
               and estimator.get_params().get("precision") != "float64")
    if not float32:
        estimator.fit(huge, y)
        assert np.all(np.isfinite(_outputs(estimator, huge)))
        return
    with pytest.raises(ValueError, match="X holds values up to 1e\\+39.*precision='float32'"):
        estimator.fit(huge, y)
    _assert_not_fitted(estimator)
    estimator.fit(X, y)
    with pytest.raises(ValueError, match="X holds values up to 1e\\+39.*precision='float32'"):
        estimator.predict(huge)
    estimator.set_params(precision="float64").fit(huge, y)
    assert np.all(np.isfinite(_outputs(estimator, huge)))


@pytest.mark.parametrize("name, Estimator", REGRESSORS, ids=[name for name, _ in REGRESSORS])
def test_targets_of_1e200_give_1e200_times_the_predictions(name, Estimator):
    # Standardising the targets in float64 (and linear algebra in float64)
    # makes regression equivariant to the targets' scale.
    estimator = _quick(name, Estimator, random_state=0)
    X, y = _data(estimator)
    expected = clone(estimator).fit(X, y).predict(X)
    prediction = estimator.fit(X, y * 1e200).predict(X)
    np.testing.assert_allclose(prediction / 1e200, expected, rtol=1e-4, atol=1e-6)
    if "standardize_target" in estimator.get_params():
        with pytest.raises(ValueError, match="y holds values up to .*standardize_target=True"):
            clone(estimator).set_params(standardize_target=False).fit(X, y * 1e200)


NETWORKS = [(name, Estimator) for name, Estimator in PREDICTORS
            if issubclass(Estimator, BaseTorchEstimator)]


@pytest.mark.parametrize("name, Estimator", NETWORKS, ids=[name for name, _ in NETWORKS])
def test_non_finite_outputs_raise(name, Estimator):
    # Outputs that overflowed: an error naming the cause, never infinities,
    # NaN probabilities or classes_[0].
    estimator = _quick(name, Estimator, random_state=0)
    X, y = _data(estimator)
    estimator.fit(X, y)
    with torch.no_grad():  # as weights a diverged partial_fit could leave
        for parameter in estimator.module_.parameters():
            parameter.fill_(np.inf)
    with pytest.raises(ValueError, match="outputs are not finite for 40 of 40 sample"):
        estimator.predict(X)
