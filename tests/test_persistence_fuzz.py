"""Fuzzing sklearn_dl.load: mutated files run no code, allocate little, fail with ValueError.

The mutations are an attacker's: random byte flips, and edits of every JSON
field, tensor shape and dtype, and of the structure of a sparse matrix
(shape, kind, indptr and indices out of order or out of range), followed by
a fresh digest (anyone can write a valid unsigned file). Code execution is
watched through Python's audit hooks (imports, exec, compile, processes,
opened files); memory through tracemalloc
for Python and numpy allocations and through the size of every network
built, for torch's.
"""

import copy
import itertools
import json
import sys
import tracemalloc
import warnings

import numpy as np
import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sklearn_dl import load, save
from sklearn_dl.base import BaseTorchEstimator
from sklearn_dl.neural_network import MLPClassifier
from sklearn_dl.utils.persistence import _digest

_SEED = 0
_FORBIDDEN_EVENTS = ("import", "exec", "compile", "os.system", "os.exec", "os.posix_spawn",
                     "os.spawn", "subprocess.Popen", "ctypes.dlopen", "os.remove", "os.rename",
                     "shutil.")
# Per load: Python and numpy allocations up to this multiple of the file's
# size, plus a constant for what any load allocates (a skorch net, its
# callbacks and history).
_MEMORY_FACTOR, _MEMORY_CONSTANT = 8, 2**21

_NASTY_VALUES = [
    None, True, -1, 0, 2**63, 10**400, 1e308, -0.0, "", "x" * 2000, "cuda:abc", "/tmp/evil",
    [], {}, [[[[[[[[]]]]]]]], {"__tuple__": [20000, 20000]}, {"__tuple__": [1] * 5000},
    {"__strings__": ["a" * 4000] + [""] * 4000, "dtype": "<U4000"},
    {"__strings__": ["a"], "dtype": "<U999999999"}, {"__strings__": [[]], "dtype": "|O"},
    {"__array__": "a0", "order": "C"}, {"__array__": "w0.layers.0.weight", "order": "F"},
    {"__dtype__": "(1000,1000)f8"}, {"__dtype__": "V1000000"},
    {"__scalar__": 1e308, "dtype": "<f2"}, {"__scalar__": "1", "dtype": "<i8"},
    {"__code__": "os.system"}, {"__code__": "builtins.eval"}, {"__type__": "type"},
    {"__slice__": [0, 10**100, None]}, {"__float__": "1e999"}, {"__dict__": [[[], 1]]},
    {"__estimator__": {"class": "subprocess.Popen", "params": {"args": ["sh"]},
                       "attributes": {}}},
    {"__estimator__": {"class": "sklearn_dl.neural_network.MLPClassifier",
                       "params": {"hidden_layer_sizes": {"__tuple__": [10**6, 10**6]}},
                       "attributes": {"n_outputs_": 10**6, "_sample_shape": {"__tuple__": [
                           10**6]}}, "weights": "w0.", "history": []}},
    {"__unknown__": 1}, {"__tuple__": 1, "extra": 2},
    {"__scalar__": ["a"], "dtype": "<U"}, {"__scalar__": "a" * 3000, "dtype": "<U"},
    {"__sparse__": "csr_matrix", "shape": [2**62, 2**62], "data": {"__array__": "a0",
     "order": "C"}, "indices": {"__array__": "a1", "order": "C"}, "indptr": {
     "__array__": "a2", "order": "C"}},
    {"__sparse__": "csc_array", "shape": [0, 0], "data": [], "indices": [], "indptr": [0]},
]


def _table_model():
    rng = np.random.default_rng(0)
    import pandas as pd

    frame = pd.DataFrame({"income": rng.normal(size=60), "region": rng.choice(["a", "b"], 60)})
    frame.loc[::7, "income"] = np.nan
    labels = np.where(frame["region"] == "a", "yes", "no")
    return make_pipeline(ColumnTransformer([
        ("numeric", make_pipeline(SimpleImputer(), StandardScaler()), ["income"]),
        ("categorical", OneHotEncoder(handle_unknown="ignore"), ["region"]),
    ]), MLPClassifier(hidden_layer_sizes=(4,), max_iter=2, random_state=0)).fit(frame, labels)


def _sparse_model(X, y):
    """A LogisticRegression whose coef_ sparsify() made a CSR matrix, with an empty row."""
    from sklearn_dl.linear_model import LogisticRegression

    model = LogisticRegression(C=0.05, l1_ratio=1.0, solver="proximal", random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: the sparsity is what matters
        return model.fit(X, y).sparsify()


@pytest.fixture(scope="module")
def valid_files(tmp_path_factory):
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    directory = tmp_path_factory.mktemp("fuzz")
    models = {
        "network": MLPClassifier(hidden_layer_sizes=(6,), batch_norm=True, max_iter=2,
                                 random_state=0).fit(X, y),
        "pipeline": _table_model(),
        "sparse": _sparse_model(X, y),
    }
    paths = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, model in models.items():
            paths[name] = directory / f"{name}.safetensors"
            save(model, paths[name])
            load(paths[name])  # imports everything a valid load needs, before watching
            repr(model)  # error messages print estimators
    return paths


def _read(path):
    with safe_open(str(path), framework="pt") as handle:
        content = json.loads(handle.metadata()["content"])
    return content, load_file(str(path))


def _write(path, content, tensors):
    text = json.dumps(content)
    save_file(tensors, str(path),
              metadata={"content": text, "digest": _digest(text, tensors, None)})


def _json_paths(value, path=()):
    """Every place in a JSON tree: (path, value) for containers and leaves alike."""
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _json_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _json_paths(item, (*path, index))


def _replace(tree, path, value):
    tree = copy.deepcopy(tree)
    parent = tree
    for key in path[:-1]:
        parent = parent[key]
    if value is _DELETE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return tree


_DELETE = object()


def _tensor_edits(tensor, rng):
    shape = tuple(tensor.shape)
    return [
        torch.zeros((*shape, 2), dtype=tensor.dtype),
        torch.zeros(tuple(size + 1 for size in shape), dtype=tensor.dtype),
        torch.zeros(()),
        torch.zeros((0,)),
        tensor.to(torch.float64), tensor.to(torch.int64), tensor.to(torch.bool),
        tensor.to(torch.float16), tensor.to(torch.bfloat16), tensor.to(torch.uint8),
        torch.full(shape, float("nan")) if tensor.is_floating_point() else tensor + 1,
        tensor.reshape(-1) if tensor.ndim > 1 else tensor.reshape(1, -1),
    ]


def _mutations(paths, rng):
    """(name, bytes-or-(content, tensors)) pairs: a few hundred mutated files."""
    for source, path in paths.items():
        data = path.read_bytes()
        for index in range(20):
            flipped = bytearray(data)
            for position in rng.integers(0, len(data), size=rng.integers(1, 4)):
                flipped[position] ^= int(rng.integers(1, 256))
            yield f"{source} byte flip {index}", bytes(flipped)
        for cut in rng.integers(0, len(data), size=4):
            yield f"{source} truncated at {cut}", data[:cut]
        content, tensors = _read(path)
        places = [place for place, _ in _json_paths(content) if place]
        for index in rng.choice(len(places), size=min(len(places), 45), replace=False):
            place = places[index]
            for value in rng.choice(len(_NASTY_VALUES), size=2, replace=False):
                yield (f"{source} {'/'.join(map(str, place))} = {_NASTY_VALUES[value]!r:.60}",
                       (_replace(content, place, _NASTY_VALUES[value]), tensors))
            yield f"{source} {place} deleted", (_replace(content, place, _DELETE), tensors)
        for name in tensors:
            edits = _tensor_edits(tensors[name], rng)
            for edit in rng.choice(len(edits), size=2, replace=False):
                yield f"{source} tensor {name} edit {edit}", (content, {**tensors,
                                                                        name: edits[edit]})
            yield f"{source} tensor {name} deleted", (
                content, {key: value for key, value in tensors.items() if key != name})


def _sparse_records(value, path=()):
    return [(place, item) for place, item in _json_paths(value, path)
            if isinstance(item, dict) and "__sparse__" in item]


def _sparse_edits(record, tensors, rng):
    """(name, record, tensors) edits of one sparse matrix: its shape, kind, and its arrays."""
    names = {part: record[part]["__array__"] for part in ("data", "indices", "indptr")}
    indptr, indices = tensors[names["indptr"]], tensors[names["indices"]]
    rows, columns = record["shape"]
    for shape in ([rows, columns + 1], [rows, 0], [rows + 1, columns], [columns, rows],
                  [2**62, columns], [rows, 2**62], [rows, 2**31], [-1, columns],
                  [rows, columns, 1], [rows], "3x4", [True, columns], [rows, 1.5]):
        yield f"shape {shape}", {**record, "shape": shape}, tensors
    for kind in ("csc_matrix", "csr_array", "coo_matrix", "bsr_matrix", "", 1):
        yield f"kind {kind!r}", {**record, "__sparse__": kind}, tensors
    for part in names:
        yield f"{part} swapped", {**record, part: record["indptr" if part != "indptr"
                                                            else "indices"]}, tensors
        yield f"{part} as a list", {**record, part: [0, 1]}, tensors
    position = int(rng.integers(0, len(indptr)))
    arrays = {
        "indptr decreasing": ("indptr", indptr.flip(0)),
        "indptr jump": ("indptr", indptr.to(torch.int64).index_put(
            (torch.tensor([position]),), torch.tensor(2**40))),
        "indptr negative": ("indptr", indptr.index_put((torch.tensor([position]),),
                                                       torch.tensor(-1, dtype=indptr.dtype))),
        "indptr wrapping": ("indptr", torch.tensor([0, 2**62 + 1, -(2**62)] + [
            int(indptr[-1])] * (len(indptr) - 3), dtype=torch.int64)),
        "indptr short": ("indptr", indptr[:-1]),
        "indptr int16": ("indptr", indptr.to(torch.int16)),
        "indices out of range": ("indices", indices + columns),
        "indices negative": ("indices", indices - columns),
        "indices float": ("indices", indices.to(torch.float64)),
        "indices 2-d": ("indices", indices.reshape(1, -1)),
        "indices extra": ("indices", torch.cat([indices, indices[:1]])),
        "data short": ("data", tensors[names["data"]][:-1]),
        "data bfloat16": ("data", tensors[names["data"]].to(torch.bfloat16)),
        "data float16": ("data", tensors[names["data"]].to(torch.float16)),
    }
    for name, (part, tensor) in arrays.items():
        yield name, record, {**tensors, names[part]: tensor}


def _sparse_mutations(paths, rng):
    """Edits aimed at the sparse matrices of the valid files: malformed CSR structure."""
    for source, path in paths.items():
        content, tensors = _read(path)
        for place, record in _sparse_records(content):
            for name, edited, edited_tensors in _sparse_edits(record, tensors, rng):
                yield (f"{source} {'/'.join(map(str, place))} {name}",
                       (_replace(content, place, edited), edited_tensors))


class _Watch:
    """Record audit events that mean running code or touching the file system."""

    def __init__(self):
        self.active, self.allowed_file, self.events = False, None, []

    def __call__(self, event, args):
        if not self.active:
            return
        if event == "open" and args and str(args[0]) != self.allowed_file:
            self.events.append((event, args[:1]))
        elif event.startswith(_FORBIDDEN_EVENTS):
            self.events.append((event, str(args)[:80]))


_WATCH = _Watch()
sys.addaudithook(_WATCH)  # audit hooks cannot be removed: this one only listens while active


def test_load_survives_mutated_files(valid_files, tmp_path, monkeypatch):
    built = []
    make_net = BaseTorchEstimator._make_net

    def recording_make_net(self, *args, **kwargs):
        net = make_net(self, *args, **kwargs)
        built.append(sum(tensor.numel() * tensor.element_size()
                         for tensor in net.module_.state_dict().values()))
        return net

    monkeypatch.setattr(BaseTorchEstimator, "_make_net", recording_make_net)
    rng = np.random.default_rng(_SEED)
    target = tmp_path / "mutated.safetensors"
    outcomes = {"loaded": 0, "refused": 0}
    sparse = list(_sparse_mutations(valid_files, np.random.default_rng(_SEED + 1)))
    assert len(sparse) >= 30, "the sparse model lost its sparse coef_"
    for name, mutation in itertools.chain(_mutations(valid_files, rng), sparse):
        if isinstance(mutation, bytes):
            target.write_bytes(mutation)
        else:
            _write(target, *mutation)
        size = target.stat().st_size
        built.clear()
        _WATCH.allowed_file, _WATCH.events = str(target), []
        tracemalloc.start()
        _WATCH.active = True
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # an edited version number warns, rightly
                load(target)
            outcomes["loaded"] += 1
        except ValueError as error:
            assert not isinstance(error, TypeError), f"{name}: {error!r}"
            outcomes["refused"] += 1
        except Exception as error:  # noqa: BLE001 - the point is to name any other type
            pytest.fail(f"{name}: load raised {type(error).__name__}: {error}")
        finally:
            _WATCH.active = False
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        assert not _WATCH.events, f"{name}: {_WATCH.events[:3]}"
        assert peak <= _MEMORY_FACTOR * size + _MEMORY_CONSTANT, f"{name}: {peak} bytes"
        assert sum(built) <= size, f"{name}: built networks of {built} bytes"
    # Most mutations must be refused; some (a label, a loss value) are harmless edits.
    assert outcomes["refused"] > 0.7 * sum(outcomes.values()), outcomes
    assert sum(outcomes.values()) >= 300, outcomes
