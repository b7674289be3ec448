"""
=====================================================
Forecasting a seasonal series with an LSTM
=====================================================

Monthly mean CO2 at Mauna Loa (1958-2001, the weekly ``co2`` data set that
ships with statsmodels, averaged per month): a rising trend with a 12-month
season. The last 36 months are held out and forecast recursively, one month
at a time, by an :class:`~sklearn_dl.neural_network.LSTMRegressor` with its
default parameters, and compared with the seasonal naive forecast (the last
observed year, repeated).

The pipeline:

* ``difference=1``: the model learns month-to-month changes, which have no
  trend; networks extrapolate a trend poorly, differencing removes it and the
  forecasts are integrated back;
* windows of the last 24 changes (:func:`~sklearn_dl.time_series.make_supervised`
  inside :class:`~sklearn_dl.time_series.RecursiveForecaster`);
* ``StandardScaler`` on the windows; the regressor standardises the target itself;
* by default (``autoregressive=True``) the forecast is a linear autoregressive
  model of the window plus the LSTM's correction of what it leaves, weighted
  by how much the correction improved a forecast of the last 20 % of the
  training series (``estimator_weight_``: 0, 0.1, ..., 0.5, and 0 unless the
  correction at least halves that forecast's squared error). On this series
  the weight comes out 0 (printed below): the LSTM's correction did not prove
  better on the held-out months, and the forecast is the linear model's.

Needs statsmodels (``pip install sklearn-dl[dev]``), for the data only.
"""

import os
import time

import matplotlib.pyplot as plt
import numpy as np
import statsmodels.api as sm
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_dl.neural_network import LSTMRegressor
from sklearn_dl.time_series import RecursiveForecaster

weekly = sm.datasets.co2.load_pandas().data["co2"]
# A few weeks are missing; a month's mean ignores them, and the one empty
# month takes the previous month's value.
monthly = weekly.resample("MS").mean().ffill()
horizon = 36
train, test = monthly.iloc[:-horizon], monthly.iloc[-horizon:]

start = time.perf_counter()
model = RecursiveForecaster(
    make_pipeline(StandardScaler(), LSTMRegressor(random_state=0)),
    window=24, difference=1,
)
# The test suite sets SKLEARN_DL_EXAMPLE_QUICK=1 to check that the example runs:
# it then trains for three epochs.
QUICK = bool(os.environ.get("SKLEARN_DL_EXAMPLE_QUICK"))
if QUICK:
    model.set_params(estimator__lstmregressor__max_iter=3)
model.fit(train.to_numpy())
forecast = model.forecast(horizon)
seconds = time.perf_counter() - start

seasonal_naive = np.resize(train.to_numpy()[-12:], horizon)


def mape(actual, predicted):
    return 100 * np.mean(np.abs(actual - predicted) / np.abs(actual))


lstm_error, naive_error = mape(test, forecast), mape(test, seasonal_naive)
print(f"fit + forecast: {seconds:.1f} s, {model.estimator_[-1].n_iter_} epochs, "
      f"weight of the LSTM's correction {model.estimator_weight_:.1f}")
print(f"MAPE over {horizon} months: forecaster {lstm_error:.3f} %, "
      f"seasonal naive {naive_error:.3f} %")

fig, ax = plt.subplots(figsize=(9, 4))
recent = monthly.iloc[-8 * 12:]
ax.plot(recent.index, recent, color="black", label="observed")
ax.plot(test.index, forecast,
        label=f"linear AR + LSTM correction, recursive (MAPE {lstm_error:.2f} %)")
ax.plot(test.index, seasonal_naive, "--",
        label=f"seasonal naive (MAPE {naive_error:.2f} %)")
ax.axvline(test.index[0], color="grey", linewidth=0.8)
ax.set_ylabel("CO2 (ppm)")
ax.set_title(f"Mauna Loa CO2: {horizon}-month forecast")
ax.legend()
fig.tight_layout()
plt.show()
