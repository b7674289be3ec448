import os

import numpy as np
import pytest
import torch

# Two pytest-xdist workers share CI's two cores: one intra-op thread each avoids
# oversubscription, which on small models costs more than it gains.
if os.environ.get("PYTEST_XDIST_WORKER"):
    torch.set_num_threads(1)


@pytest.fixture
def rng():
    return np.random.default_rng(0)
