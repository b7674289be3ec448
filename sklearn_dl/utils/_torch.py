"""Device resolution and seeding shared by every torch-backed estimator."""

import contextlib
import functools
import numbers
import threading

import numpy as np
import torch
from sklearn.utils import check_random_state

_DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")


def resolve_device(device):
    """Return the :class:`torch.device` that ``device`` names on this machine.

    ``'auto'`` picks CUDA when it is available and the CPU otherwise, so the
    same estimator runs on a laptop and on a GPU server unchanged.

    Parameters
    ----------
    device : str or torch.device
        ``'auto'``, ``'cpu'``, ``'cuda'``, ``'cuda:N'``, ``'mps'`` or a
        :class:`torch.device`.

    Returns
    -------
    torch.device

    Examples
    --------
    >>> from sklearn_dl.utils import resolve_device
    >>> resolve_device("cpu")
    device(type='cpu')
    """
    if isinstance(device, torch.device):
        return device
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    resolved = torch.device(device)
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} was requested but CUDA is not available on this "
            "machine; use device='auto' to fall back to the CPU."
        )
    if resolved.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"device={device!r} was requested but MPS is not available.")
    return resolved


def derive_seed(random_state):
    """Draw a 31-bit seed from a sklearn ``random_state``.

    An int gives the same seed every time, ``None`` a fresh one, and a
    ``RandomState`` instance advances as sklearn's own estimators advance it.

    Parameters
    ----------
    random_state : int, RandomState instance or None

    Returns
    -------
    int
        A seed in ``[0, 2**31 - 1)``.

    Examples
    --------
    >>> from sklearn_dl.utils import derive_seed
    >>> derive_seed(0) == derive_seed(0)
    True
    >>> 0 <= derive_seed(None) < 2**31 - 1
    True
    """
    if isinstance(random_state, numbers.Integral):
        return _seed_from_int(int(random_state))
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


@functools.lru_cache(maxsize=128)
def _seed_from_int(random_state):
    # Seeding a RandomState costs more than a small network's epoch; an int
    # always gives the same draw, so each is drawn once.
    return int(np.random.RandomState(random_state).randint(np.iinfo(np.int32).max))


# Held while a block runs on a seeded copy of torch's global generator, so that
# fits in threads build their modules one at a time, each from its own seed.
_THREADS_LOCK = threading.Lock()
_THREADS_SAVED = {"depth": 0, "threads": None}


@contextlib.contextmanager
def one_thread():
    """Run the block with torch's CPU work in one thread, then restore the thread count.

    For work too small to gain from torch's threads: each operation that torch
    splits over its threads ends at a barrier, and when a thread waits for a
    core (a loaded machine) the barrier costs milliseconds. The thread count is
    process-wide: blocks running in several Python threads share one saved
    count, restored when the last of them leaves.

    Examples
    --------
    >>> import torch
    >>> from sklearn_dl.utils._torch import one_thread
    >>> before = torch.get_num_threads()
    >>> with one_thread():
    ...     torch.get_num_threads()
    1
    >>> torch.get_num_threads() == before
    True
    """
    with _THREADS_LOCK:
        if _THREADS_SAVED["depth"] == 0:
            _THREADS_SAVED["threads"] = torch.get_num_threads()
            torch.set_num_threads(1)
        _THREADS_SAVED["depth"] += 1
    try:
        yield
    finally:
        with _THREADS_LOCK:
            _THREADS_SAVED["depth"] -= 1
            if _THREADS_SAVED["depth"] == 0:
                torch.set_num_threads(_THREADS_SAVED["threads"])


_GLOBAL_RNG_LOCK = threading.RLock()


@contextlib.contextmanager
def seeded(seed, device):
    """Run the block with torch's global RNG seeded, then restore it.

    Module construction (``nn.Linear`` and friends initialise their weights
    at construction) draws from torch's global generator; the block sees a
    generator seeded from ``seed``, and the caller's generator state is
    untouched afterwards. Blocks in different threads run one at a time, so
    none sees another's seed; keep them short (training draws from
    generators of its own, see :func:`sklearn_dl.modules.use_generator`).

    Parameters
    ----------
    seed : int
    device : torch.device
        The device whose generator is forked too, when it is a CUDA device.

    Examples
    --------
    >>> import torch
    >>> from sklearn_dl.utils import seeded
    >>> before = torch.random.get_rng_state()
    >>> with seeded(0, torch.device("cpu")):
    ...     first = torch.rand(2)
    >>> with seeded(0, torch.device("cpu")):
    ...     second = torch.rand(2)
    >>> torch.equal(first, second), torch.equal(before, torch.random.get_rng_state())
    (True, True)
    """
    devices = [device.index or 0] if device.type == "cuda" else []
    with _GLOBAL_RNG_LOCK, torch.random.fork_rng(
            devices=devices, device_type=device.type if devices else "cuda"):
        if device.type == "cpu":
            # Only the CPU generator: torch.manual_seed would also queue a
            # seeding of every CUDA device (recording a stack trace each time).
            torch.default_generator.manual_seed(seed)
        else:
            torch.manual_seed(seed)
        yield


@contextlib.contextmanager
def drawing_from(generator):
    """Run the block with torch's global generator replaced by ``generator``.

    For modules that draw from torch's global generator (``nn.Dropout``,
    ``F.dropout``, ``torch.rand`` in ``forward``): the block draws from
    ``generator``'s state instead, that state advances as the block draws,
    and the caller's global generator is untouched afterwards. Blocks in
    different threads run one at a time, so none sees another's draws.

    Parameters
    ----------
    generator : torch.Generator
        Its device's global generator is the one replaced.

    Examples
    --------
    >>> import torch
    >>> from sklearn_dl.utils._torch import drawing_from
    >>> before = torch.random.get_rng_state()
    >>> mine = torch.Generator().manual_seed(0)
    >>> with drawing_from(mine):
    ...     first = torch.rand(2)
    >>> torch.equal(first, torch.rand(2, generator=torch.Generator().manual_seed(0)))
    True
    >>> torch.equal(before, torch.random.get_rng_state())
    True
    """
    device = generator.device
    cuda = device.type == "cuda"
    index = device.index if device.index is not None else (torch.cuda.current_device() if cuda else 0)
    with _GLOBAL_RNG_LOCK, torch.random.fork_rng(devices=[index] if cuda else [],
                                                 device_type="cuda"):
        if cuda:
            torch.cuda.set_rng_state(generator.get_state(), index)
        else:
            torch.default_generator.set_state(generator.get_state())
        _IN_USE[id(generator)] = lambda: (torch.cuda.get_rng_state(index) if cuda
                                         else torch.default_generator.get_state())
        try:
            yield
        finally:
            generator.set_state(_IN_USE.pop(id(generator))())


# The generators that a drawing_from block stands in for torch's global one,
# with how to read their live state there.
_IN_USE = {}


def generator_state(generator):
    """``generator.get_state()``, also while a :func:`drawing_from` block draws from it."""
    live = _IN_USE.get(id(generator))
    return generator.get_state() if live is None else live()
