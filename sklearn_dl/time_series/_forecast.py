"""Recursive multi-step forecasting with any regressor of windows."""

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, _fit_context, clone
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.validation import check_is_fitted, validate_data

from sklearn_dl.neural_network import LSTMRegressor
from sklearn_dl.time_series._window import make_supervised
from sklearn_dl.utils._doc_link import DocLinkMixin


class RecursiveForecaster(DocLinkMixin, BaseEstimator):
    """Forecast a series any number of steps ahead with a regressor of windows.

    ``fit`` cuts the series into (window, next ``horizon`` values) samples
    with :func:`make_supervised` and fits a clone of ``estimator`` on them.
    ``forecast(steps)`` predicts ``horizon`` steps from the last window,
    appends them to the history and repeats until ``steps`` values are
    predicted: a one-pass multi-step model when ``horizon >= steps``, a
    recursive one otherwise.

    With ``log=True`` the model learns the logarithm of a positive series
    and the forecasts are exponentiated back: a seasonal swing that grows with
    the level becomes a constant one. With ``difference=d`` the model learns ``x[t] - x[t - d]`` and the
    forecasts are integrated back: ``d=1`` removes a trend, ``d`` = the
    season's length removes a fixed seasonal pattern. Networks extrapolate
    poorly outside the range they were trained on, so a trending series
    should be differenced.

    The series is X, as for any sklearn estimator: an array of shape
    (n_timesteps, n_series) or a DataFrame, rows in time order, and also a
    1-D array for a single series.

    Parameters
    ----------
    estimator : regressor or None, default=None
        Fitted on X of shape (n_samples, window * n_series) (time-major
        windows) and y of shape (n_samples, horizon * n_series), or
        (n_samples,) for one step of one series. None is
        ``LSTMRegressor(input_shape=(window, n_series))`` with its defaults,
        which standardise each series and the targets inside the estimator.
        For several series give an ``LSTMRegressor`` its
        ``input_shape=(window, n_series)``; other regressors may need a
        scaler in front of them.

    window : int, default=24
        Number of past timesteps the estimator sees.

    horizon : int, default=1
        Number of timesteps the estimator predicts at once.

    difference : int or None, default=None
        Lag of the differencing applied before windowing (after the log);
        None for none.

    log : bool, default=False
        Model ``log(x)`` instead of ``x``; every value of the series must be
        positive.

    Attributes
    ----------
    estimator_ : regressor
        The fitted clone of ``estimator``.

    n_features_in_ : int
        Number of series.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the series, when X has string column names.

    See Also
    --------
    make_supervised : The samples the estimator is trained on.
    sklearn_dl.neural_network.LSTMRegressor : The default regressor.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn_dl.time_series import RecursiveForecaster
    >>> t = np.arange(120)
    >>> series = 0.5 * t + 10 * np.sin(2 * np.pi * t / 12)
    >>> model = RecursiveForecaster(Ridge(alpha=1e-6), window=12, difference=1).fit(series)
    >>> forecast = model.forecast(24)
    >>> future = 0.5 * (t + 120) + 10 * np.sin(2 * np.pi * t / 12)
    >>> bool(np.abs(forecast - future[:24]).max() < 0.01)
    True
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        "window": [Interval(Integral, 1, None, closed="left")],
        "horizon": [Interval(Integral, 1, None, closed="left")],
        "difference": [Interval(Integral, 1, None, closed="left"), None],
        "log": ["boolean"],
    }

    def __init__(self, estimator=None, window=24, horizon=1, difference=None, log=False):
        self.estimator = estimator
        self.window = window
        self.horizon = horizon
        self.difference = difference
        self.log = log

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Fit the estimator on the windows of the series.

        Parameters
        ----------
        X : array-like of shape (n_timesteps,) or (n_timesteps, n_series)
            The series, rows in time order.
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        self._one_series = np.ndim(X) == 1
        series = self._logged(validate_data(
            self, np.reshape(X, (-1, 1)) if self._one_series else X, dtype=np.float64))
        lag = self.difference or 0
        needed = self.window + self.horizon + lag
        if len(series) < needed:
            raise ValueError(f"The series has {len(series)} sample(s) (timesteps) but window="
                             f"{self.window}, horizon={self.horizon} and difference="
                             f"{self.difference} need at least {needed}.")
        X_windows, y_next = make_supervised(self._differenced(series), self.window, self.horizon)
        estimator = self.estimator
        if estimator is None:
            estimator = LSTMRegressor(input_shape=(self.window, series.shape[1]))
        self.estimator_ = clone(estimator).fit(X_windows, y_next)
        self.history_ = series[-(self.window + lag):]
        return self

    def _logged(self, series):
        if not self.log:
            return series
        if np.any(series <= 0):
            raise ValueError("log=True needs a positive series; X has values <= 0.")
        return np.log(series)

    def _differenced(self, series):
        lag = self.difference
        return series if lag is None else series[lag:] - series[:-lag]

    def forecast(self, steps, X=None):
        """Predict the next ``steps`` values of the series.

        Parameters
        ----------
        steps : int
            Number of timesteps to forecast.
        X : array-like of shape (n_timesteps,) or (n_timesteps, n_series), default=None
            Recent history to forecast from (at least ``window + difference``
            timesteps), e.g. to backtest at several origins without refitting.
            None forecasts from the end of the series seen in ``fit``.

        Returns
        -------
        forecast : ndarray of shape (steps,) or (steps, n_series)
            1-D when the model was fitted on a 1-D series.
        """
        check_is_fitted(self)
        if not isinstance(steps, Integral) or steps < 1:
            raise ValueError(f"steps must be an int >= 1, got {steps!r}.")
        history = self.history_ if X is None else self._logged(validate_data(
            self, np.reshape(X, (-1, 1)) if np.ndim(X) == 1 else X, reset=False,
            dtype=np.float64))
        lag = self.difference or 0
        if len(history) < self.window + lag:
            raise ValueError(f"X has {len(history)} timesteps; forecasting needs at least "
                             f"window + difference = {self.window + lag}.")
        values = list(history[-(self.window + lag):])
        n_series = history.shape[1]
        while len(values) - self.window - lag < steps:
            past = self._differenced(np.asarray(values))[-self.window:]
            predicted = self.estimator_.predict(past.reshape(1, -1))
            for change in np.reshape(predicted, (self.horizon, n_series)):
                values.append(change + (values[-lag] if lag else 0.0))
        forecast = np.asarray(values[self.window + lag:self.window + lag + steps])
        if self.log:
            forecast = np.exp(forecast)
        return forecast.ravel() if self._one_series else forecast
