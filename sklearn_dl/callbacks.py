"""Callbacks for the network estimators, passed through their ``callbacks`` parameter.

Any skorch callback works there (``LRScheduler``, ``Checkpoint``,
``ProgressBar``...). This module adds what skorch has no notion of: resuming
an interrupted ``fit`` of an sklearn estimator exactly where it stopped.
"""

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import torch
from skorch.callbacks import Callback

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

    The backup covers a fit that starts from scratch; ``partial_fit`` and
    ``warm_start`` continuations neither write nor read one. It is written
    atomically (a crash while writing leaves the previous backup) and read
    with ``torch.load(weights_only=True)``, which runs no code from the file.
    A backup written by a fit with other parameters or data is refused with a
    ``ValueError``.

    Parameters
    ----------
    directory : str or path-like
        Where the backup lives (created when missing). One directory per
        training run: two fits sharing it would overwrite each other.
    every : int, default=1
        Number of epochs between backups.

    Examples
    --------
    >>> import tempfile
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.preprocessing import scale
    >>> from sklearn_dl.callbacks import BackupAndRestore
    >>> from sklearn_dl.neural_network import MLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> backup = BackupAndRestore(tempfile.mkdtemp())
    >>> model = MLPClassifier((8,), learning_rate_init=0.01, max_iter=100, random_state=0,
    ...                       callbacks=[backup])
    >>> model.fit(scale(X), y).score(scale(X), y) > 0.9
    True
    >>> backup.path.exists()  # deleted once the fit ended normally
    False
    """

    def __init__(self, directory, every=1):
        self.directory = directory
        self.every = every

    @property
    def path(self):
        """The backup file."""
        return Path(self.directory) / _FILE_NAME

    def initialize(self):
        self._fingerprint = None
        return self

    # -- called by the estimator around a fit from scratch -------------------------

    def start(self, net, fingerprint):
        """Arm the backup for a fit from scratch; resume if a backup exists.

        Returns the number of epochs restored (0 when starting afresh).
        """
        if not isinstance(self.every, int) or self.every < 1:
            raise ValueError(f"BackupAndRestore's every must be an int >= 1, got {self.every!r}.")
        self._fingerprint = fingerprint
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
                f"The backup in {self.directory} was written by a fit with other parameters "
                "or data; delete it, or give this fit its own BackupAndRestore directory."
            )
        _restore(net, state)
        return len(net.history)

    def finish(self):
        """The fit ended normally: the backup has served its purpose."""
        if self._fingerprint is not None and self.path.exists():
            self.path.unlink()
        self._fingerprint = None

    def disarm(self):
        """This fit continues an earlier one: no backup for it."""
        self._fingerprint = None

    # -- skorch hook -------------------------------------------------------------------

    def on_epoch_end(self, net, **kwargs):
        if self._fingerprint is None or len(net.history) % self.every:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(".partial")
        torch.save(_snapshot(net, self._fingerprint), partial)
        os.replace(partial, self.path)  # atomic: a crash here keeps the previous backup


def fit_fingerprint(estimator, X, targets):
    """A string that changes with the estimator's parameters or the training data.

    The data part hashes the shapes and up to ~1000 evenly spaced rows, so it
    is cheap on any number of rows.
    """
    params = {name: value for name, value in estimator.get_params(deep=False).items()
              if name not in ("callbacks", "verbose", "device")}
    if not isinstance(params.get("random_state"), (int, type(None))):
        params.pop("random_state")  # a RandomState instance has no stable description
    digest = hashlib.blake2b(digest_size=16)
    step = max(1, X.shape[0] // 1000)
    for array in (X, targets):
        sample = array[::step]
        sample = sample.toarray() if hasattr(sample, "toarray") else np.asarray(sample)
        digest.update(repr((array.shape, str(array.dtype))).encode())
        digest.update(np.ascontiguousarray(sample).tobytes())
    return json.dumps({"estimator": type(estimator).__name__,
                       "params": json.dumps(params, sort_keys=True, default=repr),
                       "data": digest.hexdigest()}, sort_keys=True)


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
