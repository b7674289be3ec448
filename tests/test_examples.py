"""Every gallery example runs to the end, so the examples cannot rot.

Each example is a subprocess, parametrized by file so pytest-xdist spreads
them over the workers, and must exit 0. It runs with
``SKLEARN_DL_EXAMPLE_QUICK=1``, on which the examples train on less data or
for fewer epochs: the test checks that the code runs, while the documentation
build (``make docs``) runs every example in full.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parents[1] / "examples").glob("plot_*.py"))
# Only a guard against a hung example: a quick example takes seconds of CPU,
# but a loaded machine may stretch that many times over, and a correct run
# must not fail for it.
HANG_GUARD = 1800


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.name)
def test_example_runs(path, tmp_path):
    env = {
        **os.environ,
        "MPLBACKEND": "Agg",
        "SKLEARN_DL_EXAMPLE_QUICK": "1",
        # Two workers share two cores: one intra-op thread each, as in conftest.py;
        # oversubscribed torch threads make small networks many times slower.
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        # pytest's warnings-as-errors filter is not inherited: examples may warn.
        "PYTHONWARNINGS": "",
    }
    # cwd in a temporary directory: an example that saves a file fails to leave it behind.
    result = subprocess.run([sys.executable, str(path)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=HANG_GUARD)
    assert result.returncode == 0, f"{path.name} failed:\n{result.stderr[-3000:]}"
    assert not list(tmp_path.iterdir()), f"{path.name} wrote files: {list(tmp_path.iterdir())}"
