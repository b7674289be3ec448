"""Persistence: pickle across versions, and sklearn_dl.save / load that never run code."""

import json
import pickle
import warnings

import numpy as np
import pytest
import torch
from safetensors.torch import save_file
from sklearn.datasets import load_iris

import sklearn_dl
from sklearn_dl import load, save
from sklearn_dl.neural_network import MLPClassifier, MLPRegressor
from sklearn_dl.utils import all_estimators
from sklearn_dl.utils.persistence import _digest


@pytest.fixture(scope="module")
def fitted():
    X, y = load_iris(return_X_y=True)
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    model = MLPClassifier(hidden_layer_sizes=(8,), max_iter=20, learning_rate_init=0.01,
                          random_state=0).fit(X, labels)
    return model, X


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
    if name not in estimators:
        pytest.skip(f"{name} is not part of this build")
    X, y = load_iris(return_X_y=True)
    model = estimators[name]().fit(X, y)
    save(model, tmp_path / "linear.safetensors")
    np.testing.assert_array_equal(load(tmp_path / "linear.safetensors").predict(X),
                                  model.predict(X))


def test_tampered_file_is_refused(fitted, tmp_path):
    model, _ = fitted
    path = tmp_path / "model.safetensors"
    save(model, path)
    data = bytearray(path.read_bytes())
    data[-5] ^= 0xFF  # one weight's bytes changed
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="does not match its digest"):
        load(path)


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


def test_class_outside_the_package_is_refused_even_with_a_valid_digest(tmp_path):
    content = json.dumps({"format": "sklearn_dl.v1", "estimator": "Popen",
                          "sklearn_dl_version": sklearn_dl.__version__,
                          "params": {"args": "rm -rf /"}, "attributes": {}}, sort_keys=True)
    path = tmp_path / "evil.safetensors"
    save_file({}, str(path), metadata={"content": content, "digest": _digest(content, {}, None)})
    with pytest.raises(ValueError, match="not an sklearn_dl estimator"):
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


def test_unfitted_estimator_cannot_be_saved(tmp_path):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        save(MLPClassifier(), tmp_path / "x.safetensors")


def test_concurrent_predict_from_threads_matches_serial():
    from concurrent.futures import ThreadPoolExecutor

    X, y = load_iris(return_X_y=True)
    model = MLPClassifier(hidden_layer_sizes=(16,), dropout=0.5, batch_norm=True, max_iter=10,
                          random_state=0).fit(X, y)
    expected = model.predict_proba(X)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: model.predict_proba(X), range(32)))
    for result in results:
        np.testing.assert_array_equal(result, expected)
