"""Recursive multi-step forecasting with any regressor of windows."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, _fit_context, clone
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, check_random_state, validate_data

from sklearn_dl.neural_network import LSTMRegressor
from sklearn_dl.time_series._window import make_supervised
from sklearn_dl.utils._doc_link import DocLinkMixin


# Ridge penalties tried on the standardised windows; the one with the smallest
# leave-one-out error is kept.
_RIDGE_ALPHAS = np.logspace(-4, 2, 13)
# Weights of the estimator's correction tried on the held-out part of the
# series; a weight other than 0 must at least halve the held-out error of the
# linear model alone. On the short series of benchmarks/defaults.py the weight
# that was best on the held-out part said little about the next steps (a
# network trained on a few dozen windows is a noisy draw), hence the cap and
# the margin.
_WEIGHTS = np.linspace(0.0, 0.5, 6)
_REQUIRED_GAIN = 0.5
# The automatic choices of ``seasonal_period``, ``difference`` and ``log``
# (thresholds set on earlier cuts of the panel's series and on series off the
# panel, see docs/defaults.md): a season is a peak of the autocorrelation of
# the first differences of at least _MIN_SEASONAL_AUTOCORRELATION; a trend is
# a straight line through the series that explains at least _MIN_TREND_R2 of
# its variance; a season whose swing grows with the level has a correlation
# of at least _MIN_LEVEL_SWING_CORRELATION between each full season's mean and
# the spread of its steps.
_MIN_SEASONAL_AUTOCORRELATION = 0.3
_MIN_TREND_R2 = 0.5
_MIN_LEVEL_SWING_CORRELATION = 0.5
# window="auto": the autoregressive order by AIC, among 1 to a quarter of the
# (differenced) series and at most _MAX_AUTO_WINDOW (three monthly seasons).
_MAX_AUTO_WINDOW = 36


def _seasonal_period(series):
    """The season's length: the lag of the highest autocorrelation peak of the first differences.

    ``series`` has shape (n_timesteps, n_series); the autocorrelations are
    averaged over the series. Lags 2 to n_timesteps // 3 are searched; a peak
    (a lag whose autocorrelation is above both neighbours') must reach
    ``_MIN_SEASONAL_AUTOCORRELATION``, otherwise the series has no season
    (None).
    """
    changes = np.diff(series, axis=0)
    changes = changes - changes.mean(axis=0)
    max_lag = len(series) // 3
    if max_lag < 3:
        return None
    total = (changes ** 2).sum(axis=0)
    total[total == 0] = 1.0
    acf = np.array([((changes[lag:] * changes[:len(changes) - lag]).sum(axis=0) / total).mean()
                    for lag in range(max_lag + 1)])
    best, period = _MIN_SEASONAL_AUTOCORRELATION, None
    for lag in range(2, max_lag):
        if acf[lag] > acf[lag - 1] and acf[lag] >= acf[lag + 1] and acf[lag] >= best:
            best, period = acf[lag], lag
    return period


def _trend_r2(series):
    """Fraction of the variance a straight line over time explains, averaged over the series."""
    t = np.arange(len(series)) - (len(series) - 1) / 2
    centred = series - series.mean(axis=0)
    slope = (t @ centred) / (t @ t)
    variance = (centred ** 2).sum(axis=0)
    explained = slope ** 2 * (t @ t)
    return float(np.mean(np.divide(explained, variance, out=np.zeros_like(variance),
                                   where=variance > 0)))


def _swing_grows_with_level(series, period):
    """Whether the seasonal swing grows with the level (every series positive, a season found).

    Over the full seasons (the most recent ones), the correlation between a
    season's mean and the standard deviation of its steps (first differences
    within it, which a trend shifts but does not spread) must reach
    ``_MIN_LEVEL_SWING_CORRELATION`` on average over the series.
    """
    if period is None or len(series) // period < 3 or np.any(series <= 0):
        return False
    n_seasons = len(series) // period
    seasons = series[len(series) - n_seasons * period:].reshape(n_seasons, period, -1)
    level = seasons.mean(axis=1)
    swing = np.diff(seasons, axis=1).std(axis=1)
    correlations = [np.corrcoef(level[:, i], swing[:, i])[0, 1]
                    if level[:, i].std() > 0 and swing[:, i].std() > 0 else 0.0
                    for i in range(series.shape[1])]
    return bool(np.mean(correlations) >= _MIN_LEVEL_SWING_CORRELATION)


def _difference(series, lags):
    for lag in lags:
        series = series[lag:] - series[:-lag]
    return series


def _undifference(change, values, lags):
    """The next value whose differences at ``lags`` (in turn) are ``change``, after ``values``."""
    # x[t] = change + sum over the non-empty subsets S of lags of (-1) ** (|S| + 1) x[t - sum(S)].
    value = change
    subsets = [()]
    for lag in lags:
        subsets += [subset + (lag,) for subset in subsets]
    for subset in subsets[1:]:
        value = value + (-1) ** (len(subset) + 1) * values[-sum(subset)]
    return value


def _aic_order(series, max_order):
    """The autoregressive order (1 to ``max_order``) with the smallest AIC.

    Every order is fitted by least squares, with an intercept, on the same
    rows (those after the first ``max_order``), regressing each series on
    the lagged values of all of them; the AIC is that of a Gaussian vector
    autoregression, ``n log det(residual covariance) + 2 * n_parameters``
    (statsmodels' ``ar_select_order`` on one series).
    """
    n, n_series = series.shape
    rows = n - max_order
    best, best_order = np.inf, 1
    for order in range(1, max_order + 1):
        lagged = np.hstack([series[max_order - lag:n - lag] for lag in range(1, order + 1)])
        design = np.hstack([np.ones((rows, 1)), lagged])
        target = series[max_order:]
        coef = np.linalg.lstsq(design, target, rcond=None)[0]
        residuals = target - design @ coef
        covariance = residuals.T @ residuals / rows
        sign, log_det = np.linalg.slogdet(np.atleast_2d(covariance))
        if sign <= 0:
            # A perfect fit: no higher order can do better.
            return order
        aic = rows * log_det + 2 * design.shape[1] * n_series
        if aic < best:
            best, best_order = aic, order
    return best_order


def _ridge_autoregression(X, Y):
    """Ridge regression of Y on the windows X, the penalty chosen by leave-one-out error.

    The windows are standardised per column and the penalty picked among
    ``_RIDGE_ALPHAS`` by the exact leave-one-out error of the ridge fit
    (computed from one SVD, as ``RidgeCV`` does). Returns the coefficients
    (n_outputs, n_features) and intercepts (n_outputs,) in the windows'
    original units, and the penalty.
    """
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[scale <= np.finfo(np.float64).eps * np.abs(mean).clip(1)] = 1.0
    Z = (X - mean) / scale
    Y_mean = Y.mean(axis=0)
    U, s, Vt = np.linalg.svd(Z, full_matrices=False)
    projected = U.T @ (Y - Y_mean)
    best_error, best_alpha = np.inf, _RIDGE_ALPHAS[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        for alpha in _RIDGE_ALPHAS:
            shrink = s ** 2 / (s ** 2 + alpha)
            fitted = U @ (shrink[:, None] * projected)
            # Leverage of each window, the intercept's 1 / n included.
            leverage = (U ** 2) @ shrink + 1.0 / len(X)
            error = np.mean(((Y - Y_mean - fitted) / (1.0 - leverage)[:, None]) ** 2)
            if np.isfinite(error) and error < best_error:
                best_error, best_alpha = error, alpha
    coef = (Vt.T @ ((s / (s ** 2 + best_alpha))[:, None] * projected)) / scale[:, None]
    return coef.T, Y_mean - mean @ coef, float(best_alpha)


class RecursiveForecaster(DocLinkMixin, BaseEstimator):
    """Forecast a series any number of steps ahead with a regressor of windows.

    ``fit`` cuts the series into (window, next ``horizon`` values) samples
    with :func:`make_supervised` and fits a clone of ``estimator`` on them.
    ``forecast(steps)`` predicts ``horizon`` steps from the last window,
    appends them to the history and repeats until ``steps`` values are
    predicted: a one-pass multi-step model when ``horizon >= steps``, a
    recursive one otherwise.

    With ``autoregressive=True`` (the default) the forecast is a linear
    autoregressive model of the window, fitted in closed form (ridge least
    squares on the standardised windows, the penalty chosen by leave-one-out
    error), plus, when an ``estimator`` is given, the estimator's correction
    of what the linear model leaves, as in LSTNet's "highway" (Lai et al.,
    2018). On a short series the linear model is most of the forecast, and a
    network trained on 100 windows mostly fits noise; so both are first
    trained on the older windows only, and the estimator's correction is
    multiplied by ``estimator_weight_``: the weight among 0, 0.1, ..., 0.5
    whose recursive forecast of the held-out last ``validation_fraction`` of
    the series is the most accurate, if that forecast's squared error is at
    most half the linear model's alone, and 0 (the linear model alone)
    otherwise. The linear model is then refitted on every window, and the
    estimator kept as validated: the forecast follows the network only as
    far as it proved better on the most recent data.

    The default (``estimator=None``) is the linear model alone. Until this
    version it added an ``LSTMRegressor(hidden_size=16)``'s correction, which
    was measured and dropped: its weight was 0, the forecast the linear
    model's, in all 21 fits of the benchmark panel's seven forecasting tasks
    (3 seeds; 100-300 points), in all 6 on the two series off the panel at
    their latest origin, and in all 6 on two generated series of 1,000 points
    (a noisy logistic map and a threshold autoregression), while its training
    was nearly all of the fit time. Where it passed the margin (3 of 18
    earlier cuts of those series) it did not make the forecast better. On the
    logistic map the network does help a step or two ahead: the full
    correction (``validation_fraction=None``) has a root-mean-square error of
    0.031 one step ahead against the linear model's 0.196, the LSTM alone
    (``autoregressive=False``) 0.013; ten steps ahead both are worse than the
    linear model (0.35 against 0.26), and the held-out forecast that sets the
    weight is a long one. To add a network, pass it:
    ``estimator=LSTMRegressor(input_shape=(window, n_series), hidden_size=16)``.

    With ``log=True`` the model learns the logarithm of a positive series
    and the forecasts are exponentiated back: a seasonal swing that grows with
    the level becomes a constant one. With ``difference=d`` the model learns
    ``x[t] - x[t - d]`` and the forecasts are integrated back: ``d=1`` removes
    a trend, ``d`` = the season's length removes a fixed seasonal pattern.
    Neither a linear model of the window nor a network extrapolates beyond
    the levels it was trained on, so a trending series should be differenced.

    By default these are chosen from the series in ``fit``:

    - ``seasonal_period='auto'``: the lag (2 to a third of the series) of the
      highest peak of the autocorrelation of the first differences, if it
      reaches 0.3; otherwise no season.
    - ``log='auto'``: the logarithm when the series is positive, has a season
      and, over its full seasons, the spread of a season's steps grows with
      its mean (correlation at least 0.5).
    - ``difference='auto'``: when a straight line over time explains at least
      half of the (logged) series' variance, the first difference and then,
      if there is a season, the difference at its length (the "airline"
      model's differencing, Box and Jenkins); otherwise none. A series without
      such a trend (a cycle, a stationary process) is left as it is: its
      season is in the window when the window spans it.

    The thresholds were set on earlier cuts of the benchmark panel's series
    and on two series off the panel (docs/defaults.md); the choices are in
    ``seasonal_period_``, ``log_`` and ``differences_``.

    The series is X, as for any sklearn estimator: an array of shape
    (n_timesteps, n_series) or a DataFrame, rows in time order, and also a
    1-D array for a single series.

    Parameters
    ----------
    estimator : regressor or None, default=None
        Fitted on X of shape (n_samples, window * n_series) (time-major
        windows) and y of shape (n_samples, horizon * n_series), or
        (n_samples,) for one step of one series: the next values, or with
        ``autoregressive=True`` what the linear model leaves of them. None:
        with ``autoregressive=True`` no estimator, the linear model alone;
        with ``autoregressive=False`` ``LSTMRegressor(input_shape=(window,
        n_series), hidden_size=16, random_state=random_state)``, which
        standardises each series and the targets inside the estimator. For
        several series give an ``LSTMRegressor`` its ``input_shape=(window,
        n_series)``; other regressors may need a scaler in front of them.

    window : int or "auto", default=24
        Number of past timesteps the linear model and the estimator see.
        "auto" chooses it in ``fit`` (``window_``): the autoregressive order
        with the smallest AIC among 1 to a quarter of the (logged,
        differenced) series, at most 36, as statsmodels' ``ar_select_order``
        (for several series, that of a vector autoregression). The default is
        the same for every series: over 20 forecast origins on each of the
        benchmark panel's series and two more, the AIC's order was a little
        better on average (mean absolute error 0.55 of the seasonal-naive
        forecast's, against 0.59 with 24; better on four series, worse on
        three), but at the panel's own origins it loses ``sunspots`` to the
        seasonal-naive forecast, where 24 beats it (docs/defaults.md).

    horizon : int, default=1
        Number of timesteps the estimator predicts at once.

    difference : int, "auto" or None, default="auto"
        Lag of the differencing applied before windowing (after the log);
        None for none (the default before "auto"). "auto" differences at lag
        1 and then at ``seasonal_period_`` when the series has a linear
        trend (see above), and not otherwise.

    log : bool or "auto", default="auto"
        Model ``log(x)`` instead of ``x``; every value of the series must be
        positive. "auto" takes the log of a positive seasonal series whose
        seasonal swing grows with its level (see above); False was the
        default before "auto".

    seasonal_period : int >= 2, "auto" or None, default="auto"
        Length of the season, used by ``difference="auto"`` and
        ``log="auto"`` only; "auto" finds it from the autocorrelation of the
        first differences (see above), None for no season.

    autoregressive : bool, default=True
        Forecast with a linear autoregressive model of the window (ridge
        least squares) plus, when one is given, the estimator's correction,
        weighted by ``estimator_weight_``. False fits the estimator on the next values
        themselves and forecasts with it alone (the behaviour before this
        parameter existed, with ``validation_fraction`` then ignored).

    validation_fraction : float in (0, 1) or None, default=0.2
        With ``autoregressive=True`` and an estimator, the fraction of the
        most recent windows held out of the estimator's training (and of the
        linear model's first fit), on which a recursive forecast chooses
        ``estimator_weight_``; with ``horizon > 1`` the ``horizon - 1``
        windows before them are left out too, so that no training target
        overlaps them. None trains the estimator on every window and weights
        it 1. Unused without an estimator.

    random_state : int, RandomState instance or None, default=None
        Seeds the default ``LSTMRegressor`` (``autoregressive=False`` with
        ``estimator=None``); a given estimator keeps its own
        ``random_state``.

    Attributes
    ----------
    estimator_ : regressor or None
        The fitted clone of ``estimator`` (trained on the windows before the
        held-out part with ``validation_fraction``); None for the linear
        model alone.

    coef_ : ndarray of shape (horizon * n_series, window * n_series)
        Coefficients of the linear autoregressive model on the (differenced,
        logged) window, time-major; zeros with ``autoregressive=False``.

    intercept_ : ndarray of shape (horizon * n_series,)
        Its intercepts.

    alpha_ : float
        The ridge penalty chosen for it, on the standardised windows (nan
        with ``autoregressive=False``).

    estimator_weight_ : float
        Weight of the estimator's correction in the forecast, among 0, 0.1,
        ..., 0.5 (1 with ``autoregressive=False`` or ``validation_fraction=None``;
        0 without an estimator).

    window_ : int
        The window: ``window``, or the order chosen with ``window="auto"``.

    seasonal_period_ : int or None
        The season's length found or given.

    log_ : bool
        Whether the model is of the logarithm of the series.

    differences_ : tuple of int
        Lags of the differences applied in turn, e.g. ``(1, 12)``; ``()`` for
        none.

    n_features_in_ : int
        Number of series.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the series, when X has string column names.

    See Also
    --------
    make_supervised : The samples the estimator is trained on.
    sklearn_dl.neural_network.LSTMRegressor : A network to add to the linear model.

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
        "window": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "horizon": [Interval(Integral, 1, None, closed="left")],
        "difference": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"}), None],
        "log": ["boolean", StrOptions({"auto"})],
        "seasonal_period": [Interval(Integral, 2, None, closed="left"), StrOptions({"auto"}),
                            None],
        "autoregressive": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither"), None],
        "random_state": ["random_state"],
    }

    def __init__(self, estimator=None, window=24, horizon=1, difference="auto", log="auto",
                 seasonal_period="auto", autoregressive=True, validation_fraction=0.2,
                 random_state=None):
        self.estimator = estimator
        self.window = window
        self.horizon = horizon
        self.difference = difference
        self.log = log
        self.seasonal_period = seasonal_period
        self.autoregressive = autoregressive
        self.validation_fraction = validation_fraction
        self.random_state = random_state

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
        series = validate_data(self, np.reshape(X, (-1, 1)) if self._one_series else X,
                               dtype=np.float64)
        self._choose_transforms(series)
        series = self._logged(series)
        lag = sum(self.differences_)
        self.window_ = self.window
        if self.window == "auto":
            changes = self._differenced(series)
            max_order = min(_MAX_AUTO_WINDOW, len(changes) // 4)
            if max_order < 1:
                raise ValueError(f"The series has {len(series)} sample(s) (timesteps); "
                                 f"window='auto' needs at least {4 + lag} after the differences "
                                 f"at lags {self.differences_}.")
            self.window_ = _aic_order(changes, max_order)
        needed = self.window_ + self.horizon + lag
        if len(series) < needed:
            raise ValueError(f"The series has {len(series)} sample(s) (timesteps) but window="
                             f"{self.window_}, horizon={self.horizon} and differences at lags "
                             f"{self.differences_} need at least {needed}.")
        X_windows, y_next = make_supervised(self._differenced(series), self.window_, self.horizon)
        targets = y_next.reshape(len(y_next), -1)
        n_windows = len(X_windows)
        self.history_ = series[-(self.window_ + lag):]
        if self.autoregressive and self.estimator is None:
            # The default: the linear autoregressive model alone, on every window.
            self.coef_, self.intercept_, self.alpha_ = _ridge_autoregression(X_windows, targets)
            self.estimator_, self.estimator_weight_ = None, 0.0
            return self
        # Windows the estimator is trained on: all, or those whose targets end
        # before the held-out part of the series begins.
        n_train = n_windows
        if self.autoregressive and self.validation_fraction is not None:
            n_held_out = int(np.ceil(self.validation_fraction * n_windows))
            n_train = n_windows - n_held_out - (self.horizon - 1)
            if n_train < 2:
                raise ValueError(
                    f"The series gives {n_windows} window(s); validation_fraction="
                    f"{self.validation_fraction} (with horizon={self.horizon}) leaves "
                    f"{max(n_train, 0)} to train the estimator on. Pass a longer series, a "
                    "smaller window or horizon, or validation_fraction=None.")
        if self.autoregressive:
            # The estimator learns what a linear model of the same windows leaves unexplained.
            self.coef_, self.intercept_, self.alpha_ = _ridge_autoregression(
                X_windows[:n_train], targets[:n_train])
            y_next = (targets - self._linear(X_windows)).reshape(y_next.shape)
        else:
            self.coef_ = np.zeros((targets.shape[1], X_windows.shape[1]))
            self.intercept_ = np.zeros(targets.shape[1])
            self.alpha_ = np.nan
        estimator = self.estimator
        if estimator is None:
            seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
            estimator = LSTMRegressor(input_shape=(self.window_, series.shape[1]), hidden_size=16,
                                      random_state=seed)
        self.estimator_ = clone(estimator).fit(X_windows[:n_train], y_next[:n_train])
        self.estimator_weight_ = 1.0
        if n_train < n_windows:
            # Chosen out of sample: the linear model and the estimator have seen
            # none of the held-out values.
            self.estimator_weight_ = self._choose_weight(
                series, n_windows - int(np.ceil(self.validation_fraction * n_windows)))
            # The linear model is then refitted on every window; the estimator
            # is kept as validated (a network refitted on every window is
            # another draw, whose correction the weight says nothing about).
            self.coef_, self.intercept_, self.alpha_ = _ridge_autoregression(X_windows, targets)
        return self

    def _choose_transforms(self, series):
        """Set ``seasonal_period_``, ``log_`` and ``differences_`` (the automatic ones from X)."""
        period = self.seasonal_period
        if period == "auto":
            period = _seasonal_period(series)
        self.seasonal_period_ = period
        if self.log == "auto":
            self.log_ = _swing_grows_with_level(series, period)
        else:
            self.log_ = bool(self.log)
        if self.log_ and np.any(series <= 0):
            raise ValueError("log=True needs a positive series; X has values <= 0.")
        if self.difference == "auto":
            # A linear model of the window cannot carry a trend beyond the
            # levels it was fitted on: the trend is removed by differencing,
            # and the season then by a difference at its length.
            trending = _trend_r2(np.log(series) if self.log_ else series) >= _MIN_TREND_R2
            self.differences_ = ((1,) + ((period,) if period else ())) if trending else ()
        else:
            self.differences_ = () if self.difference is None else (int(self.difference),)

    def _linear(self, windows):
        return windows @ self.coef_.T + self.intercept_

    def _roll(self, history, steps, weight):
        """Forecast ``steps`` values of the (logged) series after ``history``, recursively.

        Each step is the linear autoregressive forecast plus ``weight`` times
        the estimator's correction, integrated back when differenced.
        """
        lag = sum(self.differences_)
        values = list(history[-(self.window_ + lag):])
        n_series = history.shape[1]
        while len(values) - self.window_ - lag < steps:
            past = self._differenced(np.asarray(values))[-self.window_:].reshape(1, -1)
            predicted = self._linear(past)
            if weight:
                predicted = predicted + weight * np.reshape(self.estimator_.predict(past), (1, -1))
            for change in np.reshape(predicted, (self.horizon, n_series)):
                values.append(_undifference(change, values, self.differences_))
        return np.asarray(values[self.window_ + lag:self.window_ + lag + steps])

    def _choose_weight(self, series, n_first_held_out):
        """The weight of the correction whose recursive forecast of the held-out part is best.

        The forecast starts at the first held-out window's target and
        runs to the end of the series; the weights tried are 0, 0.1, ..., 0.5,
        and the best is kept only if its error is at most half the linear
        model's alone (weight 0).
        """
        origin = n_first_held_out + self.window_ + sum(self.differences_)
        actual = series[origin:]
        errors = [np.mean((self._roll(series[:origin], len(actual), weight) - actual) ** 2)
                  for weight in _WEIGHTS]
        best = int(np.argmin(errors))
        return float(_WEIGHTS[best]) if errors[best] <= _REQUIRED_GAIN * errors[0] else 0.0

    def _logged(self, series):
        if not self.log_:
            return series
        if np.any(series <= 0):
            raise ValueError("log=True needs a positive series; X has values <= 0.")
        return np.log(series)

    def _differenced(self, series):
        return _difference(series, self.differences_)

    def forecast(self, steps, X=None):
        """Predict the next ``steps`` values of the series.

        Parameters
        ----------
        steps : int
            Number of timesteps to forecast.
        X : array-like of shape (n_timesteps,) or (n_timesteps, n_series), default=None
            Recent history to forecast from (at least ``window_ + difference``
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
        lag = sum(self.differences_)
        if len(history) < self.window_ + lag:
            raise ValueError(f"X has {len(history)} timesteps; forecasting needs at least "
                             f"window + the differences' lags = {self.window_ + lag}.")
        forecast = self._roll(history, steps, self.estimator_weight_)
        if self.log_:
            forecast = np.exp(forecast)
        return forecast.ravel() if self._one_series else forecast
