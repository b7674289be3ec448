"""Callbacks for the network estimators, passed through their ``callbacks`` parameter.

Any skorch callback works there (``LRScheduler``, ``Checkpoint``,
``ProgressBar``...). This module adds what skorch has no notion of: resuming
an interrupted ``fit`` of an sklearn estimator exactly where it stopped.
"""

import contextlib
import hashlib
import json
import os
import warnings
from pathlib import Path

import numpy as np
import torch
from skorch.callbacks import Callback

from sklearn_dl.utils._torch import generator_state

__all__ = ["BackupAndRestore"]

_FORMAT = 1
_FILE_NAME = "backup.pt"


class BackupAndRestore(Callback):
    """Back up training after every epoch; the next ``fit`` resumes from the backup.

    A fit killed mid-way (a crash, a pre-empted machine, Ctrl-C) loses at
    most the epoch it was in: run the same ``fit`` again, with the same
    parameters and data, and it restores the weights, optimiser state,
    history, stopping state and random generators of the last complete epoch
    and trains only the epochs left, reaching the result an uninterrupted fit
    reaches with the same ``random_state``. A fit that ends normally
    (``max_iter`` reached or converged) deletes its backup.

    Each fit backs up into its own subdirectory of ``directory``, named by a
    fingerprint of the estimator's parameters, its seed and every byte of
    ``X``, ``y`` and ``sample_weight``: the same fit finds its backup again,
    any other fit (another fold of ``cross_validate``, other parameters,
    other data) never resumes from it, so clones trained in parallel can
    share one ``directory``. With ``random_state=None`` the fingerprint
    leaves the seed out, so such a fit resumes too.

    The backup covers a fit that starts from scratch; ``partial_fit`` and
    ``warm_start`` continuations neither write nor read one. It is written
    atomically (a crash while writing leaves the previous backup) and read
    with ``torch.load(weights_only=True)``, which runs no code from the file.
    When a backup cannot be written (a full disk, a lost mount), the fit
    warns once and trains on without it.

    Parameters
    ----------
    directory : str or path-like
        Where the backups live (created when missing).
    every : int, default=1
        Number of epochs between backups.

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.preprocessing import scale
    >>> from sklearn_dl.callbacks import BackupAndRestore
    >>> from sklearn_dl.neural_network import MLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> directory = tempfile.mkdtemp()
    >>> model = MLPClassifier((8,), learning_rate_init=0.01, max_iter=100, random_state=0,
    ...                       callbacks=[BackupAndRestore(directory)])
    >>> model.fit(scale(X), y).score(scale(X), y) > 0.9
    True
    >>> os.listdir(directory)  # deleted once the fit ended normally
    []
    """

    def __init__(self, directory, every=1):
        self.directory = directory
        self.every = every

    @property
    def path(self):
        """The backup file of the fit in progress (None outside a fit from scratch)."""
        if getattr(self, "_fingerprint", None) is None:
            return None
        key = hashlib.blake2b(self._fingerprint.encode(), digest_size=8).hexdigest()
        return Path(self.directory) / key / _FILE_NAME

    def initialize(self):
        self._fingerprint = None
        self._write_failed = False
        return self

    # -- called by the estimator around a fit from scratch -------------------------

    def start(self, net, fingerprint):
        """Arm the backup for a fit from scratch; resume if a backup exists.

        Returns the number of epochs restored (0 when starting afresh).
        """
        if not isinstance(self.every, int) or self.every < 1:
            raise ValueError(f"BackupAndRestore's every must be an int >= 1, got {self.every!r}.")
        self._fingerprint = fingerprint
        self._write_failed = False
        if not self.path.exists():
            return 0
        try:
            state = torch.load(self.path, map_location=torch.device(net.device),
                               weights_only=True)
        except Exception as error:
            raise ValueError(f"The backup {self.path} cannot be read ({error}); delete it to "
                             "train from scratch.") from error
        if state.get("format") != _FORMAT or state.get("fingerprint") != fingerprint:
            raise ValueError(
                f"The backup {self.path} was written by another version of sklearn_dl or by "
                "a fit with other parameters or data; delete it to train from scratch."
            )
        _restore(net, state)
        return len(net.history)

    def finish(self):
        """The fit ended normally: the backup has served its purpose."""
        path = self.path
        if path is not None:
            path.unlink(missing_ok=True)
            with contextlib.suppress(OSError):  # not empty: someone else's files
                path.parent.rmdir()
        self._fingerprint = None

    def disarm(self):
        """This fit continues an earlier one: no backup for it."""
        self._fingerprint = None

    # -- skorch hook -------------------------------------------------------------------

    def on_epoch_end(self, net, **kwargs):
        if self._fingerprint is None or len(net.history) % self.every:
            return
        path = self.path
        partial = path.with_suffix(".partial")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _write(_snapshot(net, self._fingerprint), partial)
            os.replace(partial, path)  # atomic: a crash here keeps the previous backup
        except OSError as error:
            # Losing the backup is better than losing the fit held in memory.
            with contextlib.suppress(OSError):
                partial.unlink(missing_ok=True)
            if not self._write_failed:
                self._write_failed = True
                warnings.warn(f"BackupAndRestore could not write {path} ({error}); training "
                              "continues without a backup until a write succeeds.",
                              UserWarning, stacklevel=2)


def _write(state, path):
    torch.save(state, path)


def fit_fingerprint(estimator, X, targets, sample_weight, seed):
    """A string that changes with the estimator's parameters, its seed or the training data.

    Every byte of ``X`` (dense or sparse), the encoded ``targets`` and
    ``sample_weight`` (arrays, sparse matrices or tensors) is hashed: a few
    seconds per GB at most, little next to an epoch over that data. ``seed``
    is the seed the fit derived from ``random_state`` (None when
    ``random_state`` is None), so a ``RandomState`` instance counts by the
    seed it gives rather than by its identity.
    """
    params = {name: value for name, value in estimator.get_params(deep=False).items()
              if name not in ("callbacks", "verbose", "device", "random_state")}
    digest = hashlib.sha256()  # the fastest of hashlib's on CPUs with SHA extensions
    for array in (X, targets, sample_weight):
        if isinstance(array, torch.Tensor):
            array = array.cpu().numpy()
        parts = ([array.data, array.indices, array.indptr] if hasattr(array, "indptr")
                 else [np.asarray(array)])
        digest.update(repr((type(array).__name__, array.shape, str(array.dtype))).encode())
        for part in parts:
            digest.update(memoryview(np.ascontiguousarray(part)).cast("B"))
    return json.dumps({"estimator": type(estimator).__name__,
                       "params": json.dumps(params, sort_keys=True, default=repr),
                       "seed": seed, "data": digest.hexdigest()}, sort_keys=True)


def _snapshot(net, fingerprint):
    stopping = dict(net.callbacks_)["sklearn_stopping"]
    state = {
        "format": _FORMAT,
        "fingerprint": fingerprint,
        "history": json.dumps(_plain(list(net.history))),
        "module": net.module_.state_dict(),
        "optimizer": net.optimizer_.state_dict(),
        "stopping": stopping.state_dict(),
        "shuffle_rng": net.shuffle_generator.get_state(),
        "random_rng": net.random_generator.get_state(),
    }
    if getattr(net, "global_generator", None) is not None:
        state["global_rng"] = generator_state(net.global_generator)
    scaler = getattr(net, "_grad_scaler", None)
    if scaler is not None:
        state["grad_scaler"] = scaler.state_dict()
    return state


def _restore(net, state):
    net.module_.load_state_dict(state["module"])
    net.optimizer_.load_state_dict(state["optimizer"])
    dict(net.callbacks_)["sklearn_stopping"].load_state_dict(state["stopping"])
    net.history.clear()
    net.history.extend(json.loads(state["history"]))
    net.shuffle_generator.set_state(state["shuffle_rng"].cpu())
    # The generator of dropout and augmentation, which belongs to this fit.
    net.random_generator.set_state(state["random_rng"].cpu())
    if "global_rng" in state:
        net.global_generator.set_state(state["global_rng"].cpu())
    if "grad_scaler" in state:
        net._gradient_scaler().load_state_dict(state["grad_scaler"])


def _plain(value):
    """History entries as JSON-able Python values (numpy scalars included)."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, np.generic):
        return value.item()
    return value
