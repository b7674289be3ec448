"""Save and load fitted estimators without pickle: safetensors for arrays, JSON for the rest.

Loading a pickle runs whatever code the file names; loading these files runs
none. :func:`save` writes one ``.safetensors`` file: the network's weights and
every numeric fitted array as tensors, and in its JSON metadata the estimator's
class name, parameters, the remaining fitted attributes and the package
versions. :func:`load` accepts only classes of this package, rebuilds the
estimator from its parameters, checks every tensor's name and shape against
the rebuilt network and verifies a SHA-256 digest (or, with ``key``, an
HMAC-SHA256 signature) of the whole content.
"""

import hashlib
import hmac
import json
import warnings

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from sklearn.utils.validation import check_is_fitted

_FORMAT = "sklearn_dl.v1"
_MODULE_PREFIX = "module."
_ARRAY_PREFIX = "attribute."


def save(estimator, path, *, key=None):
    """Write a fitted estimator to ``path`` in a format that cannot run code on load.

    Parameters
    ----------
    estimator : fitted sklearn_dl estimator
    path : str or path-like
        Destination, conventionally ending in ``.safetensors``.
    key : bytes or None, default=None
        Secret for an HMAC-SHA256 signature; :func:`load` then needs the same
        key and refuses a file signed with another.

    Examples
    --------
    >>> import tempfile, os
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_dl import MLPClassifier, load, save
    >>> X, y = load_iris(return_X_y=True)
    >>> model = MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(X, y)
    >>> path = os.path.join(tempfile.mkdtemp(), "iris.safetensors")
    >>> save(model, path)
    >>> (load(path).predict_proba(X) == model.predict_proba(X)).all()
    np.True_
    """
    import sklearn_dl  # the package imports this module: its version is read at call time

    check_is_fitted(estimator)
    tensors, attributes = {}, {}
    for name, value in vars(estimator).items():
        if name in estimator.get_params(deep=False) or name == "net_":
            continue
        if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
            tensors[_ARRAY_PREFIX + name] = torch.from_numpy(np.ascontiguousarray(value))
        else:
            attributes[name] = _to_json(value, name)
    if hasattr(estimator, "net_"):
        for name, value in estimator.net_.module_.state_dict().items():
            tensors[_MODULE_PREFIX + name] = value.detach().to("cpu").contiguous()
        attributes["__history__"] = [
            {k: _to_json(v, k) for k, v in epoch.items() if k != "batches"}
            for epoch in estimator.net_.history
        ]
    params = estimator.get_params(deep=False)
    if params.get("callbacks"):
        warnings.warn("callbacks are not saved; the loaded estimator has callbacks=None.",
                      UserWarning)
        params["callbacks"] = None
    content = {
        "format": _FORMAT,
        "estimator": type(estimator).__name__,
        "sklearn_dl_version": sklearn_dl.__version__,
        "params": {name: _to_json(value, name) for name, value in params.items()},
        "attributes": attributes,
    }
    metadata = {"content": json.dumps(content, sort_keys=True)}
    metadata["digest"] = _digest(metadata["content"], tensors, key)
    save_file(tensors, str(path), metadata=metadata)


def load(path, *, key=None):
    """Read an estimator written by :func:`save`; no code from the file is run.

    Parameters
    ----------
    path : str or path-like
    key : bytes or None, default=None
        The key the file was signed with, if any.

    Returns
    -------
    estimator
        The fitted estimator, its network on CUDA when the machine has it and
        the estimator's ``device`` allows it, otherwise on the CPU.

    Raises
    ------
    ValueError
        If the file is not an sklearn_dl save file, was modified, names a class
        outside this package, or holds tensors that do not fit the network.

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
    from safetensors import safe_open

    import sklearn_dl
    from sklearn_dl.utils.discovery import all_estimators

    try:
        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
        tensors = load_file(str(path), device="cpu")
    except Exception as error:  # safetensors raises several types for a broken header
        raise ValueError(f"{path} is not a readable safetensors file: {error}") from error
    if "content" not in metadata or "digest" not in metadata:
        raise ValueError(f"{path} is not an sklearn_dl save file (no sklearn_dl metadata).")
    expected = _digest(metadata["content"], tensors, key)
    if not hmac.compare_digest(expected, metadata["digest"]):
        raise ValueError(
            f"{path} does not match its digest: the file was modified, corrupted, or signed "
            "with another key. Refusing to load it."
        )
    content = json.loads(metadata["content"])
    if content.get("format") != _FORMAT:
        raise ValueError(f"{path} has format {content.get('format')!r}; expected {_FORMAT!r}.")
    classes = dict(all_estimators())
    if content["estimator"] not in classes:
        raise ValueError(f"{path} names {content['estimator']!r}, which is not an sklearn_dl "
                         "estimator. Refusing to load it.")
    if content["sklearn_dl_version"] != sklearn_dl.__version__:
        warnings.warn(f"{path} was saved with sklearn_dl {content['sklearn_dl_version']}; this "
                      f"is {sklearn_dl.__version__}.", UserWarning)

    estimator = classes[content["estimator"]](
        **{name: _from_json(value) for name, value in content["params"].items()})
    attributes = dict(content["attributes"])
    history = attributes.pop("__history__", None)
    for name, value in attributes.items():
        setattr(estimator, name, _from_json(value))
    for name, tensor in tensors.items():
        if name.startswith(_ARRAY_PREFIX):
            setattr(estimator, name[len(_ARRAY_PREFIX):], tensor.numpy())
    if history is not None:
        _rebuild_net(estimator, tensors, history, path)
    return estimator


def _rebuild_net(estimator, tensors, history, path):
    from skorch.history import History

    from sklearn_dl.utils import resolve_device, seeded

    requested = estimator.device
    available = requested not in ("cuda",) or torch.cuda.is_available()
    device = resolve_device(requested if available else "cpu")
    with seeded(0, device):
        net = estimator._make_net(estimator._sample_shape, device, n_samples=1)
    state = {name[len(_MODULE_PREFIX):]: tensor for name, tensor in tensors.items()
             if name.startswith(_MODULE_PREFIX)}
    expected = net.module_.state_dict()
    mismatched = sorted(set(state) ^ set(expected)) + sorted(
        name for name in set(state) & set(expected) if state[name].shape != expected[name].shape)
    if mismatched:
        raise ValueError(f"{path} holds weights that do not fit the {type(estimator).__name__} "
                         f"its parameters describe (first mismatches: {mismatched[:5]}).")
    net.module_.load_state_dict(state)
    net.history = History(history)
    estimator.net_ = net


def _digest(content, tensors, key):
    hasher = hmac.new(key, digestmod=hashlib.sha256) if key is not None else hashlib.sha256()
    hasher.update(content.encode())
    for name in sorted(tensors):
        tensor = tensors[name]
        hasher.update(f"{name}:{tensor.dtype}:{tuple(tensor.shape)}".encode())
        # reshape(-1): a 0-d tensor (batch norm's num_batches_tracked) has no byte view.
        hasher.update(tensor.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
    return hasher.hexdigest()


def _to_json(value, name):
    if isinstance(value, np.ndarray):
        return {"__ndarray__": value.tolist(), "dtype": value.dtype.str}
    if isinstance(value, tuple):
        return {"__tuple__": [_to_json(item, name) for item in value]}
    if isinstance(value, (np.generic,)):
        return value.item()
    if isinstance(value, torch.device):
        return str(value)
    if isinstance(value, float) and not np.isfinite(value):
        return {"__float__": repr(value)}
    if isinstance(value, list):
        return [_to_json(item, name) for item in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return {"__dict__": [[_to_json(k, name), _to_json(v, name)] for k, v in value.items()]}
    raise TypeError(f"{name!r} holds a {type(value).__name__}, which sklearn_dl.save cannot "
                    "store without pickle.")


def _from_json(value):
    if isinstance(value, list):
        return [_from_json(item) for item in value]
    if not isinstance(value, dict):
        return value
    if "__ndarray__" in value:
        dtype = np.dtype(value["dtype"])
        return np.array(value["__ndarray__"], dtype=object if dtype.kind == "O" else dtype)
    if "__tuple__" in value:
        return tuple(_from_json(item) for item in value["__tuple__"])
    if "__float__" in value:
        return float(value["__float__"])
    if "__dict__" in value:
        return {_from_json(k): _from_json(v) for k, v in value["__dict__"]}
    raise ValueError(f"Unexpected value in save file: {value!r}")
