"""Backing up training and resuming it: after a killed process, after Ctrl-C."""

import errno
import json
import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from joblib import parallel_backend
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import cross_validate

from sklearn_dl import callbacks
from sklearn_dl.callbacks import BackupAndRestore
from sklearn_dl.neural_network import CNNClassifier, MLPClassifier
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
        # A hang guard only: a loaded machine may stretch a correct run many times over.
        capture_output=True, text=True, timeout=1800,
    )
    return process, out


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_killed_training_resumes_to_the_uninterrupted_result(tmp_path, kind):
    reference, reference_out = _run(tmp_path, "reference", kind)
    assert reference.returncode == 0, reference.stderr
    killed, killed_out = _run(tmp_path, "killed", kind)
    assert killed.returncode == -9 and not killed_out.exists()  # SIGKILL, mid-fit
    assert len(list((tmp_path / "backup").glob("*/backup.pt"))) == 1

    resumed, resumed_out = _run(tmp_path, "resume", kind)
    assert resumed.returncode == 0, resumed.stderr
    expected, got = json.loads(reference_out.read_text()), json.loads(resumed_out.read_text())
    assert got["n_iter"] == expected["n_iter"] == 12
    np.testing.assert_allclose(got["loss_curve"], expected["loss_curve"], rtol=1e-6)
    np.testing.assert_allclose(got["proba"], expected["proba"], rtol=1e-5, atol=1e-7)
    assert list((tmp_path / "backup").iterdir()) == []  # a finished fit cleans up


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
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_then_fit_again_resumes_the_average_of_the_weights(tmp_path, data):
    # The mean of the epochs before the interruption is backed up with them.
    X, y = data
    params = {"input_shape": (1, 10), "filters": (4,), "batch_size": 64, "max_iter": 8,
              "tol": 0, "average_weights": 1.0, "random_state": 0}
    reference = _fit(CNNClassifier(**params), X, y)
    model = CNNClassifier(**params, callbacks=[("interrupt", _InterruptAt(4)),
                                               BackupAndRestore(tmp_path)])
    with pytest.warns(UserWarning, match="interrupted"):
        model.fit(X, y)
    model.set_params(callbacks=[BackupAndRestore(tmp_path)])
    _fit(model, X, y)
    assert model.n_iter_ == 8
    np.testing.assert_allclose(model.loss_curve_, reference.loss_curve_, rtol=1e-6)
    np.testing.assert_allclose(model.predict_proba(X), reference.predict_proba(X), rtol=1e-5,
                               atol=1e-7)


def test_other_fits_never_resume_from_a_backup(tmp_path, data):
    X, y = data
    with pytest.warns(UserWarning, match="interrupted"):
        _model(tmp_path, ("interrupt", _InterruptAt(2))).fit(X, y)
    (backup,) = tmp_path.glob("*/backup.pt")
    # Other parameters, other data: each trains from scratch in its own subdirectory.
    for params, X_other in [({"alpha": 0.1}, X), ({}, X[:, ::-1])]:
        reference = _fit(MLPClassifier(**{**_model(None).get_params(), "callbacks": None,
                                          **params}), X_other, y)
        model = _fit(_model(tmp_path, **params), X_other, y)
        np.testing.assert_array_equal(model.loss_curve_, reference.loss_curve_)
    assert list(tmp_path.glob("*/backup.pt")) == [backup]  # the interrupted fit's, untouched
    backup.write_bytes(b"not a backup")
    with pytest.raises(ValueError, match="cannot be read"):
        _fit(_model(tmp_path), X, y)


class _SpyBackup(BackupAndRestore):
    """Records the fingerprint a fit hands its backup; writes nothing. (The
    estimator trains a deep copy of its callbacks: the record is the class's.)"""

    seen = []

    def start(self, net, fingerprint):
        self.seen.append(fingerprint)
        self._fingerprint = None
        return 0


def _fingerprint(model, X, y, sample_weight=None):
    """The fingerprint that fitting ``model`` on this data backs up under."""
    _SpyBackup.seen.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clone(model).set_params(max_iter=1, callbacks=[_SpyBackup("unused")]).fit(
            X, y, sample_weight=sample_weight)
    return _SpyBackup.seen[0]


def test_fingerprint_covers_weights_seed_and_every_row():
    X, y = make_classification(2000, 5, random_state=0)
    model = MLPClassifier((4,), random_state=0)
    base = _fingerprint(model, X, y)
    assert _fingerprint(model, X, y) == base
    odd_rows = X.copy()
    odd_rows[1::2] += 1e-3
    weights = np.ones(len(X))
    weights[7] = 2.0
    other_fits = [
        _fingerprint(model, odd_rows, y),
        _fingerprint(model, X, y, sample_weight=weights),
        _fingerprint(model.set_params(random_state=np.random.RandomState(1)), X, y),
    ]
    assert len({base, *other_fits}) == 4
    # A RandomState counts by the seed it gives: a fresh one of the same seed resumes.
    assert (_fingerprint(model.set_params(random_state=np.random.RandomState(0)), X, y)
            == _fingerprint(model.set_params(random_state=np.random.RandomState(0)), X, y))


def test_clones_in_parallel_share_a_directory(tmp_path, data):
    # cross_validate's clones each back up in their own subdirectory.
    X, y = data
    plain = MLPClassifier((8,), max_iter=5, random_state=0)
    backed_up = clone(plain).set_params(callbacks=[BackupAndRestore(tmp_path)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        expected = cross_validate(plain, X, y, cv=4)["test_score"]
        with parallel_backend("threading", n_jobs=2):
            scores = cross_validate(backed_up, X, y, cv=4, n_jobs=2, error_score="raise")
    np.testing.assert_array_equal(scores["test_score"], expected)
    assert list(tmp_path.iterdir()) == []


def test_full_disk_warns_once_and_training_goes_on(tmp_path, data, monkeypatch):
    X, y = data

    def disk_full(state, path):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(callbacks, "_write", disk_full)
    reference = _fit(MLPClassifier((16,), dropout=0.1, max_iter=10, tol=0, random_state=0),
                     X, y)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = _model(tmp_path).fit(X, y)
    messages = [str(w.message) for w in caught if "could not write" in str(w.message)]
    assert len(messages) == 1 and "No space left on device" in messages[0]
    assert model.n_iter_ == 10
    np.testing.assert_array_equal(model.predict_proba(X), reference.predict_proba(X))
    assert list(tmp_path.glob("**/*.pt")) == [] and list(tmp_path.glob("**/*.partial")) == []


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
