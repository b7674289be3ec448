"""Time series: sliding windows, supervised samples and recursive forecasting.

The recurrent estimators of :mod:`sklearn_dl.neural_network` read windows of
a series as sequences. :func:`make_supervised` cuts a series into windows and
the values that follow them, :class:`SlidingWindow` gives a window per row
inside a Pipeline, and :class:`RecursiveForecaster` rolls a fitted model
forward any number of steps.
"""

from sklearn_dl.time_series._forecast import RecursiveForecaster
from sklearn_dl.time_series._window import SlidingWindow, make_supervised

__all__ = ["RecursiveForecaster", "SlidingWindow", "make_supervised"]
