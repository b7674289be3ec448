"""The API reference lists every public object, and every example is linked from the site."""

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PUBLIC_MODULES = ["sklearn_dl", "sklearn_dl.neural_network", "sklearn_dl.linear_model",
                  "sklearn_dl.time_series", "sklearn_dl.tuning", "sklearn_dl.modules",
                  "sklearn_dl.utils", "sklearn_dl.text"]
# Re-exported at the top level from sklearn_dl.neural_network, documented there.
REEXPORTED = {"CNNClassifier", "CNNRegressor", "LSTMClassifier", "LSTMRegressor",
              "MLPClassifier", "MLPRegressor", "TorchClassifier", "TorchRegressor",
              "TransformerClassifier", "TransformerRegressor", "__version__"}


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_api_reference_lists_every_public_object(module_name):
    api = (ROOT / "docs" / "api.rst").read_text()
    # A module's section runs from its ":mod:`name`: title" heading to the next one.
    if module_name != "sklearn_dl":
        api = api.split(f":mod:`{module_name}`: ")[1]
    section = api.split(":mod:`sklearn_dl.")[0]
    listed = set(re.findall(r"^   (\w+)$", section, flags=re.MULTILINE))
    listed |= set(re.findall(r"^\.\. data:: (\w+)$", section, flags=re.MULTILINE))
    public = set(importlib.import_module(module_name).__all__)
    if module_name == "sklearn_dl":
        public -= REEXPORTED
    missing = public - listed
    assert not missing, f"docs/api.rst does not list {sorted(missing)} of {module_name}"


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_no_docstring_shows_an_unfilled_template_field(module_name):
    # Docstrings assembled from templates fill fields such as {patch}; one left
    # unfilled would print as is in the API reference and in help().
    module = importlib.import_module(module_name)
    for name in module.__all__:
        obj = getattr(module, name)
        docs = [obj.__doc__ or ""]
        if isinstance(obj, type):
            docs += [member.__doc__ or "" for member in vars(obj).values() if callable(member)]
        for doc in docs:
            assert not re.findall(r"\{[a-z_]+\}", doc), (name, re.findall(r"\{[a-z_]+\}", doc))


def test_every_example_is_linked_from_the_docs():
    pages = "".join(path.read_text() for path in (ROOT / "docs").rglob("*.md"))
    for example in sorted((ROOT / "examples").glob("plot_*.py")):
        assert example.stem in pages, f"no page of docs/ links {example.name}"
