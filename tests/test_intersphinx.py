"""The documentation links other projects' objects offline: their inventories are shipped."""

import runpy
import zlib
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]


def _objects(path):
    """{(role, name)} of a Sphinx objects.inv (version 2: four header lines, then zlib)."""
    lines = path.read_bytes().split(b"\n", 4)
    assert lines[0] == b"# Sphinx inventory version 2", path
    entries = {}
    for line in zlib.decompress(lines[4]).decode().splitlines():
        name, role, _, uri, _ = line.split(" ", 4)  # display names may hold spaces
        entries[(role, name)] = uri
    return entries


@pytest.fixture
def mapping(monkeypatch):
    monkeypatch.delenv("SKLEARN_DL_DOCS_ONLINE", raising=False)  # the offline build
    return runpy.run_path(str(ROOT / "docs" / "conf.py"))["intersphinx_mapping"]


@pytest.mark.parametrize("project, role, name", [
    ("python", "py:class", "int"),
    ("numpy", "py:class", "numpy.ndarray"),
    ("scipy", "py:module", "scipy.sparse"),
    ("pandas", "py:class", "pandas.DataFrame"),
    ("sklearn", "py:class", "sklearn.pipeline.Pipeline"),
    ("sklearn", "py:class", "sklearn.neural_network.MLPClassifier"),
    ("torch", "py:class", "torch.nn.Module"),
    ("torch", "py:class", "torch.device"),
    ("skorch", "py:class", "skorch.NeuralNetClassifier"),
    ("optuna", "py:exception", "optuna.TrialPruned"),
    ("optuna_integration", "py:class", "optuna_integration.OptunaSearchCV"),
])
def test_shipped_inventories_resolve_the_referenced_objects(mapping, project, role, name):
    url, inventory = mapping[project]
    assert url.startswith("https://")
    assert Path(inventory).parent == ROOT / "docs" / "_intersphinx"
    assert (role, name) in _objects(Path(inventory))
