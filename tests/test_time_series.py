"""SlidingWindow, make_supervised and RecursiveForecaster."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.linear_model import LinearRegression, Ridge, RidgeCV
from sklearn.model_selection import TimeSeriesSplit, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler

from sklearn_dl.neural_network import LSTMRegressor
from sklearn_dl.time_series import RecursiveForecaster, SlidingWindow, make_supervised


def test_sliding_window_rows_are_windows_ending_at_each_row():
    X = np.column_stack([np.arange(6.0), 10 + np.arange(6.0)])
    windows = SlidingWindow(window=3).fit_transform(X)
    assert windows.shape == (6, 6)
    np.testing.assert_array_equal(windows[4], [2, 12, 3, 13, 4, 14])
    # A short past is the available rows, then NaN padding at the end.
    np.testing.assert_array_equal(windows[1], [0, 10, 1, 11, np.nan, np.nan])


def test_sliding_window_shorter_series_than_window():
    windows = SlidingWindow(window=4).fit_transform([[1.0], [2.0]])
    np.testing.assert_array_equal(windows, [[1, np.nan, np.nan, np.nan], [1, 2, np.nan, np.nan]])


def test_sliding_window_feature_names():
    frame = pd.DataFrame({"sales": [1.0, 2, 3], "price": [4.0, 5, 6]})
    window = SlidingWindow(window=2).fit(frame)
    assert list(window.get_feature_names_out()) == [
        "sales_lag1", "price_lag1", "sales_lag0", "price_lag0"]
    with pytest.raises(ValueError, match="length 2"):
        window.get_feature_names_out(["a"])


def test_make_supervised_layout():
    X, y = make_supervised(np.arange(6.0), window=3, horizon=2)
    np.testing.assert_array_equal(X, [[0, 1, 2], [1, 2, 3]])
    np.testing.assert_array_equal(y, [[3, 4], [4, 5]])
    X, y = make_supervised(np.arange(5.0), window=2)
    assert y.shape == (3,)
    frame = np.column_stack([np.arange(5.0), -np.arange(5.0)])
    X, y = make_supervised(frame, window=2, horizon=2)
    np.testing.assert_array_equal(X[0], [0, 0, 1, -1])
    np.testing.assert_array_equal(y[0], [2, -2, 3, -3])


@pytest.mark.parametrize("kwargs, message", [
    ({"window": 4, "horizon": 2}, "needs at least 6"),
    ({"window": 0}, "window must be an int"),
    ({"window": 2, "horizon": 1.5}, "horizon must be an int"),
])
def test_make_supervised_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_supervised(np.arange(5.0), **kwargs)


def trend_and_season(n):
    t = np.arange(n)
    return 0.5 * t + 10 * np.sin(2 * np.pi * t / 12)


@pytest.mark.parametrize("horizon", [1, 5, 12])
def test_recursive_forecast_of_a_linear_recurrence_is_exact(horizon):
    series = trend_and_season(150)
    model = RecursiveForecaster(Ridge(alpha=1e-8), window=13, horizon=horizon,
                                difference=1).fit(series[:120])
    forecast = model.forecast(30)
    assert forecast.shape == (30,)
    np.testing.assert_allclose(forecast, series[120:], atol=1e-3)


def test_forecast_from_another_history_and_several_series():
    series = np.column_stack([trend_and_season(150), -trend_and_season(150)])
    model = RecursiveForecaster(Ridge(alpha=1e-8), window=13, difference=1).fit(series[:100])
    forecast = model.forecast(10, X=series[:130])
    assert forecast.shape == (10, 2)
    np.testing.assert_allclose(forecast, series[130:140], atol=1e-3)
    with pytest.raises(ValueError, match="at least window \\+ the differences' lags = 14"):
        model.forecast(3, X=series[:5])
    with pytest.raises(ValueError, match="steps must be an int"):
        model.forecast(0)


def test_forecaster_too_short_series():
    with pytest.raises(ValueError, match="has 10 sample"):
        RecursiveForecaster(Ridge(), window=12).fit(np.arange(10.0))


def test_windows_cross_validated_in_time_order():
    X, y = make_supervised(trend_and_season(200), window=12, horizon=3)
    model = make_pipeline(StandardScaler(), Ridge(alpha=1e-6))
    # gap=horizon - 1: no test target overlaps a training target.
    scores = cross_val_score(model, X, y, cv=TimeSeriesSplit(n_splits=3, gap=2))
    assert scores.min() > 0.99


def test_sliding_window_in_a_pipeline_with_an_lstm():
    series = np.sin(np.arange(200) * 2 * np.pi / 12).reshape(-1, 1)
    # Target: the next value; the first rows have a short past, which the LSTM reads as such.
    model = make_pipeline(SlidingWindow(window=12),
                          LSTMRegressor(hidden_size=16, learning_rate_init=0.01, max_iter=40,
                                        random_state=0))
    model.fit(series[:-1], series[1:, 0])
    assert model.predict(series[:-1]).shape == (199,)
    assert model.score(series[:-1], series[1:, 0]) > 0.9


def noisy_autoregression(n, seed=0):
    """x[t] = 0.6 x[t-1] + 0.3 x[t-2] + noise: a series a linear model of the window fits."""
    noise = np.random.default_rng(seed).normal(size=n)
    series = np.zeros(n)
    for t in range(2, n):
        series[t] = 0.6 * series[t - 1] + 0.3 * series[t - 2] + noise[t]
    return series


def test_autoregressive_part_is_ridgecv_on_standardised_windows():
    series = noisy_autoregression(150)
    model = RecursiveForecaster(Ridge(), window=6, validation_fraction=None).fit(series)
    X, y = make_supervised(series, window=6)
    reference = make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-4, 2, 13))).fit(X, y)
    assert model.alpha_ == reference[-1].alpha_
    assert model.coef_.shape == (1, 6) and model.intercept_.shape == (1,)
    np.testing.assert_allclose(X @ model.coef_[0] + model.intercept_[0], reference.predict(X),
                               rtol=1e-9, atol=1e-9)


class NoiseRegressor(RegressorMixin, BaseEstimator):
    """Predicts large noise, whatever it is trained on: a correction that never helps."""

    def fit(self, X, y):
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X):
        seed = int(abs(np.asarray(X)).sum() * 1e6) % 2**32
        return np.random.default_rng(seed).normal(0.0, 10.0, size=len(X))


def test_a_correction_that_never_helps_gets_weight_zero():
    series = noisy_autoregression(200)
    model = RecursiveForecaster(NoiseRegressor(), window=6).fit(series)
    assert model.estimator_weight_ == 0.0
    # What is left is the linear autoregressive model alone.
    linear = RecursiveForecaster(make_pipeline(StandardScaler(),
                                               RidgeCV(alphas=np.logspace(-4, 2, 13))),
                                 window=6, autoregressive=False).fit(series)
    np.testing.assert_allclose(model.forecast(12), linear.forecast(12), rtol=1e-9)


def logistic_map(n):
    """x[t+1] = 3.7 x[t] (1 - x[t]): no linear model of the window fits it."""
    series = [0.3]
    for _ in range(n - 1):
        series.append(3.7 * series[-1] * (1 - series[-1]))
    return np.asarray(series)


def test_a_correction_that_halves_the_held_out_error_gets_the_largest_weight():
    series = logistic_map(120)
    # What the linear model leaves is a quadratic of the window, which the estimator fits.
    model = RecursiveForecaster(make_pipeline(PolynomialFeatures(2), LinearRegression()),
                                window=3).fit(series[:100])
    assert model.estimator_weight_ == 0.5

    def one_step_error():
        return np.mean([abs(model.forecast(1, X=series[:t])[0] - series[t])
                        for t in range(100, 120)])

    # Half the correction: about half the linear model's one-step error.
    ours = one_step_error()
    model.estimator_weight_ = 0.0
    assert ours < 0.55 * one_step_error()


def test_without_validation_the_correction_is_added_whole():
    series = logistic_map(120)
    model = RecursiveForecaster(make_pipeline(PolynomialFeatures(2), LinearRegression()),
                                window=3, validation_fraction=None).fit(series[:100])
    assert model.estimator_weight_ == 1.0
    # The linear model and the quadratic correction together are the map itself.
    np.testing.assert_allclose(model.forecast(5), series[100:105], atol=1e-6)


def test_autoregressive_false_forecasts_with_the_estimator_alone():
    series = noisy_autoregression(100)
    model = RecursiveForecaster(Ridge(alpha=10.0), window=4, autoregressive=False).fit(series)
    assert model.estimator_weight_ == 1.0 and not model.coef_.any() and np.isnan(model.alpha_)
    ridge = Ridge(alpha=10.0).fit(*make_supervised(series, window=4))
    values = list(series[-4:])
    for _ in range(6):
        values.append(ridge.predict(np.reshape(values[-4:], (1, -1)))[0])
    np.testing.assert_allclose(model.forecast(6), values[4:], rtol=1e-12)


def test_validation_needs_two_training_windows():
    message = r"validation_fraction=0.5 \(with horizon=1\) leaves 1 to train"
    with pytest.raises(ValueError, match=message):
        RecursiveForecaster(Ridge(), window=3, validation_fraction=0.5).fit(np.arange(6.0))
    # Without validation the same series fits.
    RecursiveForecaster(Ridge(), window=3, validation_fraction=None).fit(np.arange(6.0))


def test_default_is_the_linear_model_alone():
    series = noisy_autoregression(150)
    model = RecursiveForecaster(window=6).fit(series)
    assert model.estimator_ is None and model.estimator_weight_ == 0.0
    # RidgeCV on the standardised windows of the whole series, forecast recursively.
    linear = RecursiveForecaster(make_pipeline(StandardScaler(),
                                               RidgeCV(alphas=np.logspace(-4, 2, 13))),
                                 window=6, autoregressive=False).fit(series)
    np.testing.assert_allclose(model.forecast(12), linear.forecast(12), rtol=1e-9)
    # A validation_fraction that would leave no estimator training windows is unused.
    RecursiveForecaster(window=3, validation_fraction=0.9).fit(np.arange(8.0))


def test_default_network_alone_is_a_small_seeded_lstm():
    series = noisy_autoregression(40)
    forecasts = [RecursiveForecaster(window=4, autoregressive=False, random_state=0).fit(series)
                 for _ in range(2)]
    assert isinstance(forecasts[0].estimator_, LSTMRegressor)
    assert forecasts[0].estimator_.hidden_size == 16
    np.testing.assert_array_equal(forecasts[0].forecast(5), forecasts[1].forecast(5))


def growing_season(n=144, seed=0):
    """Monthly growth times a season whose swing grows with the level, and noise."""
    t = np.arange(n)
    noise = np.random.default_rng(seed).normal(0, 0.03, size=n)
    return 100 * np.exp(0.01 * t) * (1 + 0.2 * np.sin(2 * np.pi * t / 12)) * np.exp(noise)


def test_auto_finds_the_season_of_a_monthly_series_and_none_in_an_autoregression():
    trending = RecursiveForecaster(Ridge(), window=12).fit(trend_and_season(150))
    assert trending.seasonal_period_ == 12
    stationary = np.sin(2 * np.pi * np.arange(150) / 7) + noisy_autoregression(150) * 0.1
    assert RecursiveForecaster(Ridge(), window=12).fit(stationary).seasonal_period_ == 7
    assert RecursiveForecaster(Ridge(), window=6).fit(
        noisy_autoregression(150)).seasonal_period_ is None
    # A given period is kept.
    assert RecursiveForecaster(Ridge(), window=6, seasonal_period=4).fit(
        noisy_autoregression(150)).seasonal_period_ == 4


def test_auto_differences_a_trend_and_its_season_and_leaves_a_stationary_series():
    assert RecursiveForecaster(Ridge(), window=6).fit(noisy_autoregression(150)).differences_ == ()
    seasonal = np.sin(2 * np.pi * np.arange(150) / 12) + 0.1 * noisy_autoregression(150)
    assert RecursiveForecaster(Ridge(), window=12).fit(seasonal).differences_ == ()
    assert RecursiveForecaster(Ridge(), window=12).fit(trend_and_season(150)).differences_ == (1, 12)
    drift = 0.5 * np.arange(150) + noisy_autoregression(150)
    model = RecursiveForecaster(Ridge(), window=6).fit(drift)
    assert model.seasonal_period_ is None and model.differences_ == (1,)
    # Explicit values: the old behaviour.
    assert RecursiveForecaster(Ridge(), window=12, difference=None).fit(
        trend_and_season(150)).differences_ == ()
    assert RecursiveForecaster(Ridge(), window=12, difference=3).fit(
        trend_and_season(150)).differences_ == (3,)


def test_a_trend_and_season_differenced_twice_is_forecast_exactly():
    series = trend_and_season(200)
    model = RecursiveForecaster(Ridge(alpha=1e-8), window=13).fit(series[:150])
    assert model.differences_ == (1, 12) and model.history_.shape == (13 + 13, 1)
    np.testing.assert_allclose(model.forecast(50), series[150:], atol=1e-6)
    np.testing.assert_allclose(model.forecast(5, X=series[:180]), series[180:185], atol=1e-6)


def test_auto_log_when_the_seasonal_swing_grows_with_the_level():
    model = RecursiveForecaster(Ridge(), window=24).fit(growing_season())
    assert model.log_ and model.seasonal_period_ == 12 and model.differences_ == (1, 12)
    # A constant swing, a series with values <= 0, or no season: no log.
    assert not RecursiveForecaster(Ridge(), window=12).fit(trend_and_season(150) + 100).log_
    assert not RecursiveForecaster(Ridge(), window=12).fit(trend_and_season(150) - 100).log_
    assert not RecursiveForecaster(Ridge(), window=6).fit(noisy_autoregression(150) + 10).log_
    assert not RecursiveForecaster(Ridge(), window=24, log=False).fit(growing_season()).log_



def test_auto_window_is_the_order_statsmodels_picks_by_aic():
    from statsmodels.tsa.ar_model import ar_select_order

    series = noisy_autoregression(300)
    for data in (series, np.cumsum(series)):   # the second is differenced first
        model = RecursiveForecaster(window="auto").fit(data)
        changes = np.diff(data) if model.differences_ == (1,) else data
        reference = ar_select_order(changes, maxlag=min(36, len(changes) // 4), ic="aic",
                                    glob=False).ar_lags
        assert model.window_ == max(reference)
        np.testing.assert_allclose(
            model.forecast(10), RecursiveForecaster(window=model.window_).fit(data).forecast(10))
    # The order of x[t] = 0.6 x[t-1] + 0.3 x[t-2] + noise.
    assert RecursiveForecaster(window="auto").fit(series).window_ == 2
    assert RecursiveForecaster(window=5).fit(series).window_ == 5


def test_auto_window_of_several_series_and_of_too_short_a_series():
    rng = np.random.default_rng(0)
    both = np.column_stack([noisy_autoregression(200, seed=1), rng.normal(size=200)])
    model = RecursiveForecaster(window="auto").fit(both)
    assert 1 <= model.window_ <= 50 and model.coef_.shape == (2, 2 * model.window_)
    assert model.forecast(3).shape == (3, 2)
    with pytest.raises(ValueError, match="window='auto' needs at least 4"):
        RecursiveForecaster(window="auto", difference=None).fit(np.array([1.0, 3.0, 2.0]))
