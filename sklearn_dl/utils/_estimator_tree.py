"""The tree of estimators in a save file: JSON values and named tensors, both ways.

:class:`Writer` turns an estimator (and the estimators in its parameters and
fitted attributes) into JSON-able records, numeric arrays and network weights
into tensors named in those records. :class:`Reader` rebuilds it, checking
every record on the way: classes from a fixed table, parameters against their
class's constraints, values of a closed set of kinds, sizes bounded by the
file. Anything else raises ``ValueError``.
"""

import warnings

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import validate_parameter_constraints

from sklearn_dl.utils._network_files import (
    rebuild_network,
    restore_training_state,
    training_state,
)
from sklearn_dl.utils._safe_types import check_file_params, safe_compile_option, safe_device

# Deeper nesting than any pipeline needs; it bounds the decoder's recursion.
_MAX_DEPTH = 60
# Strings are decoded into fixed-width numpy arrays only while the padding
# costs at most this factor over the text plus this many bytes.
_STRING_PADDING_FACTOR, _STRING_PADDING_BYTES = 8, 2**16
_SCALAR_DTYPES = {np.dtype(name).str: np.dtype(name) for name in (
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float16", "float32", "float64")}
# Sparse fitted attributes (LogisticRegression.sparsify's coef_): CSR and CSC
# only, stored as their three arrays.
_SPARSE_CLASSES = {cls.__name__: cls for cls in (
    sp.csr_matrix, sp.csc_matrix, sp.csr_array, sp.csc_array)}
_SPARSE_PARTS = ("data", "indices", "indptr")
_SPARSE_DTYPES = {np.dtype(name).str for name in (
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float32", "float64")}
_TYPES = {name: getattr(np, name) for name in (
    "bool_", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float16", "float32", "float64", "str_", "object_")}
_TYPES.update({"bool": bool, "int": int, "float": float, "str": str, "object": object})


def code_name(obj):
    """``module.qualname`` of a function or class defined at a module's top level, or None."""
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(qualname, str) or "<" in qualname:
        return None
    return f"{module}.{qualname}"


def _is_network(estimator):
    from sklearn_dl.base import BaseTorchEstimator

    return isinstance(estimator, BaseTorchEstimator)


class Writer:
    """Turn an estimator tree into JSON-able values, numeric arrays into named tensors."""

    def __init__(self, names):
        self.names = names
        self.tensors = {}

    def estimator(self, estimator, where, depth):
        cls = type(estimator)
        if cls not in self.names:
            raise ValueError(
                f"{where} is a {cls.__module__}.{cls.__qualname__}, which sklearn_dl.save does "
                "not store: it saves this package's estimators and the scikit-learn classes "
                "listed in the persistence guide. Use pickle or joblib instead (and load such "
                "files only from sources you trust).")
        params = estimator.get_params(deep=False)
        if params.get("callbacks"):
            warnings.warn(f"{where}: callbacks are not saved; the loaded estimator has "
                          "callbacks=None.", UserWarning)
            params["callbacks"] = None
        if "compile" in params and not safe_compile_option(params["compile"]):
            warnings.warn(f"{where}: compile={params['compile']!r} is not saved (a file may "
                          "only hold built-in torch.compile choices); the loaded estimator "
                          "has compile=True.", UserWarning)
            params["compile"] = True
        if isinstance(params.get("device"), torch.device):
            params["device"] = str(params["device"])
        if "device" in params and not safe_device(params["device"]):
            raise ValueError(f"{where} has device={params['device']!r}; sklearn_dl.save stores "
                             "'auto', 'cpu', 'mps', 'cuda' or 'cuda:N'.")
        node = {
            "class": self.names[cls],
            "params": {name: self.value(value, f"{where}.{name}", depth + 1)
                       for name, value in params.items()},
        }
        network = _is_network(estimator) and hasattr(estimator, "net_")
        # What the constructor and set_params store is rebuilt from the
        # parameters, as load does it; the rest is the fitted state.
        original = estimator.get_params(deep=False)
        accepted = cls._get_param_names()
        unfitted = cls(**{name: value for name, value in original.items() if name in accepted})
        unfitted = vars(unfitted.set_params(
            **{name: value for name, value in original.items() if name not in accepted}))
        node["attributes"] = {
            name: self.value(value, f"{where}.{name}", depth + 1)
            for name, value in vars(estimator).items()
            if name not in unfitted and not (network and name == "net_")}
        if network:
            node["weights"] = prefix = f"w{len(self.tensors)}."
            for name, tensor in estimator.net_.module_.state_dict().items():
                self.tensors[prefix + name] = tensor.detach().to("cpu").contiguous()
            node["history"] = self.value(
                [{k: v for k, v in epoch.items() if k != "batches"}
                 for epoch in estimator.net_.history], f"{where}.history_", depth + 1)
            tensors, record = training_state(estimator.net_)
            if record is not None:
                record["tensors"] = prefix = f"o{len(self.tensors)}."
                self.tensors.update({prefix + name: tensor for name, tensor in tensors.items()})
                node["training_state"] = self.value(record, f"{where}.net_", depth + 1)
        return node

    def value(self, value, where, depth):
        if depth > _MAX_DEPTH:
            raise ValueError(f"{where} is nested too deeply to save.")
        # Before float and str: np.float64 and np.str_ are subclasses of both,
        # and a loaded estimator must hold the numpy scalar (with its dtype) it had.
        if isinstance(value, np.generic) and value.dtype.str in _SCALAR_DTYPES:
            return {"__scalar__": self.value(value.item(), where, depth + 1),
                    "dtype": value.dtype.str}
        if isinstance(value, np.str_):
            return {"__scalar__": str(value), "dtype": "<U"}
        if value is None or isinstance(value, (bool, str)):
            return str(value) if isinstance(value, str) else value
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            return float(value) if np.isfinite(value) else {"__float__": repr(float(value))}
        if isinstance(value, np.ndarray):
            return self.array(value, where, depth)
        if sp.issparse(value):
            return self.sparse(value, where, depth)
        if isinstance(value, (list, tuple)):
            items = [self.value(item, f"{where}[{index}]", depth + 1)
                     for index, item in enumerate(value)]
            return items if isinstance(value, list) else {"__tuple__": items}
        if isinstance(value, dict):
            return {"__dict__": [[self.value(k, where, depth + 1),
                                  self.value(v, f"{where}[{k!r}]", depth + 1)]
                                 for k, v in value.items()]}
        if isinstance(value, slice):
            return {"__slice__": [self.value(part, where, depth + 1)
                                  for part in (value.start, value.stop, value.step)]}
        if isinstance(value, np.dtype) and value.kind in "biufUO" and value.fields is None:
            return {"__dtype__": value.str}
        if isinstance(value, type) and value in _TYPES.values():
            return {"__type__": next(name for name, t in _TYPES.items() if t is value)}
        if isinstance(value, BaseEstimator):
            return {"__estimator__": self.estimator(value, where, depth + 1)}
        if callable(value) and code_name(value) is not None:
            return {"__code__": code_name(value)}
        raise ValueError(f"{where} holds a {type(value).__name__}, which sklearn_dl.save cannot "
                         "store without pickle.")

    def sparse(self, value, where, depth):
        kind = type(value).__name__
        if _SPARSE_CLASSES.get(kind) is not type(value):
            raise ValueError(
                f"{where} is a scipy.sparse {kind}, which sklearn_dl.save cannot store: it "
                "stores CSR and CSC matrices and arrays (convert it with .tocsr()).")
        if value.dtype.str not in _SPARSE_DTYPES:
            raise ValueError(f"{where} is a sparse matrix of dtype {value.dtype}, which "
                             "sklearn_dl.save cannot store.")
        return {"__sparse__": kind, "shape": [int(size) for size in value.shape],
                **{part: self.array(getattr(value, part), f"{where}.{part}", depth + 1)
                   for part in _SPARSE_PARTS}}

    def array(self, value, where, depth):
        if value.dtype.str in _SCALAR_DTYPES:
            name = f"a{len(self.tensors)}"
            # A Fortran-ordered array is stored transposed and comes back as it was:
            # products with it then run the same kernels and give the same bits.
            fortran = value.ndim > 1 and value.flags.f_contiguous and not value.flags.c_contiguous
            stored = value.T if fortran else value
            self.tensors[name] = torch.from_numpy(np.array(stored, order="C", copy=True))
            return {"__array__": name, "order": "F" if fortran else "C"}
        if value.dtype.kind in "UO" and value.ndim == 1:
            items = [self.value(item.item() if isinstance(item, np.generic) else item,
                                f"{where}[{index}]", depth + 1)
                     for index, item in enumerate(value)]
            # NaN, the missing value among an encoder's categories, is {"__float__": "nan"}.
            if any(isinstance(item, list) or (isinstance(item, dict) and set(item) not in (
                    {"__float__"}, {"__scalar__", "dtype"})) for item in items):
                raise ValueError(f"{where} is an object array holding containers; "
                                 "sklearn_dl.save stores strings and numbers only.")
            return {"__strings__": items, "dtype": value.dtype.str}
        raise ValueError(f"{where} is an array of dtype {value.dtype} and shape {value.shape}, "
                         "which sklearn_dl.save cannot store without pickle.")


class Reader:
    """Rebuild an estimator tree from the file's JSON, checking everything on the way."""

    def __init__(self, classes, trusted, tensors, path):
        self.classes, self.trusted, self.tensors, self.path = classes, trusted, tensors, path
        self.used = set()

    def fail(self, where, message):
        raise ValueError(f"{self.path}: {where} {message}")

    def estimator(self, node, where, depth):
        if not isinstance(node, dict) or set(node) - {"class", "params", "attributes",
                                                      "weights", "history", "training_state"}:
            self.fail(where, "is not an estimator record.")
        name = node.get("class")
        cls = self.classes.get(name) if isinstance(name, str) else None
        if cls is None:
            self.fail(where, f"names class {name!r}, which sklearn_dl.load does not build "
                             "(not an sklearn_dl estimator nor a scikit-learn class of the "
                             "allowed list). Refusing to load it.")
        params = self.mapping(node.get("params"), f"{where} parameters", depth)
        check_file_params(cls, params, f"{self.path}: {where}")
        accepted = cls._get_param_names()
        # Parameters beyond the constructor's (TorchClassifier's module__*) go
        # through set_params and must then be parameters of the estimator.
        extra = {name: params.pop(name) for name in list(params) if name not in accepted}
        estimator = cls(**params)  # __init__ only stores its arguments
        try:
            estimator.set_params(**extra)
        except ValueError:
            pass  # refused just below, by name
        unknown = sorted(set(extra) - set(estimator.get_params(deep=False)))
        if unknown:
            self.fail(where, f"sets {unknown}, which {cls.__name__} does not accept.")
        try:
            validate_parameter_constraints(
                getattr(estimator, "_parameter_constraints", {}),
                estimator.get_params(deep=False), caller_name=cls.__name__)
        except ValueError as error:  # InvalidParameterError is also a TypeError
            raise ValueError(f"{self.path}: {where}: {error}") from None
        attributes = self.mapping(node.get("attributes"), f"{where} attributes", depth)
        for attribute, value in attributes.items():
            if (not attribute.isidentifier() or attribute.startswith("__")
                    or not (attribute.startswith("_") or attribute.endswith("_"))
                    or attribute in vars(estimator) or hasattr(cls, attribute)):
                self.fail(where, f"has an attribute named {attribute!r}, which no fitted "
                                 f"{cls.__name__} has.")
            setattr(estimator, attribute, value)
        network = _is_network(estimator)
        if ("weights" in node) != ("history" in node) or ("weights" in node and not network):
            self.fail(where, "has weights that do not belong to it.")
        if "weights" in node:
            self.network(estimator, node, where, depth)
        elif network and any(attribute.endswith("_") for attribute in attributes):
            self.fail(where, "has fitted attributes but no weights.")
        return estimator

    def mapping(self, value, where, depth):
        if not isinstance(value, dict) or not all(isinstance(key, str) for key in value):
            self.fail(where, "are not a JSON object.")
        return {key: self.value(item, f"{where}.{key}", depth + 1) for key, item in value.items()}

    def value(self, value, where, depth):
        if depth > _MAX_DEPTH:
            self.fail(where, "is nested too deeply.")
        if value is None or isinstance(value, (bool, int, str)):
            return value
        if isinstance(value, float):
            return value
        if isinstance(value, list):
            # In place: the parsed JSON and a decoded copy never both exist.
            for index, item in enumerate(value):
                value[index] = self.value(item, where, depth + 1)
            return value
        if not isinstance(value, dict) or len(value) not in (1, 2, 5):
            self.fail(where, f"holds an unexpected value of type {type(value).__name__}.")
        marker = next((key for key in value if key.startswith("__")), None)
        decode = _DECODERS.get(marker)
        if decode is None or set(value) != _MARKER_KEYS[marker]:
            self.fail(where, f"holds an unexpected value with keys {sorted(value)[:4]}.")
        return decode(self, value, where, depth)

    def network(self, estimator, node, where, depth):
        prefix = node["weights"]
        if not isinstance(prefix, str):
            self.fail(where, "has a malformed weights prefix.")
        state = {name[len(prefix):]: tensor for name, tensor in self.tensors.items()
                 if name.startswith(prefix)}
        self.used.update(prefix + name for name in state)
        history = self.value(node["history"], f"{where} history", depth + 1)
        if not (isinstance(history, list) and all(isinstance(epoch, dict) for epoch in history)):
            self.fail(where, "has a malformed training history.")
        rebuild_network(estimator, state, history, f"{self.path}: {where}")
        if "training_state" in node:
            record = self.value(node["training_state"], f"{where} training state", depth + 1)
            prefix = record.pop("tensors", None) if isinstance(record, dict) else None
            if not isinstance(prefix, str) or prefix == node["weights"]:
                self.fail(where, "has a malformed training state.")
            tensors = {name[len(prefix):]: tensor for name, tensor in self.tensors.items()
                       if name.startswith(prefix)}
            self.used.update(prefix + name for name in tensors)
            restore_training_state(estimator.net_, tensors, record, f"{self.path}: {where}")


def _decode_float(reader, value, where, depth):
    text = value["__float__"]
    if text not in ("nan", "inf", "-inf"):
        reader.fail(where, f"holds the float {text!r}.")
    return float(text)


def _decode_scalar(reader, value, where, depth):
    if value["dtype"] == "<U":
        if not isinstance(value["__scalar__"], str):
            reader.fail(where, "holds a numpy string that is not a string.")
        return np.str_(value["__scalar__"])
    dtype = _SCALAR_DTYPES.get(value["dtype"]) if isinstance(value["dtype"], str) else None
    item = reader.value(value["__scalar__"], where, depth + 1)
    if dtype is None or isinstance(item, (list, str)) or item is None:
        reader.fail(where, f"holds a scalar of dtype {value['dtype']!r}.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            scalar = dtype.type(item)
    except (ValueError, TypeError, OverflowError, RuntimeWarning) as error:
        reader.fail(where, f"holds a scalar that is not a {dtype}: {error}.")
    return scalar


def _decode_array(reader, value, where, depth):
    name = value["__array__"]
    tensor = reader.tensors.get(name) if isinstance(name, str) else None
    if tensor is None or name in reader.used or tensor.dtype == torch.bfloat16:
        reader.fail(where, f"refers to a missing or unusable tensor {name!r}.")
    reader.used.add(name)
    if value["order"] not in ("C", "F"):
        reader.fail(where, f"holds an array of order {value['order']!r}.")
    array = tensor.numpy()
    return array.T if value["order"] == "F" else array


def _decode_sparse(reader, value, where, depth):
    """A CSR or CSC matrix, once its three arrays are known to describe one.

    The arrays are tensors of the file; the shape is checked against them
    (``indptr`` has one entry per row of a CSR matrix, per column of a CSC
    one), so nothing is allocated beyond what the file holds.
    """
    cls = _SPARSE_CLASSES.get(value["__sparse__"]) if isinstance(value["__sparse__"], str) \
        else None
    shape = value["shape"]
    if cls is None or not (isinstance(shape, list) and len(shape) == 2 and all(
            isinstance(size, int) and not isinstance(size, bool) and 0 <= size < 2**63
            for size in shape)):
        reader.fail(where, f"holds a malformed sparse matrix ({value['__sparse__']!r:.40}).")
    parts = {}
    for part in _SPARSE_PARTS:
        array = reader.value(value[part], f"{where}.{part}", depth + 1)
        if not isinstance(array, np.ndarray) or array.ndim != 1 or (
                array.dtype.str not in _SPARSE_DTYPES if part == "data"
                else array.dtype not in (np.int32, np.int64)):
            reader.fail(where, f"holds a sparse matrix whose {part} is not a 1-d array of a "
                               "dtype scipy's sparse matrices use.")
        parts[part] = array
    data, indices, indptr = (parts[part] for part in _SPARSE_PARTS)
    major, minor = shape if cls in (sp.csr_matrix, sp.csr_array) else shape[::-1]
    # Bounds before differences: np.diff of int64 values far apart would wrap around.
    if not (len(indptr) == major + 1 and indptr[0] == 0 and len(data) == len(indices)
            and indptr[-1] == len(indices) and indptr.min() >= 0
            and indptr.max() <= len(indices) and (np.diff(indptr) >= 0).all()
            and (len(indices) == 0 or (indices.min() >= 0 and indices.max() < minor))
            and max(shape) <= np.iinfo(indices.dtype).max):
        reader.fail(where, f"holds a sparse matrix of shape {tuple(shape)} whose indptr, "
                           "indices and data do not describe one.")
    matrix = cls((data, indices, indptr), shape=tuple(shape), copy=False)
    # scipy may narrow int64 indices that fit in int32: keep the saved dtypes.
    matrix.indices, matrix.indptr = indices, indptr
    return matrix


def _decode_strings(reader, value, where, depth):
    items = value["__strings__"]
    dtype = value["dtype"]
    if not isinstance(items, list) or not isinstance(dtype, str):
        reader.fail(where, "holds a malformed string array.")
    items = [reader.value(item, where, depth + 1) for item in items]
    if any(isinstance(item, (list, dict, tuple)) for item in items):
        reader.fail(where, "holds a string array with containers.")
    if dtype == "|O":
        array = np.empty(len(items), dtype=object)
        array[:] = items
        return array
    if dtype[:2] not in ("<U", ">U") or not dtype[2:].isdigit():
        reader.fail(where, f"holds a string array of dtype {dtype!r}.")
    if not all(isinstance(item, str) for item in items):
        reader.fail(where, "holds a fixed-width string array with items that are not strings.")
    width = max((len(item) for item in items), default=0)
    text = sum(len(item) for item in items) + len(items)
    if 4 * width * len(items) > _STRING_PADDING_FACTOR * 4 * text + _STRING_PADDING_BYTES:
        reader.fail(where, "holds strings whose fixed-width array would be far larger than "
                           "the file.")
    array = np.array(items, dtype=f"<U{max(width, 1)}")
    if array.dtype.str != np.dtype(dtype).newbyteorder("<").str:
        reader.fail(where, f"holds strings of width {width}, not {dtype!r}.")
    return array


def _decode_dict(reader, value, where, depth):
    pairs = value["__dict__"]
    if not isinstance(pairs, list) or not all(
            isinstance(pair, list) and len(pair) == 2 for pair in pairs):
        reader.fail(where, "holds a malformed dict.")
    result = {}
    for key, item in pairs:
        key = reader.value(key, where, depth + 1)
        if not isinstance(key, (str, int, float, bool, tuple)) and key is not None:
            reader.fail(where, f"holds a dict key of type {type(key).__name__}.")
        result[key] = reader.value(item, f"{where}[{key!r}]", depth + 1)
    return result


def _decode_tuple(reader, value, where, depth):
    items = value["__tuple__"]
    if not isinstance(items, list):
        reader.fail(where, "holds a malformed tuple.")
    return tuple(reader.value(item, where, depth + 1) for item in items)


def _decode_slice(reader, value, where, depth):
    parts = value["__slice__"]
    if not (isinstance(parts, list) and len(parts) == 3 and all(
            part is None or (isinstance(part, int) and not isinstance(part, bool))
            for part in parts)):
        reader.fail(where, "holds a malformed slice.")
    return slice(*parts)


def _decode_dtype(reader, value, where, depth):
    text = value["__dtype__"]
    if isinstance(text, str) and (text in _SCALAR_DTYPES or text == "|O"):
        return np.dtype(text)
    if isinstance(text, str) and text[:2] in ("<U", ">U") and text[2:].isdigit() \
            and len(text) < 12:
        return np.dtype(text)
    reader.fail(where, f"holds the dtype {text!r}.")


def _decode_type(reader, value, where, depth):
    name = value["__type__"]
    if not isinstance(name, str) or name not in _TYPES:
        reader.fail(where, f"holds the type {name!r}.")
    return _TYPES[name]


def _decode_estimator(reader, value, where, depth):
    return reader.estimator(value["__estimator__"], where, depth + 1)


def _decode_code(reader, value, where, depth):
    name = value["__code__"]
    if not isinstance(name, str) or name not in reader.trusted:
        reader.fail(where, f"names the code {name!r}; load runs no code from a file unless "
                           f"you pass it yourself: load(path, trusted=[{name}]).")
    return reader.trusted[name]


_DECODERS = {
    "__float__": _decode_float, "__scalar__": _decode_scalar, "__array__": _decode_array,
    "__strings__": _decode_strings, "__dict__": _decode_dict, "__tuple__": _decode_tuple,
    "__slice__": _decode_slice, "__dtype__": _decode_dtype, "__type__": _decode_type,
    "__estimator__": _decode_estimator, "__code__": _decode_code, "__sparse__": _decode_sparse,
}
_MARKER_KEYS = {marker: {marker} for marker in _DECODERS}
_MARKER_KEYS["__scalar__"] = {"__scalar__", "dtype"}
_MARKER_KEYS["__strings__"] = {"__strings__", "dtype"}
_MARKER_KEYS["__array__"] = {"__array__", "order"}
_MARKER_KEYS["__sparse__"] = {"__sparse__", "shape", *_SPARSE_PARTS}
