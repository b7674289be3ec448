"""SlidingWindow, make_supervised and RecursiveForecaster."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import Ridge
from sklearn.model_selection import TimeSeriesSplit, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

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
    with pytest.raises(ValueError, match="at least window \\+ difference = 14"):
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
