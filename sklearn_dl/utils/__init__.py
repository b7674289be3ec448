"""Utilities: device resolution, seeding and estimator discovery."""

from sklearn_dl.utils._torch import derive_seed, resolve_device, seeded
from sklearn_dl.utils.discovery import all_estimators

__all__ = ["all_estimators", "derive_seed", "resolve_device", "seeded"]
