"""CNNClassifier: fit time against a bare torch loop and skorch, and digits 5-fold accuracy.

Fit time, side by side on the same ConvNet (CNNClassifier's default for the
input), Adam at 1e-3, batch 128, fixed epochs, every sample trained on:

* digits as 8x8 images (1797 samples, 2-D convolutions; the image default:
  filters (32, 64), batch norm, dropout 0.1, dense 128);
* 1-D signals (4000 x 1 x 128, 1-D convolutions, the signal default: the
  FCN's blocks of 128, 256 and 128 filters and global average pooling, about
  50 times the arithmetic per step of the image network on the same signals;
  skipped with ``--quick``).

Prints our time divided by each contender's: goals are <= 1.15 against the
bare loop (the same module, optimiser settings, batch size and epochs, written
by hand on device tensors) and < 1 against skorch's NeuralNetClassifier with
its defaults (DataLoader over the arrays, train_split=None).

Then the issue's accuracy target: load_digits / 16 as 8x8 images,
StratifiedKFold(5, shuffle=True, random_state=0), CNNClassifier with default
parameters (goal: mean accuracy >= 0.985, under a minute per fold on 2 CPU
cores). ``--quick`` runs one fold.

    python benchmarks/bench_cnn.py [--quick] [--device cuda]
"""

import time
import warnings

import numpy as np
import torch
from skorch import NeuralNetClassifier
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold

from _common import best_times, machine_description, parse_args, print_ratios
from sklearn_dl.modules import ConvNet, initialize_weights
from sklearn_dl.neural_network import CNNClassifier
from sklearn_dl.utils import resolve_device

BATCH = 128
ALPHA = 1e-4


def signals(n_samples, length=128, seed=0):
    """Two classes: a rising or a falling ramp at a random position in noise."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n_samples)
    X = rng.standard_normal((n_samples, 1, length)).astype(np.float32)
    ramp = np.linspace(-2, 2, 16, dtype=np.float32)
    for i, start in enumerate(rng.integers(0, length - 16, n_samples)):
        X[i, 0, start:start + 16] += ramp if y[i] else ramp[::-1]
    return X, y


def same_module(estimator, input_shape, n_classes):
    """The ConvNet that ``estimator`` builds, with its architecture parameters."""
    params = estimator.get_params()
    # The architecture parameters default to 'auto', resolved for the input's shape.
    probe = clone(estimator)
    probe.input_shape_ = tuple(input_shape)
    module = ConvNet(input_shape, n_classes, batch_norm=params["batch_norm"],
                     activation=params["activation"], **probe._architecture())
    return initialize_weights(module, params["weight_init"], params["activation"])


def bare_torch_loop(module, X, y, epochs, device):
    """What a user writes by hand: the same module, optimiser, batches and epochs."""
    module = module.to(device)
    optimizer = torch.optim.Adam(module.parameters(), lr=1e-3, weight_decay=ALPHA, fused=True)
    X_tensor = torch.as_tensor(X.reshape(len(X), -1), device=device)
    y_tensor = torch.as_tensor(y, device=device)
    module.train()
    for _ in range(epochs):
        order = torch.randperm(len(X_tensor), device=device)
        for start in range(0, len(X_tensor), BATCH):
            index = order[start:start + BATCH]
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(module(X_tensor[index]), y_tensor[index])
            loss.backward()
            optimizer.step()
    return module


def digits_images(n_samples=1797, seed=0):
    """load_digits / 16 as float32 8x8 images; beyond 1797, noisy copies of them."""
    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32).reshape(-1, 1, 8, 8)
    index = np.arange(n_samples) % len(X)
    noise = np.random.default_rng(seed).normal(0, 0.05, (n_samples, 1, 8, 8))
    noise[:len(X)] = 0
    return (X[index] + noise).astype(np.float32), y[index]


def ours(epochs, device):
    """CNNClassifier with its default architecture, trained for exactly ``epochs``."""
    return CNNClassifier(max_iter=epochs, batch_size=BATCH, alpha=ALPHA, tol=0,
                         n_iter_no_change=np.inf, random_state=0, device=device)


def skorch_net(estimator, input_shape, n_classes, epochs, device):
    """skorch's NeuralNetClassifier on the module ``estimator`` builds; fit it on flat X."""
    return NeuralNetClassifier(
        same_module(estimator, input_shape, n_classes),
        criterion=torch.nn.CrossEntropyLoss, optimizer=torch.optim.Adam,
        optimizer__weight_decay=ALPHA, lr=1e-3, max_epochs=epochs, batch_size=BATCH,
        iterator_train__shuffle=True, train_split=None, device=str(device), verbose=0,
    )


def time_fits(title, X, y, epochs, device, repeat):
    input_shape, n_classes = X.shape[1:], len(np.unique(y))
    X_flat = X.reshape(len(X), -1)
    estimator = ours(epochs, device)
    skorch_classifier = skorch_net(estimator, input_shape, n_classes, epochs, device)
    contenders = {
        "sklearn_dl CNNClassifier": lambda: estimator.fit(X, y),
        "bare torch loop": lambda: bare_torch_loop(same_module(estimator, input_shape, n_classes),
                                                   X, y, epochs, device),
        "skorch NeuralNetClassifier": lambda: skorch_classifier.fit(X_flat, y),
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        times = best_times(contenders, repeat)
    print_ratios(f"{title}: {X.shape[0]} samples of shape {input_shape}, {epochs} epochs, "
                 f"batch {BATCH}", times, reference="sklearn_dl CNNClassifier")


def digits_cross_validation(n_folds):
    X, y = load_digits(return_X_y=True)
    X = (X / 16).reshape(-1, 1, 8, 8)
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    print("\ndigits 8x8, CNNClassifier() defaults, StratifiedKFold(5, shuffle=True, "
          "random_state=0)")
    scores = []
    for fold, (train, test) in enumerate(cv.split(X, y)):
        if fold == n_folds:
            break
        start = time.perf_counter()
        model = CNNClassifier(random_state=0).fit(X[train], y[train])
        seconds = time.perf_counter() - start
        scores.append(model.score(X[test], y[test]))
        print(f"  fold {fold}: accuracy {scores[-1]:.4f}, {model.n_iter_} epochs, "
              f"fit {seconds:.1f} s")
    print(f"  mean accuracy {np.mean(scores):.4f} over {len(scores)} fold(s) (goal >= 0.985)")


def main():
    args = parse_args(__doc__)
    device = resolve_device(args.device)
    print(f"device {device}; {machine_description()}")
    time_fits("digits images", *digits_images(), 3 if args.quick else 10, device, args.repeat)
    if not args.quick:
        time_fits("1-D signals", *signals(4000), 5, device, args.repeat)
    digits_cross_validation(1 if args.quick else 5)


if __name__ == "__main__":
    main()
