"""The MLP on the bundled UCR sets: our default, scikit-learn's, and what closes the gap.

The default ``MLPClassifier`` (the flat series, scikit-learn's defaults) is
below the MLP of Wang, Yan and Oates (2017) on the four univariate UCR sets
bundled with ``aeon``. This script measures where the gap comes from: each
configuration runs on each set for several ``random_state`` values, ours and,
where it says so, scikit-learn's ``MLPClassifier`` with the same parameters,
and prints the worst and the mean test accuracy, the epochs run (``n_iter_``),
the last training loss and how many fits ended with a ``ConvergenceWarning``
(the loss still falling at ``max_iter``).

Run ``python benchmarks/mlp_ucr.py`` (``--seeds 10``; ``--only GunPoint,OSULeaf``;
``--configs "default;max_iter=1000"``, labels separated by semicolons;
``--markdown``). It needs ``aeon`` (the
``bench`` extra) for the data files.
"""

import argparse
import time
import warnings

import numpy as np
from defaults import PUBLISHED, load_ucr
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_dl.neural_network import MLPClassifier

SETS = ("GunPoint", "ArrowHead", "ItalyPowerDemand", "OSULeaf")

# label -> (parameters, also run scikit-learn's MLP with them, StandardScaler first)
CONFIGS = {
    "default": ({}, True, False),
    "max_iter=1000": ({"max_iter": 1000}, True, False),
    "batch_size=16": ({"batch_size": 16}, True, False),
    "batch_size=32": ({"batch_size": 32}, False, False),
    "learning_rate_init=0.01": ({"learning_rate_init": 0.01}, False, False),
    "alpha=0.01, max_iter=1000": ({"alpha": 0.01, "max_iter": 1000}, False, False),
    "alpha=1, max_iter=1000": ({"alpha": 1.0, "max_iter": 1000}, False, False),
    "dropout=0.2, n_iter_no_change=200, max_iter=2000":
        ({"dropout": 0.2, "n_iter_no_change": 200, "max_iter": 2000}, False, False),
    "dropout=0.1, n_iter_no_change=100, max_iter=2000":
        ({"dropout": 0.1, "n_iter_no_change": 100, "max_iter": 2000}, False, False),
    "batch_norm=True": ({"batch_norm": True}, False, False),
    "weight_init='he', max_iter=1000": ({"weight_init": "he", "max_iter": 1000}, False, False),
    "activation='gelu', max_iter=1000": ({"activation": "gelu", "max_iter": 1000}, False, False),
    "solver='sgd', learning_rate_init=0.01, max_iter=1000":
        ({"solver": "sgd", "learning_rate_init": 0.01, "max_iter": 1000}, False, False),
    "StandardScaler": ({}, False, True),
    "solver='lbfgs'": ({"solver": "lbfgs"}, True, False),
    "(500,), max_iter=1000": ({"hidden_layer_sizes": (500,), "max_iter": 1000}, False, False),
    "(500,), batch_size=16, max_iter=1000":
        ({"hidden_layer_sizes": (500,), "batch_size": 16, "max_iter": 1000}, False, False),
    "(1000,), batch_size=16, max_iter=1000":
        ({"hidden_layer_sizes": (1000,), "batch_size": 16, "max_iter": 1000}, False, False),
    "(2000,), batch_size=16, max_iter=1000":
        ({"hidden_layer_sizes": (2000,), "batch_size": 16, "max_iter": 1000}, False, False),
    "(500, 500, 500), dropout=0.2, n_iter_no_change=200, max_iter=2000":
        ({"hidden_layer_sizes": (500, 500, 500), "dropout": 0.2, "n_iter_no_change": 200,
          "max_iter": 2000}, False, False),
}


def run(name, Estimator, params, scale, seeds):
    X_train, y_train = load_ucr(name, "TRAIN")
    X_test, y_test = load_ucr(name, "TEST")
    X_train, X_test = X_train.reshape(len(X_train), -1), X_test.reshape(len(X_test), -1)
    scores, epochs, losses, warned, seconds = [], [], [], 0, []
    for seed in seeds:
        model = Estimator(random_state=seed, **params)
        pipeline = make_pipeline(StandardScaler(), model) if scale else model
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            start = time.perf_counter()
            pipeline.fit(X_train, y_train)
            seconds.append(time.perf_counter() - start)
        warned += any(issubclass(w.category, ConvergenceWarning) for w in caught)
        scores.append(pipeline.score(X_test, y_test))
        epochs.append(model.n_iter_)
        losses.append(model.loss_)
    return {
        "worst": min(scores), "mean": float(np.mean(scores)),
        "epochs": f"{min(epochs)}-{max(epochs)}", "last loss": float(np.mean(losses)),
        "warned": f"{warned}/{len(seeds)}", "fit s": float(np.mean(seconds)),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="random_state 0 .. N-1")
    parser.add_argument("--only", help=f"comma-separated sets among {', '.join(SETS)}")
    parser.add_argument("--configs", help="semicolon-separated labels among: " + "; ".join(CONFIGS))
    parser.add_argument("--markdown", action="store_true", help="print a markdown table")
    args = parser.parse_args(argv)
    sets = SETS if args.only is None else [s.strip() for s in args.only.split(",")]
    labels = list(CONFIGS) if args.configs is None else [c.strip() for c in args.configs.split(";")]
    unknown = sorted(set(sets) - set(SETS)) + sorted(set(labels) - set(CONFIGS))
    if unknown:
        parser.error(f"unknown sets or configurations {unknown}")
    seeds = range(args.seeds)
    columns = ["data set", "published MLP", "configuration", "implementation", "worst", "mean",
               "epochs", "last loss", "warned", "fit s"]
    rows = []
    for name in sets:
        for label in labels:
            params, with_sklearn, scale = CONFIGS[label]
            for implementation, Estimator in (("ours", MLPClassifier),
                                              ("sklearn", SkMLPClassifier)):
                if implementation == "sklearn" and not with_sklearn:
                    continue
                row = {"data set": name, "published MLP": PUBLISHED[name]["MLP"],
                       "configuration": label, "implementation": implementation,
                       **run(name, Estimator, params, scale, seeds)}
                rows.append(row)
                print("# " + " | ".join(_format(row[c]) for c in columns), flush=True)
    print(f"\nTest accuracy over random_state 0 .. {args.seeds - 1}; 'warned': fits that "
          "ended with a ConvergenceWarning.")
    if args.markdown:
        print("| " + " | ".join(columns) + " |")
        print("|" + "|".join("---" for _ in columns) + "|")
    for row in rows:
        cells = [_format(row[c]) for c in columns]
        print("| " + " | ".join(cells) + " |" if args.markdown else "  ".join(cells))
    return rows


def _format(value):
    return f"{value:.3f}" if isinstance(value, float) else str(value)


if __name__ == "__main__":
    main()
