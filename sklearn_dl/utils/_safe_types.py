"""What a file of :func:`sklearn_dl.save` may name: estimator classes and parameter values.

A file names estimator classes by their public qualified name; :func:`load`
looks each name up in :func:`loadable_classes` (this package's estimators and
an allow-list of scikit-learn classes whose fitted state is plain arrays,
numbers and strings) and never imports anything a file names. Parameters that
would make a later ``fit`` run code or touch places of the file's choosing
(compiler options, callbacks, devices, cache directories) are refused by
:func:`check_file_params`.
"""

import re

# scikit-learn classes whose fitted state is arrays, numbers, strings, dtypes,
# slices and other estimators of this list: nothing that holds code.
_SKLEARN_CLASSES = {
    "sklearn.compose": ["ColumnTransformer", "TransformedTargetRegressor"],
    "sklearn.decomposition": ["PCA"],
    "sklearn.feature_selection": ["VarianceThreshold"],
    "sklearn.impute": ["MissingIndicator", "SimpleImputer"],
    "sklearn.linear_model": ["LinearRegression", "LogisticRegression", "Ridge"],
    "sklearn.pipeline": ["FeatureUnion", "Pipeline"],
    "sklearn.preprocessing": [
        "Binarizer", "FunctionTransformer", "MaxAbsScaler", "MinMaxScaler", "Normalizer",
        "OneHotEncoder", "OrdinalEncoder", "PolynomialFeatures", "PowerTransformer",
        "QuantileTransformer", "RobustScaler", "StandardScaler",
    ],
}

_DEVICE = re.compile(r"(auto|cpu|mps|cuda(:[0-9]{1,3})?)")
# torch.compile options that choose among built-in behaviours; anything else
# (``options`` reaches the C++ compiler's command line, other backends run
# code registered under their name) is refused in a file.
_COMPILE_OPTIONS = {
    "mode": {None, "default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs"},
    "fullgraph": {True, False},
    "dynamic": {None, True, False},
    "backend": {"inductor", "eager", "aot_eager"},
}


def qualified_name(cls):
    """``package.subpackage.Class``: where users import ``cls`` from."""
    module = ".".join(part for part in cls.__module__.split(".") if not part.startswith("_"))
    return f"{module}.{cls.__qualname__}"


def loadable_classes():
    """Map each qualified name a file may use to its class."""
    import importlib

    from sklearn_dl.utils.discovery import all_estimators

    classes = {}
    for module_name, names in _SKLEARN_CLASSES.items():
        module = importlib.import_module(module_name)
        classes.update({f"{module_name}.{name}": getattr(module, name) for name in names})
    classes.update({qualified_name(cls): cls for _, cls in all_estimators()})
    return classes


def safe_compile_option(compile):
    """Whether a ``compile`` parameter value only picks built-in behaviours."""
    if isinstance(compile, bool):
        return True
    return isinstance(compile, dict) and all(
        isinstance(key, str) and key in _COMPILE_OPTIONS
        and _hashable(value) and value in _COMPILE_OPTIONS[key]
        for key, value in compile.items())


def safe_device(device):
    """Whether ``device`` is 'auto', 'cpu', 'mps', 'cuda' or 'cuda:N'."""
    return isinstance(device, str) and _DEVICE.fullmatch(device) is not None


def check_file_params(cls, params, where):
    """Refuse parameters that name code or places; ``where`` names the estimator in errors."""
    problems = []
    if "callbacks" in params and params["callbacks"] is not None:
        problems.append("callbacks must be None (callbacks are code)")
    if "compile" in params and not safe_compile_option(params["compile"]):
        problems.append(f"compile={params['compile']!r} is neither a bool nor options among "
                        f"{sorted(_COMPILE_OPTIONS)} with their built-in values")
    if "device" in params and not safe_device(params["device"]):
        problems.append(f"device={params['device']!r} is not 'auto', 'cpu', 'mps', 'cuda' "
                        "or 'cuda:N'")
    if cls.__name__ == "Pipeline" and params.get("memory") is not None:
        problems.append("memory must be None (a cache directory is a place on disk)")
    if problems:
        raise ValueError(f"{where} has parameters a file may not set: {'; '.join(problems)}.")


def _hashable(value):
    try:
        hash(value)
    except TypeError:
        return False
    return True
