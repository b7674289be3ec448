"""Persistence: pickle across versions, and sklearn_dl.save / load that never run code."""

import copy
import io
import json
import pickle
import tracemalloc
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from sklearn import linear_model as sk_linear
from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline, make_union
from sklearn.preprocessing import FunctionTransformer, MinMaxScaler, StandardScaler
from sklearn.utils import get_tags

import sklearn_dl
from sklearn_dl import load, save
from sklearn_dl.base import BaseTorchEstimator
from sklearn_dl.neural_network import LSTMClassifier, LSTMRegressor, MLPClassifier, MLPRegressor
from sklearn_dl.time_series import RecursiveForecaster, SlidingWindow
from sklearn_dl.utils import all_estimators
from sklearn_dl.utils._safe_types import loadable_classes
from sklearn_dl.utils.persistence import _digest


@pytest.fixture(scope="module")
def fitted():
    X, y = load_iris(return_X_y=True)
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    model = MLPClassifier(hidden_layer_sizes=(8,), max_iter=20, learning_rate_init=0.01,
                          random_state=0).fit(X, labels)
    return model, X


def read(path):
    """The JSON content and the tensors of a saved file."""
    with safe_open(str(path), framework="pt") as handle:
        content = json.loads(handle.metadata()["content"])
    return content, load_file(str(path))


def write(path, content, tensors):
    """What an attacker can do: any content, with a digest that matches it."""
    text = content if isinstance(content, str) else json.dumps(content)
    save_file(tensors, str(path),
              metadata={"content": text, "digest": _digest(text, tensors, None)})


def edited(saved, tmp_path, edit):
    """A copy of ``saved`` whose JSON content ``edit(content, tensors)`` changed, re-digested."""
    content, tensors = read(saved)
    edit(content, tensors)
    path = tmp_path / "edited.safetensors"
    write(path, content, tensors)
    return path


@pytest.fixture
def saved_model(fitted, tmp_path):
    path = tmp_path / "model.safetensors"
    save(fitted[0], path)
    return path


def test_save_load_round_trip_classifier(fitted, tmp_path):
    model, X = fitted
    path = tmp_path / "model.safetensors"
    save(model, path)
    restored = load(path)
    np.testing.assert_array_equal(restored.predict_proba(X), model.predict_proba(X))
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))
    assert restored.get_params() == {**model.get_params(), "hidden_layer_sizes": (8,)}
    assert restored.loss_curve_ == model.loss_curve_
    assert list(restored.history_["train_loss"]) == list(model.history_["train_loss"])


def test_save_load_round_trip_regressor_keeps_target_scaling(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 3))
    y = 1000 * X[:, 0] + 5
    model = MLPRegressor(hidden_layer_sizes=(8,), max_iter=10, random_state=0).fit(X, y)
    save(model, tmp_path / "reg.safetensors")
    np.testing.assert_array_equal(load(tmp_path / "reg.safetensors").predict(X), model.predict(X))


@pytest.mark.parametrize("name", ["LogisticRegression", "LinearRegression", "Ridge"])
def test_save_load_round_trip_linear_models(name, tmp_path):
    estimators = dict(all_estimators())
    X, y = load_iris(return_X_y=True)
    model = estimators[name]().fit(X, y)
    save(model, tmp_path / "linear.safetensors")
    restored = load(tmp_path / "linear.safetensors")
    assert type(restored) is estimators[name]
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))


def test_load_of_an_int_batch_size_is_silent_and_keeps_it(tmp_path):
    # The file does not hold the training set's size: loading must not clip
    # batch_size=32 to a one-row set (sklearn's clipping warning), and training
    # on goes on with batches of 32.
    X, y = load_iris(return_X_y=True)
    model = MLPClassifier(hidden_layer_sizes=(8,), batch_size=32, max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    save(model, tmp_path / "model.safetensors")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        restored = load(tmp_path / "model.safetensors")
    assert restored.batch_size == 32
    restored.partial_fit(X, y)
    model.partial_fit(X, y)
    assert restored.net_.batch_size == model.net_.batch_size == 32
    np.testing.assert_array_equal(restored.predict_proba(X), model.predict_proba(X))


def test_loaded_recurrent_net_stops_a_warm_start_where_the_original_does(tmp_path):
    # The recurrent nets' patience is counted from the first epoch's loss and
    # from the training set's size, which the file must let a warm start know.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 4, 1)).astype("float32")
    y = (X[:, 1, 0] > 0).astype(int)
    model = LSTMClassifier(hidden_size=4, learning_rate_init=0.05, max_iter=3, warm_start=True,
                           random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    save(model, tmp_path / "model.safetensors")
    restored = load(tmp_path / "model.safetensors")
    stopping = [dict(estimator.net_.callbacks_)["sklearn_stopping"]
                for estimator in (model, restored)]
    assert stopping[1].first_loss_ == stopping[0].first_loss_ is not None
    for estimator in (model, restored):
        estimator.set_params(max_iter=300).fit(X, y)
    assert restored.n_iter_ == model.n_iter_ < 300
    np.testing.assert_array_equal(restored.predict_proba(X), model.predict_proba(X))


def test_loaded_net_waits_from_chance_in_a_warm_start_as_the_original_does(tmp_path):
    # The first epoch's loss is far above a constant output's (targets far
    # from 0, not standardised): the patience is counted from chance, which
    # the warm start reads from its training data again.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 4, 1))
    y = 3.0 + X[:, -1, 0]
    model = LSTMRegressor(hidden_size=4, standardize_target=False, tol=1e-2, max_iter=3,
                          warm_start=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    save(model, tmp_path / "model.safetensors")
    restored = load(tmp_path / "model.safetensors")
    for estimator in (model, restored):
        estimator.set_params(max_iter=300).fit(X, y)
    stopping = [dict(estimator.net_.callbacks_)["sklearn_stopping"]
                for estimator in (model, restored)]
    assert stopping[0].first_loss_ > 2 * stopping[0].chance_loss
    assert stopping[1].chance_loss == stopping[0].chance_loss
    assert restored.n_iter_ == model.n_iter_ < 300
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_loaded_network_continues_training_as_the_original(solver, tmp_path):
    X, y = load_iris(return_X_y=True)
    model = MLPClassifier(hidden_layer_sizes=(8,), solver=solver, learning_rate="invscaling",
                          dropout=0.2, max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y)
    save(model, tmp_path / "model.safetensors")
    restored = load(tmp_path / "model.safetensors")
    for _ in range(2):
        model.partial_fit(X, y)
        restored.partial_fit(X, y)
    np.testing.assert_array_equal(restored.predict_proba(X), model.predict_proba(X))
    assert (restored.t_, restored.loss_curve_) == (model.t_, model.loss_curve_)


def test_malformed_training_state_is_refused(saved_model, tmp_path):
    def edit(content, tensors):
        name = next(name for name in tensors if name.endswith(".exp_avg"))
        tensors[name] = torch.zeros(2, 2)
    with pytest.raises(ValueError, match="fits no parameter"):
        load(edited(saved_model, tmp_path, edit))


def test_tampered_file_is_refused(saved_model):
    data = bytearray(saved_model.read_bytes())
    data[-5] ^= 0xFF  # one weight's bytes changed
    saved_model.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="does not match its digest"):
        load(saved_model)


def test_foreign_and_broken_files_are_refused(tmp_path):
    foreign = tmp_path / "foreign.safetensors"
    save_file({"weight": torch.zeros(2)}, str(foreign))
    with pytest.raises(ValueError, match="not an sklearn_dl save file"):
        load(foreign)
    broken = tmp_path / "broken.safetensors"
    broken.write_bytes(b"\x00" * 16)
    with pytest.raises(ValueError, match="not a readable safetensors file"):
        load(broken)
    pickled = tmp_path / "model.pkl"
    pickled.write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(ValueError, match="not a readable safetensors file"):
        load(pickled)


@pytest.mark.parametrize("name", ["subprocess.Popen", "os.system", "LinearRegression",
                                  "sklearn_dl.linear_model._linear.LinearRegression",
                                  "sklearn.tree.DecisionTreeClassifier"])
def test_class_outside_the_list_is_refused_even_with_a_valid_digest(name, tmp_path):
    path = tmp_path / "evil.safetensors"
    write(path, {"format": "sklearn_dl.v2", "sklearn_dl_version": sklearn_dl.__version__,
                 "root": {"class": name, "params": {"args": "rm -rf /"}, "attributes": {}}}, {})
    with pytest.raises(ValueError, match="does not build"):
        load(path)


def test_signed_files_need_the_key(fitted, tmp_path):
    model, X = fitted
    path = tmp_path / "signed.safetensors"
    save(model, path, key=b"secret")
    np.testing.assert_array_equal(load(path, key=b"secret").predict(X), model.predict(X))
    with pytest.raises(ValueError, match="signed with another key"):
        load(path, key=b"other")
    with pytest.raises(ValueError, match="digest"):
        load(path)


def test_version_mismatch_warns(fitted, tmp_path, monkeypatch):
    model, X = fitted
    current = sklearn_dl.__version__
    pickled = pickle.dumps(model)
    save(model, tmp_path / "model.safetensors")
    monkeypatch.setattr(sklearn_dl, "__version__", "99.0.0")
    with pytest.warns(UserWarning, match=f"pickled with sklearn_dl {current}"):
        restored = pickle.loads(pickled)
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))
    with pytest.warns(UserWarning, match=f"saved with sklearn_dl {current}"):
        load(tmp_path / "model.safetensors")


def test_same_version_pickle_is_silent(fitted):
    model, X = fitted
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))


def test_unpickled_recurrent_layers_are_compacted_for_cudnn(monkeypatch):
    """Unpickled, an LSTM's weights lie in separate storages; on a GPU, cuDNN then
    copies them at every call and warns ("RNN module weights are not part of
    single contiguous chunk of memory"), an error under this suite's filters: the
    first GPU run failed tests/test_reliability.py's pickle-and-continue test so.
    Loading compacts them; on a CPU that call does nothing, so it is counted here.
    """
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 8))
    model = LSTMRegressor(input_shape=(4, 2), hidden_size=4, num_layers=2, dropout=0.1,
                          max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # two epochs: ConvergenceWarning
        model.fit(X, X[:, 0])
    compacted = []
    monkeypatch.setattr(torch.nn.RNNBase, "flatten_parameters",
                        lambda layer: compacted.append(layer))
    for restored in (pickle.loads(pickle.dumps(model)), copy.deepcopy(model)):
        layers = [layer for layer in restored.module_.modules()
                  if isinstance(layer, torch.nn.RNNBase)]
        assert len(layers) == 2  # the stacked layers, with dropout between
        assert all(any(layer is done for done in compacted) for layer in layers)


def test_unfitted_estimator_cannot_be_saved(tmp_path):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        save(MLPClassifier(), tmp_path / "x.safetensors")


# -- parameters that name code or places ----------------------------------------------


def _set_param(name, value):
    def edit(content, tensors):
        content["root"]["params"][name] = value
    return edit


@pytest.mark.parametrize("name, value, message", [
    ("compile", {"__dict__": [["options", {"__dict__": [["cpp.cxx", "/tmp/evil.sh"]]}]]},
     "compile="),
    ("compile", {"__dict__": [["backend", "my_backend"]]}, "compile="),
    ("callbacks", [], "callbacks must be None"),
    ("device", "cuda:abc", "device="),
    ("device", "privateuseone", "device="),
    ("solver", "evil", "'solver' parameter"),
    ("alpha", -1.0, "'alpha' parameter"),
    ("hidden_layer_sizes", "8", "'hidden_layer_sizes' parameter"),
    ("no_such_parameter", 1, "does not accept"),
])
def test_load_refuses_parameters_that_name_code_or_are_invalid(saved_model, tmp_path, name,
                                                               value, message):
    path = edited(saved_model, tmp_path, _set_param(name, value))
    with pytest.raises(ValueError, match=message):
        load(path)


def test_load_accepts_built_in_compile_choices(saved_model, tmp_path, fitted):
    compile = {"__dict__": [["mode", "max-autotune"], ["fullgraph", False]]}
    restored = load(edited(saved_model, tmp_path, _set_param("compile", compile)))
    assert restored.compile == {"mode": "max-autotune", "fullgraph": False}
    np.testing.assert_array_equal(restored.predict(fitted[1]), fitted[0].predict(fitted[1]))


def test_save_drops_compile_options_a_file_may_not_hold(fitted, tmp_path):
    model = pickle.loads(pickle.dumps(fitted[0]))
    model.set_params(compile={"options": {"cpp.cxx": "g++"}})
    with pytest.warns(UserWarning, match="compile=.* is not saved"):
        save(model, tmp_path / "model.safetensors")
    assert load(tmp_path / "model.safetensors").compile is True


def test_pipeline_cache_directory_is_refused(tmp_path):
    X, y = load_iris(return_X_y=True)
    pipeline = make_pipeline(StandardScaler(), sk_linear.LogisticRegression()).fit(X, y)
    save(pipeline, tmp_path / "pipe.safetensors")
    path = edited(tmp_path / "pipe.safetensors", tmp_path, _set_param("memory", str(tmp_path)))
    with pytest.raises(ValueError, match="memory must be None"):
        load(path)


# -- sizes checked before anything is allocated ----------------------------------------


def test_network_is_not_built_before_its_weights_are_known_to_fit(saved_model, tmp_path,
                                                                  monkeypatch):
    built = []
    monkeypatch.setattr(BaseTorchEstimator, "_make_net",
                        lambda self, *args, **kwargs: built.append(args))
    huge = _set_param("hidden_layer_sizes", {"__tuple__": [20000, 20000]})
    with pytest.raises(ValueError, match="do not fit"):
        load(edited(saved_model, tmp_path, huge))
    many = _set_param("hidden_layer_sizes", {"__tuple__": [1] * 100_000})
    with pytest.raises(ValueError, match="cannot fit"):
        load(edited(saved_model, tmp_path, many))
    assert built == []


def _set_attribute(name, value):
    def edit(content, tensors):
        content["root"]["attributes"][name] = value
    return edit


@pytest.mark.parametrize("value", [
    {"__strings__": ["a" * 100_000] + [""] * 20_000, "dtype": "<U100000"},  # 8 GB fixed-width
    {"__strings__": ["a"], "dtype": "<U1000000000"},
    {"__strings__": ["a"], "dtype": "(10000,10000)f8"},
    {"__scalar__": 1.0, "dtype": "(10000,10000)f8"},
    {"__dtype__": "(10000,10000)f8"},
    {"__ndarray__": [1.0], "dtype": "(10000,10000)f8"},
])
def test_declared_sizes_cannot_make_load_allocate(saved_model, tmp_path, value):
    path = edited(saved_model, tmp_path, _set_attribute("loss_curve_", value))
    tracemalloc.start()
    try:
        with pytest.raises(ValueError):
            load(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * path.stat().st_size + 2**22


@pytest.mark.parametrize("item", ["{}", "[]", "1.5", '"a"', '{"__tuple__": []}'])
def test_parsing_dense_json_costs_a_bounded_multiple_of_the_file(item, tmp_path):
    path = tmp_path / "dense.safetensors"
    write(path, '{"format": "sklearn_dl.v2", "root": {"class": '
                '"sklearn.preprocessing.StandardScaler", "params": {}, "attributes": '
                '{"mean_": [' + ",".join([item] * 50_000) + "]}}}", {})
    tracemalloc.start()
    try:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                load(path)
        except ValueError:
            pass
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 32 * path.stat().st_size


# -- fitted attributes come back with their types and dtypes ---------------------------


def assert_same_state(original, restored, where="estimator"):
    """Every attribute of ``original`` (networks' weights aside) has its type, dtype and value."""
    assert type(restored) is type(original), f"{where}: {type(restored)} != {type(original)}"
    if isinstance(original, BaseEstimator):
        names = set(vars(original)) - {"net_"}
        assert set(vars(restored)) - {"net_"} == names, f"{where}: attributes differ"
        for name in sorted(names):
            assert_same_state(vars(original)[name], vars(restored)[name], f"{where}.{name}")
        if "net_" in vars(original):  # the weights are compared through predictions
            history = [[{key: value for key, value in epoch.items() if key != "batches"}
                        for epoch in model.net_.history] for model in (original, restored)]
            assert_same_state(*history, f"{where}.history_")
    elif isinstance(original, (np.ndarray, np.generic)):
        assert (restored.dtype, restored.shape) == (original.dtype, original.shape), where
        if original.dtype == object:  # items one by one: their types, NaN among them
            for index, item in enumerate(np.ravel(original)):
                assert_same_state(item, np.ravel(restored)[index], f"{where}[{index}]")
        else:
            np.testing.assert_array_equal(restored, original, err_msg=where)
    elif sp.issparse(original):
        for part in ("data", "indices", "indptr"):
            assert_same_state(getattr(original, part), getattr(restored, part),
                              f"{where}.{part}")
        assert restored.shape == original.shape, where
    elif isinstance(original, (list, tuple)):
        assert len(restored) == len(original), where
        for index, (item, other) in enumerate(zip(original, restored)):
            assert_same_state(item, other, f"{where}[{index}]")
    elif isinstance(original, dict):
        assert list(restored) == list(original), where
        for key in original:
            assert_same_state(original[key], restored[key], f"{where}[{key!r}]")
    elif isinstance(original, float) and np.isnan(original):
        assert np.isnan(restored), where
    else:
        assert restored == original, where


def test_numpy_scalars_and_zero_d_arrays_keep_their_dtypes(tmp_path):
    model = SlidingWindow(window=2).fit(np.arange(10.0)[:, None])
    model.scalars_ = [np.dtype(name).type(1) for name in (
        "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
        "float16", "float32", "float64")] + [np.float64("nan"), np.float32("-inf"),
                                             np.uint64(2**64 - 1), np.str_("label"), 2.5, 3]
    model.zero_d_ = (np.array(1.5, dtype=np.float32), np.array(7, dtype=np.int64),
                     np.empty((0, 3), dtype=np.float32))
    save(model, tmp_path / "model.safetensors")
    restored = load(tmp_path / "model.safetensors")
    assert type(restored.scalars_[-3]) is np.str_ and type(restored.scalars_[-2]) is float
    assert_same_state(model, restored)


@pytest.mark.parametrize("make", [
    lambda: __import__("sklearn.preprocessing").preprocessing.OneHotEncoder(
        handle_unknown="ignore"),
    lambda: __import__("sklearn.preprocessing").preprocessing.OrdinalEncoder(
        handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-2),
])
def test_encoders_with_a_missing_category_round_trip(make, tmp_path):
    frame = pd.DataFrame({"region": ["north", None, "south", np.nan, "east"],
                          "size": [1.0, 2.0, np.nan, 2.0, 1.0]})
    model = make().fit(frame)
    assert any(item is not None and not isinstance(item, str)  # NaN is a category
               for categories in model.categories_ for item in categories)
    save(model, tmp_path / "model.safetensors")
    restored = load(tmp_path / "model.safetensors")
    assert_same_state(model, restored)
    expected, result = model.transform(frame), restored.transform(frame)
    if sp.issparse(expected):
        expected, result = expected.toarray(), result.toarray()
    np.testing.assert_array_equal(result, expected)


def _sparsified(make, dtype):
    X, y = load_iris(return_X_y=True)
    X = X.astype(dtype)
    solver = "proximal" if make is sklearn_dl.linear_model.LogisticRegression else "saga"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # saga: ConvergenceWarning
        model = make(C=0.05, l1_ratio=1.0, solver=solver, max_iter=300, random_state=0)
        return model.fit(X, y).sparsify(), X


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("make", [sklearn_dl.linear_model.LogisticRegression,
                                  sk_linear.LogisticRegression])
def test_sparsified_logistic_regression_round_trips(make, dtype, tmp_path):
    model, X = _sparsified(make, dtype)
    assert sp.issparse(model.coef_) and 0 < model.coef_.nnz < np.prod(model.coef_.shape)
    save(model, tmp_path / "model.safetensors")
    restored = load(tmp_path / "model.safetensors")
    assert_same_state(model, restored)
    np.testing.assert_array_equal(restored.predict_proba(X), model.predict_proba(X))
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))


@pytest.mark.parametrize("kind", [sp.csr_matrix, sp.csc_matrix, sp.csr_array, sp.csc_array])
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
def test_csr_and_csc_attributes_keep_their_class_and_index_dtype(kind, index_dtype, tmp_path):
    model = SlidingWindow(window=2).fit(np.arange(10.0)[:, None])
    matrix = kind(np.array([[0, 1.5, 0], [0, 0, 0], [2, 0, -1]], dtype=np.float32))
    matrix.indices, matrix.indptr = (matrix.indices.astype(index_dtype),
                                     matrix.indptr.astype(index_dtype))
    model.matrix_, model.empty_ = matrix, kind((0, 4), dtype=np.int64)
    save(model, tmp_path / "model.safetensors")
    restored = load(tmp_path / "model.safetensors")
    assert_same_state(model, restored)
    np.testing.assert_array_equal(restored.matrix_.toarray(), matrix.toarray())


@pytest.mark.parametrize("attribute, value, message", [
    ("random_state", np.random.RandomState(0), "random_state holds a RandomState"),
    ("state_", np.random.default_rng(0), "state_ holds a Generator"),
    ("state_", np.zeros(3, dtype=np.complex128), "state_ is an array of dtype complex128"),
    ("state_", np.zeros(3, dtype=">f8"), "state_ is an array of dtype >f8"),
    ("state_", np.complex64(1j), "state_ holds a complex64"),
    ("state_", lambda X: X, "state_ holds a function"),
])
def test_state_that_save_cannot_store_is_refused_naming_it(attribute, value, message,
                                                           tmp_path):
    model = MLPRegressor(hidden_layer_sizes=(2,), max_iter=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(np.arange(10.0).reshape(5, 2), np.arange(5.0))
    setattr(model, attribute, value)
    with pytest.raises(ValueError, match=rf"estimator.{message}.*cannot store"):
        save(model, tmp_path / "model.safetensors")


def test_other_sparse_formats_are_refused_at_save(tmp_path):
    model = SlidingWindow(window=2).fit(np.arange(10.0)[:, None])
    model.matrix_ = sp.coo_matrix(np.eye(3))
    with pytest.raises(ValueError, match=r"estimator.matrix_ is a scipy.sparse coo_matrix.*"
                                         r"CSR and CSC.*tocsr"):
        save(model, tmp_path / "model.safetensors")


def _set_sparse(change):
    """Edit the record of the sparse coef_ and its tensors (``parts`` names them)."""
    def edit(content, tensors):
        record = content["root"]["attributes"]["coef_"]
        parts = {part: record[part]["__array__"] for part in ("data", "indices", "indptr")}
        change(record, tensors, parts)
    return edit


def _set_part(part, make):
    return _set_sparse(lambda record, tensors, parts: tensors.update(
        {parts[part]: make(tensors[parts[part]])}))


@pytest.mark.parametrize("edit", [
    _set_sparse(lambda record, tensors, parts: record.update(__sparse__="coo_matrix")),
    _set_sparse(lambda record, tensors, parts: record.update(shape=[3, -1])),
    _set_sparse(lambda record, tensors, parts: record.update(shape=[3])),
    _set_sparse(lambda record, tensors, parts: record.update(shape=[10**12, 4])),
    _set_sparse(lambda record, tensors, parts: record.update(shape=[3, 10**12])),
    _set_sparse(lambda record, tensors, parts: record.update(shape=[3, 1])),
    _set_sparse(lambda record, tensors, parts: record.update(__sparse__="csc_matrix")),
    _set_sparse(lambda record, tensors, parts: record.update(data=[1.0, 2.0])),
    _set_sparse(lambda record, tensors, parts: record.update(
        indices={"__strings__": ["a"], "dtype": "<U1"})),
    _set_sparse(lambda record, tensors, parts: record.pop("indptr")),
    _set_part("indptr", lambda indptr: indptr.flip(0)),
    _set_part("indptr", lambda indptr: torch.cat([indptr, indptr[-1:]])),
    _set_part("indptr", lambda indptr: torch.tensor([0, 2**62 + 1, -(2**62), int(indptr[-1])],
                                                    dtype=torch.int64)),
    _set_part("indptr", lambda indptr: indptr.to(torch.float32)),
    _set_part("indices", lambda indices: indices + 100),
    _set_part("indices", lambda indices: indices - 100),
    _set_part("indices", lambda indices: indices[:-1]),
    _set_part("indices", lambda indices: indices.reshape(1, -1)),
    _set_part("data", lambda data: data[:-1]),
    _set_part("data", lambda data: data.to(torch.float16)),
])
def test_malformed_sparse_matrices_are_refused(tmp_path, edit):
    model, X = _sparsified(sklearn_dl.linear_model.LogisticRegression, np.float64)
    save(model, tmp_path / "model.safetensors")
    path = edited(tmp_path / "model.safetensors", tmp_path, edit)
    with pytest.raises(ValueError, match="sparse matrix|holds an unexpected value") as error:
        load(path)
    assert type(error.value) is ValueError


# -- classes: full names, and nothing foreign ------------------------------------------


@pytest.mark.parametrize("make", [sk_linear.LinearRegression, sk_linear.Ridge,
                                  sk_linear.LogisticRegression, StandardScaler])
def test_scikit_learn_classes_load_as_themselves(make, tmp_path):
    X, y = load_iris(return_X_y=True)
    model = make().fit(X, y)
    save(model, tmp_path / "model.safetensors")
    restored = load(tmp_path / "model.safetensors")
    assert type(restored) is make
    method = "transform" if make is StandardScaler else "predict"
    np.testing.assert_array_equal(getattr(restored, method)(X), getattr(model, method)(X))


class _MyScaler(StandardScaler):
    pass


@pytest.mark.parametrize("make", [
    lambda: __import__("sklearn.neural_network").neural_network.MLPClassifier(max_iter=5),
    lambda: __import__("sklearn.tree").tree.DecisionTreeClassifier(),
    _MyScaler,
])
def test_foreign_classes_are_refused_at_save(make, tmp_path):
    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = make_pipeline(StandardScaler(), make()).fit(X, y)
    with pytest.raises(ValueError, match=r"estimator.steps\[1\]\[1\] is a .*Use pickle or joblib"):
        save(model, tmp_path / "model.safetensors")


def test_a_search_is_refused_with_the_way_forward(tmp_path):
    X, y = load_iris(return_X_y=True)
    search = GridSearchCV(sk_linear.LogisticRegression(), {"C": [0.1, 1.0]}, cv=2).fit(X, y)
    with pytest.raises(ValueError, match="save its best_estimator_"):
        save(search, tmp_path / "search.safetensors")
    save(search.best_estimator_, tmp_path / "best.safetensors")
    np.testing.assert_array_equal(load(tmp_path / "best.safetensors").predict(X), search.predict(X))


# -- malformed files fail with ValueError ----------------------------------------------


def _set_weight(change):
    def edit(content, tensors):
        tensors["w0.layers.0.weight"] = change(tensors["w0.layers.0.weight"])
    return edit


@pytest.mark.parametrize("edit", [
    _set_attribute("__class__", {"__type__": "float"}),
    _set_attribute("predict", 1),
    _set_attribute("n_outputs_", "two"),
    _set_attribute("_sample_shape", {"__tuple__": [4, 0]}),
    _set_attribute("classes_", {"__array__": "missing", "order": "C"}),
    _set_attribute("classes_", {"__array__": "a0", "order": "X"}),
    _set_attribute("loss_curve_", {"__dict__": [[[1], 2]]}),
    _set_attribute("loss_curve_", {"__slice__": ["a", None, None]}),
    _set_attribute("loss_curve_", {"__unknown__": 1}),
    _set_attribute("loss_curve_", {"__float__": "1e999999"}),
    _set_attribute("loss_curve_", {"__code__": "os.system"}),
    lambda content, tensors: content.pop("root"),
    lambda content, tensors: content["root"].pop("history"),
    lambda content, tensors: content["root"].update(history=[{"no": "epoch"}]),
    lambda content, tensors: content["root"].update(params=[]),
    lambda content, tensors: content["root"].update(weights=3),
    _set_weight(lambda weight: torch.zeros(3, 3)),
    _set_weight(lambda weight: weight.double()),
    _set_weight(lambda weight: weight.to(torch.int8)),
    lambda content, tensors: tensors.update({"extra": torch.zeros(3)}),
])
def test_malformed_files_fail_with_value_error(saved_model, tmp_path, edit):
    path = edited(saved_model, tmp_path, edit)
    with pytest.raises(ValueError) as error:
        load(path)
    assert type(error.value) is ValueError


def test_deep_json_and_truncated_files_fail_with_value_error(saved_model, tmp_path):
    path = tmp_path / "deep.safetensors"
    write(path, '{"format": "sklearn_dl.v2", "root": ' + "[" * 100_000 + "]" * 100_000 + "}", {})
    with pytest.raises(ValueError, match="malformed metadata"):
        load(path)
    nested = '{"__tuple__": [' * 5000 + "1" + "]}" * 5000
    write(path, '{"format": "sklearn_dl.v2", "root": {"class": "sklearn.pipeline.Pipeline", '
                '"params": {"steps": ' + nested + "}}}", {})
    with pytest.raises(ValueError):
        load(path)
    data = saved_model.read_bytes()
    for size in (0, 7, 100, len(data) // 2, len(data) - 1):
        path.write_bytes(data[:size])
        with pytest.raises(ValueError, match="not a readable safetensors file"):
            load(path)


# -- eval mode, threads, devices -------------------------------------------------------


@pytest.fixture(scope="module")
def batch_norm_dropout():
    X, y = load_iris(return_X_y=True)
    model = MLPClassifier(hidden_layer_sizes=(64, 64), dropout=0.5, batch_norm=True, max_iter=5,
                          random_state=0).fit(X, y)
    # Enough rows that a prediction releases the GIL for a while, as serving does.
    return model, np.tile(X, (20, 1))


def _running_stats(model):
    return [buffer.clone() for name, buffer in model.module_.named_buffers() if "running" in name]


def _predict_from_threads(model, X):
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda _: model.predict_proba(X), range(32)))


def test_concurrent_predict_from_threads_matches_serial(batch_norm_dropout):
    model, X = batch_norm_dropout
    expected = model.predict_proba(X)
    for result in _predict_from_threads(model, X):
        np.testing.assert_array_equal(result, expected)


def test_loaded_model_is_in_eval_mode_and_serves_threads(batch_norm_dropout, tmp_path):
    model, X = batch_norm_dropout
    save(model, tmp_path / "model.safetensors")
    restored = load(tmp_path / "model.safetensors")
    assert not any(module.training for module in restored.module_.modules())
    stats = _running_stats(restored)
    expected = model.predict_proba(X)
    for result in _predict_from_threads(restored, X):
        np.testing.assert_array_equal(result, expected)
    for before, after in zip(stats, _running_stats(restored)):
        assert torch.equal(before, after)


def test_prediction_never_runs_in_training_mode(batch_norm_dropout):
    model, X = batch_norm_dropout
    model = pickle.loads(pickle.dumps(model))
    expected = model.predict_proba(X)
    stats = _running_stats(model)
    model.module_.train()  # by hand; prediction must still run every layer in eval mode
    for result in _predict_from_threads(model, X):
        np.testing.assert_array_equal(result, expected)
    for before, after in zip(stats, _running_stats(model)):
        assert torch.equal(before, after)


def test_a_prediction_cannot_put_a_concurrent_one_in_training_mode(batch_norm_dropout):
    """Thread B starts while thread A holds the module in eval mode; A finishes first."""
    import threading

    model, X = batch_norm_dropout
    model = pickle.loads(pickle.dumps(model))
    expected = model.predict_proba(X)
    model.module_.train()
    first_in, second_in, first_done = (threading.Event() for _ in range(3))
    results = {}

    def pause(module, args):
        if threading.current_thread().name == "first":
            first_in.set()
            second_in.wait(10)
        else:
            second_in.set()
            first_done.wait(10)

    first_layer = next(m for m in model.module_.modules() if isinstance(m, torch.nn.Linear))
    hook = first_layer.register_forward_pre_hook(pause)
    threads = {name: threading.Thread(
        name=name, target=lambda name=name: results.update({name: model.predict_proba(X)}))
        for name in ("first", "second")}
    threads["first"].start()
    first_in.wait(10)
    threads["second"].start()
    threads["first"].join()
    first_done.set()
    threads["second"].join()
    hook.remove()
    np.testing.assert_array_equal(results["first"], expected)
    np.testing.assert_array_equal(results["second"], expected)


@pytest.mark.skipif(torch.cuda.is_available(), reason="tests the fallback of a CPU-only machine")
def test_model_saved_for_cuda_0_loads_on_a_cpu_only_machine(fitted, tmp_path):
    model, X = fitted
    model = pickle.loads(pickle.dumps(model))
    model.set_params(device="cuda:0")
    save(model, tmp_path / "model.safetensors")
    restored = load(tmp_path / "model.safetensors")
    assert restored.device == "cuda:0" and restored.net_.device == "cpu"
    np.testing.assert_array_equal(restored.predict_proba(X), model.predict_proba(X))
    expected = model.predict_proba(X)
    model.net_.device = "cuda:0"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        unpickled = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(unpickled.predict_proba(X), expected)
    assert str(unpickled.net_.device) == "cpu"


# -- pipelines and scikit-learn's own classes ------------------------------------------


def _table(n=80):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"income": rng.lognormal(3, 0.5, n), "age": rng.integers(20, 70, n),
                          "region": rng.choice(["north", "south", "east"], n)})
    frame.loc[rng.random(n) < 0.1, "income"] = np.nan
    risk = np.nan_to_num(frame["income"]) / 30 + (frame["region"] == "south")
    return frame, np.where(risk > np.median(risk), "default", "repaid")


def _gallery_models():
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import OneHotEncoder

    tiny = {"hidden_layer_sizes": (4,), "max_iter": 3, "random_state": 0}
    frame, labels = _table()
    column_transformer = make_pipeline(ColumnTransformer([
        ("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
         ["income", "age"]),
        ("categorical", OneHotEncoder(handle_unknown="ignore", sparse_output=False), ["region"]),
    ]).set_output(transform="pandas"), MLPClassifier(early_stopping=True, **tiny))
    X, y = load_iris(return_X_y=True)
    series = np.sin(np.arange(120) / 4)
    forecaster = RecursiveForecaster(make_pipeline(StandardScaler(), LSTMRegressor(
        hidden_size=4, max_iter=2, random_state=0)), window=8, difference=1)
    windows = make_pipeline(SlidingWindow(window=4), SimpleImputer(), StandardScaler(),
                            MLPRegressor(**tiny))
    target = TransformedTargetRegressor(make_union(StandardScaler(), FunctionTransformer()),
                                        transformer=StandardScaler())
    target = TransformedTargetRegressor(make_pipeline(target.regressor, MLPRegressor(**tiny)),
                                        transformer=StandardScaler())
    return {
        "column transformer + MLP": (column_transformer, frame, labels, "predict_proba"),
        "StandardScaler + MLP": (make_pipeline(StandardScaler(), MLPClassifier(**tiny)), X, y,
                                 "predict_proba"),
        "forecasting LSTM": (forecaster, series, None, "forecast"),
        "sliding window": (windows, series[:, None], series, "predict"),
        "target transform + union": (target, X, X[:, 0] * 100, "predict"),
    }


@pytest.mark.parametrize("name", list(_gallery_models()))
def test_gallery_pipelines_round_trip(name, tmp_path):
    model, X, y, method = _gallery_models()[name]
    model.fit(X, y) if y is not None else model.fit(X)
    save(model, tmp_path / "model.safetensors")
    restored = load(tmp_path / "model.safetensors")
    if method == "forecast":
        np.testing.assert_array_equal(restored.forecast(5), model.forecast(5))
    else:
        np.testing.assert_array_equal(getattr(restored, method)(X), getattr(model, method)(X))
    assert_same_state(model, restored)


def _allowed_sklearn_classes():
    return sorted(name for name in loadable_classes() if name.startswith("sklearn."))


@pytest.mark.parametrize("name", _allowed_sklearn_classes())
def test_every_allowed_scikit_learn_class_round_trips(name, tmp_path):
    cls = loadable_classes()[name]
    frame, labels = _table()
    X = frame[["income", "age"]].fillna(30.0).to_numpy()
    wrappers = {
        "ColumnTransformer": lambda: ColumnTransformer(
            [("scale", StandardScaler(), ["income", "age"])], remainder="drop"),
        "FeatureUnion": lambda: make_union(StandardScaler(), MinMaxScaler()),
        "Pipeline": lambda: make_pipeline(StandardScaler(), sk_linear.LogisticRegression()),
        "TransformedTargetRegressor": lambda: TransformedTargetRegressor(
            sk_linear.Ridge(), transformer=StandardScaler()),
        "MissingIndicator": lambda: cls(features="all"),
        "QuantileTransformer": lambda: cls(n_quantiles=20),
    }
    model = wrappers.get(cls.__name__, cls)()
    data = frame if cls.__name__ == "ColumnTransformer" else X
    if cls.__name__ in ("MissingIndicator", "SimpleImputer"):
        data = frame[["income", "age"]].to_numpy()
    target = X[:, 0] if cls.__name__ in ("LinearRegression", "Ridge",
                                          "TransformedTargetRegressor") else labels
    model.fit(data, target)
    save(model, tmp_path / "model.safetensors")
    restored = load(tmp_path / "model.safetensors")
    assert type(restored) is cls
    method = "predict" if hasattr(model, "predict") else "transform"
    expected, result = getattr(model, method)(data), getattr(restored, method)(data)
    if hasattr(expected, "toarray"):  # OneHotEncoder's sparse output
        expected, result = expected.toarray(), result.toarray()
    np.testing.assert_array_equal(result, expected)
    assert_same_state(model, restored)


def test_functions_load_only_when_trusted(tmp_path):
    X, y = load_iris(return_X_y=True)
    model = make_pipeline(FunctionTransformer(np.log1p), MLPClassifier(
        hidden_layer_sizes=(4,), max_iter=3, random_state=0)).fit(X, y)
    save(model, tmp_path / "model.safetensors")
    with pytest.raises(ValueError, match=r"names the code 'numpy.log1p'.*trusted="):
        load(tmp_path / "model.safetensors")
    restored = load(tmp_path / "model.safetensors", trusted=[np.log1p])
    np.testing.assert_array_equal(restored.predict_proba(X), model.predict_proba(X))


class _TwoLayers(torch.nn.Module):
    def __init__(self, n_features, n_outputs, hidden=8):
        super().__init__()
        self.body = torch.nn.Sequential(torch.nn.Linear(n_features, hidden), torch.nn.ReLU(),
                                        torch.nn.Dropout(0.3), torch.nn.Linear(hidden, n_outputs))

    def forward(self, X):
        return self.body(X)


def test_user_modules_load_only_when_trusted(tmp_path):
    from sklearn_dl.neural_network import TorchClassifier

    X, y = load_iris(return_X_y=True)
    model = make_pipeline(StandardScaler(), TorchClassifier(
        module=_TwoLayers, module__hidden=6, max_iter=5, random_state=0)).fit(X, y)
    save(model, tmp_path / "model.safetensors")
    with pytest.raises(ValueError, match=r"names the code '.*_TwoLayers'.*trusted="):
        load(tmp_path / "model.safetensors")
    restored = load(tmp_path / "model.safetensors", trusted=[_TwoLayers])
    assert restored[-1].get_params()["module__hidden"] == 6
    np.testing.assert_array_equal(restored.predict_proba(X), model.predict_proba(X))
    path = edited(tmp_path / "model.safetensors", tmp_path,
                  lambda content, tensors: content["root"]["params"]["steps"][1]["__tuple__"][1][
                      "__estimator__"]["params"].update(module__hidden=4096))
    with pytest.raises(ValueError, match="do not fit"):
        load(path, trusted=[_TwoLayers])


_TINY = {
    "CNNClassifier": {"input_shape": (1, 4, 4), "filters": (2,), "hidden_layer_sizes": (4,)},
    "CNNRegressor": {"input_shape": (1, 4, 4), "filters": (2,), "hidden_layer_sizes": (4,)},
    "LSTMClassifier": {"hidden_size": 4},
    "LSTMRegressor": {"hidden_size": 4},
    "MLPClassifier": {"hidden_layer_sizes": (4,), "batch_norm": True, "dropout": 0.2},
    "MLPRegressor": {"hidden_layer_sizes": (4,)},
    "TorchClassifier": {"module": _TwoLayers, "module__hidden": 4},
    "TorchRegressor": {"module": _TwoLayers, "module__hidden": 4},
    "RecursiveForecaster": {"estimator": sk_linear.Ridge(), "window": 3},
    "SlidingWindow": {"window": 3},
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name, Estimator", all_estimators())
def test_every_estimator_of_the_package_round_trips(name, Estimator, dtype, tmp_path):
    from sklearn.base import is_classifier

    accepted = Estimator._get_param_names()
    params = {**({"max_iter": 2} if "max_iter" in accepted else {}),
              **({"random_state": 0} if "random_state" in accepted else {}),
              **_TINY.get(name, {})}
    model = Estimator(**params)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 16)).astype(dtype)
    y = rng.integers(0, 3, 40) if is_classifier(model) else X[:, 0] + rng.normal(size=40)
    if get_tags(model).input_tags.string:  # sklearn_dl.text: raw texts
        X = [" ".join(rng.choice(["a", "b", "c"], size=5)) for _ in range(40)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # few epochs: ConvergenceWarning
        model.fit(X, y)
    save(model, tmp_path / "model.safetensors")
    restored = load(tmp_path / "model.safetensors", trusted=[_TwoLayers])
    assert type(restored) is Estimator
    outputs = {"predict_proba": lambda m: m.predict_proba(X), "predict": lambda m: m.predict(X),
               "forecast": lambda m: m.forecast(4), "transform": lambda m: m.transform(X),
               "generate": lambda m: m.generate("a b", 5, random_state=0)}
    method = next(method for method in outputs if hasattr(model, method))
    np.testing.assert_array_equal(outputs[method](restored), outputs[method](model))
    assert_same_state(model, restored)


class _TensorSpy(pickle.Pickler):
    """A pickler that records every tensor pickled as plain tensor bytes.

    skorch pickles a net's module, optimiser and criterion apart and loads them
    with a map to the CPU where there is no GPU; a tensor pickled anywhere else
    keeps its device, so a model fitted on a GPU would not unpickle on a
    CPU-only machine. A generator made for the training device
    (:class:`_DeviceGenerator`) is a CUDA generator on a GPU, which unpickles
    only where CUDA is; a CPU generator's state is a CPU tensor and loads anywhere.
    """

    def __init__(self, file):
        super().__init__(file)
        self.found = []

    def reducer_override(self, obj):
        if isinstance(obj, _TORCH_GENERATOR):
            assert obj.device.type == "cpu", "a device generator cannot load on a CPU"
            if isinstance(obj, _DeviceGenerator):
                self.found.append("a generator made for the training device")
            return _TORCH_GENERATOR, ()  # its state, a CPU tensor, needs no check
        if isinstance(obj, (torch.Tensor, torch.UntypedStorage)):
            self.found.append(tuple(obj.shape) if isinstance(obj, torch.Tensor) else obj.nbytes())
        return NotImplemented


_TORCH_GENERATOR = torch.Generator


class _DeviceGenerator(torch.Generator):
    """``torch.Generator(device)``: on a GPU machine, a CUDA generator.

    The estimators make their CPU-only generators with ``torch.Generator()``
    and those of the training device with ``torch.Generator(device)``; on a
    CPU both are CPU generators, so the tests tell them apart by this class,
    which stands for ``torch.Generator`` while a model is fitted.
    """

    def __new__(cls, *args, **kwargs):
        if not args and not kwargs:
            return _TORCH_GENERATOR()
        return super().__new__(cls, *args, **kwargs)


def _fitted_for_device_check(name):
    from sklearn.datasets import make_classification

    from sklearn_dl.text import LanguageModel, TokenSequencer
    from test_common import CHECK_PARAMS

    if name == "LanguageModel":
        return LanguageModel(hidden_size=8, context_length=4, max_iter=2).fit(["abcab cab"] * 4)
    if name == "text pipeline":
        return make_pipeline(TokenSequencer(), sklearn_dl.TransformerClassifier(max_iter=2)).fit(
            ["a b c", "b c a", "c a b", "a a b"] * 5, [0, 1, 0, 1] * 5)
    X, y = make_classification(60, 16, n_informative=8, random_state=0)
    X = X.astype(np.float32)
    Estimator = dict(all_estimators())[name]
    params = {**CHECK_PARAMS.get(name, {}), "max_iter": 2}
    if "input_shape" in Estimator().get_params() and not name.startswith("Torch"):
        params["input_shape"] = (1, 4, 4) if name.startswith("CNN") else (4, 4)
    model = Estimator(**params)
    return model.fit(X, y if get_tags(model).estimator_type == "classifier" else X[:, 0])


_DEVICE_CHECK = [name for name, Estimator in all_estimators()
                 if issubclass(Estimator, BaseTorchEstimator)
                 and get_tags(Estimator()).input_tags.two_d_array]
_DEVICE_CHECK += ["LogisticRegression", "LinearRegression", "Ridge", "LanguageModel",
                  "text pipeline"]


@pytest.mark.parametrize("name", _DEVICE_CHECK)
def test_pickle_holds_no_tensor_that_keeps_its_device(name):
    """A model fitted on a GPU unpickles on a CPU-only machine (tests/test_gpu.py runs it for real).

    The module instance handed to skorch was pickled a second time, as plain
    device tensors, outside skorch's map to the CPU: a GPU-fitted model failed
    to load without CUDA ("Attempting to deserialize object on a CUDA device").
    Then TorchClassifier's stand-in for torch's global generator, made on the
    training device, was pickled with the net: without CUDA, unpickling it
    raised "no CUDA-capable device is detected".
    """
    with warnings.catch_warnings(), pytest.MonkeyPatch.context() as patch:
        warnings.simplefilter("ignore")
        patch.setattr(torch, "Generator", _DeviceGenerator)
        model = _fitted_for_device_check(name)
    spy = _TensorSpy(io.BytesIO())
    spy.dump(model)
    assert spy.found == []
    restored = pickle.loads(pickle.dumps(model))
    network = restored[-1] if hasattr(restored, "steps") else restored
    if hasattr(network, "net_"):
        assert network.net_.module is network.net_.module_
