"""Find the public estimators of the package, for tests and documentation."""

import importlib
import inspect
import pkgutil

from sklearn.base import BaseEstimator

_MODULES_TO_SKIP = {"tests", "modules", "utils"}


def all_estimators():
    """List every public estimator class of :mod:`sklearn_dl`.

    Returns
    -------
    list of (name, class) tuples, sorted by name.

    Examples
    --------
    >>> from sklearn_dl.utils import all_estimators
    >>> names = [name for name, _ in all_estimators()]
    >>> "MLPClassifier" in names
    True
    """
    import sklearn_dl

    found = {}
    for module_info in pkgutil.walk_packages(sklearn_dl.__path__, prefix="sklearn_dl."):
        parts = module_info.name.split(".")
        if any(part.startswith("_") or part in _MODULES_TO_SKIP for part in parts[1:]):
            continue
        module = importlib.import_module(module_info.name)
        for name, obj in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(obj, BaseEstimator)
                and not name.startswith("_")
                and obj.__module__.startswith("sklearn_dl.")
                and not inspect.isabstract(obj)
            ):
                found[name] = obj
    return sorted(found.items())
