"""Utilities: device resolution, seeding, estimator discovery and learning-curve and attention plots."""

from sklearn_dl.utils._torch import derive_seed, resolve_device, seeded
from sklearn_dl.utils.discovery import all_estimators
from sklearn_dl.utils.plotting import plot_attention, plot_history

__all__ = ["all_estimators", "derive_seed", "plot_attention", "plot_history", "resolve_device", "seeded"]
