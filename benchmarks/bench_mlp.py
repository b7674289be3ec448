"""MLPClassifier fit time against a bare torch loop, skorch and sklearn, side by side.

20k x 100 synthetic data (float32), hidden (256, 256), 10 epochs, batch 256,
Adam at 1e-3. Prints our time divided by each contender's: goals are <= 1.15
against the bare loop, < 1 against skorch and <= 1 against sklearn on a CPU.

    python benchmarks/bench_mlp.py [--quick] [--device cuda]
"""

import warnings

import numpy as np
import torch
from skorch import NeuralNetClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier

from _common import best_times, machine_description, parse_args, print_ratios
from sklearn_dl.modules import MLP, initialize_weights
from sklearn_dl.neural_network import MLPClassifier
from sklearn_dl.utils import resolve_device

HIDDEN = (256, 256)
EPOCHS = 10
BATCH = 256
ALPHA = 1e-4


def make_data(n_samples, n_features=100, n_classes=10, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features)).astype(np.float32)
    y = (X[:, :n_classes] + 0.5 * rng.standard_normal((n_samples, n_classes))).argmax(axis=1)
    return X, y


def bare_torch_loop(X, y, device):
    """What a user writes by hand: the same module, optimiser, batches and epochs."""
    torch.manual_seed(0)
    module = initialize_weights(MLP(X.shape[1], HIDDEN, 10), "xavier", "relu").to(device)
    optimizer = torch.optim.Adam(module.parameters(), lr=1e-3, weight_decay=ALPHA, fused=True)
    X_tensor, y_tensor = torch.as_tensor(X, device=device), torch.as_tensor(y, device=device)
    for _ in range(EPOCHS):
        order = torch.randperm(len(X_tensor), device=device)
        for start in range(0, len(X_tensor), BATCH):
            index = order[start:start + BATCH]
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(module(X_tensor[index]), y_tensor[index])
            loss.backward()
            optimizer.step()
    return module


def main():
    args = parse_args(__doc__)
    device = resolve_device(args.device)
    X, y = make_data(4000 if args.quick else 20000)
    ours = MLPClassifier(HIDDEN, max_iter=EPOCHS, batch_size=BATCH, alpha=ALPHA, tol=0,
                         random_state=0, device=device)
    skorch_net = NeuralNetClassifier(
        MLP(X.shape[1], HIDDEN, 10), criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam, optimizer__weight_decay=ALPHA, lr=1e-3,
        max_epochs=EPOCHS, batch_size=BATCH, iterator_train__shuffle=True,
        train_split=None, device=str(device), verbose=0,
    )
    sklearn_mlp = SklearnMLPClassifier(HIDDEN, max_iter=EPOCHS, batch_size=BATCH, alpha=ALPHA,
                                       tol=0, random_state=0)
    contenders = {
        "sklearn_dl MLPClassifier": lambda: ours.fit(X, y),
        "bare torch loop": lambda: bare_torch_loop(X, y, device),
        "skorch NeuralNetClassifier": lambda: skorch_net.fit(X, y),
    }
    if device.type == "cpu":
        contenders["sklearn MLPClassifier"] = lambda: sklearn_mlp.fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        times = best_times(contenders, args.repeat)
    print(f"MLP fit, {X.shape[0]} x {X.shape[1]}, hidden {HIDDEN}, {EPOCHS} epochs, batch {BATCH}")
    print(f"device {device}; {machine_description()}")
    print_ratios("fit time", times, reference="sklearn_dl MLPClassifier")


if __name__ == "__main__":
    main()
