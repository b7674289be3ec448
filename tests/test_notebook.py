"""Notebook and terminal output: doc links, show_versions, plain logs, progress bars."""

import contextlib
import io
import re
from pathlib import Path

import optuna
import pytest
from sklearn.datasets import load_iris
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import estimator_html_repr

import sklearn_dl
from sklearn_dl.neural_network import MLPClassifier
from sklearn_dl.tuning import Tunable, tune
from sklearn_dl.utils import all_estimators
from sklearn_dl.utils._doc_link import DOCS_URL

ROOT = Path(__file__).parents[1]
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _api_pages():
    """``module.Name`` of every page the API reference generates (docs/api.rst)."""
    pages, module = set(), None
    for line in (ROOT / "docs" / "api.rst").read_text().splitlines():
        if line.startswith(".. currentmodule:: "):
            module = line.split(":: ")[1].strip()
        elif re.fullmatch(r"   [A-Za-z_]\w*", line):
            pages.add(f"{module}.{line.strip()}")
    return pages


@pytest.mark.parametrize("name, Estimator", all_estimators())
def test_html_repr_links_to_the_api_page(name, Estimator):
    link = Estimator()._get_doc_link()
    assert link.startswith(DOCS_URL + "/gen_modules/sklearn_dl.")
    page = link[len(DOCS_URL + "/gen_modules/"):-len(".html")]
    assert page in _api_pages(), f"{link} is not a page of the API reference"
    assert f'href="{link}"' in estimator_html_repr(make_pipeline(StandardScaler(), Estimator()))


def test_tunable_links_too():
    assert Tunable(MLPClassifier())._get_doc_link().endswith("sklearn_dl.tuning.Tunable.html")


def test_show_versions_names_what_a_bug_report_needs(capsys):
    sklearn_dl.show_versions()
    out = capsys.readouterr().out
    for name in ("python", "sklearn_dl", "torch", "skorch", "scikit-learn", "optuna", "numpy",
                 "CUDA available", "torch CUDA build", "default device", "GPU"):
        assert re.search(rf"^ *{re.escape(name)}: \S", out, flags=re.MULTILINE), name
    assert f"sklearn_dl: {sklearn_dl.__version__}" in out


class _Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("stream, no_color, coloured", [
    (io.StringIO, None, False), (_Terminal, None, True), (_Terminal, "1", False)])
def test_verbose_table_is_plain_text_outside_a_terminal(iris, monkeypatch, stream, no_color,
                                                        coloured):
    if no_color is None:
        monkeypatch.delenv("NO_COLOR", raising=False)
    else:
        monkeypatch.setenv("NO_COLOR", no_color)
    X, y = iris
    out = stream()
    with contextlib.redirect_stdout(out):
        MLPClassifier(hidden_layer_sizes=(4,), max_iter=3, verbose=1, random_state=0).fit(X, y)
    text = out.getvalue()
    assert "train_loss" in text and len(text.splitlines()) == 5  # header, rule, 3 epochs
    assert bool(ANSI.search(text)) == coloured


def test_verbose_2_adds_a_progress_bar(iris):
    X, y = iris
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        model = MLPClassifier(hidden_layer_sizes=(4,), max_iter=2, batch_size=50, verbose=2,
                              random_state=0).fit(X, y)
    assert "progress_bar" in dict(model.net_.callbacks_)
    assert "0/3 [" in err.getvalue()  # a tqdm bar over the epoch's 3 batches
    assert "progress_bar" not in dict(
        MLPClassifier(max_iter=1, verbose=1).fit(X, y).net_.callbacks_)


def test_tune_passes_show_progress_bar_to_optuna(iris):
    X, y = iris
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        tune(MLPClassifier(hidden_layer_sizes=(4,), max_iter=2), X, y, n_trials=2, cv=2,
             verbose=0, random_state=0, show_progress_bar=True)
    assert "2/2" in err.getvalue() and "Best trial" in err.getvalue()
    quiet = io.StringIO()
    with contextlib.redirect_stderr(quiet):
        tune(MLPClassifier(hidden_layer_sizes=(4,), max_iter=2), X, y, n_trials=1, cv=2,
             verbose=0, random_state=0)
    assert "Best trial" not in quiet.getvalue()
