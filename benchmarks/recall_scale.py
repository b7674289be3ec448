"""Associative recall at the literature's scale: one default model, one seed, logged per epoch.

The task is ``recall_task`` of ``benchmarks/defaults.py`` (16 key-value pairs,
blanks, a separator and the query, 200 token ids; the class is the value that
followed the query key), with as many training sequences as Zoology's
generator makes by default (Arora et al. 2023: 100,000). The default
``TransformerClassifier`` or ``LSTMClassifier`` (only ``vocab_size='auto'``
and ``random_state`` given) is fitted with ``verbose=True``, so that each
epoch's training loss and validation accuracy are printed as they come: a run
cut short by a time limit still shows how far it got. A GPU's work (minutes
there, hours on two CPU cores)::

    python benchmarks/recall_scale.py --model Transformer --seed 0
    python benchmarks/recall_scale.py --model LSTM --n-train 2000 --device cpu   # a quick look

The last line is the test accuracy, the training accuracy on up to 10,000 of
the training sequences, the majority class's test accuracy, the test accuracy
of the shortcut that ignores the query (the value written most often among the
sequence's pairs, ``mode_of_values``), the epochs run and the fit time.
"""

import argparse
import pathlib
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from defaults import recall_task  # noqa: E402

from sklearn_dl.neural_network import LSTMClassifier, TransformerClassifier  # noqa: E402


def mode_of_values(X, n_pairs=16, n_keys=128, n_values=10):
    """The class a rule predicts that never reads the query: the most frequent value
    among the sequence's pairs (the lowest on a tie)."""
    values = X[:, 1:2 * n_pairs:2] - 1 - n_keys
    counts = (values[:, :, None] == np.arange(n_values)).sum(axis=1)
    return counts.argmax(axis=1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=["Transformer", "LSTM"], default="Transformer")
    parser.add_argument("--n-train", type=int, default=100_000)
    parser.add_argument("--n-test", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args(argv)

    # The panel's generator and seed (other sequences: the draws depend on the count).
    X, y = recall_task(np.random.default_rng(100), args.n_train + args.n_test)
    X_train, y_train = X[:args.n_train], y[:args.n_train]
    X_test, y_test = X[args.n_train:], y[args.n_train:]
    model = TransformerClassifier if args.model == "Transformer" else LSTMClassifier
    estimator = model(vocab_size="auto", random_state=args.seed, device=args.device,
                      verbose=True)
    print(f"{args.model}, seed {args.seed}: {args.n_train} training and {args.n_test} test "
          f"sequences on {args.device}", flush=True)
    start = time.perf_counter()
    estimator.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    seen = slice(0, min(10_000, args.n_train))
    majority = max(np.mean(y_test == c) for c in np.unique(y_train))
    print(f"{args.model} seed {args.seed}: test {estimator.score(X_test, y_test):.3f}, "
          f"training {estimator.score(X_train[seen], y_train[seen]):.3f}, "
          f"majority {majority:.3f}, "
          f"mode of the values {np.mean(mode_of_values(X_test) == y_test):.3f}, "
          f"{estimator.n_iter_} epochs, {seconds:.0f} s", flush=True)


if __name__ == "__main__":
    main()
