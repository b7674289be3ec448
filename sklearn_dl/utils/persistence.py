"""Save and load fitted estimators and pipelines without pickle: safetensors and JSON.

Loading a pickle runs whatever code the file names; loading these files runs
none. :func:`save` writes one ``.safetensors`` file: every numeric array and
network weight as a tensor, and in its JSON metadata a tree of estimators,
each named by its qualified class name with its parameters and the rest of
its fitted state. :func:`load` treats the file as data from a stranger:

* it builds only classes from a fixed list (this package's estimators and
  scikit-learn classes whose fitted state is plain data), never imports what
  a file names, and runs a function or class a file names only when the
  caller passed it in ``trusted``;
* every parameter passes the class's ``_parameter_constraints``, and
  parameters that name code or places (compiler options, callbacks, devices
  other than 'auto' / 'cpu' / 'mps' / 'cuda[:N]', cache directories) are
  refused;
* nothing is allocated beyond the bytes the file holds: arrays are tensors
  whose sizes safetensors checks against the file, strings are bounded by the
  text that holds them, a sparse matrix is built only once its arrays are
  known to describe one of its shape, and a network is built only once the
  file's weights are known to have the shapes its parameters describe;
* any defect of the file raises ``ValueError``;
* a SHA-256 digest (or, with ``key``, an HMAC-SHA256 signature) of the whole
  content is verified.
"""

import hashlib
import hmac
import json
import warnings

import torch
from sklearn.utils.validation import check_is_fitted

from sklearn_dl.utils._estimator_tree import Reader, Writer, code_name
from sklearn_dl.utils._safe_types import loadable_classes

_FORMAT = "sklearn_dl.v2"
_TENSOR_DTYPES = {torch.bool, torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64,
                  torch.float16, torch.bfloat16, torch.float32, torch.float64}


def save(estimator, path, *, key=None):
    """Write a fitted estimator or pipeline to ``path`` in a format that cannot run code.

    Parameters
    ----------
    estimator : fitted estimator
        An estimator of this package, or a ``Pipeline``, ``ColumnTransformer``,
        ``FeatureUnion`` or ``TransformedTargetRegressor`` (e.g. a search's
        ``best_estimator_``) made of this package's estimators and of the
        scikit-learn classes listed in the persistence guide. Functions in
        parameters (a ``FunctionTransformer``'s ``func``) are stored by name
        only; :func:`load` then needs them in ``trusted``.
    path : str or path-like
        Destination, conventionally ending in ``.safetensors``.
    key : bytes or None, default=None
        Secret for an HMAC-SHA256 signature; :func:`load` then needs the same
        key and refuses a file signed with another.

    Raises
    ------
    ValueError
        If ``estimator`` or a part of it is of a class outside the list, or
        holds state that is not plain data (numbers, numpy scalars, arrays of
        numbers or strings, CSR / CSC sparse matrices, strings, containers of
        those); pickle or joblib store those (for files you trust only).

    Examples
    --------
    >>> import tempfile, os
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_dl import MLPClassifier, load, save
    >>> X, y = load_iris(return_X_y=True)
    >>> model = make_pipeline(StandardScaler(), MLPClassifier(
    ...     hidden_layer_sizes=(8,), max_iter=5, random_state=0)).fit(X, y)
    >>> path = os.path.join(tempfile.mkdtemp(), "iris.safetensors")
    >>> save(model, path)
    >>> (load(path).predict_proba(X) == model.predict_proba(X)).all()
    np.True_
    """
    from safetensors.torch import save_file

    import sklearn_dl  # the package imports this module: its version is read at call time

    _check_fitted_root(estimator)
    writer = Writer({cls: name for name, cls in loadable_classes().items()})
    content = {
        "format": _FORMAT,
        "sklearn_dl_version": sklearn_dl.__version__,
        "root": writer.estimator(estimator, "estimator", 0),
    }
    metadata = {"content": json.dumps(content, sort_keys=True, allow_nan=False)}
    metadata["digest"] = _digest(metadata["content"], writer.tensors, key)
    save_file(writer.tensors, str(path), metadata=metadata)


def load(path, *, key=None, trusted=()):
    """Read an estimator written by :func:`save`; no code from the file is run.

    Parameters
    ----------
    path : str or path-like
    key : bytes or None, default=None
        The key the file was signed with, if any.
    trusted : iterable of functions or classes, default=()
        Code that parameters in the file may name (e.g. ``numpy.log1p`` for a
        ``FunctionTransformer(func=numpy.log1p)``), matched by qualified name.
        Without it a file naming code is refused.

    Returns
    -------
    estimator
        The fitted estimator, its networks in eval mode, on CUDA when the
        machine has it and the estimator's ``device`` allows it, otherwise on
        the CPU.

    Raises
    ------
    ValueError
        If the file is not an sklearn_dl save file, was modified, names a class
        outside the list or code not in ``trusted``, sets a parameter its class
        does not accept, or holds arrays that do not fit the estimator.

    Examples
    --------
    >>> import tempfile, os
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_dl import MLPClassifier, load, save
    >>> X, y = load_iris(return_X_y=True)
    >>> model = MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(X, y)
    >>> path = os.path.join(tempfile.mkdtemp(), "iris.safetensors")
    >>> save(model, path, key=b"secret")
    >>> (load(path, key=b"secret").predict(X) == model.predict(X)).all()
    np.True_
    >>> load(path, key=b"another secret")
    Traceback (most recent call last):
    ...
    ValueError: ... does not match its digest: ...
    """
    import sklearn_dl

    content, tensors = _read_verified(path, key)
    if content.get("sklearn_dl_version") != sklearn_dl.__version__:
        warnings.warn(f"{path} was saved with sklearn_dl {content.get('sklearn_dl_version')}; "
                      f"this is {sklearn_dl.__version__}.", UserWarning)
    trusted_names = {}
    for obj in trusted:
        name = code_name(obj)
        if name is None:
            raise ValueError(f"trusted holds {obj!r}, which has no importable qualified name.")
        trusted_names[name] = obj
    reader = Reader(loadable_classes(), trusted_names, tensors, str(path))
    try:
        estimator = reader.estimator(content.get("root"), "estimator", 0)
    except (TypeError, KeyError, IndexError, AttributeError, OverflowError,
            RecursionError) as error:
        # Every check above is explicit; this keeps a defect no check foresaw a ValueError.
        raise ValueError(f"{path} is not a valid sklearn_dl save file: "
                         f"{type(error).__name__}: {error}") from error
    unused = sorted(set(tensors) - reader.used)
    if unused:
        raise ValueError(f"{path} holds tensors that no estimator uses: {unused[:5]}.")
    return estimator


def _check_fitted_root(estimator):
    if hasattr(estimator, "best_estimator_") and hasattr(estimator, "cv_results_"):
        raise ValueError(f"{type(estimator).__name__} is a search, not a model: save its "
                         "best_estimator_ instead.")
    check_is_fitted(estimator)


def _read_verified(path, key):
    """The file's JSON content and tensors, once the digest matches; ValueError otherwise."""
    from safetensors import safe_open
    from safetensors.torch import load_file

    try:
        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
        # safetensors checks every declared shape against the bytes present.
        tensors = load_file(str(path), device="cpu")
    except Exception as error:  # safetensors raises several types for a broken header
        raise ValueError(f"{path} is not a readable safetensors file: {error}") from error
    if not isinstance(metadata.get("content"), str) or not isinstance(metadata.get("digest"), str):
        raise ValueError(f"{path} is not an sklearn_dl save file (no sklearn_dl metadata).")
    expected = _digest(metadata["content"], tensors, key)
    if not hmac.compare_digest(expected, metadata["digest"]):
        raise ValueError(
            f"{path} does not match its digest: the file was modified, corrupted, or signed "
            "with another key. Refusing to load it."
        )
    try:
        content = json.loads(metadata["content"], parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as error:
        raise ValueError(f"{path} holds malformed metadata: {error}") from error
    if not isinstance(content, dict):
        raise ValueError(f"{path} holds malformed metadata: not a JSON object.")
    if content.get("format") != _FORMAT:
        raise ValueError(f"{path} has format {content.get('format')!r}; this sklearn_dl reads "
                         f"{_FORMAT!r} (files of earlier formats must be saved again).")
    bad_dtypes = sorted(name for name, tensor in tensors.items()
                        if tensor.dtype not in _TENSOR_DTYPES)
    if bad_dtypes:
        raise ValueError(f"{path} holds tensors of unsupported dtypes: {bad_dtypes[:5]}.")
    return content, tensors


def _refuse_constant(name):
    raise ValueError(f"non-standard JSON constant {name}")


def _digest(content, tensors, key):
    hasher = hmac.new(key, digestmod=hashlib.sha256) if key is not None else hashlib.sha256()
    hasher.update(content.encode())
    for name in sorted(tensors):
        tensor = tensors[name]
        hasher.update(f"{name}:{tensor.dtype}:{tuple(tensor.shape)}".encode())
        # reshape(-1): a 0-d tensor (batch norm's num_batches_tracked) has no byte view;
        # an empty one has no bytes (and torch refuses its byte view).
        if tensor.numel():
            hasher.update(tensor.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
    return hasher.hexdigest()
