"""On a CUDA GPU: fit there, pickle or save, load on a CPU-only process, same predictions.

The whole module runs only where CUDA is available (the CPU-only CI skips it).
"""

import pickle
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.base import is_classifier
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import get_tags

import sklearn_dl
from sklearn_dl.base import BaseTorchEstimator
from sklearn_dl.utils import all_estimators
from test_common import CHECK_PARAMS

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")

# Networks of numeric X; the text estimators have their own test below.
NETWORKS = [(name, Estimator) for name, Estimator in all_estimators()
            if issubclass(Estimator, BaseTorchEstimator)
            and get_tags(Estimator()).input_tags.two_d_array]

# A process that cannot see any GPU loads the files and writes its predictions.
_CPU_ONLY = textwrap.dedent("""
    import os, pickle, sys
    os.environ["CUDA_VISIBLE_DEVICES"] = ""
    sys.path.insert(0, sys.argv[5])  # the tests' folder: TorchClassifier's module class is there
    import numpy as np, torch
    import sklearn_dl
    assert not torch.cuda.is_available()
    pickle_path, saved_path, X_path, out = sys.argv[1:5]
    X = np.load(X_path)
    with open(pickle_path, "rb") as file:
        pickled = pickle.load(file)
    # A TorchClassifier's module class is code the file names but cannot hold.
    module = getattr(pickled, "module", None)
    loaded = sklearn_dl.load(saved_path, trusted=[module] if isinstance(module, type) else [])
    assert pickled.module_.training is False
    np.savez(out, pickled=pickled.predict(X), loaded=loaded.predict(X),
             device=str(next(pickled.module_.parameters()).device))
""")


def _data(Estimator):
    X, y = make_classification(300, 16, n_informative=8, random_state=0)
    X = X.astype(np.float32)
    return X, (y if is_classifier(Estimator()) else X[:, 0] + X[:, 1])


def _fit(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y)


@pytest.mark.parametrize("name, Estimator", NETWORKS, ids=[name for name, _ in NETWORKS])
def test_fit_on_gpu_load_on_cpu_only_machine(name, Estimator, tmp_path):
    X, y = _data(Estimator)
    params = {**CHECK_PARAMS.get(name, {}), "max_iter": 5, "random_state": 0}
    if "input_shape" in Estimator().get_params() and not name.startswith("Torch"):
        # (TorchClassifier's module of the common checks reads the 16 features flat.)
        params["input_shape"] = (1, 4, 4) if name.startswith("CNN") else (4, 4)
    model = _fit(Estimator(**params, device="cuda"), X, y)
    assert next(model.module_.parameters()).is_cuda
    expected = model.predict(X)

    with open(tmp_path / "model.pkl", "wb") as file:
        pickle.dump(model, file)
    sklearn_dl.save(model, tmp_path / "model.safetensors")
    np.save(tmp_path / "X.npy", X)
    process = subprocess.run(
        [sys.executable, "-c", _CPU_ONLY, str(tmp_path / "model.pkl"),
         str(tmp_path / "model.safetensors"), str(tmp_path / "X.npy"),
         str(tmp_path / "out.npz"), str(Path(__file__).parent)],
        capture_output=True, text=True, timeout=1800,  # a hang guard only
    )
    assert process.returncode == 0, process.stderr
    result = np.load(tmp_path / "out.npz")
    assert str(result["device"]) == "cpu"
    for got in (result["pickled"], result["loaded"]):
        if is_classifier(Estimator()):
            # CPU and GPU kernels sum in different orders; labels agree but for ties.
            assert np.mean(got == expected) >= 0.99
        else:
            # cuDNN's convolutions and recurrences use TF32 by default (torch's
            # torch.backends.cudnn.allow_tf32): about 1e-3 of the outputs' scale.
            np.testing.assert_allclose(got, expected, rtol=1e-3,
                                       atol=2e-3 * np.abs(expected).max())


def test_same_random_state_same_gpu_model():
    X, y = _data(sklearn_dl.MLPClassifier)
    first, second = (_fit(sklearn_dl.MLPClassifier((64,), max_iter=5, random_state=0,
                                                   device="cuda"), X, y) for _ in range(2))
    np.testing.assert_array_equal(first.predict_proba(X), second.predict_proba(X))
    assert first.loss_curve_ == second.loss_curve_


@pytest.mark.parametrize("precision", ["float32", "bf16"])
@pytest.mark.parametrize("target", ["multiclass", "binary strings", "multilabel"])
def test_predict_decodes_on_the_gpu_as_on_the_host(target, precision):
    # predict takes the argmax (or the sign) of the logits on the GPU, chunk by
    # chunk; the labels are those of the outputs copied to the host, bit for bit.
    X, y = make_classification(3000, 16, n_informative=8, n_classes=4, random_state=0)
    if target == "binary strings":
        y = np.array(["no", "yes"])[(y > 1).astype(int)]
    elif target == "multilabel":
        y = np.column_stack([y == 0, y == 1, y > 1]).astype(int)
    model = _fit(sklearn_dl.MLPClassifier((64,), max_iter=5, random_state=0, device="cuda",
                                          precision=precision), X.astype(np.float32), y)
    from sklearn_dl import base
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(base._PREDICT_CHUNK_VALUES, "cuda", 16 * 700)  # 700-row chunks
        for Xp in (X.astype(np.float32), X):
            predicted = model.predict(Xp)
            raw = model._raw_predict(Xp)
            assert raw.dtype == Xp.dtype
            np.testing.assert_array_equal(predicted, model._labels_from_raw(raw))
            if target != "multilabel":
                np.testing.assert_array_equal(
                    predicted, model.classes_[model.predict_proba(Xp).argmax(axis=1)])


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_mixed_precision_on_gpu(precision):
    X, y = _data(sklearn_dl.MLPClassifier)
    reference = _fit(sklearn_dl.MLPClassifier((64,), max_iter=30, random_state=0,
                                              device="cuda"), X, y).score(X, y)
    model = _fit(sklearn_dl.MLPClassifier((64,), max_iter=30, random_state=0, device="cuda",
                                          precision=precision), X, y)
    assert model.score(X, y) >= reference - 0.03
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))


def test_compiled_training_on_gpu():
    X, y = _data(sklearn_dl.MLPClassifier)
    params = {"hidden_layer_sizes": (64,), "max_iter": 5, "random_state": 0, "tol": 0,
              "device": "cuda"}
    eager = _fit(sklearn_dl.MLPClassifier(**params), X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # raised inside torch's inductor
        # Inductor's advice to enable TF32 for float32 products, a global
        # setting of torch that is the user's to choose.
        warnings.filterwarnings("ignore", "TensorFloat32 tensor cores", UserWarning)
        compiled = _fit(sklearn_dl.MLPClassifier(**params, compile=True), X, y)
    np.testing.assert_allclose(compiled.loss_curve_, eager.loss_curve_, rtol=1e-3)
    assert np.mean(compiled.predict(X) == eager.predict(X)) >= 0.99


def test_data_too_large_for_the_gpu_streams_from_pinned_host_memory(monkeypatch):
    """Training data kept on the host is copied per batch and trains like data on the GPU."""
    from sklearn_dl import _training, base

    X, y = _data(sklearn_dl.MLPClassifier)
    params = {"hidden_layer_sizes": (64,), "max_iter": 5, "random_state": 0, "tol": 0,
              "device": "cuda", "early_stopping": True}
    on_device = _fit(sklearn_dl.MLPClassifier(**params), X, y)
    monkeypatch.setattr(base, "keeps_data_on_host", lambda n_bytes, device: True)
    pinned = []
    original = _training._to_device

    def spy(batch, device):
        moved = original(batch, device)
        if isinstance(batch, tuple):  # a training batch (X, (y, weight)), not a validation chunk
            pinned.append(batch[0].is_pinned() and moved[0].is_cuda)
        return moved

    monkeypatch.setattr(_training, "_to_device", spy)
    on_host = _fit(sklearn_dl.MLPClassifier(**params), X, y)
    assert pinned and all(pinned)
    np.testing.assert_allclose(on_host.loss_curve_, on_device.loss_curve_, rtol=1e-5)
    assert np.mean(on_host.predict(X) == on_device.predict(X)) >= 0.99


@pytest.mark.parametrize("cell", ["lstm", "transformer"])
def test_language_model_on_gpu(cell, tmp_path):
    from sklearn_dl.text import LanguageModel

    corpus = ["abcabcabcabc abcabc"] * 20
    model = LanguageModel(cell=cell, hidden_size=16, context_length=8, max_iter=20,
                          learning_rate_init=0.03, random_state=0, device="cuda")
    model = _fit(model, corpus, None)
    assert next(model.module_.parameters()).is_cuda
    assert model.generate("ab", max_tokens=7, temperature=0) == "abcabcabc"
    sklearn_dl.save(model, tmp_path / "lm.safetensors")
    loaded = sklearn_dl.load(tmp_path / "lm.safetensors")
    assert loaded.score(corpus[:2]) == pytest.approx(model.score(corpus[:2]), rel=1e-5)


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
@pytest.mark.parametrize("name", ["LSTMClassifier", "TransformerClassifier", "CNNClassifier"])
def test_sequence_networks_under_mixed_precision_on_gpu(name, precision):
    """The recurrent, attention and convolutional nets train under autocast as in float32."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 24, 2)).astype(np.float32)
    y = (X[:, :12, 0].sum(axis=1) > 0).astype(int)  # the first half of channel 0 decides
    Estimator = getattr(sklearn_dl, name)
    params = {"max_iter": 30, "random_state": 0, "device": "cuda"}
    if name == "CNNClassifier":
        X, params["input_shape"] = X.transpose(0, 2, 1).reshape(len(X), -1), (2, 24)
    reference = _fit(Estimator(**params), X, y).score(X, y)
    model = _fit(Estimator(**params, precision=precision), X, y)
    assert next(model.module_.parameters()).dtype == torch.float32  # weights stay float32
    assert model.score(X, y) >= min(reference - 0.05, 0.9)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))
