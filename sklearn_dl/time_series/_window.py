"""Sliding windows over time series: the transformer and the supervised samples."""

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted, validate_data

from sklearn_dl.utils._doc_link import DocLinkMixin


class SlidingWindow(TransformerMixin, DocLinkMixin, BaseEstimator):
    """Turn a frame of time series into one window of past values per timestep.

    Row ``t`` of the output holds the ``window`` observations that end at
    row ``t`` of X (inclusive), time-major: all series at ``t - window + 1``,
    then at ``t - window + 2``... up to ``t``. The output keeps one row per
    row of X, as a transformer in a :class:`~sklearn.pipeline.Pipeline` must
    (it cannot drop rows or touch y), so it stays aligned with targets and
    timestamps.

    The first ``window - 1`` rows have a shorter past: they hold the
    observations available (rows ``0..t``) followed by NaN. That is the
    variable-length sequence format of :class:`~sklearn_dl.neural_network.LSTMRegressor`
    and :class:`~sklearn_dl.neural_network.LSTMClassifier`, which read such a
    row as the sequence of its ``t + 1`` real steps; other estimators need
    those rows dropped, e.g. ``Xw[window - 1:]``.

    To forecast a series from its own past, the targets are the series
    shifted forward, which a transformer cannot produce:
    :func:`make_supervised` builds both X and y, keeping complete windows
    only; fit the model (a Pipeline of scaling and a regressor) on them and
    cross-validate with ``TimeSeriesSplit(gap=horizon - 1)``, whose folds are
    in time order.

    Parameters
    ----------
    window : int, default=24
        Number of past timesteps in each window.

    Attributes
    ----------
    n_features_in_ : int
        Number of series (columns) seen in ``fit``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the series, when X has string column names.

    See Also
    --------
    make_supervised : Windows and their future values, for training a forecaster.
    RecursiveForecaster : Multi-step forecasts from a one-pass regressor.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dl.time_series import SlidingWindow
    >>> series = np.arange(5.0).reshape(-1, 1)
    >>> SlidingWindow(window=3).fit_transform(series)
    array([[ 0., nan, nan],
           [ 0.,  1., nan],
           [ 0.,  1.,  2.],
           [ 1.,  2.,  3.],
           [ 2.,  3.,  4.]])
    """

    _parameter_constraints: dict = {"window": [Interval(Integral, 1, None, closed="left")]}

    def __init__(self, window=24):
        self.window = window

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Record the number (and names) of the series.

        Parameters
        ----------
        X : array-like of shape (n_timesteps, n_series)
            The series, one column each, rows in time order.
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        validate_data(self, X, dtype=(np.float64, np.float32))
        return self

    def transform(self, X):
        """Window of the last ``window`` observations at each row.

        Parameters
        ----------
        X : array-like of shape (n_timesteps, n_series)

        Returns
        -------
        windows : ndarray of shape (n_timesteps, window * n_series)
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=(np.float64, np.float32))
        return _windows(X, self.window).reshape(len(X), -1)

    def get_feature_names_out(self, input_features=None):
        """Names ``'<series>_lag<k>'``, k steps before the row, in output order.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Names of the series; defaults to ``feature_names_in_`` or
            ``x0, x1...``.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self)
        if input_features is None:
            input_features = getattr(self, "feature_names_in_",
                                     [f"x{i}" for i in range(self.n_features_in_)])
        elif len(input_features) != self.n_features_in_:
            raise ValueError(f"input_features should have length {self.n_features_in_}, "
                             f"got {len(input_features)}.")
        return np.asarray([f"{name}_lag{lag}" for lag in range(self.window - 1, -1, -1)
                           for name in input_features], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


def _windows(X, window):
    """(n, k) -> (n, window, k): the window ending at each row, short ones NaN-padded at the end."""
    n_rows, n_series = X.shape
    windows = np.full((n_rows, window, n_series), np.nan, dtype=X.dtype)
    if n_rows >= window:
        full = np.lib.stride_tricks.sliding_window_view(X, window, axis=0)
        windows[window - 1:] = full.transpose(0, 2, 1)
    for row in range(min(window - 1, n_rows)):
        windows[row, :row + 1] = X[:row + 1]
    return windows


def make_supervised(series, window, horizon=1):
    """Cut a series into (past window, next values) training samples.

    Sample ``i`` is the window ending at timestep ``t = i + window - 1`` and
    its target the ``horizon`` values after it. Only complete windows with a
    complete target are kept, so X and y are ready for any regressor; samples
    are in time order, for ``TimeSeriesSplit(gap=horizon - 1)``.

    Parameters
    ----------
    series : array-like of shape (n_timesteps,) or (n_timesteps, n_series)
        The series, rows in time order.
    window : int
        Number of past timesteps in each sample.
    horizon : int, default=1
        Number of future timesteps in each target.

    Returns
    -------
    X : ndarray of shape (n_timesteps - window - horizon + 1, window * n_series)
        Windows, time-major as :class:`SlidingWindow` writes them; read as
        sequences of shape (window, n_series).
    y : ndarray of shape (n_samples,), (n_samples, horizon) or (n_samples, horizon * n_series)
        The next value of a single series is 1-D; several steps or several
        series are columns, time-major.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dl.time_series import make_supervised
    >>> X, y = make_supervised(np.arange(6.0), window=3, horizon=2)
    >>> X
    array([[0., 1., 2.],
           [1., 2., 3.]])
    >>> y
    array([[3., 4.],
           [4., 5.]])
    """
    series = np.asarray(series, dtype=np.float64)
    if series.ndim not in (1, 2):
        raise ValueError(f"series must be 1-D or 2-D (n_timesteps, n_series); got shape "
                         f"{series.shape}.")
    for name, value in (("window", window), ("horizon", horizon)):
        if not isinstance(value, Integral) or value < 1:
            raise ValueError(f"{name} must be an int >= 1, got {value!r}.")
    frame = series.reshape(len(series), -1)
    n_samples = len(frame) - window - horizon + 1
    if n_samples < 1:
        raise ValueError(f"A series of {len(frame)} timesteps is too short for window={window} "
                         f"and horizon={horizon}: it needs at least {window + horizon}.")
    X = _windows(frame, window)[window - 1:window - 1 + n_samples].reshape(n_samples, -1)
    y = np.lib.stride_tricks.sliding_window_view(frame[window:], horizon, axis=0)
    y = y.transpose(0, 2, 1).reshape(n_samples, -1)
    return X, (y.ravel() if y.shape[1] == 1 else y)
