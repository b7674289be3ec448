"""Sphinx configuration of the sklearn_dl documentation (``make docs``)."""

import os
import warnings
from pathlib import Path

import sklearn_dl

project = "sklearn_dl"
author = "sklearn_dl developers"
copyright = "2026, sklearn_dl developers"
release = sklearn_dl.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
templates_path = ["_templates"]
exclude_patterns = ["_build", "_intersphinx", "gen_modules/backreferences", "**.ipynb_checkpoints",
                    "auto_examples/*.md5", "auto_examples/*.py", "auto_examples/*.ipynb",
                    "auto_examples/*.zip", "auto_examples/*.json"]

myst_enable_extensions = ["colon_fence", "dollarmath"]
myst_heading_anchors = 3

# API reference: one page per public object, generated from numpydoc docstrings.
autosummary_generate = True
autodoc_default_options = {"member-order": "groupwise"}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# The See Also sections name objects by their short name (MLPClassifier);
# numpydoc resolves them against the current module.
numpydoc_xref_param_type = False

# Links to the libraries' own documentation resolve offline: their intersphinx
# inventories (objects.inv) are shipped in docs/_intersphinx/ (see its README
# for where each comes from). SKLEARN_DL_DOCS_ONLINE=1 fetches the current ones
# instead, for a release build with network access.
_INVENTORIES = Path(__file__).parent / "_intersphinx"
_DOC_SITES = {
    "python": "https://docs.python.org/3",
    "numpy": "https://numpy.org/doc/stable",
    "scipy": "https://docs.scipy.org/doc/scipy",
    "sklearn": "https://scikit-learn.org/stable",
    "torch": "https://docs.pytorch.org/docs/stable",
    "pandas": "https://pandas.pydata.org/docs",
    "skorch": "https://skorch.readthedocs.io/en/stable",
    "optuna": "https://optuna.readthedocs.io/en/stable",
    "optuna_integration": "https://optuna-integration.readthedocs.io/en/stable",
}
_ONLINE = os.environ.get("SKLEARN_DL_DOCS_ONLINE") == "1"
intersphinx_mapping = {
    name: (url, None if _ONLINE else str(_INVENTORIES / f"{name}.inv"))
    for name, url in _DOC_SITES.items()
    if _ONLINE or (_INVENTORIES / f"{name}.inv").exists()
}

# Example gallery: examples/plot_*.py are run and their figures embedded.
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    # demo.py is `make demo`'s script, not a gallery page.
    "ignore_pattern": r"demo\.py|__init__\.py",
    "backreferences_dir": "gen_modules/backreferences",
    "doc_module": ("sklearn_dl",),
    "reference_url": {"sklearn_dl": None},
    "download_all_examples": False,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "within_subsection_order": "FileNameSortKey",
    "show_memory": False,
    "plot_gallery": "True",
    # No sg_execution_times.rst files in the source tree.
    "write_computation_times": False,
}
# The examples run with warnings shown in their output, not as build errors.
warnings.filterwarnings("ignore", category=UserWarning,
                        message="Matplotlib is currently using agg")



def _skip_metadata_request_methods(app, what, name, obj, skip, options):
    # scikit-learn generates set_{fit,predict,...}_request on every estimator
    # class; their docstrings point into scikit-learn's own site.
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_metadata_request_methods)


html_theme = "furo"
html_title = f"sklearn_dl {release}"
html_static_path = []
html_show_sourcelink = False
