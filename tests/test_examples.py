"""Every gallery example runs to the end, so the examples cannot rot.

Each example is a subprocess, parametrized by file so pytest-xdist spreads
them over the workers; it must exit 0 within ``TIMEOUT`` seconds.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parents[1] / "examples").glob("plot_*.py"))
# An example is meant to run in well under a minute on two cores; the limit
# leaves room for a loaded CI machine while still catching a runaway example.
TIMEOUT = 240


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.name)
def test_example_runs(path, tmp_path):
    env = {
        **os.environ,
        "MPLBACKEND": "Agg",
        # Two workers share two cores: one intra-op thread each, as in conftest.py;
        # oversubscribed torch threads make small networks many times slower.
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        # pytest's warnings-as-errors filter is not inherited: examples may warn.
        "PYTHONWARNINGS": "",
    }
    # cwd in a temporary directory: an example that saves a file fails to leave it behind.
    result = subprocess.run([sys.executable, str(path)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=TIMEOUT)
    assert result.returncode == 0, f"{path.name} failed:\n{result.stderr[-3000:]}"
    assert not list(tmp_path.iterdir()), f"{path.name} wrote files: {list(tmp_path.iterdir())}"
