"""Every gallery example runs to the end, so the examples cannot rot.

Each example runs as its own test, parametrized by file so pytest-xdist spreads
them over the workers, with ``SKLEARN_DL_EXAMPLE_QUICK=1``, on which the
examples train on less data or for fewer epochs: the test checks that the code
runs, while the documentation build (``make docs``) runs every example in full.
An example runs in the worker's process, as sphinx-gallery runs it, under the
name ``__main__``: a fresh interpreter would import torch and scikit-learn again
for each example, which costs more than most quick examples take to train.
"""

import runpy
import sys
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pytest
import torch

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)

EXAMPLES = sorted((Path(__file__).parents[1] / "examples").glob("plot_*.py"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.name)
def test_example_runs(path, tmp_path, monkeypatch):
    monkeypatch.setenv("SKLEARN_DL_EXAMPLE_QUICK", "1")
    monkeypatch.setattr(sys, "argv", [str(path)])
    # The working directory is a temporary one: an example that saves a file fails to
    # leave it behind.
    monkeypatch.chdir(tmp_path)
    numpy_state = np.random.get_state()
    try:
        # An example may seed torch's or numpy's global generator, or change the warnings
        # filters: none of it reaches the tests that run after it in this worker.
        with torch.random.fork_rng(), warnings.catch_warnings():
            # pytest's warnings-as-errors filter is for the tests: an example may warn,
            # as it may when a reader runs it.
            warnings.simplefilter("ignore")
            runpy.run_path(str(path), run_name="__main__")
    finally:
        np.random.set_state(numpy_state)
        plt.close("all")
    assert not list(tmp_path.iterdir()), f"{path.name} wrote files: {list(tmp_path.iterdir())}"
