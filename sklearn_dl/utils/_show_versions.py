"""``sklearn_dl.show_versions()``: what a bug report needs to know about this machine."""

import platform
import sys
from importlib.metadata import PackageNotFoundError, version

import torch

from sklearn_dl.utils._torch import resolve_device

# Distributions whose versions change results or behaviour, by their pip names.
_DEPENDENCIES = ("torch", "skorch", "scikit-learn", "optuna", "numpy", "scipy", "pandas",
                 "safetensors")


def _installed(name):
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def _versions():
    """{section: {name: value}} of everything :func:`show_versions` prints."""
    import sklearn_dl

    cuda = torch.cuda.is_available()
    return {
        "System": {
            "python": sys.version.replace("\n", " "),
            "executable": sys.executable,
            "machine": platform.platform(),
        },
        "Device": {
            "default device": str(resolve_device("auto")),
            "CUDA available": str(cuda),
            "torch CUDA build": str(torch.version.cuda),
            "GPU": torch.cuda.get_device_name(0) if cuda else "none",
            "torch threads": str(torch.get_num_threads()),
        },
        "Python dependencies": {
            "sklearn_dl": sklearn_dl.__version__,
            **{name: _installed(name) or "not installed" for name in _DEPENDENCIES},
        },
    }


def show_versions():
    """Print the versions of Python, sklearn_dl and its dependencies, and the device.

    Paste its output into a bug report: results of networks depend on the
    versions of torch and skorch and on the device that ``device='auto'``
    picks (CUDA when available).

    Examples
    --------
    >>> import sklearn_dl
    >>> sklearn_dl.show_versions()  # doctest: +ELLIPSIS
    <BLANKLINE>
    System:
    ...
    Device:
        default device: ...
    ...
    Python dependencies:
            sklearn_dl: ...
                 torch: ...
                skorch: ...
          scikit-learn: ...
                optuna: ...
    ...
    """
    for section, values in _versions().items():
        print(f"\n{section}:")
        for name, value in values.items():
            print(f"{name:>18}: {value}")
