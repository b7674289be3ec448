"""Fit time of our linear models against scikit-learn's, side by side in one run.

* LogisticRegression, solver 'lbfgs', defaults (C=1, tol=1e-4, max_iter=100),
  on 100k x 200 float64 data, binary and 10 classes;
* LinearRegression (closed form) on 1M x 100 float64 data.

Both libraries get the same number of threads (``--threads``, default: torch's).
Prints each time, the ratio of our time to sklearn's (goal on a CPU: <= 1), the
iterations each solver ran and the largest coefficient difference.

    python benchmarks/bench_linear.py [--quick] [--repeat 3] [--threads N] [--device cpu]
"""

import argparse
import warnings

import numpy as np
import sklearn.linear_model as sk
import torch
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from _common import best_times, machine_description, print_ratios
from sklearn_dl.linear_model import LinearRegression, LogisticRegression


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, one repeat")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    if args.quick:
        args.repeat = 1
    return args


def regression_data(n_samples, n_features, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features))
    y = X @ rng.standard_normal(n_features) + rng.standard_normal(n_samples)
    return X, y


def classification_data(n_samples, n_classes, n_features=200):
    return make_classification(n_samples, n_features, n_informative=50, n_classes=n_classes,
                               random_state=0)


def compare(title, ours, theirs, X, y, repeat):
    fitted = {}

    def run(name, estimator):
        def fit():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                fitted[name] = estimator.fit(X, y)
        return fit

    times = best_times({"sklearn_dl": run("sklearn_dl", ours), "sklearn": run("sklearn", theirs)},
                       repeat)
    print_ratios(title, times, reference="sklearn_dl")
    ours, theirs = fitted["sklearn_dl"], fitted["sklearn"]
    difference = np.abs(ours.coef_ - theirs.coef_).max() / np.abs(theirs.coef_).max()
    iterations = ""
    if hasattr(theirs, "n_iter_") and theirs.n_iter_ is not None:
        iterations = (f"iterations: ours {int(np.max(ours.n_iter_))}, "
                      f"sklearn {int(np.max(theirs.n_iter_))}; ")
    print(f"  {iterations}max |coef difference| / max |coef|: {difference:.1e}")
    return times["sklearn_dl"] / times["sklearn"]


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    n_logistic, n_linear = (20_000, 100_000) if args.quick else (100_000, 1_000_000)
    print(f"machine: {machine_description()}; sklearn BLAS/OpenMP threads: {args.threads}")
    ratios = {}
    with threadpool_limits(args.threads):
        for n_classes in (2, 10):
            X, y = classification_data(n_logistic, n_classes)
            title = f"LogisticRegression(lbfgs), {n_logistic} x 200, {n_classes} classes"
            ratios[title] = compare(title, LogisticRegression(device=args.device),
                                    sk.LogisticRegression(), X, y, args.repeat)
        X, y = regression_data(n_linear, 100)
        title = f"LinearRegression, {n_linear} x 100"
        ratios[title] = compare(title, LinearRegression(device=args.device),
                                sk.LinearRegression(), X, y, args.repeat)
    print("\nour fit time / sklearn's (goal <= 1):")
    for title, ratio in ratios.items():
        print(f"  {title:<52}{ratio:6.2f}")


if __name__ == "__main__":
    main()
