"""Backing up training and resuming it: after a killed process, after Ctrl-C."""

import json
import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning

from sklearn_dl.callbacks import BackupAndRestore
from sklearn_dl.neural_network import MLPClassifier
from test_properties import _InterruptAt

# Trains one estimator in a fresh process, optionally killing itself with SIGKILL
# when epoch 6 begins, and writes what it reached as JSON. Each run is
# its own process with one torch thread, so all three runs compute alike.
_SCRIPT = textwrap.dedent("""
    import json, os, signal, sys, warnings
    import torch
    torch.set_num_threads(1)
    from skorch.callbacks import Callback
    from sklearn.datasets import make_classification
    from sklearn_dl.callbacks import BackupAndRestore
    from sklearn_dl.neural_network import CNNClassifier, MLPClassifier

    mode, directory, out, kind = sys.argv[1:5]
    X, y = make_classification(400, 16, n_informative=8, n_classes=3, random_state=0)

    class KillAt(Callback):
        def on_epoch_begin(self, net, **kwargs):
            if len(net.history) == 6:
                os.kill(os.getpid(), signal.SIGKILL)

    callbacks = [] if mode == "reference" else [BackupAndRestore(directory)]
    if mode == "killed":
        callbacks.append(KillAt())
    if kind == "mlp":
        model = MLPClassifier((32,), dropout=0.2, batch_size=64, max_iter=12, tol=0,
                              random_state=0, callbacks=callbacks)
    else:  # augmentation and early stopping: more random state, best weights to keep
        model = CNNClassifier(input_shape=(1, 4, 4), filters=(4,), hidden_layer_sizes=(16,),
                              augmentation={"noise": 0.1}, early_stopping=True,
                              n_iter_no_change=50, batch_size=64, max_iter=12,
                              random_state=0, callbacks=callbacks)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y)
    json.dump({"loss_curve": model.loss_curve_, "n_iter": model.n_iter_,
               "proba": model.predict_proba(X).tolist()}, open(out, "w"))
""")


def _run(tmp_path, mode, kind):
    out = tmp_path / f"{mode}.json"
    process = subprocess.run(
        [sys.executable, "-c", _SCRIPT, mode, str(tmp_path / "backup"), str(out), kind],
        capture_output=True, text=True, timeout=300,
    )
    return process, out


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_killed_training_resumes_to_the_uninterrupted_result(tmp_path, kind):
    reference, reference_out = _run(tmp_path, "reference", kind)
    assert reference.returncode == 0, reference.stderr
    killed, killed_out = _run(tmp_path, "killed", kind)
    assert killed.returncode == -9 and not killed_out.exists()  # SIGKILL, mid-fit
    assert (tmp_path / "backup" / "backup.pt").exists()

    resumed, resumed_out = _run(tmp_path, "resume", kind)
    assert resumed.returncode == 0, resumed.stderr
    expected, got = json.loads(reference_out.read_text()), json.loads(resumed_out.read_text())
    assert got["n_iter"] == expected["n_iter"] == 12
    np.testing.assert_allclose(got["loss_curve"], expected["loss_curve"], rtol=1e-6)
    np.testing.assert_allclose(got["proba"], expected["proba"], rtol=1e-5, atol=1e-7)
    assert not (tmp_path / "backup" / "backup.pt").exists()  # a finished fit cleans up


# -- in-process ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def data():
    return make_classification(300, 10, n_informative=5, n_classes=3, random_state=0)


def _model(directory, *extra_callbacks, **params):
    params = {"hidden_layer_sizes": (16,), "dropout": 0.1, "max_iter": 10, "tol": 0,
              "random_state": 0, **params}
    return MLPClassifier(**params, callbacks=[BackupAndRestore(directory), *extra_callbacks])


def _fit(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


def test_ctrl_c_then_fit_again_resumes(tmp_path, data):
    X, y = data
    reference = _fit(MLPClassifier((16,), dropout=0.1, max_iter=10, tol=0, random_state=0),
                     X, y)
    model = _model(tmp_path, ("interrupt", _InterruptAt(4)))
    with pytest.warns(UserWarning, match="interrupted"):
        model.fit(X, y)
    assert model.n_iter_ == 4
    # The interrupting callback ran before the backup's: epoch 3 is the last one saved.
    model.set_params(callbacks=[BackupAndRestore(tmp_path)])
    _fit(model, X, y)
    assert model.n_iter_ == 10
    np.testing.assert_allclose(model.loss_curve_, reference.loss_curve_, rtol=1e-6)
    np.testing.assert_array_equal(model.predict_proba(X), reference.predict_proba(X))
    assert not (tmp_path / "backup.pt").exists()


def test_backup_of_another_fit_is_refused(tmp_path, data):
    X, y = data
    with pytest.warns(UserWarning, match="interrupted"):
        _model(tmp_path, ("interrupt", _InterruptAt(2))).fit(X, y)
    with pytest.raises(ValueError, match="other parameters or data"):
        _fit(_model(tmp_path, alpha=0.1), X, y)
    with pytest.raises(ValueError, match="other parameters or data"):
        _fit(_model(tmp_path), X[:, ::-1], y)
    (tmp_path / "backup.pt").write_bytes(b"not a backup")
    with pytest.raises(ValueError, match="cannot be read"):
        _fit(_model(tmp_path), X, y)


def test_backup_every_n_epochs_and_not_for_continuations(tmp_path, data):
    X, y = data
    with pytest.warns(UserWarning, match="interrupted"):
        _fit(MLPClassifier((8,), max_iter=10, random_state=0,
                           callbacks=[("interrupt", _InterruptAt(6)),
                                      BackupAndRestore(tmp_path / "a", every=4)]), X, y)
    saved = MLPClassifier((8,), max_iter=10, random_state=0,
                          callbacks=[BackupAndRestore(tmp_path / "a", every=4)])
    _fit(saved, X, y)
    assert saved.n_iter_ == 10 and len(saved.loss_curve_) == 10
    model = MLPClassifier((8,), random_state=0, callbacks=[BackupAndRestore(tmp_path / "b")])
    model.partial_fit(X, y, classes=np.unique(y))
    assert not os.path.exists(tmp_path / "b")
    with pytest.raises(ValueError, match="every"):
        _fit(MLPClassifier((8,), callbacks=[BackupAndRestore(tmp_path, every=0)]), X, y)
