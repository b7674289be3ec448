"""scikit-learn's own MLP examples, run with its class and ours side by side.

Three examples of scikit-learn's gallery, their data and settings as scikit-learn
wrote them (``--examples``):

``strategies``
    *Compare Stochastic learning strategies for MLPClassifier*
    (``examples/neural_networks/plot_mlp_training_curves.py``): seven settings
    of SGD (constant or inverse-scaling rate, no momentum, momentum, Nesterov's)
    and Adam, on iris, digits, circles and moons scaled to [0, 1]; 400 epochs
    at most (15 on digits). Measured: the final training loss (``loss_``), as the
    example prints it.
``alpha``
    *Varying regularization in Multi-layer Perceptron*
    (``examples/neural_networks/plot_mlp_alpha.py``): ``make_pipeline(
    StandardScaler(), MLPClassifier(solver='lbfgs', hidden_layer_sizes=[10,
    10], max_iter=2000, early_stopping=True, alpha=...))`` for five alphas from
    0.1 to 10, on moons, circles and a noisy linearly separable set, 40 % held
    out (``random_state=42``). Measured: the held-out accuracy.

``comparison``
    *Classifier comparison* (``examples/classification/plot_classifier_comparison.py``),
    its neural network: ``make_pipeline(StandardScaler(), MLPClassifier(alpha=1,
    max_iter=1000))`` (Adam) on the same three data sets (the linearly
    separable one drawn with ``random_state=1``), 40 % held out. Measured: the
    held-out accuracy.

The examples fix ``random_state`` (0, 1 and 42); here each setting runs with every
seed of ``--seeds`` (default 0-4) for both classes, and a row gives the mean and
the worst of each (the highest loss, the lowest accuracy), the mean epochs
(``n_iter_``), the mean final training loss of each (``loss_``, the penalty
included: the objective both minimise) and the ratio of our total fit time to
scikit-learn's (ours in float32 on the CPU, after one warm-up fit). A seed draws other initial weights and batches in each
library, so only the means compare.

    python benchmarks/sklearn_examples.py [--quick] [--seeds 0,1,2] [--examples alpha]
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits, load_iris, make_circles, make_classification, make_moons
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from sklearn_dl.neural_network import MLPClassifier

SGD = {"solver": "sgd", "learning_rate_init": 0.2}
STRATEGIES = {
    "constant rate": {**SGD, "learning_rate": "constant", "momentum": 0},
    "constant, momentum": {**SGD, "learning_rate": "constant", "momentum": 0.9,
                           "nesterovs_momentum": False},
    "constant, Nesterov": {**SGD, "learning_rate": "constant", "momentum": 0.9,
                           "nesterovs_momentum": True},
    "inv-scaling rate": {**SGD, "learning_rate": "invscaling", "momentum": 0},
    "inv-scaling, Nesterov": {**SGD, "learning_rate": "invscaling", "momentum": 0.9,
                              "nesterovs_momentum": True},
    "inv-scaling, momentum": {**SGD, "learning_rate": "invscaling", "momentum": 0.9,
                              "nesterovs_momentum": False},
    "adam": {"solver": "adam", "learning_rate_init": 0.01},
}
COLUMNS = ["example", "data", "setting", "metric", "sklearn mean", "ours mean", "sklearn worst",
           "ours worst", "loss sklearn", "loss ours", "epochs sklearn", "epochs ours",
           "fit / sklearn"]


def linearly_separable(random_state=0):
    """The examples' third data set: two informative features, shifted by uniform noise."""
    X, y = make_classification(n_features=2, n_redundant=0, n_informative=2,
                               random_state=random_state, n_clusters_per_class=1)
    X += 2 * np.random.RandomState(2).uniform(size=X.shape)
    return X, y


def strategy_data(names):
    data = {"iris": lambda: load_iris(return_X_y=True),
            "digits": lambda: load_digits(return_X_y=True),
            "circles": lambda: make_circles(noise=0.2, factor=0.5, random_state=1),
            "moons": lambda: make_moons(noise=0.3, random_state=0)}
    return [(name, *data[name]()) for name in names]


def held_out_data(names, separable_state=0):
    """The alpha and comparison examples' data sets, split 60 / 40 as they split them."""
    data = {"moons": lambda: make_moons(noise=0.3, random_state=0),
            "circles": lambda: make_circles(noise=0.2, factor=0.5, random_state=1),
            "linearly separable": lambda: linearly_separable(separable_state)}
    return [(name, *train_test_split(*data[name](), test_size=0.4, random_state=42))
            for name in names]


def _row(example, data, setting, metric, higher, results):
    """One table row from ``{'sklearn': [(value, loss, n_iter, seconds)...], 'ours': [...]}``."""
    worst = min if higher else max
    row = {"example": example, "data": data, "setting": setting, "metric": metric}
    for name, runs in results.items():
        values = [value for value, _, _, _ in runs]
        row[f"{name} mean"] = float(np.mean(values))
        row[f"{name} worst"] = float(worst(values))
        row[f"loss {name}"] = float(np.mean([loss for _, loss, _, _ in runs]))
        row[f"epochs {name}"] = float(np.mean([n_iter for _, _, n_iter, _ in runs]))
    row["fit / sklearn"] = (sum(seconds for *_, seconds in results["ours"])
                            / sum(seconds for *_, seconds in results["sklearn"]))
    return row


def _fit(make, X, y, seeds, measure):
    runs = []
    for seed in seeds:
        model = make(seed)
        start = time.perf_counter()
        model.fit(X, y)
        seconds = time.perf_counter() - start
        network = model[-1] if hasattr(model, "steps") else model
        runs.append((measure(model), network.loss_, network.n_iter_, seconds))
    return runs


def run_strategies(seeds, data_names):
    rows = []
    for data, X, y in strategy_data(data_names):
        X = MinMaxScaler().fit_transform(X)
        max_iter = 15 if data == "digits" else 400
        for setting, params in STRATEGIES.items():
            results = {name: _fit(lambda seed: Classifier(random_state=seed, max_iter=max_iter,
                                                          **params),
                                  X, y, seeds, lambda model: model.loss_)
                       for name, Classifier in [("sklearn", SkMLPClassifier),
                                                ("ours", MLPClassifier)]}
            rows.append(_row("strategies", data, setting, "training loss", False, results))
    return rows


def run_alpha(seeds, data_names):
    rows = []
    for data, X_train, X_test, y_train, y_test in held_out_data(data_names):
        for alpha in np.logspace(-1, 1, 5):
            results = {}
            for name, Classifier in [("sklearn", SkMLPClassifier), ("ours", MLPClassifier)]:
                results[name] = _fit(
                    lambda seed: make_pipeline(StandardScaler(), Classifier(
                        solver="lbfgs", alpha=alpha, random_state=seed, max_iter=2000,
                        early_stopping=True, hidden_layer_sizes=[10, 10])),
                    X_train, y_train, seeds, lambda model: model.score(X_test, y_test))
            rows.append(_row("alpha", data, f"alpha {alpha:.2f}", "test accuracy", True,
                             results))
    return rows


def run_comparison(seeds, data_names):
    rows = []
    for data, X_train, X_test, y_train, y_test in held_out_data(data_names, separable_state=1):
        results = {name: _fit(lambda seed: make_pipeline(StandardScaler(), Classifier(
                                  alpha=1, max_iter=1000, random_state=seed)),
                              X_train, y_train, seeds, lambda model: model.score(X_test, y_test))
                   for name, Classifier in [("sklearn", SkMLPClassifier),
                                            ("ours", MLPClassifier)]}
        rows.append(_row("comparison", data, "alpha 1, Adam", "test accuracy", True, results))
    return rows


def print_table(rows):
    print("| " + " | ".join(COLUMNS) + " |")
    print("|" + "---|" * len(COLUMNS))
    for row in rows:
        cells = []
        for column in COLUMNS:
            value = row[column]
            if isinstance(value, float):
                value = (f"{value:.1f}" if column.startswith("epochs")
                         else f"{value:.2f}" if column == "fit / sklearn" else f"{value:.3f}")
            cells.append(str(value))
        print("| " + " | ".join(cells) + " |")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="one seed, digits for the strategies and moons for the others")
    parser.add_argument("--seeds", default="0,1,2,3,4")
    parser.add_argument("--examples", default="strategies,alpha,comparison")
    args = parser.parse_args(argv)
    seeds = [0] if args.quick else [int(seed) for seed in args.seeds.split(",")]
    examples = args.examples.split(",")
    rows = []
    with warnings.catch_warnings():
        # Some settings stop at max_iter, as in scikit-learn's example, which
        # silences the same warning.
        warnings.simplefilter("ignore", ConvergenceWarning)
        # torch's first fit in a process pays one-time costs that no row should carry.
        MLPClassifier(max_iter=2).fit(*make_moons(random_state=0))
        if "strategies" in examples:
            rows += run_strategies(seeds, ["digits"] if args.quick
                                   else ["iris", "digits", "circles", "moons"])
        if "alpha" in examples:
            rows += run_alpha(seeds, ["moons"] if args.quick
                              else ["moons", "circles", "linearly separable"])
        if "comparison" in examples:
            rows += run_comparison(seeds, ["moons"] if args.quick
                                   else ["moons", "circles", "linearly separable"])
    print_table(rows)
    return rows


if __name__ == "__main__":
    main()
