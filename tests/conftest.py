import os

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, settings

# No test may fail for taking long on a loaded machine: hypothesis's per-example
# deadline and its too-slow health check are wall-clock limits.
settings.register_profile("wall_clock_free", deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("wall_clock_free")

# Two pytest-xdist workers share CI's two cores: one intra-op thread each avoids
# oversubscription, which on small models costs more than it gains.
if os.environ.get("PYTEST_XDIST_WORKER"):
    torch.set_num_threads(1)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def pytest_terminal_summary(terminalreporter):
    """Print the size of the bad-input matrix (tests/test_bad_input.py): inputs x estimators."""
    passed = [report for report in terminalreporter.stats.get("passed", [])
              if report.nodeid.startswith("tests/test_bad_input.py") and report.when == "call"]
    if passed:
        terminalreporter.write_line(
            f"bad-input matrix: {len(passed)} (input x estimator) pairs refused clearly "
            "or handled as sklearn handles them")
