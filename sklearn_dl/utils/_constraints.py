"""Parameter constraints beyond sklearn's, for ``_parameter_constraints``.

These name what a device or a list of callbacks may be, so a bad value fails
in ``fit`` with sklearn's ``InvalidParameterError`` (a ``ValueError`` and
``TypeError``) instead of a torch or skorch traceback mid-way. sklearn takes
only its own constraint classes, so these extend two of them (``StrOptions``,
``Options``), which also lets ``check_param_validation`` try bad values.
"""

import re

import torch
from skorch.callbacks import Callback
from sklearn.utils._param_validation import Options, StrOptions

_DEVICE_NAME = re.compile(r"(auto|cpu|mps|cuda(:[0-9]+)?)")


class DeviceName(StrOptions):
    """``'auto'``, ``'cpu'``, ``'cuda'``, ``'cuda:N'``, ``'mps'`` or a :class:`torch.device`.

    Examples
    --------
    >>> from sklearn_dl.utils._constraints import DeviceName
    >>> [DeviceName().is_satisfied_by(name) for name in ("cuda:1", "cpux", "cuda:abc")]
    [True, False, False]
    """

    def __init__(self):
        super().__init__({"auto", "cpu", "cuda", "mps"})

    def is_satisfied_by(self, val):
        if isinstance(val, torch.device):
            return True
        return isinstance(val, str) and _DEVICE_NAME.fullmatch(val) is not None

    def __str__(self):
        return "a device name among 'auto', 'cpu', 'cuda', 'cuda:N', 'mps', or a torch.device"


class SkorchCallbacks(Options):
    """A list of skorch callbacks: ``Callback`` instances or classes, or (name, callback) pairs.

    Examples
    --------
    >>> from skorch.callbacks import EarlyStopping
    >>> from sklearn_dl.utils._constraints import SkorchCallbacks
    >>> constraint = SkorchCallbacks()
    >>> constraint.is_satisfied_by([EarlyStopping(), ("stop", EarlyStopping)])
    True
    >>> constraint.is_satisfied_by([object()])
    False
    """

    def __init__(self):
        super().__init__(list, set())

    def is_satisfied_by(self, val):
        return isinstance(val, list) and all(_is_callback(item) for item in val)

    def __str__(self):
        return ("a list of skorch callbacks (Callback instances or classes, or (name, "
                "callback) pairs)")


def _is_callback(item):
    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
        item = item[1]
    return isinstance(item, Callback) or (isinstance(item, type) and issubclass(item, Callback))
