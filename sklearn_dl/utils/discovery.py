"""Find the public estimators of the package, for tests and documentation."""

import importlib
import inspect
import pkgutil

from sklearn.base import BaseEstimator

# tuning holds wrappers around estimators (Tunable needs one), not estimators to check.
_MODULES_TO_SKIP = {"tests", "modules", "utils", "tuning"}


def all_estimators():
    """List every public estimator class of :mod:`sklearn_dl`.

    An estimator is public when a public subpackage lists it in ``__all__``.

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
        # A public module's __all__ is what it publishes; base classes are not in it.
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if inspect.isclass(obj) and issubclass(obj, BaseEstimator):
                found[name] = obj
    return sorted(found.items())
